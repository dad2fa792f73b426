"""Part 1: output, loss and gradient surfaces of one neuron, y_hat = act(w * x + b), x = 1.

Every surface is drawn over the same (w, b) grid, centred at 0 and spanning [-E, E] on both
axes. The default E = 6 reaches |w + b| = 12, where the sigmoid is saturated (sigma(6) = 0.9975),
so the flat regions that starve the L2 gradient are visible next to the sloped centre.
Target y = 0.5. Gradients are closed-form expressions (tested against torch.autograd):
  sigmoid + L2:  dL/dw = 2 (s - y) s (1 - s) x
  sigmoid + CE:  dL/dw = (s - y) x                      (CE computed as softplus(z) - y z)
  ReLU + L2:     dL/dw = 2 (relu(z) - y) [z > 0] x      (derivative 0 at z = 0, as in torch)
Curvature: both losses depend on (w, b) only through z = w x + b, so their Hessian is
L''(z) [[x^2, x], [x, 1]], with eigenvalues 0 and (1 + x^2) L''(z). Its sign map shows where each
loss is convex:  CE: L'' = s (1 - s) > 0 everywhere;  L2: L'' = 2 (s'^2 + (s - y) s''), with
s' = s (1 - s) and s'' = s' (1 - 2 s), which turns negative where the sigmoid saturates.

Outputs (fixed names in --out-dir): part1_<what>.png/.pdf, part1_numbers.json, part1_numbers.tex.
"""
import sys

import numpy as np
from scipy.special import expit

from dlbasics import pictures, plots
from dlbasics.cli import Parser, bounded, folder, run_main
from dlbasics.outputs import Outputs, write_json, write_tex_macros
from dlbasics.paths import FIGURES_DIR
from dlbasics.resources import check_grid

X = 1.0          # the neuron's single input (handout Figure 1)
FLAT = 1e-3      # a gradient below this is "vanished" in the reported shares
EXTENT_RANGE = (1e-3, 1e3)   # narrower shows nothing but the linear middle; wider, only saturation


def parse_args(argv=None):
    parser = Parser(prog="part1_loss_gradient.py", description=__doc__)
    parser.add_argument("--extent", type=bounded(float, *EXTENT_RANGE, "a half-width in [0.001, 1000]"),
                        default=6.0, help="half-width E of both axes: w, b in [-E, E] (default: %(default)s)")
    parser.add_argument("--points", type=bounded(int, 3, 10**9, "an integer >= 3"), default=121,
                        help="grid points per axis, at least 3 (default: %(default)s)")
    parser.add_argument("--target", type=bounded(float, 0.0, 1.0, "a value in [0, 1]"), default=0.5,
                        help="ground truth y, in [0, 1] (default: %(default)s)")
    parser.add_argument("--out-dir", type=folder, default=FIGURES_DIR,
                        help="folder for figures and numbers (default: figures/ in the project)")
    args = parser.parse_args(argv)
    check_grid(args.points)
    return args


# ---- the neuron, its losses and their closed-form gradients w.r.t. w -------------------------
def sigmoid_output(w, b):
    return expit(w * X + b)


def l2_loss(y_hat, y):
    return (y_hat - y) ** 2


def cross_entropy(w, b, y):
    z = w * X + b
    return np.logaddexp(0.0, z) - y * z     # = -(y log s + (1 - y) log(1 - s)), stable


def grad_l2_sigmoid(w, b, y):
    s = sigmoid_output(w, b)
    return 2.0 * (s - y) * s * (1.0 - s) * X


def grad_ce_sigmoid(w, b, y):
    return (sigmoid_output(w, b) - y) * X


def relu_output(w, b):
    return np.maximum(w * X + b, 0.0)


def grad_l2_relu(w, b, y):
    z = w * X + b
    return 2.0 * (np.maximum(z, 0.0) - y) * (z > 0) * X


def curvature_l2_sigmoid(w, b, y):
    """The non-zero Hessian eigenvalue of (sigmoid(w x + b) - y)^2 in (w, b)."""
    s = sigmoid_output(w, b)
    d1 = s * (1.0 - s)
    return (1 + X * X) * 2.0 * (d1 * d1 + (s - y) * d1 * (1.0 - 2.0 * s))


def curvature_ce_sigmoid(w, b, y):
    """The non-zero Hessian eigenvalue of the cross-entropy in (w, b): (1 + x^2) s (1 - s) > 0."""
    s = sigmoid_output(w, b)
    return (1 + X * X) * s * (1.0 - s)


