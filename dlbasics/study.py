"""Many-seed summaries that keep censored and diverged runs honest.

A run that never reached the stopping criterion counts as +infinity: it is beyond the cap, not
at it. Quantiles are taken over all seeds with that convention, so a median that lands on a
censored run is reported as "> cap", never as a number.
"""
import math

import numpy as np

from .engine import DIVERGED, REACHED, STUCK


def censored_values(result_iterations, status):
    """Iterations where reached, +inf otherwise (censored or diverged)."""
    return np.where(status == REACHED, result_iterations, np.inf).astype(float)


def quantile(values, q):
    """Linear-interpolation quantile that stays +inf if it touches a +inf value."""
    v = np.sort(np.asarray(values, dtype=float))
    pos = q * (len(v) - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    if math.isinf(v[hi]) or math.isinf(v[lo]):
        return math.inf
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


def summarise(iterations, status):
    values = censored_values(iterations, status)
    n = len(values)
    return {
        "seeds": n,
        "median": quantile(values, 0.5), "q1": quantile(values, 0.25), "q3": quantile(values, 0.75),
        "reached_pct": 100.0 * float(np.mean(status == REACHED)),
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
