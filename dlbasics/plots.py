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
    return save_figure(fig, out_dir, stem, tight=True)


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


def plot_curve(values, title, ylabel, out_dir, stem, status_text="", logy=False, ylim=None):
    """One metric against iterations for one run."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot(np.arange(len(values)), values, lw=1.4)
    ax.set_xlabel("iteration (gradient-descent updates)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    if status_text:
        ax.text(0.98, 0.04 if not logy else 0.92, status_text, transform=ax.transAxes, ha="right",
                va="bottom" if not logy else "top", fontsize=9,
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)


def plot_overlay(runs, out_dir, stem, title, panels=(("loss", "loss", True), ("acc", "accuracy", False))):
    """All settings on shared axes, one panel per metric; runs: {label: {metric: curve}}."""
    rows = 2 if len(panels) > 2 else 1
    cols = (len(panels) + rows - 1) // rows
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 3.4 * rows + 0.3))
    for ax, (key, ylabel, logy) in zip(np.atleast_1d(axes).flat, panels):
        for label, curves in runs.items():
            ax.plot(np.arange(len(curves[key])), curves[key], lw=1.3, label=label)
        ax.set_xscale("symlog", linthresh=10)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("iteration (symlog scale)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes).flat[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)


def plot_ecdf(panels, cap, out_dir, stem, title):
    """Share of seeds that reached 100 % by iteration t, one panel per group of settings.

    panels: {panel title: {label: (values, statuses)}}, values = iterations, +inf where the run did
    not get there. A curve that ends below 1 at the cap is the censored share; the legend gives the
    reached / diverged / dead percentages.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(max(5.0 * len(panels), 7.0), 3.7), sharey=True)
    for ax, (panel, groups) in zip(np.atleast_1d(axes), panels.items()):
        for label, (values, status) in groups.items():
            values, status = np.asarray(values, dtype=float), np.asarray(status)
            reached = np.sort(values[np.isfinite(values)])
            n = len(values)
            xs = np.concatenate([[0.5], np.maximum(reached, 0.5), [cap]])
            ys = np.concatenate([[0.0], np.arange(1, len(reached) + 1) / n, [len(reached) / n]])
            div, dead = np.mean(status == "diverged") * 100, np.mean(status == "stuck") * 100
            extra = (f", {div:.0f}% diverged" if div else "") + (f", {dead:.0f}% dead" if dead else "")
            line, = ax.step(xs, ys, where="post", lw=1.5,
                            label=f"{label} ({100 * len(reached) / n:.0f}% reached{extra})")
            if len(reached) < n:
                ax.plot([cap], [len(reached) / n], "x", color=line.get_color(), ms=8, mew=2)
        ax.axvline(cap, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(0.8, cap * 1.6)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("iterations to 100 % training accuracy (log scale)")
        ax.set_title(panel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc="best")
    np.atleast_1d(axes)[0].set_ylabel("share of seeds at 100 %")
    fig.suptitle(title + f"\n(x: runs that did not get there within the {cap:,}-iteration cap)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)


def plot_heatmap(matrix, row_labels, col_labels, cell_text, title, out_dir, stem, cap):
    """Median iterations per setting x learning rate; censored cells (inf) drawn at the cap."""
    shown = np.log10(np.clip(np.where(np.isinf(matrix), cap, matrix), 1, cap))
    fig, ax = plt.subplots(figsize=(1.25 * len(col_labels) + 2.4, 0.62 * len(row_labels) + 1.5))
    im = ax.imshow(shown, cmap="viridis_r", vmin=0, vmax=np.log10(cap), aspect="auto")
    for i in range(len(row_labels)):
        for j in range(len(col_labels)):
            ax.text(j, i, cell_text[i][j], ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > np.log10(cap) * 0.55 else "black")
    ax.set_xticks(range(len(col_labels)), col_labels)
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xlabel("learning rate")
    ax.set_title(title, fontsize=10)
    cbar = fig.colorbar(im, ax=ax)
    cbar.set_label("median iterations to 100 % (log10)")
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)


def plot_filters(weights, title, out_dir, stem):
    """First-layer filters (16, 1, 7, 7) as a 4 x 4 grid on one diverging scale centred on 0."""
    w = np.asarray(weights)[:, 0]
    vmax = float(np.abs(w).max()) or 1.0
    fig, axes = plt.subplots(4, 4, figsize=(5.6, 5.6))
    for i, ax in enumerate(axes.flat):
        im = ax.imshow(w[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"filter {i}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    return save_figure(fig, out_dir, stem)


def plot_feature_maps(images, maps, row_labels, title, out_dir, stem):
    """One row per sample: the input, then the 8 second-layer maps (4 x 4) on a shared scale."""
    vmax = float(np.max(maps)) or 1.0
    fig, axes = plt.subplots(len(images), 9, figsize=(11, 1.55 * len(images) + 0.6), squeeze=False)
    for r, (img, fmap, lab) in enumerate(zip(images, maps, row_labels)):
        axes[r, 0].imshow(img, cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(lab, fontsize=8)
        for c in range(8):
            im = axes[r, c + 1].imshow(fmap[c], cmap="magma", vmin=0, vmax=vmax)
            if r == 0:
                axes[r, c + 1].set_title(f"map {c}", fontsize=8)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.colorbar(im, ax=axes, shrink=0.8, label="activation (after ReLU)")
    return save_figure(fig, out_dir, stem)
