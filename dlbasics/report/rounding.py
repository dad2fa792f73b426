"""The report's section "Which numbers are reproducible?": its tables and sentences, from the studies'
twins (the summaries' "sensitivity" sections) and the traced part 2 runs ("stability").

Every sentence is worded by what the numbers say; tests/test_claims.py recomputes each fact.
"""
import math

import numpy as np

from dlbasics.common.outputs import fmt_int, tex_table
from dlbasics.study.stats import fmt_pct

LABEL = {"sigmoid-l2": "sigmoid + L2", "sigmoid-ce": "sigmoid + CE", "relu-l2": "ReLU + L2", "relu-ce": "ReLU + CE",
         "line": "3.1: line", "detection": "3.2: detection"}
EDGE = 2.0             # plain gradient descent is stable along an eigenvector while lr x its eigenvalue <= 2


def cells(summaries):
    """[(label, lr, reduction, cell figures, twin pairs)] of every study, in the studies' order."""
    out = []
    for s in summaries:
        rows = s.get("sensitivity", {}).get("rows", [])
        for c in s.get("sensitivity", {}).get("cells", []):
            key = (c["setting"], c["lr"], c["reduction"])
            pairs = [(r[4], r[5], r[6], r[7]) for r in rows if tuple(r[:3]) == key]
            out.append((LABEL.get(c["setting"], c["setting"]), c["lr"], c["reduction"], c, pairs))
    return out


