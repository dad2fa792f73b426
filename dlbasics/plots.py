"""One plot_<what>(data, out_dir, stem) per kind of figure; each saves PNG + PDF and closes."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mpl_toolkits.mplot3d import Axes3D  # noqa: E402,F401  (registers the 3d projection)

from .outputs import save_figure  # noqa: E402

plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "figure.dpi": 100,
                     "svg.hashsalt": "dlbasics", "pdf.compression": 6})


def plot_surface(w, b, z, title, zlabel, out_dir, stem, extent):
    """3D surface over the (w, b) grid; x and y ranges fixed to [-extent, extent]."""
    fig = plt.figure(figsize=(5.6, 4.6))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(w, b, z, cmap="viridis", rcount=60, ccount=60, linewidth=0, antialiased=False,
                    rasterized=True)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_xlabel("weight $w$")
    ax.set_ylabel("bias $b$")
    ax.set_zlabel(zlabel, labelpad=10)
    ax.set_title(title)
    ax.view_init(elev=25, azim=-60)
    ax.set_box_aspect(None, zoom=0.88)
    return save_figure(fig, out_dir, stem)


def plot_gradient_slices(w, slices, extent, out_dir, stem):
    """|dL/dw| along w for a few fixed biases, log scale: one panel per bias.

    slices: list of (bias, {label: values along w}).
    """
    fig, axes = plt.subplots(1, len(slices), figsize=(3.3 * len(slices), 3.2), sharey=True)
    for ax, (bias, curves) in zip(np.atleast_1d(axes), slices):
        for (label, values), style in zip(curves.items(), ("-", "--", ":")):
            ax.semilogy(w, np.maximum(np.abs(values), 1e-12), style, label=label)
        ax.axhline(1e-3, color="grey", lw=0.8, alpha=0.6)
        ax.set_xlim(-extent, extent)
        ax.set_ylim(1e-7, 2)
        ax.set_xlabel("weight $w$")
        ax.set_title(f"bias $b = {bias:g}$")
        ax.grid(alpha=0.3, which="major")
    np.atleast_1d(axes)[0].set_ylabel(r"$|\partial L / \partial w|$ (log scale)")
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Gradient magnitude along slices of the grid (grey line: $10^{-3}$)")
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)
