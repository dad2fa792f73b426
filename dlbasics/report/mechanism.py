"""Part 2's mechanism in the report: the ratios of medians against the factors measured along the recorded
runs (the L2 step factor, the ReLU/sigmoid slope factor), seed by seed and in a table."""
import math

from dlbasics.common.outputs import tex_table
from dlbasics.report import causes, inputs
from dlbasics.report.wording import cell, slower
from dlbasics.study.stats import fmt_pct

LABEL = inputs.LABEL


def beyond_factor(p2, a, b, factor):
    """Seed by seed (mean loss), does setting a need more than `factor` times the iterations of setting b?
    A run that never reached 100 % needs more than the cap (a dead or diverged one: forever), so some of
    those seeds still decide and the rest cannot tell. Returns (shares in %: more, cannot tell; seeds)."""
    runs = {}
    for row in p2.s["runs"]["rows"]:
        if row[1] == p2.lr and row[2] == "mean":
            runs.setdefault(row[0], {})[row[3]] = (row[4], row[5])
    seeds = sorted(set(runs.get(a, {})) & set(runs.get(b, {})))
    more = unknown = 0
    for seed in seeds:
        (ia, sa), (ib, sb) = runs[a][seed], runs[b][seed]
        if sa == "reached" and sb == "reached":
            more += ib > 0 and ia / ib > factor
        elif sb == "reached":                 # a: beyond the cap (or never), so its ratio is above cap / ib
            capped = sa == "censored" and ib > 0 and p2.cap / ib <= factor
            more, unknown = more + (not capped), unknown + capped
        elif sa == "reached":                 # b beyond the cap: a's ratio is below ia / cap
            unknown += ia / p2.cap > factor
        else:
            unknown += 1
    n = len(seeds)
    return (100 * more / n, 100 * unknown / n, n) if n else (math.nan, math.nan, 0)


def exact_mechanism(summary):
    """The factors measured along the recorded runs at full precision (the summary's "mechanism" section,
    which the controls were scaled by); the numbers' two-decimal strings for a summary without it."""
    if summary.get("mechanism"):
        return summary["mechanism"]
    return {k[len("p2 "):]: float(v) for k, v in summary["numbers"].items()
            if k.startswith(("p2 l2 factor ", "p2 slope "))}


def mechanism(p2):
    """The measured ratios of medians against the factors measured along the recorded runs: 1 / (L2's step
    factor) for L2 against CE, the ReLU/sigmoid slope factor for sigmoid against ReLU; and per seed, the
    share of seeds whose ratio is larger than the factor (in the table; the sentence names the point)."""
    n = exact_mechanism(p2.s)
    facts, said = {}, {"loss": [], "activation": []}
    comparisons = [(f"{a}-l2", f"{a}-ce", 1 / n[f"l2 factor {LABEL[a + '-l2']}"], "loss")
                   for a in ("sigmoid", "relu")]
    comparisons += [(f"sigmoid-{k}", f"relu-{k}", n[f"slope {LABEL['relu-' + k]}"] / n[f"slope {LABEL['sigmoid-' + k]}"],
                     "activation") for k in ("l2", "ce")]
    for a, b, factor, kind in comparisons:
        words, measured = slower(p2.median(a), p2.median(b), p2.cap)
        beyond, unknown, seeds = beyond_factor(p2, a, b, factor)
        facts[f"{a}/{b}"] = {"factor": factor, "measured": measured, "beyond_pct": beyond, "unknown_pct": unknown}
        if words:
            said[kind].append((words, factor, measured))
    parts = []
    for kind, what in (("loss", "L2's slowdown against cross-entropy"), ("activation", "the sigmoid's against ReLU")):
        if not said[kind]:
            parts.append(f"{what} cannot be measured (medians beyond the cap)")
            continue
        # a ratio whose slower median is beyond the cap is only a lower bound: it can be shown larger, never smaller
        sides = ["larger" if m > f else "open" if w.startswith("more") else "smaller" for w, f, m in said[kind]]
        if len(set(sides)) == 1:
            verb = {"larger": "is larger than its factor predicts", "smaller": "is smaller than its factor predicts",
                    "open": "cannot be set against its factor"}[sides[0]]
        else:                                  # say each case as it is: one smaller, one only a lower bound...
            how = {"larger": "larger than its factor", "smaller": "smaller than its factor",
                   "open": "a lower bound that cannot be set against it"}
            verb = "is " + " and ".join(f"{how[k]} {'once' if sides.count(k) == 1 else f'{sides.count(k)} times'}"
                                        for k in ("smaller", "larger", "open") if k in sides)
        parts.append(f"{what} {verb} (" + "; ".join(f"{w} against {f:.1f}" for w, f, _ in said[kind]) + ")")
    return "; ".join(parts), facts


def mechanism_table(p2, dest):
    """The factors measured along seed --seed's runs against the ratios of medians, the share of seeds whose
    own ratio is larger than the factor, and the ratio once the control has scaled the step (a table)."""
    n = exact_mechanism(p2.s)
    f = {s: n[f"l2 factor {LABEL[s]}"] for s in p2.settings}
    slope = {s: n[f"slope {LABEL[s]}"] for s in p2.settings}
    controls = {(c["setting"], c["reference_setting"]): c for c in p2.s.get("controls", [])}
    rows = []
    for a, b, factor, what in [(f"{x}-l2", f"{x}-ce", 1 / f[f"{x}-l2"], "1 / step factor") for x in ("sigmoid", "relu")] + \
            [(f"sigmoid-{k}", f"relu-{k}", slope[f"relu-{k}"] / slope[f"sigmoid-{k}"], "slope factor") for k in ("l2", "ce")]:
        more, unknown, seeds = beyond_factor(p2, a, b, factor)
        control = controls.get((a, b), {})
        rows.append([f"{LABEL[a]} / {LABEL[b]}".replace("sigmoid", "sig."), what, f"{factor:.2f}", cell(slower(p2.median(a), p2.median(b), p2.cap)),
                     "--" if not seeds else f"{fmt_pct(more)}\\,\\%" if not unknown else
                     f"{fmt_pct(more)}--{fmt_pct(more + unknown)}\\,\\%",
                     causes.ratio_text(control["ratio"]) if control and math.isfinite(control["ratio"]) else "--"])
    if dest is not None:
        dest.write("claims_mechanism.tex", tex_table(["ratio", "what", "factor", "medians", "seeds above",
                                                     "control"], rows, align="llrrrr"))
    return {"l2_factor": f, "slope": slope}
