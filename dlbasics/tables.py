"""Tables shared by the experiment scripts (CSV for people, TeX for the report)."""
import numpy as np

from .outputs import write_csv, write_tex_table
from .study import fmt_iters, fmt_pct, sort_key, summarise

STUDY_HEADER = ["reduction", "rank", "setting", "median", "Q1", "Q3", "reached %", "diverged %", "dead %"]
TEX_STUDY_HEADER = ["reduction", "rank", "setting", "median", "$Q_1$", "$Q_3$", "reached \\%", "diverged \\%",
                    "dead \\%"]


def ranked(groups):
    """[(label, summary)] fastest first; groups: {label: summary}. Ranks are only given to settings
    whose median is a number: two censored medians cannot be ordered."""
    return sorted(groups.items(), key=lambda item: sort_key(item[1]))


def write_study_table(out, stem, by_reduction, cap):
    """by_reduction: {reduction: {label: summary}} -> <stem>.csv and <stem>.tex."""
    csv_rows, tex_rows = [], []
    for red, groups in by_reduction.items():
        for i, (lab, s) in enumerate(ranked(groups), 1):
            rank = str(i) if np.isfinite(s["median"]) else "--"
            cells = [fmt_pct(s["reached_pct"]), fmt_pct(s["diverged_pct"]), fmt_pct(s["stuck_pct"])]
            csv_rows.append([red, rank, lab] + [fmt_iters(s[k], cap) for k in ("median", "q1", "q3")] + cells)
            tex_rows.append([red if i == 1 else "", rank, lab] +
                            [fmt_iters(s[k], cap, tex=True) for k in ("median", "q1", "q3")] + cells)
    write_csv(out / f"{stem}.csv", STUDY_HEADER, csv_rows)
    write_tex_table(out / f"{stem}.tex", TEX_STUDY_HEADER, tex_rows, align="lllrrrrrr")


def summaries_by(runs_by_label):
    """{label: [runs]} -> {label: summary}."""
    return {label: summarise(runs) for label, runs in runs_by_label.items()}


def print_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def write_curves_csv(path, runs, metrics):
    """runs: {column prefix: {metric: curve}}; one row per iteration, blank after a run stopped."""
    length = max(len(run[m]) for run in runs.values() for m in metrics)
    header = ["iteration"] + [f"{name} {m}" for name in runs for m in metrics]
    rows = []
    for t in range(length):
        row = [t]
        for run in runs.values():
            row += [f"{run[m][t]:.10g}" if t < len(run[m]) and np.isfinite(run[m][t]) else "" for m in metrics]
        rows.append(row)
    write_csv(path, header, rows)
