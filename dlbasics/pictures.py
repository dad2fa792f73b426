"""Pictures: 3D surfaces, maps over the (w, b) grid, images of data, weights and feature maps.

Same rules as plots.py: drawn at the printed size (FULL or HALF width), text never below 8 pt.
"""
import matplotlib.pyplot as plt
import numpy as np
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the 3d projection)

from .outputs import save_figure
from .plots import FULL, HALF, MIN_FONT


def plot_surface(w, b, z, title, zlabel, out_dir, stem, extent):
    """3D surface over the (w, b) grid (half width); x and y ranges fixed to [-extent, extent]."""
    fig = plt.figure(figsize=(HALF, 2.75))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(w, b, z, cmap="viridis", rcount=60, ccount=60, linewidth=0, antialiased=False,
                    rasterized=True)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ticks = [-extent, -extent / 2, 0, extent / 2, extent]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(ticks[1:], [f"{t:g}" for t in ticks[1:]])
    ax.set_xlabel("weight $w$", labelpad=-4)
    ax.set_ylabel("bias $b$", labelpad=-4)
    ax.set_zlabel(zlabel, labelpad=4)
    ax.tick_params(axis="x", pad=-3)
    ax.tick_params(axis="y", pad=-3)
    ax.tick_params(axis="z", pad=1)
    ax.zaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_title(title, pad=0)
    ax.view_init(elev=25, azim=-60)
    ax.set_box_aspect(None, zoom=0.82)
    return save_figure(fig, out_dir, stem, tight=True)


def plot_sign_maps(w, b, maps, extent, out_dir, stem, title):
    """Where a quantity over the (w, b) grid is positive, zero or negative; one panel per map (full width).

    maps: {panel title: values on the grid}.
    """
    fig, axes = plt.subplots(1, len(maps), figsize=(FULL, 2.7), squeeze=False)
    cmap = matplotlib_cmap()
    for ax, (panel, values) in zip(axes[0], maps.items()):
        sign = np.sign(values)
        ax.imshow(sign, origin="lower", extent=(-extent, extent, -extent, extent), cmap=cmap, vmin=-1, vmax=1,
                  interpolation="nearest")
        ax.set_xlabel("weight $w$")
        ax.set_ylabel("bias $b$")
        neg = 100 * float(np.mean(sign < 0))
        ax.set_title(f"{panel}\nnegative on {neg:.1f} % of the grid")
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=cmap(v), edgecolor="0.5") for v in (1.0, 0.5, 0.0)]
    fig.legend(handles, ["positive (convex)", "zero", "negative (concave)"], loc="lower center", ncol=3,
               frameon=False)
    fig.suptitle(title)
    fig.tight_layout(pad=0.3, rect=(0, 0.08, 1, 1))
    return save_figure(fig, out_dir, stem)


def matplotlib_cmap():
    from matplotlib.colors import ListedColormap
    return ListedColormap(["#b2182b", "#f7f7f7", "#2166ac"])        # negative, zero, positive


def plot_filters(weights, title, out_dir, stem):
    """First-layer filters (16, 1, 7, 7) as a 4 x 4 grid on one diverging scale centred on 0 (half width)."""
    w = np.asarray(weights)[:, 0]
    vmax = float(np.abs(w).max()) or 1.0
    fig, axes = plt.subplots(4, 4, figsize=(HALF, 3.3))
    for i, ax in enumerate(axes.flat):
        im = ax.imshow(w[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{i}", fontsize=MIN_FONT, pad=2)
    fig.suptitle(title)
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    return save_figure(fig, out_dir, stem)


def plot_feature_maps(rows, out_dir, stem, title):
    """One row per (label, image, maps (8, 4, 4)); the input, then the 8 maps on one scale (full width).

    An image of None leaves the input cell empty (rows of class means).
    """
    vmax = max(float(np.max(m)) for _, _, m in rows) or 1.0
    fig, axes = plt.subplots(len(rows), 9, figsize=(FULL, 0.78 * len(rows) + 0.55), squeeze=False)
    for r, (label, img, fmap) in enumerate(rows):
        if img is not None:
            axes[r, 0].imshow(img, cmap="gray_r", vmin=0, vmax=max(1.0, float(np.max(img))))
        axes[r, 0].set_ylabel(label, fontsize=MIN_FONT, rotation=0, ha="right", va="center")
        for c in range(8):
            im = axes[r, c + 1].imshow(fmap[c], cmap="magma", vmin=0, vmax=vmax)
            if r == 0:
                axes[r, c + 1].set_title(f"map {c}", fontsize=MIN_FONT)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
            if img is None and ax is axes[r, 0]:
                ax.set_frame_on(False)
    axes[0, 0].set_title("input", fontsize=MIN_FONT)
    fig.suptitle(title)
    fig.colorbar(im, ax=axes, shrink=0.8, label="activation")
    return save_figure(fig, out_dir, stem, tight=True)


def plot_weight_images(rows, out_dir, stem, title):
    """First-layer weights of an FC net as 4 x 4 images: one row per setting, one column per hidden unit.

    rows: {label: weights (hidden, 16)}; one diverging scale per row (full width).
    """
    hidden = max(len(w) for w in rows.values())
    fig, axes = plt.subplots(len(rows), hidden, figsize=(FULL * 0.62, 0.95 * len(rows) + 0.4), squeeze=False)
    for r, (label, weights) in enumerate(rows.items()):
        vmax = float(np.abs(weights).max()) or 1.0
        for j, ax in enumerate(axes[r]):
            ax.imshow(weights[j].reshape(4, 4), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"unit {j}", fontsize=MIN_FONT)
        axes[r, 0].set_ylabel(label, fontsize=MIN_FONT, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    return save_figure(fig, out_dir, stem, tight=True)


def plot_samples(images, captions, out_dir, stem, title, columns=4):
    """A few images of a dataset with short captions, each framed (a third of the text width)."""
    rows = (len(images) + columns - 1) // columns
    width = FULL / 3 - 0.05
    fig, axes = plt.subplots(rows, columns, figsize=(width, rows * (width / columns + 0.22) + 0.25), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, img, cap in zip(axes.flat, images, captions):
        ax.set_visible(True)
        ax.imshow(img, cmap="gray_r", vmin=0, vmax=max(1.0, float(np.max(img))))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(cap, fontsize=MIN_FONT, pad=1.5)
    fig.suptitle(title)
    fig.tight_layout(pad=0.2, h_pad=0.4, w_pad=0.3)
    return save_figure(fig, out_dir, stem)
