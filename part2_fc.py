"""Part 2: a tiny fully connected net on the random 4x4 dataset, in four settings (handout section 2).

The net (handout Figure 3): 16 pixels -> fully connected 4 -> sigmoid or ReLU -> fully connected 1 -> sigmoid.
Weights ~ normal(0, 0.1) truncated at 2 std, biases 0.1. Plain full-batch gradient descent (torch.optim.SGD,
all 64 images every step) at --lr, stopped at 100 % training accuracy or after --max-iters updates. The four
settings: sigmoid or ReLU hidden units, each with the L2 loss (sigmoid(z) - y)^2 and with the cross-entropy.
Each runs under both batch losses: the mean over the images (the default, --reduction) and the sum, which
multiplies every step by 64.

Conventions (the handout leaves them open):
  * prediction = output > 0.5, that is logit z > 0; "iterations to 100 %" = updates made before the first
    evaluation on all images at 100 % (0 if the initial net is already perfect);
  * a run still short of 100 % after --max-iters updates is CENSORED ("> cap", never a number); a NaN or
    infinite loss marks it DIVERGED; a ReLU net whose 4 hidden units are all 0 for every image is DEAD: it can
    never change a prediction again, so it stops there (not 100 %);
  * seed k starts every setting from the same weights (a paired comparison), drawn from NumPy's
    RandomState(k): NumPy keeps that stream the same in every release, so a grader's torch and NumPy start
    from the student's weights (torch's own generator changes between releases). Float64 (--dtype).

Writes to --out-dir, with fixed names: the loss and accuracy curves of the runs of --seed
(part2_<setting>_loss / _accuracy, .png and .pdf), the four on shared axes (part2_overlay), the settings sorted
by iterations (part2_seed_table.csv, also printed), every curve (part2_curves.csv) and part2_summary.json.
--seeds N adds seeds 0..N-1 and prints their medians; the many-seed study is `python -m dlbasics.study part2`.
"""
# ---- shared block "kernels": one kernel path on every x86-64 CPU (the same bits), set before torch loads ----
import logging
import os
import platform
import re
import signal
import sys
import warnings

X86 = platform.machine().lower() in ("x86_64", "amd64")
ENVIRONMENT = {  # variable -> (what torch, MKL or OpenMP accept here, what this machine gets instead, or None: unset)
    "ATEN_CPU_CAPABILITY": (r"default|avx2|avx512" if X86 else r"default|vsx|zvector|sve256", "avx2" if X86 else None),
    "MKL_CBWR": (r"(?i)(auto|compatible|sse2|ssse3|sse4_[12]|avx|avx2|avx512(_mic|_e[1-5])?)(,strict)?",
                 "AVX2,STRICT" if X86 else None),
    "OMP_NUM_THREADS": (r"[1-9][0-9]{0,5}(,[1-9][0-9]{0,5})*", "1")}


def stderr_line(text):
    """One line on stderr, named by the program, if there is a stderr to write to."""
    try:
        os.write(2, f"{'python' if sys.argv[0] == '-m' else os.path.basename(sys.argv[0])}: {text}\n".encode())
    except OSError:
        pass


for _name, (_valid, _ours) in ENVIRONMENT.items():   # a value torch would warn about, or ignore: replaced, said
    _value = os.environ.get(_name)
    if _value is not None and not re.fullmatch(_valid, _value):
        os.environ.pop(_name)
        stderr_line(f"note: {_name}={_value!r} is not a setting it knows; {'using ' + _ours if _ours else 'left unset'}")
    if X86 and _name != "OMP_NUM_THREADS":
        os.environ.setdefault(_name, _ours)
os.environ["MPLBACKEND"] = "Agg"                    # files only, whatever backend a notebook left set
logging.getLogger("matplotlib").setLevel(logging.ERROR)        # no warning about an unwritable config folder
SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
if __name__ == "__main__":        # until main() runs: a signal, or a library that refuses this environment, is one line
    for _s in SIGNALS:
        signal.signal(_s, lambda s, f: (stderr_line("interrupted; no output was written"), os._exit(128 + s)))
    sys.excepthook = lambda kind, err, tb: (stderr_line(f"error: a library failed to load ({kind.__name__}: "
                                                 f"{(str(err).strip().splitlines() or [''])[0]}); check the installation "
                                                 "and the variables it reads (TORCH_*, MKL_*, OMP_*)"), os._exit(2))
# ---- end of shared block "kernels" ----
import argparse
import csv
import gc
import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import scipy.io
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import skip_init

HERE = Path(__file__).resolve().parent          # data/ and figures/ are found from here, never from the cwd
REDUCTIONS = ("mean", "sum")


