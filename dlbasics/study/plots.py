"""The studies' figures, one plot_<what>(..., out, stem) per kind; each saves PNG + PDF through the
scripts' staged outputs (out: a part2_fc.Outputs) and closes.

Every figure is drawn at the size it is printed in the report (FULL or HALF the text width, included
without scaling), with the scripts' font sizes (set when part2_fc is imported): never below 8 pt.
"""
import matplotlib.pyplot as plt
import numpy as np

from dlbasics.study.stats import fmt_pct
from part2_fc import FULL, HALF  # noqa: F401  (HALF: re-exported)

MIN_FONT = 8


def plot_panels(runs, panels, out, stem, title, legend_panel=0, height=2.5, cols=3):
    """Several runs on shared axes, one panel per metric (full width, symlog iterations).

    runs: {label: {metric: curve}}; panels: [(metric, ylabel, logy, labels shown or None for all)].
    """
    cols = min(len(panels), cols)
    rows = (len(panels) + cols - 1) // cols
    below = 0.3                                   # inches under the panels for one legend, off every curve
    fig, axes = plt.subplots(rows, cols, figsize=(FULL, height * rows + below), squeeze=False)
    for ax, (key, ylabel, logy, only) in zip(axes.flat, panels):
        for i, (label, curves) in enumerate(runs.items()):
            if key in curves and (only is None or label in only):
                ax.plot(np.arange(len(curves[key])), curves[key], label=label, color=f"C{i}")
        ax.set_xscale("symlog", linthresh=10)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("iteration (symlog scale)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if only is not None:
            ax.legend(loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[legend_panel].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle(title)
    fig.tight_layout(pad=0.3, rect=(0, below / (height * rows + below), 1, 1))
    out.figure(fig, stem)


def plot_ecdf(panels, cap, out, stem, title):
    """Share of seeds that reached 100 % by iteration t, one panel per group of settings (full width).

    panels: {panel title: {label: (values, statuses)}}, values = iterations, +inf where the run did
    not get there. A curve that ends below 1 at the cap ends in a x at the share that did get there;
    the legend gives the reached / diverged / dead percentages. cap: one number, or {panel title: its cap}.
    """
    caps = cap if isinstance(cap, dict) else {panel: cap for panel in panels}
    rows = max(len(groups) for groups in panels.values())
    height = 2.4 + 0.17 * rows
    fig, axes = plt.subplots(1, len(panels), figsize=(FULL, height), sharey=True, squeeze=False)
    for ax, (panel, groups) in zip(axes[0], panels.items()):
        cap = caps[panel]
        for label, (values, status) in groups.items():
            values, status = np.asarray(values, dtype=float), np.asarray(status)
            reached = np.sort(values[np.isfinite(values)])
            n = len(values)
            xs = np.concatenate([[0.5], np.maximum(reached, 0.5), [cap]])
            ys = np.concatenate([[0.0], np.arange(1, len(reached) + 1) / n, [len(reached) / n]])
            div, dead = np.mean(status == "diverged") * 100, np.mean(status == "stuck") * 100
            extra = (f", {share(div)} div." if div else "") + (f", {share(dead)} dead" if dead else "")
            line, = ax.step(xs, ys, where="post", label=f"{label} ({share(100 * len(reached) / n)}{extra})")
            if len(reached) < n:
                ax.plot([cap], [len(reached) / n], "x", color=line.get_color(), ms=6, mew=1.5)
        ax.axvline(cap, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(0.8, max(caps.values()) * 1.6)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("iterations to 100 % (log scale)")
        ax.set_title(panel)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("share of seeds at 100 %")
    fig.suptitle(title)
    fig.tight_layout(pad=0.3)
    fig.canvas.draw()                    # each legend goes just below its panel's x label, wherever that is
    for ax in axes[0]:
        below = ax.transAxes.inverted().transform((0, ax.xaxis.label.get_window_extent().y0))[1]
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, below - 0.03), handlelength=1.2, frameon=False)
    out.figure(fig, stem, tight=True)


def share(pct):
    """A percentage as the tables print it (stats.fmt_pct: 99.9 %, never 100 % for a share short of it)."""
    return f"{fmt_pct(pct)}%"


def plot_heatmaps(panels, row_labels, col_labels, cap, out, stem, title, xlabel="learning rate"):
    """Median iterations per setting x learning rate, one panel per reduction (full width).

    panels: {panel title: (matrix of medians (inf = did not reach), matrix of cell texts)}.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(FULL, 0.42 * len(row_labels) + 1.35), squeeze=False)
    for k, (ax, (panel, (matrix, text))) in enumerate(zip(axes[0], panels.items())):
        shown = np.log10(np.clip(np.where(np.isinf(matrix), cap, matrix), 1, cap))
        im = ax.imshow(shown, cmap="viridis_r", vmin=0, vmax=np.log10(cap), aspect="auto")
        for i in range(len(row_labels)):
            for j in range(len(col_labels)):
                ax.text(j, i, text[i][j], ha="center", va="center", fontsize=MIN_FONT,
                        color="white" if shown[i, j] > np.log10(cap) * 0.55 else "black")
        ax.set_xticks(range(len(col_labels)), col_labels)
        ax.set_yticks(range(len(row_labels)), row_labels if k == 0 else [])
        ax.set_xlabel(xlabel)
        ax.set_title(panel)
    cbar = fig.colorbar(im, ax=axes[0], shrink=0.9, pad=0.02)
    cbar.set_label("median iterations (log10)")
    fig.suptitle(title)
    out.figure(fig, stem, tight=True)


def plot_share_curves(panels, xlabel, ylabel, out, stem, title):
    """Shares (0..1) along an axis, one panel per group (full width); curves whose label names
    sigmoid are dashed. panels: {panel title: {label: (T,) values}}."""
    rows = (len(panels) + 1) // 2
    height = 2.0 * rows + 1.2
    fig, axes = plt.subplots(rows, min(2, len(panels)), figsize=(FULL, height), sharey=True,
                             sharex=True, squeeze=False)
    for ax, (panel, curves) in zip(axes.flat, panels.items()):
        for label, values in curves.items():
            ax.plot(np.arange(len(values)), values, "--" if "sigmoid" in label else "-", label=label)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_title(panel)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes.flat), key=lambda h: len(h[1]))
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(pad=0.3, rect=(0, 0.8 / height, 1, 1))
    out.figure(fig, stem)


def plot_weight_images(rows, out, stem, title):
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
    out.figure(fig, stem, tight=True)


def plot_samples(images, captions, out, stem, title, columns=4):
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
    out.figure(fig, stem)


def plot_twins(traces, out, stem, title):
    """A stable and a sensitive traced run (full width): left, the distance between the run and its twin
    relative to ||theta||, log scale; right, lr x sharpness along the run, with the stability limit 2.
    The stable one is the first trace; the sensitive one comes from the cell where the largest share of
    twins moved (trace["cell_sensitive_pct"]), the one whose twins end farthest apart among those."""
    stable = traces[0]
    sensitive = max(traces, key=lambda tr: (tr.get("cell_sensitive_pct") or 0, tr["final_distance"]))
    fig, axes = plt.subplots(1, 2, figsize=(FULL, 2.6))
    for tr, color in ((stable, "C0"), (sensitive, "C3")):
        name = tr["setting"].replace("-", " + ").replace("relu", "ReLU").replace("l2", "L2").replace("ce", "CE")
        label = f"{name}, {tr['reduction']} loss, lr {tr['lr']:g}, seed {tr['seed']}"
        axes[0].semilogy(np.arange(len(tr["distance"])), np.maximum(tr["distance"] / tr["norm"], 1e-18), color=color,
                         label=label)
        axes[1].plot(tr["at"], np.maximum(tr["lr"] * tr["top"], 1e-3), color=color, label=label)
    axes[0].set(xlabel="iteration", ylabel=r"$\|\theta_t - \theta'_t\| \,/\, \|\theta_0\|$",
                title="distance to the twin")
    axes[1].axhline(2, color="grey", lw=0.8, ls="--")
    axes[1].set(xlabel="iteration", ylabel=r"lr $\times$ sharpness (log scale)", title="the stability limit 2 (dashed)",
                yscale="log")
    for ax in axes:
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(pad=0.3, rect=(0, 0.09, 1, 1))
    out.figure(fig, stem)
