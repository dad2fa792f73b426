"""How the report words a median, a ratio and a share: beyond the cap is said so, never written as a number."""
import math

from dlbasics.report import causes
from dlbasics.study.stats import fmt_pct


def num(x):
    """A median or count for the prose; a median beyond the cap is said so, never written as a number."""
    if not math.isfinite(x):
        return "beyond the cap"
    text = f"{x:,.0f}" if float(x) == int(x) else f"{x:,.1f}"
    return text.replace(",", "\\,")


def ratio(a, b):
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


times = causes.times             # one format for a ratio in every document


def slower(a, b, cap):
    """How many times slower median a is than median b, as words: 'x', or 'more than x' when a is
    beyond the cap (then cap / b is a lower bound, rounded down), or None when b is beyond it too."""
    if not math.isfinite(b):
        return None, math.nan
    if not math.isfinite(a):
        return f"more than {causes.bound(cap / b)}\\,$\\times$", cap / b
    return times(a / b), a / b


def beyond_words(more, unknown, factor):
    if unknown:
        return (f"between {fmt_pct(more)}\\,\\% and {fmt_pct(more + unknown)}\\,\\% of the seeds need more than "
                f"{factor:.2f} times as many (on {fmt_pct(unknown)}\\,\\% the cap comes first)")
    return f"{fmt_pct(more)}\\,\\% of the seeds need more than {factor:.2f} times as many"


def cell(words):
    text, r = words
    return "--" if text is None else (f"$>${causes.bound(r)}" if text.startswith("more") else causes.ratio_text(r))