def parse_args(argv=None):
    p = Parser(prog="part2_fc.py", description=__doc__)
    p.add_argument("--seed", type=bounded(int, 0, 2**32 - 1, "an integer in [0, 4294967295]"), default=0,
                   help="seed of the runs whose curves are drawn; their starting weights are NumPy's "
                        "RandomState(seed)'s draws, the same under any torch or NumPy (default: %(default)s)")
    p.add_argument("--seeds", type=bounded(int, 1, 10**6, "an integer in [1, 1000000]"), default=None,
                   help="also run seeds 0..N-1 and print each setting's median (default: --seed only)")
    p.add_argument("--lr", type=bounded(float, 1e-12, 1e6, "a learning rate in [1e-12, 1e+06]"), default=0.1,
                   help="learning rate (default: %(default)s)")
    p.add_argument("--reduction", choices=REDUCTIONS, default="mean",
                   help="batch loss of the curves drawn: mean or sum over the images; both are run (default: "
                        "%(default)s)")
    p.add_argument("--max-iters", type=bounded(int, 1, 10**6, "an integer in [1, 1000000]"), default=None,
                   help="update cap; a run still short of 100 %% there is censored (default: 10000; 2000 with "
                        "--quick; 1000 epochs with --edition 2017)")
    add_common_arguments(p, "random/random_imgs.npy and random_labs.npy (.npy or .mat, or the 2017 names "
                            "p21_random_*)", quick="a cap of 2000 updates")
    add_training_arguments(p, {"batch_size": 64, "max_epochs": 1000})
    p.set_defaults(max_epochs=None)
    return resolve_training(p, p.parse_args(argv))


# ================================ The net and its initialisation ===============================
class FCNet(nn.Module):
    """Handout Figure 3: 16 pixels -> fully connected 4 -> activation -> fully connected 1, the logit z.
    The output sigmoid(z) is left to the losses, which are computed from z. (Other sizes serve the
    study's controls: the same kind of net on the 16 x 16 line images.)"""

    def __init__(self, activation="sigmoid", pixels=16, hidden=4):
        super().__init__()
        # skip_init: each layer without torch's own initialisation, which draws from torch's generator (its
        # stream changes between releases); init_weights gives the values, seed 0's until redrawn
        self.fc1 = skip_init(nn.Linear, pixels, hidden)
        self.act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]()
        self.fc2 = skip_init(nn.Linear, hidden, 1)
        init_weights(self, seed=0)

    def forward(self, images):                     # (N, 4, 4) -> logits (N,) and hidden units (N, 4)
        hidden = self.act(self.fc1(images.flatten(1)))
        return self.fc2(hidden).squeeze(-1), hidden


# ---- shared block "init" ----
INITS = {"handout": "weights ~ normal(0, 0.1) truncated at +-2 std (redrawn beyond), biases 0.1",
         "zero": "all weights 0, biases 0.1", "zero-all": "all weights and biases 0",
         "normal1": "weights ~ normal(0, 1) truncated at +-2 std, biases 0.1",
         "default": "torch's default rule: weights and biases ~ uniform(+-1/sqrt(fan_in))"}


def init_weights(net, seed, scheme="handout"):
    """Initialise `net` in place from numpy.random.RandomState(seed), one parameter after the other in
    named_parameters() order. NumPy has frozen that stream (NEP 19): seed k gives the same starting
    weights under every torch and NumPy release, alone or in a many-seed study, for every setting.
    torch's own generator and nn.init promise no such thing (torch 2.13 rewrote trunc_normal_)."""
    rng = np.random.RandomState(int(seed))
    with torch.no_grad():
        for name, param in net.named_parameters():
            n = param.numel()
            if scheme == "default":                # fan_in: the inputs of one output unit
                bound = 1 / math.sqrt(net.get_parameter(name.rsplit(".", 1)[0] + ".weight")[0].numel())
                values = rng.uniform(-bound, bound, n)
            elif scheme == "zero-all" or (scheme == "zero" and name.endswith("weight")):
                values = np.zeros(n)
            elif name.endswith("bias"):
                values = np.full(n, 0.1)
            else:
                values = (0.1 if scheme == "handout" else 1.0) * truncated_normal(rng, n)
            param.copy_(torch.from_numpy(values).reshape(param.shape))
    return net


def truncated_normal(rng, n):
    """(n,) standard normal draws within [-2, 2]: the draws beyond are redrawn, in order, until none is."""
    values = rng.standard_normal(n)
    beyond = np.abs(values) > 2
    while beyond.any():
        values[beyond] = rng.standard_normal(int(beyond.sum()))
        beyond = np.abs(values) > 2
    return values
# ---- end of shared block "init" ----


# ================================ The losses and the rules =====================================
def l2_loss(logits, labels):
    """Per image (sigmoid(z) - y)^2, the handout's L2 loss on the output."""
    return (torch.sigmoid(logits) - labels) ** 2


def cross_entropy(logits, labels):
    """Per image -(y log p + (1 - y) log(1 - p)) with p = sigmoid(z), computed from z without overflow."""
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="none")


LOSSES = {"l2": l2_loss, "ce": cross_entropy}


@dataclass(frozen=True)
class Setting:
    """One of the handout's four experiments: the hidden activation and the loss."""
    activation: str                                # "sigmoid" or "relu"
    loss: str                                      # "l2" or "ce"

    @property
    def name(self):                                # in file names and summaries: "sigmoid-l2", ...
        return f"{self.activation}-{self.loss}"

    @property
    def label(self):                               # in figures and tables: "sigmoid + L2", ...
        return {"sigmoid": "sigmoid", "relu": "ReLU"}[self.activation] + " + " + self.loss.upper()


SETTINGS = [Setting(act, loss) for act in ("sigmoid", "relu") for loss in ("l2", "ce")]


def correct(logits, labels):
    """The prediction is right: output > 1/2 (logit > 0) exactly for the label-1 images."""
    return (logits > 0) == (labels > 0.5)


def is_dead(hidden):
    """Every hidden ReLU is 0 for every image: no gradient reaches the first layer again, every image gets the
    same logit for good, and with both classes present 100 % is out of reach."""
    return hidden.amax() <= 0                     # ReLU outputs are never below 0


