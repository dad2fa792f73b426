"""The studies' tables: CSV for people, TeX for the report."""
import math

import numpy as np

from dlbasics.common.outputs import tex_table
from dlbasics.study.stats import censored_values, fmt_iters, fmt_pct, median_ci, paired, sort_key, summarise

STUDY_HEADER = ["reduction", "rank", "setting", "seeds", "median", "interval", "coverage %", "Q1", "Q3", "reached %",
                "diverged %", "dead %"]
TEX_STUDY_HEADER = ["", "rank", "setting", "median", "interval", "$Q_1$", "$Q_3$", "reached", "diverged", "dead"]


def ranked(groups):
    """[(label, summary)] fastest first; groups: {label: summary}. Ranks are only given to settings
    whose median is a number: two censored medians cannot be ordered."""
    return sorted(groups.items(), key=lambda item: sort_key(item[1]))


def summarise_with_ci(runs, values=None):
    """summarise() plus the median's exact order-statistic interval (ci_low, ci_high) and its coverage
    (ci_coverage, a fraction; stats.median_ci)."""
    s = summarise(runs, values)
    s["ci_low"], s["ci_high"], s["ci_coverage"] = median_ci(censored_values(runs) if values is None else values)
    return s


TIED = "$^*$"         # an interval of zero width: many seeds end at exactly that count


def fmt_ci(s, cap, tex=False):
    """An interval as a table prints it; one of zero width (a finite count that many seeds share) is
    marked, and tie_note() says how many seeds end there."""
    lo, hi = (fmt_iters(s[k], cap, tex) for k in ("ci_low", "ci_high"))
    if lo == hi:
        return lo + TIED if tex and math.isfinite(s["ci_low"]) else lo
    return f"{lo}--{hi}" if tex else f"{lo}-{hi}"


def tie_note(summaries):
    """The note under a table whose intervals of zero width are marked: how many seeds end exactly there."""
    tied = [(lab, s) for lab, s in summaries if s["ci_low"] == s["ci_high"] and math.isfinite(s["ci_low"])]
    if not tied:
        return []
    return [f"{TIED} An interval of zero width: " + "; ".join(
        f"{s.get('median_ties', 0)} of the {s['seeds']} seeds of {lab} end at exactly {fmt_iters(s['ci_low'], 0, True)}"
        for lab, s in tied) + "."]


SENSITIVE = "$^\\dagger$"      # a cell where a twin start (every parameter times 1 + 2^-52) moved a count


def moved_cells(every):
    """{(setting label, lr, reduction)} of the cells where a twin's count or status moved (every: the runs and
    their twins)."""
    from dlbasics.study import sensitivity
    return {(getattr(s, "label", s), lr, red) for (s, lr, red), c in sensitivity.by_cell(every).items() if c["sensitive"]}