def median(values):
    v = np.sort(np.asarray(values, dtype=float))
    lo, hi = v[(len(v) - 1) // 2], v[len(v) // 2]
    return math.inf if math.isinf(lo) or math.isinf(hi) else (lo + hi) / 2


def median_shift(pairs):
    """How far the median count of a cell's twins is from the median of the same seeds' runs (+inf where
    a run did not reach 100 %); None when either median is beyond the cap."""
    runs = [i if s == "reached" else math.inf for i, s, _, _ in pairs]
    twins = [i if s == "reached" else math.inf for _, _, i, s in pairs]
    a, b = median(runs), median(twins)
    return abs(a - b) if math.isfinite(a) and math.isfinite(b) else None


def table(found, dest):
    """claims_sensitivity.tex: one row per cell whose twins moved (the others are one sentence)."""
    rows = [[label, f"{lr:g}", red, c["twins"], f"{c['sensitive']}", f"{fmt_pct(c['sensitive_pct'])}\\,\\%",
             c["status_changed"], "--" if math.isnan(c["median_abs_delta"]) else f"{c['median_abs_delta']:g}",
             "--" if math.isnan(c["median_abs_delta"]) else c["max_abs_delta"]]
            for label, lr, red, c, _ in found if c["sensitive"]]
    dest.write("claims_sensitivity.tex", tex_table(["setting", "lr", "loss", "twins", "moved", "share",
                                                    "status changed", "per seed: median $|\\Delta|$", "largest"],
                                                   rows or [["(none moved)", *[""] * 8]], align="lrlrrrrrr"))


def stability_table(traces, dest):
    """claims_stability.tex: the traced runs of part 2. Each is the script's own loop, so its count is the
    script's count for that seed (one run, one count)."""
    def ended(iterations, status):                 # as the other tables: a censored run is never a number
        return iterations if status == "reached" else {"censored": "$>$", "stuck": "dead ",
                                                       "diverged": "div. "}[status] + f"{iterations:,}".replace(",", "\\,")
    rows = [[LABEL[t["setting"]], t["reduction"], f"{t['lr']:g}", t["seed"],
             f"{ended(t['iterations'], t['status'])}" + ("$^\\dagger$" if t["cell_sensitive_pct"] else ""),
             f"{math.exp(t['lyapunov']):.3f}" if math.isfinite(t["lyapunov"]) else "--",
             f"{t['max_lr_sharpness']:.1f}", f"{fmt_pct(t['beyond_two_pct'])}\\,\\%",
             tex_power(t["final_distance"]),
             "--" if t["cell_sensitive_pct"] is None else f"{fmt_pct(t['cell_sensitive_pct'])}\\,\\%"] for t in traces]
    dest.write("claims_stability.tex", tex_table(["setting", "loss", "lr", "seed", "iterations", "growth",
                                                  "max lr$\\cdot$S", "$>2$", "apart", "moved"], rows,
                                                 align="llrrrrrrrr"))


def tex_power(x, up=False):
    """x as m$\\cdot10^{e}$ with one digit of mantissa (0 as 0); up: rounded up, for an upper bound
    (3.14e-6 is 'at most 4e-6', never 3e-6)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    e = math.floor(math.log10(abs(x)))
    m = math.ceil(round(x / 10 ** e, 9)) if up else round(x / 10 ** e)
    if m == 10:
        m, e = 1, e + 1
    return f"{m}\\,$\\cdot10^{{{e}}}$" if e else f"{m}"


def moved_text(found):
    """Which cells' counts moved with a twin start, by how much, and what the cells where none moved still
    allow (the one-sided 95 % upper bound on their share of sensitive seeds)."""
    total = sum(c["twins"] for *_, c, _ in found)
    moved = [(label, lr, red, c, pairs) for label, lr, red, c, pairs in found if c["sensitive"]]
    quiet = [c for *_, c, _ in found if not c["sensitive"]]
    head = f"Of {fmt_int(total)} twin pairs in {len(found)} cells, "
    sizes = sorted({c["twins"] for c in quiet}, reverse=True)
    bound = ("; a cell where none of its n twins moved can still hold sensitive seeds, up to " +
             ", ".join(f"{upper_bound_pct(n)}\\,\\% for n = {n}" for n in sizes) +
             " (one-sided 95\\,\\% bound)" if sizes else "")
    if not moved:
        return head + "not one count or status moved" + bound, {"moved_cells": [], "twins": total}
    parts = []
    for label, lr, red, c, pairs in sorted(moved, key=lambda m: -m[3]["sensitive_pct"]):
        shift = median_shift(pairs)
        parts.append(f"{label} at lr {lr:g} under the {red} loss ({c['sensitive']} of {c['twins']} seeds"
                     + (f", by up to {c['max_abs_delta']} iteration{'s' if c['max_abs_delta'] > 1 else ''}"
                        if c["max_abs_delta"] else "")
                     + (f", {c['status_changed']} changing status" if c["status_changed"] else "")
                     + ("" if shift is None or shift == 0 else f"; the cell's median count moved by {shift:g}") + ")")
    text = head + (f"the count or status moved in {len(moved)}: " + "; ".join(parts) +
                   f". In the other {len(found) - len(moved)} cells no seed moved" + bound)
    return text, {"moved_cells": [(m[0], m[1], m[2]) for m in moved], "twins": total}


def upper_bound_pct(n, level=0.95):
    """The one-sided upper confidence bound on a share when 0 of n moved, 1 - (1 - level)^(1/n), in per cent,
    rounded up (a bound never reads lower than it is): 5.8 % for 50 seeds."""
    return f"{math.ceil(1000 * (1 - (1 - level) ** (1 / n))) / 10:g}"


def mechanism_text(traces):
    """An observation, not a controlled experiment: which traced runs reach the edge of stability, how fast
    their twins drift apart, and whether the cells at the edge are the ones whose counts moved."""
    if not traces:
        return "no run was traced", {}
    at_edge = [t for t in traces if t["max_lr_sharpness"] > EDGE]
    calm = [t for t in traces if t["max_lr_sharpness"] <= EDGE]
    moved = [t for t in traces if t["cell_sensitive_pct"]]
    name = lambda t: f"{LABEL[t['setting']]} ({t['reduction']}, lr {t['lr']:g}, seed {t['seed']})"  # noqa: E731
    rate = lambda ts: f"{min(math.exp(t['lyapunov']) for t in ts):.2f} to {max(math.exp(t['lyapunov']) for t in ts):.2f}"  # noqa: E731
    text = (f"Of the {len(traces)} traced runs, {len(at_edge)} pass the edge of stability (lr $\\times$ sharpness "
            f"above {EDGE:g} for part of the run)" + (": " + ", ".join(name(t) for t in at_edge) if at_edge else ""))
    if at_edge:
        text += f". Along them the distance to the twin grew by a factor of {rate(at_edge)} per step"
    if calm:
        text += f"; along the others by {rate(calm)}"
    outside = [t for t in moved if t not in at_edge]
    quiet = [t for t in at_edge if not t["cell_sensitive_pct"]]
    far = tex_power(max(t["final_distance"] for t in quiet), up=True) + " of $\\|\\theta_0\\|$" if quiet else ""
    ending = {"reached": "reaches 100\\,\\% at iteration {}", "stuck": "dies at iteration {}",
              "censored": "runs to the cap", "diverged": "diverges at iteration {}"}
    ends = "; ".join(f"{name(t)} {ending[t['status']].format(t['iterations'])}" for t in quiet)
    if moved and not outside:
        text += ". Every traced cell whose counts moved runs at the edge"
    elif outside:
        text += ". Counts moved also where the run stays below the edge: " + ", ".join(name(t) for t in outside)
    if not moved and quiet:
        text += (f". No count moved in any traced cell. How the runs at the edge end: {ends}; their twins end at "
                 f"most {far} apart")
    elif not moved:
        text += ". No count moved in any traced cell"
    elif quiet:
        text += (f"; but passing the edge is not enough: in {len(quiet)} traced cell{'s' if len(quiet) > 1 else ''} at "
                 f"the edge no count moved. How those runs end: {ends}; their twins end at most {far} apart")
    facts = {"at_edge": [name(t) for t in at_edge], "moved": [name(t) for t in moved],
             "moved_outside_edge": [name(t) for t in outside], "quiet_at_edge": [name(t) for t in quiet]}
    return text, facts


def build(summaries, traces, dest=None):
    """The section's sentences ({macro key: text}) and facts; its two tables through `dest`."""
    found = cells(summaries)
    texts, facts = {}, {}
    texts["rounding moved"], facts["rounding moved"] = moved_text(found)
    texts["rounding mechanism"], facts["rounding mechanism"] = mechanism_text(traces)
    largest = max((c["max_abs_delta"] for *_, c, _ in found if c["sensitive"]), default=0)
    statuses = sum(c["status_changed"] for *_, c, _ in found)
    texts["rounding largest"] = (
        (f"moves it by up to {largest} updates in some cells" if largest else "moves no count in the cells measured")
        + (f" and changes how {statuses} run{'s' if statuses > 1 else ''} end" if statuses else ""))
    facts["rounding largest"] = {"largest_delta": largest, "status_changed": statuses}
    if dest is not None:
        table(found, dest)
        stability_table(traces, dest)
    return texts, facts