def stops_when_dead(setting, data, momentum, weight_decay):
    """The dead rule holds for ReLU units, both classes and plain steps (momentum and weight decay keep
    moving a dead net); a sigmoid unit is never exactly 0."""
    return setting.activation == "relu" and 0 < data.class_counts[1] < len(data) and not (momentum or weight_decay)


# ================================ The training loop =============================================
def train(setting, seed, reduction, data, args):
    """One run of the plain loop: evaluate the net on every image, stop, or take one SGD step."""
    net = init_weights(FCNet(setting.activation).to(data.images.dtype), seed, args.init)
    sgd = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    per_image, reduce = LOSSES[setting.loss], torch.mean if reduction == "mean" else torch.sum
    dies = stops_when_dead(setting, data, args.momentum, args.weight_decay)
    mini = args.batch_size is not None and args.batch_size < len(data)
    curves = {"loss": [], "acc": []}
    for t in range(args.max_iters + 1):
        logits, hidden = net(data.images)                                   # every image, after t updates
        loss = reduce(per_image(logits, data.labels))
        accuracy = correct(logits, data.labels).double().mean()
        curves["loss"].append(loss.item())
        curves["acc"].append(accuracy.item())
        status = ("diverged" if not torch.isfinite(loss) else "reached" if accuracy == 1 else
                  "stuck" if dies and is_dead(hidden) else "censored" if t == args.max_iters else None)
        if status:
            return Run(setting.name, args.lr, reduction, seed, t, status, curves, net=net)
        if mini:                                   # mini-batch SGD: this step's loss on its batch only
            batch = batch_indices(seed, t, data.labels, args.batch_size, args.order)
            logits, _ = net(data.images[batch])
            loss = reduce(per_image(logits, data.labels[batch]))
        sgd.zero_grad()
        loss.backward()
        sgd.step()


# ---- shared block "training": --init, mini-batches, the optimiser, the 2017 edition ----
def add_training_arguments(parser, edition_2017):
    """How the runs train (the defaults are the 2019 handout's); edition_2017: what --edition 2017 sets for
    this part besides momentum 0.99 and weight decay 5e-4."""
    g = parser.add_argument_group("training (the defaults are the 2019 handout's)")
    g.add_argument("--init", choices=tuple(INITS), default="handout",
                   help="; ".join(f"{k} = {v}" for k, v in INITS.items()) + " (default: %(default)s)")
    g.add_argument("--batch-size", type=bounded(int, 1, 10**9, "a positive integer"),
                   help="mini-batch SGD with batches of this many images; runs are still judged on all images "
                        "(default: all images, full-batch gradient descent)")
    g.add_argument("--order", choices=("shuffled", "negatives-first"),
                   help="each epoch's order, seeded by the seed and the epoch (default: shuffled; needs --batch-size)")
    g.add_argument("--optimizer", choices=("gd", "momentum"), help="gd: theta -= lr * g; momentum: "
                   "torch.optim.SGD with --momentum (default: gd)")
    g.add_argument("--momentum", type=bounded(float, 0, 1 - 2**-53, "a number in [0, 1)"),
                   help="for --optimizer momentum (default: 0.9)")
    g.add_argument("--weight-decay", type=bounded(float, 0, 1e300, "a number >= 0"),
                   help="L2 weight decay, biases included (default: 0)")
    g.add_argument("--edition", choices=("2019", "2017"), default="2019", help="2017: that year's training, "
                   "momentum 0.99, weight decay 5e-4, " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in
                   edition_2017.items()) + "; the flags above still win (default: %(default)s)")
    parser.set_defaults(edition_2017=edition_2017)


def resolve_training(parser, args):
    """Fill the training flags left unset: from --edition 2017, else the handout's choice."""
    preset = {"optimizer": "momentum", "momentum": 0.99, "weight_decay": 5e-4} | args.edition_2017
    del args.edition_2017
    for name, value in preset.items() if args.edition == "2017" else ():
        if getattr(args, name) is None and not (name == "momentum" and args.optimizer == "gd"):
            setattr(args, name, value)
    args.optimizer = args.optimizer or "gd"
    if args.optimizer == "gd" and args.momentum or args.order and not args.batch_size:
        parser.error("argument --momentum: needs --optimizer momentum" if args.optimizer == "gd" and
                     args.momentum else "argument --order: needs --batch-size")
    args.momentum = 0.9 if args.momentum is None and args.optimizer == "momentum" else args.momentum or 0.0
    args.weight_decay, args.order = args.weight_decay or 0.0, args.order or ("shuffled" if args.batch_size else None)
    return args


def describe_training(args, n_images):
    batch = ("full-batch gradient descent" if not args.batch_size or args.batch_size >= n_images else
             f"mini-batch SGD, batches of {args.batch_size}, {args.order} order")
    return (batch + (f", momentum {args.momentum:g}" if args.momentum else "") +
            (f", weight decay {args.weight_decay:g}" if args.weight_decay else "") + f", {args.init} initialisation")


def epoch_order(seed, epoch, labels, order):
    """(N,) every image once, in an order drawn from numpy.random.RandomState([seed, epoch]) (a stream
    NumPy has frozen): shuffled, or every label-0 image before any label-1 image."""
    rng = np.random.RandomState([int(seed), int(epoch)])
    classes = np.asarray(labels).round().astype(np.int64)
    return (rng.permutation(len(classes)) if order == "shuffled" else
            np.concatenate([rng.permutation(np.flatnonzero(classes == c)) for c in (0, 1)]))