def surfaces(w, b, y):
    """name -> (values on the grid, figure title, z label)."""
    s = sigmoid_output(w, b)
    r = relu_output(w, b)
    return {
        "sigmoid_output": (s, r"Sigmoid output $\hat y = \sigma(w + b)$", r"$\hat y$"),
        "l2_loss": (l2_loss(s, y), rf"L2 loss $(\hat y - y)^2$, $y = {y:g}$", "loss"),
        "l2_grad": (grad_l2_sigmoid(w, b, y), r"Gradient $\partial L_{2} / \partial w$ (sigmoid)",
                    "gradient"),
        "ce_loss": (cross_entropy(w, b, y), rf"Cross-entropy loss, $y = {y:g}$", "loss"),
        "ce_grad": (grad_ce_sigmoid(w, b, y), r"Gradient $\partial L_{CE} / \partial w$ (sigmoid)",
                    "gradient"),
        "relu_output": (r, r"ReLU output $\hat y = \max(0, w + b)$", r"$\hat y$"),
        "relu_l2_loss": (l2_loss(r, y), rf"L2 loss with ReLU, $y = {y:g}$", "loss"),
        "relu_l2_grad": (grad_l2_relu(w, b, y), r"Gradient $\partial L_{2} / \partial w$ (ReLU)",
                         "gradient"),
    }


def grid_numbers(w, b, y, extent):
    """The numbers the report quotes about where each gradient vanishes."""
    s = sigmoid_output(w, b)
    g_l2, g_ce, g_relu = grad_l2_sigmoid(w, b, y), grad_ce_sigmoid(w, b, y), grad_l2_relu(w, b, y)
    far = np.abs(s - y) > 0.4                 # the prediction is badly wrong here
    pct = lambda mask: round(100.0 * float(np.mean(mask)), 1)  # noqa: E731
    return {
        "extent": extent, "points": int(w.shape[0]), "target": y, "flat_threshold": FLAT,
        "l2_flat_pct": pct(np.abs(g_l2) < FLAT),
        "ce_flat_pct": pct(np.abs(g_ce) < FLAT),
        "relu_flat_pct": pct(np.abs(g_relu) < FLAT),
        "far_pct": pct(far),
        # None when no grid point is that far off (a narrow --extent)
        "l2_flat_among_far_pct": round(100.0 * float(np.mean(np.abs(g_l2[far]) < FLAT)), 1) if far.any() else None,
        "ce_min_abs_grad_far": round(float(np.abs(g_ce[far]).min()), 3) if far.any() else None,
        "l2_concave_pct": pct(curvature_l2_sigmoid(w, b, y) < 0),
        "ce_concave_pct": pct(curvature_ce_sigmoid(w, b, y) < 0),
        "l2_max_abs_grad": round(float(np.abs(g_l2).max()), 3),
        "ce_max_abs_grad": round(float(np.abs(g_ce).max()), 3),
        "l2_grad_at_corner": float(f"{abs(g_l2[-1, -1]):.2e}"),
        "ce_grad_at_corner": round(float(abs(g_ce[-1, -1])), 4),
    }


def main(argv=None):
    args = parse_args(argv)
    axis = np.linspace(-args.extent, args.extent, args.points)
    w, b = np.meshgrid(axis, axis)                 # (points, points); b varies along rows
    with Outputs(args.out_dir) as out:
        for name, (values, title, zlabel) in surfaces(w, b, args.target).items():
            pictures.plot_surface(w, b, values, title, zlabel, out.dir, f"part1_{name}", args.extent)
        slices = [(bias, {r"$L_2$ (sigmoid)": grad_l2_sigmoid(axis, bias, args.target),
                          r"cross-entropy (sigmoid)": grad_ce_sigmoid(axis, bias, args.target)})
                  for bias in (-args.extent / 2, 0.0, args.extent / 2)]
        plots.plot_gradient_slices(axis, slices, args.extent, out.dir, "part1_gradient_slices")
        pictures.plot_sign_maps(w, b, {"L2 loss": curvature_l2_sigmoid(w, b, args.target),
                                       "cross-entropy": curvature_ce_sigmoid(w, b, args.target)},
                                args.extent, out.dir, "part1_curvature",
                                "Sign of the curvature (the non-zero Hessian eigenvalue) over the grid")
        numbers = grid_numbers(w, b, args.target, args.extent)
        write_json(out.dir / "part1_numbers.json", numbers)
        tex = {f"p1 {k.replace('_', ' ')}": ("n/a" if v is None else v) for k, v in numbers.items()}
        mantissa, exponent = f"{numbers['l2_grad_at_corner']:.1e}".split("e")
        tex["p1 l2 grad at corner"] = f"{mantissa}\\times 10^{{{int(exponent)}}}"   # used inside $...$
        write_tex_macros(out.dir / "part1_numbers.tex", tex)
    print(f"part 1: wrote 10 figures and part1_numbers.json to {args.out_dir}")
    for key, value in numbers.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
