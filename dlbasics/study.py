"""Many-seed summaries that keep censored, diverged and dead runs honest.

A run that never reached the stopping criterion counts as +infinity: it is beyond the cap, not at
it. Quantiles are taken over all seeds with that convention, so a median that lands on such a run
is reported as "> cap", never as a number.
"""
import math
from collections import defaultdict

import numpy as np

from .engine import DIVERGED, REACHED, STUCK


def group_runs(runs, keys=("setting", "lr", "reduction")):
    """{(values of keys): [runs]}, in first-seen order."""
    groups = defaultdict(list)
    for run in runs:
        groups[tuple(getattr(run, k) for k in keys)].append(run)
    return dict(groups)


def censored_values(runs):
    """Iterations where reached, +inf otherwise (censored, diverged or dead)."""
    return np.array([r.iterations if r.status == REACHED else np.inf for r in runs], dtype=float)


def milestone_values(runs, name):
    """First iteration at which milestone `name` held, +inf where it never did."""
    return np.array([np.inf if r.milestones.get(name) is None else r.milestones[name] for r in runs], dtype=float)


def quantile(values, q):
    """Linear-interpolation quantile that stays +inf if it touches a +inf value."""
    v = np.sort(np.asarray(values, dtype=float))
    pos = q * (len(v) - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    if math.isinf(v[hi]) or math.isinf(v[lo]):
        return math.inf
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


def summarise(runs, values=None):
    """Seeds, median and quartiles (censoring-aware) and the share of each ending."""
    values = censored_values(runs) if values is None else values
    status = np.array([r.status for r in runs])
    return {
        "seeds": len(runs),
        "median": quantile(values, 0.5), "q1": quantile(values, 0.25), "q3": quantile(values, 0.75),
        "reached_pct": 100.0 * float(np.mean(np.isfinite(values))),
        "diverged_pct": 100.0 * float(np.mean(status == DIVERGED)),
        "stuck_pct": 100.0 * float(np.mean(status == STUCK)),
    }


def sort_key(summary):
    """Faster median first; among censored medians, more seeds reaching 100 % first."""
    return (summary["median"], summary["q3"], -summary["reached_pct"])


def fmt_iters(value, cap, tex=False):
    if math.isinf(value):
        return f"$>${cap:,}".replace(",", "\\,") if tex else f">{cap}"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return text.replace(",", "\\,") if tex else text.replace(",", "")


def fmt_pct(value):
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