def batch_indices(seed, t, labels, batch_size, order):
    """The images update t sees: slice t mod ceil(N/B) of epoch t // ceil(N/B)."""
    steps = math.ceil(len(labels) / batch_size)
    return epoch_order(seed, t // steps, labels, order)[t % steps * batch_size:(t % steps + 1) * batch_size]
# ---- end of shared block "training" ----


# ================================ Figures and tables ============================================
def cell(run):
    """A run's iterations to 100 % as the tables show them."""
    return {"reached": f"{run.iterations}", "censored": f">{run.iterations}", "stuck": f"dead at {run.iterations}",
            "diverged": f"diverged at {run.iterations}"}[run.status]


def median(runs):
    """Median iterations to 100 %: a run that did not get there counts as beyond the cap (+inf); a median
    among runs that all died or diverged says so."""
    values = sorted(r.iterations if r.status == "reached" else math.inf for r in runs)
    middle = (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2
    if math.isfinite(middle):
        return f"{middle:g}"
    words = {"censored": "beyond the cap", "stuck": "dead", "diverged": "diverged"}
    ended = {word: sum(r.status == status for r in runs) for status, word in words.items()}
    ended = {word: k for word, k in ended.items() if k}
    return next(iter(ended)) if len(ended) == 1 else \
        "no median (" + ", ".join(f"{k} {word}" for word, k in ended.items()) + f" of {len(runs)})"


def plot_overlay(out, runs, args):
    """The four settings of --seed on shared axes (symlog iterations); L2 and CE on panels of their own."""
    fig, axes = plt.subplots(1, 3, figsize=(FULL, 2.35))
    for i, (setting, run) in enumerate(runs.items()):
        for ax, key in ((axes[0 if setting.loss == "l2" else 1], "loss"), (axes[2], "acc")):
            ax.plot(np.arange(len(run.curves[key])), run.curves[key], color=f"C{i}", label=setting.label)
    for ax, ylabel in zip(axes, ("L2 loss", "cross-entropy", "training accuracy")):
        ax.set(xlabel="iteration (symlog scale)", ylabel=ylabel, yscale="linear" if ax is axes[2] else "log")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    fig.legend(*axes[2].get_legend_handles_labels(), loc="lower center", ncol=4, frameon=False)
    fig.suptitle(f"Part 2, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}: the four settings")
    fig.tight_layout(pad=0.3, rect=(0, 0.11, 1, 1))
    out.figure(fig, "part2_overlay")


def write_outputs(out, runs, args):
    """The handout's figures and sorted table for the runs of --seed; the medians over --seeds."""
    of = {(r.setting, r.seed, r.reduction): r for r in runs}
    drawn = {s: of[(s.name, args.seed, args.reduction)] for s in SETTINGS}
    for s, run in drawn.items():
        note, stem = (f"100 % after {run.iterations} updates" if run.status == "reached" else cell(run),
                      f"part2_{s.activation}_{s.loss}")
        plot_curve(out, run.curves["loss"], f"{s.label}: loss", f"{'L2 loss' if s.loss == 'l2' else 'cross-entropy'}"
                   f" ({args.reduction})", f"{stem}_loss", note, logy=True)
        plot_curve(out, run.curves["acc"], f"{s.label}: accuracy", "training accuracy", f"{stem}_accuracy", note,
                   ylim=(0, 1.03))
    plot_overlay(out, drawn, args)
    out.csv("part2_curves.csv", ["iteration"] + [f"{s.label} ({args.reduction}) {m}" for s in drawn for m in ("loss", "acc")],
            [[t] + [f"{r.curves[m][t]:.10g}" if t < len(r.curves[m]) else "" for r in drawn.values() for m in ("loss", "acc")]
             for t in range(max(r.iterations for r in drawn.values()) + 1)])
    other = "sum" if args.reduction == "mean" else "mean"
    header = ["rank", "setting", f"iterations ({args.reduction})", f"final loss ({args.reduction})", f"iterations ({other})"]
    ranked = sorted(drawn.items(), key=lambda sr: (sr[1].status != "reached", sr[1].iterations))
    rows = [[i if r.status == "reached" else "--", s.label, cell(r), f"{r.curves['loss'][-1]:.4g}",
             cell(of[(s.name, args.seed, other)])] for i, (s, r) in enumerate(ranked, 1)]
    out.csv("part2_seed_table.csv", header, rows)
    say(f"seed {args.seed}, lr {args.lr:g}, sorted by iterations to 100 % ({args.reduction} loss):",
        *("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, (4, 13, 18, 18, 16))) for row in [header, *rows]))
    seeds = sorted({r.seed for r in runs})
    if len(seeds) > 1:
        say(f"median iterations to 100 % over seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} seeds):", *(
            f"  {s.label:13s}  " + "  ".join(f"{red}: {median([r for r in runs if (r.setting, r.reduction) == (s.name, red)])}"
                                        for red in REDUCTIONS) for s in SETTINGS))


# ---- shared block "style": the report's sizes and fonts, where figures print unscaled ----
plt.rcParams.update({"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "xtick.labelsize": 8,
                     "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 9.5, "figure.dpi": 100,
                     "axes.unicode_minus": False, "pdf.compression": 6, "lines.linewidth": 1.3})
FULL, HALF = 6.4, 3.15           # inches: the report's text width and half of it
# ---- end of shared block "style" ----


# ---- shared block "curve" ----
def plot_curve(out, values, title, ylabel, stem, note="", logy=False, ylim=None):
    """One metric of one run against the iterations (half the text width)."""
    fig, ax = plt.subplots(figsize=(HALF, 1.6), layout="constrained")   # keeps the y label whole
    ax.plot(np.arange(len(values)), values)
    ax.set(xlabel="iteration", ylabel=ylabel, title=title, yscale="log" if logy else "linear")
    if logy:                                  # labels at 1, 2 and 5 x 10^k only: never a crowd of them
        ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.xaxis.get_major_locator().set_params(integer=True)          # iterations are whole: no 2.5 ticks
    ax.set_ylim(*(ylim or ax.get_ylim()))
    if note:
        ax.text(0.97, 0.93 if logy else 0.05, note, transform=ax.transAxes, ha="right", va="top" if logy else "bottom",
                fontsize=8, bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
    ax.grid(alpha=0.3)
    out.figure(fig, stem)
# ---- end of shared block "curve" ----


# ================================ main ==========================================================
def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("random", args.data_dir)
    say(data.describe())
    if args.max_iters is None:                     # the 2017 cap counts epochs of --batch-size images
        args.max_iters = (args.max_epochs * math.ceil(len(data) / min(args.batch_size, len(data)))
                          if args.max_epochs else 2000 if args.quick else 10000)
    say(f"training: {describe_training(args, len(data))}, lr {args.lr:g}, at most {args.max_iters} updates")
    deterministic_torch()
    data = data.to(getattr(torch, args.dtype))
    seeds = sorted({args.seed} | set(range(args.seeds or 0)))
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        runs = [train(s, seed, red, data, args) for seed in seeds for s in SETTINGS for red in REDUCTIONS]
        write_outputs(out, runs, args)
        out.json("part2_summary.json", summary(args, data, runs, rerun=(
            "seed", "seeds", "lr", "max_iters", "dtype", "init", "batch_size", "order", "optimizer", "momentum",
            "weight_decay"), weights={"FCNet": fingerprint(init_weights(FCNet().double(), 0, args.init))})
                 | out.record(__file__))
    say(f"part 2: wrote {'' if args.no_figures else 'figures, '}part2_seed_table.csv and part2_summary.json "
        f"to {args.out_dir}")


# ---- below: the plumbing every script shares (data, summaries, errors, outputs); a learner may skip it ----
# ---- shared block "data": the course's files, read unchanged (.npy or .mat), or ours of the same kind ----
DATASETS = {"random": (4, ("imgs", "labs"), "p21_random"), "line": (16, ("imgs", "labs"), "p22_line"),
            "detection": (16, ("imgs", "labs", "width"), None)}      # image side, arrays, the 2017 prefix


def add_common_arguments(p, holding, quick):
    """The flags every training script takes: precision, folders, figures, a quick run."""
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of every run (default: %(default)s). Iterations to 100 %% are a threshold event: "
                        "in float32 a rounding difference between two CPUs' kernels can move them by hundreds")
    p.add_argument("--data-dir", type=folder, default=None,
                   help=f"folder with {holding} (default: data/ next to this script)")
    p.add_argument("--out-dir", type=folder, default=HERE / "figures",
                   help="where the outputs go (default: figures/ next to this script)")
    p.add_argument("--no-figures", action="store_true", help="write the numbers only: tables and summary")
    p.add_argument("--quick", action="store_true", help=f"{quick} (an explicit --max-iters wins)")


@dataclass
class Dataset:
    name: str
    images: torch.Tensor                 # (N, side, side)
    labels: torch.Tensor                 # (N,), 0 or 1
    widths: torch.Tensor | None          # (N,) half-widths w in pixels; the object spans 2w + 1 (detection)
    folder: Path                         # --data-dir
    files: dict                          # each file read, relative to the folder -> its SHA-256

    def __len__(self):
        return len(self.labels)

    def to(self, dtype):
        return replace(self, images=self.images.to(dtype), labels=self.labels.to(dtype),
                       widths=None if self.widths is None else self.widths.to(dtype))

    @property
    def class_counts(self):
        ones = int((self.labels > 0.5).sum())
        return len(self) - ones, ones

    def describe(self):
        return (f"data: {self.name}, {len(self)} images ({self.class_counts[0]} x label 0, {self.class_counts[1]} x "
                f"label 1), pixels {self.images.min():g}..{self.images.max():g}, from "
                + ", ".join(str(self.folder / f) for f in self.files))


def load_dataset(name, folder=None):
    """Find, read and check dataset `name` in `folder` (None: data/ next to the scripts); UserError names the
    file and what was wrong. A note for data on which 100 % is trivial (one class, or a single image)."""
    side, arrays, _ = DATASETS[name]
    if folder is None and not (HERE / "data").is_dir():
        files = " and ".join(f"{name}_{a}.npy" if a != "width" else "detection_width.npy" for a in arrays)
        raise UserError(f"no data/ folder next to {Path(__file__).name} ({HERE / 'data'}): put the course's {files} "
                        f"(or .mat) in data/{name}/, or give --data-dir")
    folder = HERE / "data" if folder is None else Path(folder)
    if not folder.is_dir():
        raise UserError(f"--data-dir {folder}: expected an existing folder")
    found = {a: find_file(folder, name, a) for a in arrays}
    paths, v = {a: p for a, (p, _) in found.items()}, {a: value for a, (_, value) in found.items()}
    n = len(v["imgs"])
    if v["imgs"].shape != (n, side, side) or n == 0:
        m = v["labs"].size
        raise UserError(f"{paths['imgs']}: expected {name} images of shape (N, {side}, {side}), got {v['imgs'].shape}" + (
            f"; this is MATLAB's height x width x N order ({m} = the number of labels): save permute(X, [3 1 2]) "
            "instead, or np.moveaxis(X, -1, 0)" if v["imgs"].shape == (side, side, m) else ""))
    if abs(v["imgs"]).max() > 1:
        raise UserError(f"{paths['imgs']}: expected pixel values in [-1, 1] (the course's are 0 or 1), found "
                        f"{v['imgs'].min():g}..{v['imgs'].max():g}; divide the images by {abs(v['imgs']).max():g}")
    for a in arrays[1:]:
        if v[a].shape not in ((n,), (n, 1), (1, n)):        # (1, n): MATLAB's row vector
            raise UserError(f"{paths[a]}: expected {'labels' if a == 'labs' else 'widths'} of shape ({n},), "
                            f"({n}, 1) or (1, {n}) to match the {n} images, got {v[a].shape}")
        v[a] = v[a].reshape(n)
    bad = v["labs"][(v["labs"] != 0) & (v["labs"] != 1)]
    if bad.size:
        raise UserError(f"{paths['labs']}: expected labels in {{0, 1}}, found {float(bad[0])!r}")
    if "width" in v and ((v["width"] <= 0) | (v["width"] > side)).any():
        raise UserError(f"{paths['width']}: expected half-widths in (0, {side}] pixels, found "
                        f"{v['width'][(v['width'] <= 0) | (v['width'] > side)][0]:g}")
    ones = int(v["labs"].sum())
    if n == 1 or ones in (0, n):
        say_error(f"note: {paths['labs']}: " + ("a single image" if n == 1 else f"all {n} labels are {int(v['labs'][0])}")
                  + ", so predicting one class is 100 % training accuracy: every count here is trivial")
    files = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths.values()}
    return Dataset(name, *(torch.from_numpy(v[a]) if a in v else None for a in ("imgs", "labs", "width")), folder, files)


def find_file(folder, name, array):
    """(path, array) of FOLDER/name/name_array, or flat in FOLDER, or under its 2017 name; .npy or .mat. Two
    such files that hold different arrays are refused: which one is meant cannot be guessed."""
    stems = ["detection_width" if array == "width" else f"{name}_{array}"] + (
        [f"{DATASETS[name][2]}_{array}"] if DATASETS[name][2] else [])
    found = []
    for path in (p / f"{s}{e}" for p in (folder / name, folder) for s in stems for e in (".npy", ".mat")):
        try:
            if path.is_symlink() and not path.exists():
                raise UserError(f"{path}: a link that leads nowhere (missing, or a loop)")
            if path.exists() and not path.is_file():
                raise UserError(f"{path}: " + ("expected a file, found a folder" if path.is_dir() else
                                               "expected a regular file, found a special one (a pipe or a device)"))
            if path.exists():
                found.append((path, read_array(path, array)))
        except OSError as err:
            raise UserError(f"{path}: cannot be inspected ({err.strerror})") from None
    for path, value in found[1:]:
        if value.size != found[0][1].size or not np.array_equal(value.ravel(), found[0][1].ravel()):
            raise UserError(f"{found[0][0]} and {path}: two different files for the {name} {array}; keep the one "
                            f"you mean and move the other out of {folder}, or give --data-dir")
    if found:
        return found[0]
    raise UserError(f"{folder / name / stems[0]}.npy: file not found (expected the {name} dataset's {array} "
                    "there, as .npy or .mat, or flat in the folder, or under its 2017 name)")


def read_array(path, array):
    """The numeric array in a .npy file (never unpickled) or in a .mat file's variable, as float64."""
    try:
        if path.suffix == ".npy":
            with open(path, "rb") as f:
                if f.read(6) != b"\x93NUMPY":
                    raise UserError(f"{path}: not a NumPy .npy file (no .npy header)")
            value = np.load(path, mmap_mode="r", allow_pickle=False)
        else:
            found = scipy.io.loadmat(path)
            value = found.get(path.stem, found.get(array))
            if value is None:
                raise UserError(f"{path}: expected a variable named '{path.stem}' or '{array}'")
            value = np.asarray(value.toarray() if hasattr(value, "toarray") else value)   # MATLAB's sparse, made full
    except NotImplementedError:          # scipy's answer to MATLAB's HDF5 format
        raise UserError(f"{path}: a MATLAB v7.3 file, which scipy cannot read; re-save it in MATLAB with "
                        f"save('{path.name}', '{path.stem}', '-v7')") from None
    except UserError:
        raise
    except Exception as err:             # numpy and scipy raise many kinds for a damaged file
        raise UserError(f"{path}: cannot be read as a {path.suffix} file ({str(err) or type(err).__name__})") from None
    if value.dtype.kind not in "biuf" or value.ndim == 0 or value.size > 100_000 * 256:
        raise UserError(f"{path}: expected a numeric array of at most 100000 images, got {value.dtype} {value.shape}")
    value = np.array(value, dtype=np.float64)
    if not np.isfinite(value).all():
        raise UserError(f"{path}: expected finite values, found NaN or infinity")
    return value
# ---- end of shared block "data" ----


# ---- shared block "summary": one record per run, and the summary file that make verify reruns ----
@dataclass
class Run:
    setting: str                 # what was trained: "sigmoid-l2", ..., "line", "detection"
    lr: float
    reduction: str               # the batch loss: the "mean" or the "sum" of the per-image losses
    seed: int
    iterations: int              # updates made before the evaluation that stopped the run
    status: str                  # reached, censored (the cap), diverged (a NaN/inf loss), stuck (dead)
    curves: dict                 # metric -> its value at every evaluation: iterations + 1 of them
    milestones: dict = field(default_factory=dict)        # name -> the first iteration it held, or None
    net: object = None           # the trained nn.Module


def summary(args, data, runs, rerun, weights, milestones=(), numbers=None):
    """Enough to rerun and check every run: the flags that rerun it, the data's SHA-256, what made it, the
    starting weights' fingerprint ({net: fingerprint}), each run's ending and points of the curves of --seed."""
    def points(curve):           # at t = 0, 1, 10, 100, 1000 and at the stop
        return {str(t): curve[t] if math.isfinite(curve[t]) else str(curve[t])
                for t in sorted({0, 1, 10, 100, 1000, len(curve) - 1}) if t < len(curve)}
    return {"schema": "dlbasics-summary/2", "script": Path(__file__).resolve().name,
            "argv": [f"--{n.replace('_', '-')}={getattr(args, n)}" for n in rerun if getattr(args, n) is not None],
            "settings": {k: v for k, v in sorted(vars(args).items()) if k not in ("data_dir", "out_dir")},
            "data": {"name": data.name, "sha256": data.files, "class_counts": list(data.class_counts)},
            "versions": versions(), "weights": weights,
            "runs": {"columns": ["setting", "lr", "reduction", "seed", "iterations", "status", *milestones],
                     "rows": [[r.setting, r.lr, r.reduction, r.seed, r.iterations, r.status,
                               *(r.milestones[m] for m in milestones)] for r in runs]},
            "single_runs": [{"setting": r.setting, "lr": r.lr, "reduction": r.reduction, "seed": r.seed,
                             "iterations": r.iterations, "status": r.status, "milestones": r.milestones,
                             "curve_points": {k: points(v) for k, v in sorted(r.curves.items())}}
                            for r in runs if r.seed == args.seed], "numbers": numbers or {}}


def fingerprint(net):
    """SHA-256 of a net's parameters as float64 (little-endian, named_parameters() order): of seed 0's starting
    weights, it tells whether two machines started from the same weights."""
    return hashlib.sha256(b"".join(p.detach().to(torch.float64).numpy().astype("<f8").tobytes()
                                   for p in net.parameters())).hexdigest()


def versions():
    """What made the numbers: Python, the libraries, the machine, and the kernels torch ran beside the settings
    that ask for them (before torch 2.1, the kernels from torch's build report)."""
    try:
        from torch.backends import cpu
        capability = cpu.get_cpu_capability()
    except ImportError:
        capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                           if "CPU capability usage" in line), "unknown")
    return {"python": platform.python_version(), "torch": torch.__version__.split("+")[0], "numpy": np.__version__,
            "scipy": scipy.__version__, "machine": platform.machine(), "system": platform.system(),
            "cpu_capability": capability, **{k: os.environ.get(k, "") for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}}


def deterministic_torch():
    """The same bits on every run: deterministic kernels, one thread, subnormal numbers flushed to 0 (as the
    many-seed engine does; far below anything a result depends on)."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
# ---- end of shared block "summary" ----


# ---- shared block "plumbing": one-line errors, signals, outputs staged and moved in together ----
class UserError(Exception):
    """Bad input (a flag, a file, a folder): one line that names it, exit code 2, nothing written."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2); --help keeps the docstring's layout."""

    def __init__(self, **kwargs):
        super().__init__(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def error(self, message):
        say_error(f"error: {message}")
        sys.exit(2)


def bounded(kind, low, high, what):
    """An argparse type: a `kind` (int or float) in [low, high], else 'expected <what>'."""
    def parse(text):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            value = math.nan
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    return parse


def folder(text):
    """An argparse type: a folder path, never '' (which would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty string")
    return Path(text)


def say(*lines):
    """Print; a console that went away (| head) or is full must not stop the run: the rest goes nowhere."""
    try:
        print(*lines, sep="\n", flush=True)
    except (OSError, ValueError):
        sys.stdout = open(os.devnull, "w")


def say_error(text):
    try:
        print(f"{os.path.basename(sys.argv[0])}: {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


WRITTEN, STOPPED, HOLD = [], [], []       # outputs in place; the signal met; steps that must not be cut in two


def stop(signum, frame):
    """The first signal stops the run (the rest would cut its clean-up short); during a held step (staging,
    the final move), once the step is done."""
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    STOPPED.append(signum)
    if not HOLD:
        raise KeyboardInterrupt(signum)


def run_main(main, argv=None, end=False):
    """main(argv) with one line for every way out: bad input (a file system's refusal too) exits 2, a signal
    128 + its number, also when a library turned either into another error. end: after a success, leave at
    once, ignoring late signals."""
    sys.excepthook = sys.__excepthook__           # from here on, a fault of the program's own shows in full
    for name in ("stdout", "stderr"):              # a closed console, or one that cannot show every character
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))
        if hasattr(getattr(sys, name), "reconfigure"):
            getattr(sys, name).reconfigure(errors="backslashreplace")
    warnings.formatwarning = lambda message, *_, **__: f"{os.path.basename(sys.argv[0])}: note: {message}\n"
    WRITTEN.clear(), STOPPED.clear(), HOLD.clear()
    previous = {s: signal.signal(s, stop) for s in SIGNALS}
    try:
        code = main(argv)
    except UserError as err:
        say_error(f"error: {err}")
        sys.exit(2)
    except (KeyboardInterrupt, Exception) as err:
        cause = err                                # a disk that filled up under matplotlib, a name too long
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__cause__ or cause.__context__
        if not (STOPPED or isinstance(err, KeyboardInterrupt)):
            if cause is None:
                raise
            say_error(f"error: {cause.filename or 'a file'}: cannot be used ({cause.strerror or cause})")
            sys.exit(2)
        say_error("interrupted after its outputs were written" if WRITTEN else "interrupted; no output was written")
        sys.exit(128 + (STOPPED or [signal.SIGINT])[0])
    finally:
        if not end:                                # a caller in the same process gets its state back
            STOPPED.clear()
            for s, handler in previous.items():
                signal.signal(s, handler)
    if code and not end:
        sys.exit(code)                             # a verdict (verify's) is the exit code
    if not end:
        return
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    gc.collect()                                   # what is left to finalise (a study's shared counters), now
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code or 0)


STAGING = ".staging-"                                 # the hidden folder's name, before mkdtemp's random part


class Outputs:
    """The run's files, written to a hidden folder inside --out-dir and moved in together once the run
    succeeds: a failed or stopped run leaves --out-dir as it was (a folder it made is removed again). The
    folder a run killed with no time to clean up (kill -9) left behind is named in a note."""

    def __init__(self, out_dir, figures=True):
        self.out, self.figures, self.left_out = Path(out_dir), figures, []
        self.made = [p for p in (self.out, *self.out.parents) if not os.path.lexists(p)]     # deepest first
        blocker = next(p for p in (self.out, *self.out.parents) if os.path.lexists(p))
        if not blocker.exists():
            raise UserError(f"--out-dir {self.out}: {blocker} is a link that leads nowhere (to a missing path, "
                            "or in a loop)")
        if not blocker.is_dir():
            raise UserError(f"--out-dir {self.out}: " + ("expected a folder, found a file" if blocker == self.out
                                                         else f"cannot create a folder under the file {blocker}"))
        left = sorted(self.out.glob(STAGING + "*")) if self.out.is_dir() else []
        if left:
            say_error(f"note: {left[0]}: left by a run that did not finish, or made by one still running; delete "
                      "it when no run is using it")
        HOLD.append(self)                             # a signal from here to the with block is answered there
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.out))
        except OSError as err:
            HOLD.remove(self)
            self.remove_made()
            raise UserError(f"--out-dir {self.out}: cannot write there ({err.strerror or err})") from None

    def remove_made(self):
        for p in self.made:                           # the folders this run made, if still empty
            if p.is_dir() and not any(p.iterdir()):
                p.rmdir()

    def __enter__(self):
        HOLD.remove(self)
        if STOPPED:
            self.__exit__(KeyboardInterrupt, KeyboardInterrupt(STOPPED[0]), None)
            raise KeyboardInterrupt(STOPPED[0])
        return self

    def __exit__(self, kind, value, tb):
        HOLD.append(self)                             # the files move in together: a signal waits for the end
        try:
            if kind is None:
                staged = sorted(self.dir.iterdir())
                blocked = next((p.name for p in staged if (self.out / p.name).is_dir()), None)
                if blocked:                           # checked first: never half old, half new
                    raise IsADirectoryError(f"a folder named {blocked} is where that output goes")
                for path in staged:
                    os.replace(path, self.out / path.name)
                WRITTEN.append(self.out)
        except OSError as err:
            value = err
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            HOLD.remove(self)
        if value is not None:
            self.remove_made()
        if isinstance(value, OSError):                # a full disk, a vanished folder: one line
            raise UserError(f"--out-dir {self.out}: cannot write ({value.strerror or value})") from None
        if STOPPED and kind is None:                  # a signal during the move: answered now that it is done
            raise KeyboardInterrupt(STOPPED[0])

    def write(self, name, text):
        (self.dir / name).write_bytes(text.encode("utf-8"))

    def json(self, name, obj):
        self.write(name, json.dumps(obj, indent=1, sort_keys=True) + "\n")

    def csv(self, name, header, rows):
        with open(self.dir / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *rows])

    def figure(self, fig, stem, tight=False):
        """<stem>.png and <stem>.pdf, with no date inside (a rerun gives the same bytes); closes fig."""
        try:
            for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
                if self.figures:
                    fig.savefig(self.dir / f"{stem}.{ext}", dpi=150, metadata=meta, bbox_inches="tight" if tight else None)
                else:
                    self.left_out.append(f"{stem}.{ext}")
        finally:
            plt.close(fig)

    def record(self, *sources):
        """For the summary, written last: {"outputs": {file: SHA-256 of every file this run wrote, None for a
        figure it left out (--no-figures)}, "scripts": {source file's name: its SHA-256}}. The report uses a
        file only where it matches this record, so a figure of one run never stands beside another's numbers."""
        def sha256(path):
            return hashlib.sha256(Path(path).read_bytes()).hexdigest()
        return {"outputs": {p.name: sha256(p) for p in sorted(self.dir.iterdir())} | dict.fromkeys(self.left_out),
                "scripts": {Path(s).name: sha256(s) for s in sources}}
# ---- end of shared block "plumbing" ----


if __name__ == "__main__":
    run_main(main, end=True)
