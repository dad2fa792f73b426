"""Tables and quoted numbers shared by the experiment scripts (CSV for people, TeX for the report)."""
import numpy as np

from .outputs import write_csv, write_tex_table
from .study import fmt_iters, fmt_pct, sort_key, summarise

STUDY_HEADER = ["reduction", "rank", "setting", "median", "Q1", "Q3", "reached %", "diverged %", "dead %"]


def ranked(groups):
    """[(label, summary)] sorted fastest first; groups: {label: (iterations, status)}."""
    rows = [(lab, summarise(it, st)) for lab, (it, st) in groups.items()]
    return sorted(rows, key=lambda row: sort_key(row[1]))


def write_study_table(out, stem, by_reduction, cap):
    """by_reduction: {reduction: {label: (iterations, status)}} -> <stem>.csv and <stem>.tex."""
    csv_rows, tex_rows, summaries = [], [], {}
    for red, groups in by_reduction.items():
        for rank, (lab, s) in enumerate(ranked(groups), 1):
            summaries[(red, lab)] = s
            csv_rows.append([red, rank, lab, fmt_iters(s["median"], cap), fmt_iters(s["q1"], cap),
                             fmt_iters(s["q3"], cap), fmt_pct(s["reached_pct"]), fmt_pct(s["diverged_pct"]),
                             fmt_pct(s["stuck_pct"])])
            tex_rows.append([red if rank == 1 else "", rank, lab] +
                            [fmt_iters(s[k], cap, tex=True) for k in ("median", "q1", "q3")] +
                            [fmt_pct(s["reached_pct"]), fmt_pct(s["diverged_pct"]), fmt_pct(s["stuck_pct"])])
    write_csv(out / f"{stem}.csv", STUDY_HEADER, csv_rows)
    header = ["reduction", "rank", "setting", "median", "$Q_1$", "$Q_3$", "reached \\%", "diverged \\%",
              "dead \\%"]
    write_tex_table(out / f"{stem}.tex", header, tex_rows, align="lllrrrrrr")
    return summaries


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
            row += [f"{run[m][t]:.7g}" if t < len(run[m]) and np.isfinite(run[m][t]) else "" for m in metrics]
        rows.append(row)
    write_csv(path, header, rows)
