"""Many-seed summaries that keep censored, diverged and dead runs honest.

A run that never reached the stopping criterion counts as +infinity: it is beyond the cap, not at
it. Quantiles are taken over all seeds with that convention, so a median that lands on such a run
is reported as "> cap", never as a number.
"""
import math
from collections import defaultdict

import numpy as np

from dlbasics.engine.records import DIVERGED, REACHED, STUCK

SIGNIFICANT = 0.01      # a paired difference between two conditions is "distinguishable" below this sign-test p


def group_runs(runs, keys=("setting", "lr", "reduction")):
    """{(values of keys): [runs]}, in first-seen order (runs: Run records)."""
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
    median = quantile(values, 0.5)
    return {
        "seeds": len(runs),
        "median": median, "q1": quantile(values, 0.25), "q3": quantile(values, 0.75),
        "median_ties": int(np.sum(values == median)) if math.isfinite(median) else 0,   # seeds ending exactly there
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
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")     # quartiles: quarters, exact
    return text.replace(",", "\\,") if tex else text.replace(",", "")


def fmt_median(summary, cap):
    """A group's median for the console: "median <count>", or how the runs ended when over half never reached 100 %
    (">300" only when they all stopped at the cap)."""
    if math.isfinite(summary["median"]):
        return "median " + fmt_iters(summary["median"], cap)
    censored = 100.0 - summary["reached_pct"] - summary["diverged_pct"] - summary["stuck_pct"]
    ended = {"dead": summary["stuck_pct"], "diverged": summary["diverged_pct"], f"beyond the cap {cap}": censored}
    ended = {word: pct for word, pct in ended.items() if pct > 1e-9}
    if list(ended) == [f"beyond the cap {cap}"]:
        return "median " + fmt_iters(math.inf, cap)
    return "no median (" + ", ".join(f"{fmt_pct(pct)} % {word}" for word, pct in ended.items()) + ")"


def fmt_pct(value):
    """A percentage as a table prints it: whole numbers bare, others with the fewest decimals (at least one)
    that keep a share short of 100 % (or above 0 %) from reading as 100 (or 0)."""
    if value == int(value):
        return f"{value:.0f}"
    for digits in (1, 2, 3):
        text = f"{value:.{digits}f}"
        if float(text) not in (0.0, 100.0):
            return text
    return f"{value:.3g}"


def median_ci(values, level=0.95):
    """Distribution-free interval of the median from order statistics: [x_(j), x_(n+1-j)] for the largest
    j whose exact coverage 1 - 2 P(B <= j - 1), B ~ Binomial(n, 1/2), is at least `level` (Conover,
    Practical Nonparametric Statistics, 3rd ed., section 3.2). No random draw, and the coverage is the
    true one: with 8 seeds only the whole range reaches 95 % (it covers 1 - 2/2^8 = 99.2 %); with
    fewer than 6 seeds nothing does, and the whole range is given with its lower coverage.

    Returns (low, high, coverage); runs that never got there are +inf and sort last, so an interval that
    reaches them is open: (low, inf)."""
    from scipy.stats import binom
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan
    j = 1
    while 2 * (j + 1) <= n + 1 and 1 - 2 * binom.cdf(j, n, 0.5) >= level:
        j += 1
    return float(v[j - 1]), float(v[n - j]), float(1 - 2 * binom.cdf(j - 1, n, 0.5))


def paired(a, b):
    """Runs of two settings with the same seeds (same initial weights): share of seeds on which a needs
    fewer iterations than b, more, or as many (+inf counts as more than any number), and the two-sided
    sign-test p-value on the seeds that differ."""
    by_seed = {r.seed: r for r in b}
    va, vb = censored_values(a), censored_values([by_seed[r.seed] for r in a])
    wins, losses, p_value = sign_test(va, vb)
    n = len(va)
    return {"seeds": n, "a_faster_pct": 100 * wins / n, "b_faster_pct": 100 * losses / n,
            "tied_pct": 100 * (n - wins - losses) / n, "p_value": p_value}


def sign_test(a, b):
    """Paired values a[i], b[i] (one pair per seed): how many pairs have a < b, how many a > b, and the
    two-sided sign-test p-value on the pairs that differ (1 when none differ)."""
    from scipy.stats import binomtest
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    below, above = int(np.sum(a < b)), int(np.sum(a > b))
    return below, above, float(binomtest(below, below + above).pvalue) if below + above else 1.0


def power_law(lrs, medians):
    """Least-squares fit log(median) = c - k log(lr) over the finite medians: (k, lrs used)."""
    pts = [(lr, m) for lr, m in zip(lrs, medians) if math.isfinite(m) and m > 0]
    if len(pts) < 2:
        return math.nan, [lr for lr, _ in pts]
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    slope = np.polyfit(x, y, 1)[0]
    return float(-slope), [p[0] for p in pts]