def write_study_table(out, stem, by_reduction, cap, rank=True, ties=(), moved=()):
    """by_reduction: {reduction: {label: summary (with CI)}} -> <stem>.csv and <stem>.tex.

    Ranks go only to settings whose median is a number (two medians beyond the cap cannot be ordered),
    and only with `rank` (not for rows that measure different things, like part 3.2's two heads).
    ties: {(reduction, label, next label)} of neighbours the seeds cannot tell apart; they share a rank,
    printed with "=". moved: {(reduction, label)} of the cells whose twins moved; their medians, intervals and quartiles get a dagger.
    """
    csv_rows, tex_rows = [], []
    for red, groups in by_reduction.items():
        items = list(ranked(groups) if rank else groups.items())
        ranks = []
        for i, (lab, s) in enumerate(items, 1):
            tied = i > 1 and ranks[-1] is not None and (red, items[i - 2][0], lab) in ties
            ranks.append(None if not (rank and np.isfinite(s["median"])) else ranks[-1] if tied else i)
        for i, ((lab, s), r) in enumerate(zip(items, ranks), 1):
            rank_text = "--" if r is None else f"{r}=" if ranks.count(r) > 1 else str(r)
            pct = [fmt_pct(s["reached_pct"]), fmt_pct(s["diverged_pct"]), fmt_pct(s["stuck_pct"])]
            csv_rows.append([red, rank_text, lab, s["seeds"], fmt_iters(s["median"], cap), fmt_ci(s, cap),
                             fmt_coverage(s["ci_coverage"]), fmt_iters(s["q1"], cap), fmt_iters(s["q3"], cap)] + pct)
            mark = SENSITIVE if (red, lab) in moved else ""
            tex_rows.append([red if i == 1 else "", rank_text, lab, fmt_iters(s["median"], cap, True) + mark,
                             fmt_ci(s, cap, True) + mark]
                            + [fmt_iters(s[k], cap, True) + mark for k in ("q1", "q3")] + [p + "\\,\\%" for p in pct])
    header = TEX_STUDY_HEADER if rank else [h for h in TEX_STUDY_HEADER if h != "rank"]
    tex_rows = tex_rows if rank else [row[:1] + row[2:] for row in tex_rows]
    out.csv(f"{stem}.csv", STUDY_HEADER if rank else [h for h in STUDY_HEADER if h != "rank"],
            csv_rows if rank else [row[:1] + row[2:] for row in csv_rows])
    notes = tie_note([(f"{lab} ({red})", s) for red, groups in by_reduction.items() for lab, s in groups.items()])
    notes += [f"{SENSITIVE} A twin start moved a count in this cell: its median, interval and quartiles, like its "
              "counts, can move with another CPU's rounding."] if moved else []
    out.write(f"{stem}.tex", tex_table(header, tex_rows, align="lllrrrrrrr" if rank else "llrrrrrrr", notes=notes))


def write_paired_table(out, stem, by_reduction, summaries):
    """Neighbours in each reduction's ranking, compared seed by seed (same initial weights).

    by_reduction: {reduction: {label: [runs]}}; summaries: {reduction: {label: summary}}.
    Returns [{"reduction", "a", "b", **paired(a, b)}], a ranked ahead of b.
    """
    rows = []
    for red, groups in by_reduction.items():
        order = [lab for lab, _ in ranked(summaries[red])]
        for a, b in zip(order, order[1:]):
            rows.append({"reduction": red, "a": a, "b": b} | paired(groups[a], groups[b]))
    header = ["reduction", "faster", "slower", "seeds", "faster wins %", "slower wins %", "ties %", "sign-test p"]
    cells = [[r["reduction"], r["a"], r["b"], r["seeds"], fmt_pct(round(r["a_faster_pct"], 1)),
              fmt_pct(round(r["b_faster_pct"], 1)), fmt_pct(round(r["tied_pct"], 1)), fmt_p(r["p_value"])]
             for r in rows]
    out.csv(f"{stem}.csv", header, cells)
    tex = [[c[0] if i == 0 or cells[i - 1][0] != c[0] else ""] + c[1:4] + [x + "\\,\\%" for x in c[4:7]]
           + [c[7].replace("e-", "\\,$\\cdot 10^{-") + "}$" if "e-" in c[7] else c[7]]
           for i, c in enumerate(cells)]
    out.write(f"{stem}.tex", tex_table(["", "ahead", "behind", "seeds", "ahead faster", "behind faster", "tied",
                                         "sign test $p$"], tex, align="lllrrrrr"))
    return rows


def fmt_coverage(fraction):
    """An interval's coverage in per cent, rounded down (a bound never reads higher than it is): 99.2."""
    return f"{math.floor(1000 * fraction) / 10:.1f}"


def fmt_p(p):
    return "<1e-300" if p < 1e-300 else f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def print_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def write_curves_csv(out, name, runs, metrics):
    """runs: {column prefix: {metric: curve}}; one row per iteration, blank after a run stopped."""
    length = max(len(run[m]) for run in runs.values() for m in metrics)
    header = ["iteration"] + [f"{name} {m}" for name in runs for m in metrics]
    rows = []
    for t in range(length):
        row = [t]
        for run in runs.values():
            row += [f"{run[m][t]:.10g}" if t < len(run[m]) and np.isfinite(run[m][t]) else "" for m in metrics]
        rows.append(row)
    out.csv(name, header, rows)
