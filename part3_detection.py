"""Part 3.2: the conv net with a second head that regresses the object's width (handout 3.2).

The net: part 3.1's conv layers (conv 7x7 1 -> 16, ReLU, conv 7x7 16 -> 8, ReLU, 128 features) with
two heads on the 128 features: fully connected 1 -> the logit z, cross-entropy on sigmoid(z) (diamond 0,
square 1); and fully connected 1, linear -> the half-width w, L2 loss (prediction - w)^2. Initialised as in
part 2 (truncated normal std 0.1, biases 0.1, from NumPy's RandomState(seed)); plain full-batch gradient descent.

Two learning rates, as the handout sets them: the cross-entropy steps at --lr-cls and the L2 loss at
--lr-reg. One step of torch.optim.SGD at lr-cls on CE + (lr-reg / lr-cls) L2 does exactly that: the
classifier head moves by lr-cls * dCE, the regressor head by lr-reg * dL2, the shared conv layers by the
sum of both. A width is correct within 0.5 of w. Training stops when every width is (regression
accuracy 100 %); the first iteration with every class right is recorded too. Conventions as in
part2_fc.py (updates before the first evaluation at 100 %, CENSORED at the cap, DIVERGED on NaN/inf,
DEAD when a whole ReLU layer is 0 for every image, --reduction mean or sum, float64).

Writes to --out-dir, with fixed names: the handout's four curves of seed --seed (part3_detection_cls_loss,
_cls_acc, _reg_loss, _reg_acc), its filters and second-layer maps, every curve
(part3_detection_curves.csv) and part3_detection_summary.json. --seeds N adds seeds 0..N-1; the many-seed
study is `python -m dlbasics.study detection`.
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
CURVES = {"cls_loss": ("Cross-entropy loss", "cross-entropy", True), "cls_acc": ("Classification accuracy", "accuracy",
          False), "reg_loss": ("L2 (width) loss", "L2 loss", True), "reg_acc": ("Regression accuracy (|error| < 0.5)",
                                                                                "accuracy", False)}


def parse_args(argv=None):
    p = Parser(prog="part3_detection.py", description=__doc__)
    p.add_argument("--seed", type=bounded(int, 0, 2**32 - 1, "an integer in [0, 4294967295]"), default=0,
                   help="seed of the run whose curves and pictures are drawn; its starting weights are NumPy's "
                        "RandomState(seed)'s draws, the same under any torch or NumPy (default: %(default)s)")
    p.add_argument("--seeds", type=bounded(int, 1, 10**6, "an integer in [1, 1000000]"), default=None,
                   help="also run seeds 0..N-1 and print their iterations (default: --seed only)")
    p.add_argument("--lr-cls", type=bounded(float, 1e-12, 1e6, "a learning rate in [1e-12, 1e+06]"), default=0.1,
                   help="learning rate of the cross-entropy (default: %(default)s)")
    p.add_argument("--lr-reg", type=bounded(float, 1e-12, 1e6, "a learning rate in [1e-12, 1e+06]"), default=0.001,
                   help="learning rate of the L2 (width) loss (default: %(default)s)")
    p.add_argument("--reduction", choices=("mean", "sum"), default="mean",
                   help="batch losses: mean or sum of the per-image losses (default: %(default)s)")
    p.add_argument("--max-iters", type=bounded(int, 1, 10**6, "an integer in [1, 1000000]"), default=None,
                   help="update cap; a run still short of 100 %% there is censored (default: 10000; 300 with --quick)")
    add_common_arguments(p, "detection/detection_imgs.npy, _labs.npy and detection_width.npy (or .mat)",
                         quick="a cap of 300 updates")
    args = p.parse_args(argv)
    args.max_iters = args.max_iters or (300 if args.quick else 10000)
    return args


# ================================ The net and its initialisation ===============================
class DetectionNet(nn.Module):
    """Part 3.1's net (handout Figure 4) with a second linear unit on its 128 features: the width."""

    def __init__(self):
        super().__init__()
        # skip_init: each layer without torch's own initialisation, which draws from torch's generator (its
        # stream changes between releases); init_weights gives the values, seed 0's until redrawn
        self.conv1 = skip_init(nn.Conv2d, 1, 16, 7)
        self.conv2 = skip_init(nn.Conv2d, 16, 8, 7)
        self.fc = skip_init(nn.Linear, 128, 1)             # the classifier: the logit z
        self.reg = skip_init(nn.Linear, 128, 1)            # the regressor: the half-width
        init_weights(self, seed=0)

    def forward(self, images):                     # (N, 16, 16) -> logits (N,), widths (N,), the ReLU layers
        conv1 = torch.relu(self.conv1(images.unsqueeze(1)))                  # (N, 16, 10, 10)
        conv2 = torch.relu(self.conv2(conv1))                                # (N, 8, 4, 4)
        features = conv2.flatten(1)                                          # (N, 128)
        return self.fc(features).squeeze(-1), self.reg(features).squeeze(-1), {"conv1": conv1, "conv2": conv2}


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
def cross_entropy(logits, labels):
    """Per image -(y log p + (1 - y) log(1 - p)) with p = sigmoid(z), computed from z without overflow."""
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="none")


