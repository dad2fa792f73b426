"""Part 1: output, loss and gradient surfaces of one neuron, y_hat = sigmoid(w * x + b), x = 1 (handout 1).

Every surface is drawn over the same (w, b) grid, centred at 0 and spanning [-E, E] on both axes. The
default E = 6 reaches |w + b| = 12, where the sigmoid is saturated (sigmoid(6) = 0.9975), so the flat
regions that starve the L2 gradient show next to the sloped centre. Target y = --target (0.5).
Gradients are closed forms (tested against torch.autograd):
  sigmoid + L2:  dL/dw = 2 (s - y) s (1 - s) x
  sigmoid + CE:  dL/dw = (s - y) x                      (CE computed as softplus(z) - y z)
  ReLU + L2:     dL/dw = 2 (relu(z) - y) [z > 0] x      (derivative 0 at z = 0, as in torch)
Curvature: both losses depend on (w, b) only through z = w x + b, so their Hessian is
L''(z) [[x^2, x], [x, 1]], with eigenvalues 0 and (1 + x^2) L''(z):  CE: L'' = s (1 - s) > 0
everywhere;  L2: L'' = 2 (s'^2 + (s - y) s''), s' = s (1 - s), s'' = s' (1 - 2 s), negative where the
sigmoid saturates.

Question 1.6's prediction, checked: gradient descent on the neuron (lr --gd-lr) from a saturated start,
(w, b) = (E/2, E/2), where the output is sigma(E) and badly wrong, under each loss, until the output is
within 0.01 of y (at most 100 000 steps); part1_gd_paths draws both paths on their loss's contours.

Writes to --out-dir, with fixed names: part1_<surface>.png/.pdf (the handout's five, and its ReLU example
set), part1_gradient_slices, part1_curvature, part1_gd_paths and part1_numbers.json (the numbers the
report quotes).
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
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from scipy.special import expit

HERE = Path(__file__).resolve().parent          # figures/ is found from here, never from the cwd
X = 1.0          # the neuron's single input (handout Figure 1)
FLAT = 1e-3      # a gradient below this counts as vanished in the shares reported


def parse_args(argv=None):
    p = Parser(prog="part1_loss_gradient.py", description=__doc__)
    p.add_argument("--extent", type=bounded(float, 1e-3, 1e3, "a half-width in [0.001, 1000]"), default=6.0,
                   help="half-width E of both axes: w, b in [-E, E] (default: %(default)s)")
    p.add_argument("--points", type=bounded(int, 3, 2001, "an integer in [3, 2001]"), default=121,
                   help="grid points per axis (default: %(default)s)")
    p.add_argument("--target", type=bounded(float, 0.0, 1.0, "a value in [0, 1]"), default=0.5,
                   help="ground truth y (default: %(default)s)")
    p.add_argument("--gd-lr", type=bounded(float, 1e-6, 100.0, "a learning rate in [1e-06, 100]"), default=1.0,
                   help="learning rate of the gradient descent from the saturated start (default: %(default)s)")
    p.add_argument("--out-dir", type=folder, default=HERE / "figures",
                   help="where the outputs go (default: figures/ next to this script)")
    p.add_argument("--data-dir", type=folder, help="accepted like the other scripts' and not read: part 1 needs "
                   "no data, one neuron with input x = 1 (default: none)")
    return p.parse_args(argv)


# ================================ The neuron: outputs, losses, gradients, curvature =============
def sigmoid_output(w, b):
    return expit(w * X + b)


def relu_output(w, b):
    return np.maximum(w * X + b, 0.0)


def l2_loss(y_hat, y):
    return (y_hat - y) ** 2


def cross_entropy(w, b, y):
    z = w * X + b
    return np.logaddexp(0.0, z) - y * z     # = -(y log s + (1 - y) log(1 - s)), without overflow


def grad_l2_sigmoid(w, b, y):
    s = sigmoid_output(w, b)
    return 2.0 * (s - y) * s * (1.0 - s) * X


def grad_ce_sigmoid(w, b, y):
    return (sigmoid_output(w, b) - y) * X


def grad_l2_relu(w, b, y):
    z = w * X + b
    return 2.0 * (np.maximum(z, 0.0) - y) * (z > 0) * X


def curvature_l2_sigmoid(w, b, y):
    """The non-zero eigenvalue of the Hessian of (sigmoid(w x + b) - y)^2 in (w, b)."""
    s = sigmoid_output(w, b)
    d1 = s * (1.0 - s)
    return (1 + X * X) * 2.0 * (d1 * d1 + (s - y) * d1 * (1.0 - 2.0 * s))


def curvature_ce_sigmoid(w, b, y):
    """The non-zero eigenvalue of the Hessian of the cross-entropy in (w, b): (1 + x^2) s (1 - s) > 0."""
    s = sigmoid_output(w, b)
    return (1 + X * X) * s * (1.0 - s)


def surfaces(w, b, y):
    """name -> (values on the grid, title, z label)."""
    s, r = sigmoid_output(w, b), relu_output(w, b)
    return {"sigmoid_output": (s, r"Sigmoid output $\hat y = \sigma(w + b)$", r"$\hat y$"),
            "l2_loss": (l2_loss(s, y), rf"L2 loss $(\hat y - y)^2$, $y = {y:g}$", "loss"),
            "l2_grad": (grad_l2_sigmoid(w, b, y), r"Gradient $\partial L_{2} / \partial w$ (sigmoid)", "gradient"),
            "ce_loss": (cross_entropy(w, b, y), rf"Cross-entropy loss, $y = {y:g}$", "loss"),
            "ce_grad": (grad_ce_sigmoid(w, b, y), r"Gradient $\partial L_{CE} / \partial w$ (sigmoid)", "gradient"),
            "relu_output": (r, r"ReLU output $\hat y = \max(0, w + b)$", r"$\hat y$"),
            "relu_l2_loss": (l2_loss(r, y), rf"L2 loss with ReLU, $y = {y:g}$", "loss"),
            "relu_l2_grad": (grad_l2_relu(w, b, y), r"Gradient $\partial L_{2} / \partial w$ (ReLU)", "gradient")}


def concave_outputs(y):
    """The outputs s between which L2 (sigma(z) - y)^2 is convex in z: L'' = 2 s' (s' + (s - y)(1 - 2 s)) is 0
    where 3 s^2 - (2 + 2 y) s + y = 0. Outside them it is concave. |dL/dz| is largest exactly there."""
    root = math.sqrt((2 + 2 * y) ** 2 - 12 * y)
    return ((2 + 2 * y) - root) / 6, ((2 + 2 * y) + root) / 6


GD_TOLERANCE, GD_STEPS = 0.01, 100_000           # question 1.6's check: within 0.01 of y, at most this many steps


def descend(gradient, y, start, lr):
    """Plain gradient descent on (w, b) from `start` until |sigma(w + b) - y| < GD_TOLERANCE; the path (T + 1, 2)."""
    path = [np.array(start, dtype=float)]
    while abs(sigmoid_output(*path[-1]) - y) >= GD_TOLERANCE and len(path) <= GD_STEPS:
        g = gradient(*path[-1], y)                 # dL/dw; with x = 1, dL/db is the same number
        path.append(path[-1] - lr * np.array([g * X, g]) / X)
    return np.array(path)


def grid_numbers(w, b, y, extent):
    """Where each gradient vanishes, and where each loss is convex: the numbers the report quotes."""
    s = sigmoid_output(w, b)
    g_l2, g_ce, g_relu = grad_l2_sigmoid(w, b, y), grad_ce_sigmoid(w, b, y), grad_l2_relu(w, b, y)
    far = np.abs(s - y) > 0.4                 # the prediction is badly wrong here
    pct = lambda mask: round(100.0 * float(np.mean(mask)), 1)  # noqa: E731
    return {"extent": extent, "points": int(w.shape[0]), "target": y, "flat_threshold": FLAT,
            "l2_flat_pct": pct(np.abs(g_l2) < FLAT), "ce_flat_pct": pct(np.abs(g_ce) < FLAT),
            "relu_flat_pct": pct(np.abs(g_relu) < FLAT), "far_pct": pct(far),
            # None where no grid point is that far off (a narrow --extent)
            "l2_flat_among_far_pct": pct(np.abs(g_l2[far]) < FLAT) if far.any() else None,
            # a smallest value rounded down, a largest one rounded up: the bounds stay bounds
            "ce_min_abs_grad_far": math.floor(1e4 * float(np.abs(g_ce[far]).min())) / 1e4 if far.any() else None,
            "l2_concave_pct": pct(curvature_l2_sigmoid(w, b, y) < 0),
            "ce_concave_pct": pct(curvature_ce_sigmoid(w, b, y) < 0),
            "l2_max_abs_grad": math.ceil(1e4 * float(np.abs(g_l2).max())) / 1e4,
            "ce_max_abs_grad": math.ceil(1e4 * float(np.abs(g_ce).max())) / 1e4,
            "l2_grad_at_corner": float(f"{abs(g_l2[-1, -1]):.2e}"), "ce_grad_at_corner": round(float(abs(g_ce[-1, -1])), 4),
            "l2_convex_outputs": [round(v, 3) for v in concave_outputs(y)],
            "l2_convex_logits": [round(math.log(v / (1 - v)), 3) if 0 < v < 1 else None for v in concave_outputs(y)]}


# ================================ Figures ======================================================
def plot_surface(out, w, b, z, title, zlabel, stem, extent):
    """A 3D surface over the (w, b) grid (a third of the text width), both axes fixed to [-extent, extent]."""
    fig = plt.figure(figsize=(FULL / 3, 2.0))      # printed three to a row
    ax = fig.add_axes((-0.04, 0.02, 0.88, 0.86), projection="3d")    # room on the right for the z label
    ax.plot_surface(w, b, z, cmap="viridis", rcount=60, ccount=60, linewidth=0, antialiased=False, rasterized=True)
    ticks = [-extent, 0, extent]
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent))
    fig.suptitle(title, y=0.97, fontsize=plt.rcParams["axes.titlesize"])      # centred on the figure, not the axes
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(ticks[1:], [f"{t:g}" for t in ticks[1:]])      # -extent would meet the w axis's extent
    ax.set_xlabel("weight $w$", labelpad=-1)
    ax.set_ylabel("bias $b$", labelpad=-2)
    ax.set_zlabel(zlabel, labelpad=6)
    for axis, pad in (("x", -4), ("y", -3), ("z", 2)):
        ax.tick_params(axis=axis, pad=pad)
    ax.zaxis.set_major_locator(plt.MaxNLocator(4))
    ax.view_init(elev=25, azim=-60)
    ax.set_box_aspect(None, zoom=0.82)
    out.figure(fig, stem)


def plot_gradient_slices(out, axis, y, extent):
    """|dL/dw| along w at three fixed biases, log scale, one panel each (full width)."""
    fig, axes = plt.subplots(1, 3, figsize=(FULL, 2.65), sharey=True)
    for ax, bias in zip(axes, (-extent / 2, 0.0, extent / 2)):
        for values, label, style in ((grad_l2_sigmoid(axis, bias, y), r"$L_2$ (sigmoid)", "-"),
                                     (grad_ce_sigmoid(axis, bias, y), "cross-entropy (sigmoid)", "--")):
            ax.semilogy(axis, np.maximum(np.abs(values), 1e-12), style, label=label)
        ax.axhline(FLAT, color="grey", lw=0.8, alpha=0.6)
        ax.set(xlim=(-extent, extent), ylim=(1e-7, 2), xlabel="weight $w$", title=f"bias $b = {bias:g}$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(r"$|\partial L / \partial w|$")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, frameon=False)   # off the curves
    fig.suptitle("Gradient magnitude along three slices of the grid (grey line: $10^{-3}$)")
    fig.tight_layout(pad=0.3, rect=(0, 0.09, 1, 1))
    out.figure(fig, "part1_gradient_slices")


def plot_gd_paths(out, w, b, paths, y, extent, lr):
    """Each loss's contours over the grid with gradient descent's path from the saturated start (full width)."""
    fig, axes = plt.subplots(1, 2, figsize=(FULL, 2.9))
    for ax, (name, values, path) in zip(axes, (("L2 loss", l2_loss(sigmoid_output(w, b), y), paths["l2"]),
                                               ("cross-entropy", cross_entropy(w, b, y), paths["ce"]))):
        ax.contour(w, b, values, levels=12, cmap="viridis", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], ".-", color="C3", ms=2.5, lw=0.8)
        ax.plot(*path[0], "o", color="C3", ms=5)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="weight $w$", ylabel="bias $b$",
               title=f"{name}: {len(path) - 1} steps to $|\\hat y - y| < {GD_TOLERANCE:g}$")
    fig.suptitle(f"Gradient descent (lr {lr:g}) from the saturated start $(w, b) = ({extent / 2:g}, {extent / 2:g})$")
    fig.tight_layout(pad=0.3)
    out.figure(fig, "part1_gd_paths")


def plot_curvature(out, w, b, y, extent):
    """Where each loss curves up (convex) or down (concave) over the grid (full width)."""
    cmap = ListedColormap(["#b2182b", "#f7f7f7", "#2166ac"])                     # negative, zero, positive
    fig, axes = plt.subplots(1, 2, figsize=(FULL, 2.7))
    for ax, (name, values) in zip(axes, (("L2 loss", curvature_l2_sigmoid(w, b, y)),
                                         ("cross-entropy", curvature_ce_sigmoid(w, b, y)))):
        ax.imshow(np.sign(values), origin="lower", extent=(-extent, extent, -extent, extent), cmap=cmap, vmin=-1,
                  vmax=1, interpolation="nearest")
        ax.set(xlabel="weight $w$", ylabel="bias $b$", title=f"{name}\nnegative on {100 * np.mean(values < 0):.1f} % of the grid")
    fig.legend([plt.Rectangle((0, 0), 1, 1, facecolor=cmap(v), edgecolor="0.5") for v in (1.0, 0.5, 0.0)],
               ["positive (convex)", "zero", "negative (concave)"], loc="lower center", ncol=3, frameon=False)
    fig.suptitle("Sign of the curvature (the non-zero Hessian eigenvalue) over the grid")
    fig.tight_layout(pad=0.3, rect=(0, 0.08, 1, 1))
    out.figure(fig, "part1_curvature")


# ---- shared block "style": the report's sizes and fonts, where figures print unscaled ----
plt.rcParams.update({"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "xtick.labelsize": 8,
                     "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 9.5, "figure.dpi": 100,
                     "axes.unicode_minus": False, "pdf.compression": 6, "lines.linewidth": 1.3})
FULL, HALF = 6.4, 3.15           # inches: the report's text width and half of it
# ---- end of shared block "style" ----


# ================================ main ==========================================================
def main(argv=None):
    args = parse_args(argv)
    if args.data_dir is not None:
        say(f"part 1: needs no data; --data-dir {args.data_dir} is not read")
    axis = np.linspace(-args.extent, args.extent, args.points)
    w, b = np.meshgrid(axis, axis)                 # (points, points); b varies along the rows
    with Outputs(args.out_dir) as out:
        for name, (values, title, zlabel) in surfaces(w, b, args.target).items():
            plot_surface(out, w, b, values, title, zlabel, f"part1_{name}", args.extent)
        plot_gradient_slices(out, axis, args.target, args.extent)
        plot_curvature(out, w, b, args.target, args.extent)
        start = (args.extent / 2, args.extent / 2)
        paths = {"l2": descend(grad_l2_sigmoid, args.target, start, args.gd_lr),
                 "ce": descend(grad_ce_sigmoid, args.target, start, args.gd_lr)}
        plot_gd_paths(out, w, b, paths, args.target, args.extent, args.gd_lr)
        numbers = grid_numbers(w, b, args.target, args.extent) | {
            "gd_lr": args.gd_lr, "gd_start": list(start), "gd_start_output": round(float(sigmoid_output(*start)), 4),
            "gd_tolerance": GD_TOLERANCE, "gd_cap": GD_STEPS, "gd_l2_steps": len(paths["l2"]) - 1,
            "gd_ce_steps": len(paths["ce"]) - 1}
        out.json("part1_numbers.json", numbers | out.record(__file__))
    say(f"part 1: wrote 11 figures and part1_numbers.json to {args.out_dir}",
        *(f"  {key}: {value}" for key, value in numbers.items()))


# ---- below: the plumbing every script shares (errors, signals, outputs); a learner may skip it ----
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