def width_l2(predicted, widths):
    """Per image (prediction - w)^2, the L2 loss of the width."""
    return (predicted - widths) ** 2


def correct(logits, labels):
    """The class is right: output > 1/2 (logit > 0) exactly for the label-1 images."""
    return (logits > 0) == (labels > 0.5)


def width_correct(predicted, widths):
    return (predicted - widths).abs() < 0.5       # the handout's tolerance


def is_dead(layers):
    """A whole ReLU layer is 0 for every image: all images share one width prediction for good."""
    return (layers["conv1"].amax() <= 0) | (layers["conv2"].amax() <= 0)


def stops_when_dead(data):
    """One shared prediction cannot be within 0.5 of widths that differ by 1 or more."""
    return bool(data.widths.max() - data.widths.min() >= 1)


# ================================ The training loop =============================================
def train(seed, data, args):
    """One run of the plain loop: evaluate on every image, stop, or take one step on both losses."""
    net = init_weights(DetectionNet().to(data.images.dtype), seed)
    sgd = torch.optim.SGD(net.parameters(), lr=args.lr_cls)
    reduce, dies = torch.mean if args.reduction == "mean" else torch.sum, stops_when_dead(data)
    curves, first_cls = {k: [] for k in CURVES}, None
    for t in range(args.max_iters + 1):
        logits, widths, layers = net(data.images)                            # every image, after t updates
        ce, l2 = reduce(cross_entropy(logits, data.labels)), reduce(width_l2(widths, data.widths))
        cls_acc = correct(logits, data.labels).double().mean()
        reg_acc = width_correct(widths, data.widths).double().mean()
        for key, value in zip(CURVES, (ce, cls_acc, l2, reg_acc)):
            curves[key].append(value.item())
        finite = bool(torch.isfinite(ce) and torch.isfinite(l2))
        first_cls = t if first_cls is None and finite and cls_acc == 1 else first_cls
        status = ("diverged" if not finite else "reached" if reg_acc == 1 else
                  "stuck" if dies and is_dead(layers) else "censored" if t == args.max_iters else None)
        if status:
            return Run("detection", args.lr_cls, args.reduction, seed, t, status, curves,
                       {"classification": first_cls}, net)
        sgd.zero_grad()
        (ce + args.lr_reg / args.lr_cls * l2).backward()        # the regressor's step: lr_reg * dL2
        sgd.step()


# ================================ Figures ======================================================
# ---- shared block "pictures": what a trained conv net learned ----
def plot_filters(out, net, title, stem):
    """The 16 first-layer 7x7 filters on one colour scale centred on 0 (two rows of eight, full width)."""
    w = net.conv1.weight.detach()[:, 0].double().numpy()                     # (16, 7, 7)
    fig, axes = plt.subplots(2, 8, figsize=(FULL, 1.9))
    for i, ax in enumerate(axes.flat):
        im = ax.imshow(w[i], cmap="RdBu_r", vmin=-abs(w).max(), vmax=abs(w).max())
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"{i}", fontsize=8, pad=2)
    fig.suptitle(title)
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    out.figure(fig, stem)


def plot_feature_maps(out, net, data, row_label, title, stem):
    """The second layer's 8 maps (4x4) for the first image of each class, then averaged over each class;
    each map on a scale from 0 (black) to its own largest value over every image (its peak, printed above
    it). Returns how many maps are 0 for every image, and which image of each class is shown."""
    with torch.no_grad():
        maps = net(data.images)[-1]["conv2"].double().numpy()                  # (N, 8, 4, 4)
    labels = data.labels.numpy()
    firsts = [(c, int(np.flatnonzero(labels == c)[0])) for c in (0, 1) if (labels == c).any()]
    rows = [(row_label(c, i), data.images[i].double().numpy(), maps[i]) for c, i in firsts]
    rows += [(f"mean of the\n{(labels == c).sum()} label-{c}\nimages", None, maps[labels == c].mean(0)) for c, _ in firsts]
    peaks = maps.max(axis=(0, 2, 3))                                          # (8,) each map's largest value
    fig, axes = plt.subplots(len(rows), 9, figsize=(FULL, 0.66 * len(rows) + 0.55), squeeze=False)
    for r, (label, image, fmap) in enumerate(rows):
        if image is not None:
            axes[r, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
        axes[r, 0].set_frame_on(image is not None)
        for c in range(8):                  # each map on its own scale: a weak map is weak, not black
            axes[r, c + 1].imshow(fmap[c], cmap="magma", vmin=0, vmax=max(peaks[c], 1e-12))
            axes[r, c + 1].set_title(f"map {c}\npeak {peaks[c]:.2g}" if r == 0 else "", fontsize=8)
        for ax in axes[r]:
            ax.set(xticks=[], yticks=[])
    axes[0, 0].set_title("input", fontsize=8)
    fig.suptitle(title, y=1.04)               # above the two-line column titles
    out.figure(fig, stem, tight=True)
    return int((peaks == 0).sum()), {str(c): i for c, i in firsts}
# ---- end of shared block "pictures" ----


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
    data = load_dataset("detection", args.data_dir)
    say(data.describe(), f"training: full-batch gradient descent, lr {args.lr_cls:g} (CE) and {args.lr_reg:g} (L2), "
                         f"at most {args.max_iters} updates")
    deterministic_torch()
    data = data.to(getattr(torch, args.dtype))
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        runs = [train(seed, data, args) for seed in sorted({args.seed} | set(range(args.seeds or 0)))]
        run = next(r for r in runs if r.seed == args.seed)
        note = f"regression 100 % after {run.iterations} updates" if run.status == "reached" else \
            f"{run.status} after {run.iterations} updates"
        first = run.milestones["classification"]            # the classification's own event, on its panels
        cls_note = (f"100 % first at {first}" if first is not None else "never 100 %") + \
            f" (the run ends at {run.iterations})"
        for key, (title, ylabel, logy) in CURVES.items():
            plot_curve(out, run.curves[key], f"{title}, seed {run.seed}", ylabel, f"part3_detection_{key}",
                       cls_note if key.startswith("cls") else note, logy=logy, ylim=None if logy else (0, 1.03))
        out.csv("part3_detection_curves.csv", ["iteration", *CURVES],
                [[t, *(f"{run.curves[k][t]:.10g}" for k in CURVES)] for t in range(run.iterations + 1)])
        plot_filters(out, run.net, f"Detection net, seed {run.seed}: 7×7 filters", "part3_detection_filters")
        silent, shown = plot_feature_maps(out, run.net, data, lambda c, i: f"label {c} ({'square' if c else 'diamond'})\n"
                                   f"half-width r = {data.widths[i]:g}", f"Detection net, seed {run.seed}: second-layer maps "
                                   "(8×4×4)", "part3_detection_feature_maps")
        out.json("part3_detection_summary.json", summary(args, data, runs, ("seed", "seeds", "lr_cls", "lr_reg",
                 "reduction", "max_iters", "dtype"), {"DetectionNet": fingerprint(init_weights(DetectionNet().double(), 0))},
                 milestones=("classification",), numbers={"silent maps": silent, "pictured images": shown})
                 | out.record(__file__))
    say(f"part 3.2: seed {run.seed}: {note}; classification first at 100 % after "
        f"{first if first is not None else 'never'}", *(f"  seed {r.seed}: {r.status} after {r.iterations} updates"
                                                        for r in runs if len(runs) > 1))
    say(f"part 3.2: wrote {'' if args.no_figures else 'figures, '}part3_detection_summary.json to {args.out_dir}")


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
