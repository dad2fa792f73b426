"""The report's sentences that depend on the results, written from the scripts' and studies' summaries.

    python -m dlbasics.report.claims DIR       (make report): DIR/claims.tex and DIR/claims.json, and the TeX
                                        made from the scripts' own outputs (dlbasics/report/inputs.py)

Every comparison the report's prose makes about the runs comes from here, worded by what the numbers
say: if a rerun (other data, other seeds) flips a comparison, the sentence flips with it.
claims.json keeps the facts behind each sentence; tests/test_claims.py recomputes them from the runs.
"""
import json
import math
import re
import sys
from pathlib import Path

from dlbasics.common.cli import Parser, UserError, folder, run_main
from dlbasics.common.data import origin
from dlbasics.common.outputs import Outputs, clean, tex_macros, tex_table
from dlbasics.common.paths import ROOT
from dlbasics.report import answers, author, causes, inputs, provenance, rounding
from dlbasics.study.stats import SIGNIFICANT, fmt_pct
from dlbasics.study.tables import fmt_ci, fmt_coverage, tie_note

CLOSE = causes.CLOSE   # two medians within this factor of each other: about as fast

LABEL = inputs.LABEL
NAME = {"sigmoid": "sigmoid", "relu": "ReLU"}


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


class Part2:
    """The part 2 study at its main learning rate (part2_study_summary.json), and the script's runs of its
    seed (part2_summary.json, `seed_runs`)."""

    def __init__(self, summary, seed_runs):
        self.s, self.lr, self.cap = summary, summary["settings"]["lr"], summary["settings"]["max_iters"]
        self.seed_runs = seed_runs
        self.g = {(g["setting"], g["reduction"]): g for g in summary["groups"] if g["lr"] == self.lr}
        self.settings = [s for s in LABEL if (s, "mean") in self.g]

    def median(self, setting, red="mean"):
        return self.g[(setting, red)]["median"]

    def order(self, red):
        reached = [s for s in self.settings if math.isfinite(self.median(s, red))]
        return sorted(reached, key=lambda s: self.median(s, red))


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


def beyond_words(more, unknown, factor):
    if unknown:
        return (f"between {fmt_pct(more)}\\,\\% and {fmt_pct(more + unknown)}\\,\\% of the seeds need more than "
                f"{factor:.2f} times as many (on {fmt_pct(unknown)}\\,\\% the cap comes first)")
    return f"{fmt_pct(more)}\\,\\% of the seeds need more than {factor:.2f} times as many"


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


def gradient_start(p2):
    """First-layer gradient norms along seed --seed's runs (mean loss), sigmoid against ReLU units: at
    the start, and their median ratio over iterations 10 to 100 (the mechanism's numbers)."""
    g = {r["setting"]: r["curve_points"]["grad_norm_W"]["0"] for r in p2.s["single_runs"]
         if r["reduction"] == "mean" and r["lr"] == p2.lr}
    start = {k: g[f"relu-{k}"] / g[f"sigmoid-{k}"] for k in ("l2", "ce")}
    exact = p2.s.get("mechanism", {})                 # full precision; the numbers' strings are rounded already
    early = {k: float(exact.get(f"grad ratio early {k}", p2.s["numbers"].get(f"p2 grad ratio early {k}", "nan")))
             for k in ("l2", "ce")}
    def sized(ratios):
        said = {k: f"{times(r if r > 1 else 1 / r)} {'smaller' if r > 1 else 'larger'}" for k, r in ratios.items()}
        if len(set(said.values())) == 1:
            return f"{said['l2']} under either loss"
        return " and ".join(f"{v} under {'L2' if k == 'l2' else 'cross-entropy'}" for k, v in said.items())
    text = f"at the start, the first layer's gradient is {sized(start)} with sigmoid units than with ReLUs"
    if all(math.isfinite(v) for v in early.values()):
        text += f"; over iterations 10 to 100 it is {sized(early)} (the median ratio)"
        later = [k for k in ("l2", "ce") if early[k] < 1]
        if later:
            text += ": then the sigmoid net has the larger first-layer gradient, so gradient size alone does not explain"\
                    " its slowness"
    return text, {"relu_over_sigmoid_at_0": start, "relu_over_sigmoid_10_100": early}


def weight_moves(p2):
    """Seed 0, mean loss: do the L2 and CE runs move the first layer in the same direction?"""
    n = {**{k[len("p2 "):]: v for k, v in p2.s["numbers"].items() if k.startswith("p2 ")}, **p2.s.get("mechanism", {})}
    cos = {a: float(n[f"weights cosine {a}"]) for a in ("sigmoid", "ReLU") if f"weights cosine {a}" in n}
    same = all(c >= 0.9 for c in cos.values())
    text = (f"An observation on seed {p2.s['settings']['seed']} alone: " +
            ("the L2 and the cross-entropy run move the first layer the same way" if same else
             "the L2 and the cross-entropy run do not move the first layer the same way"))
    text += " (cosine " + ", ".join(f"{c:.2f} with {a} units" for a, c in cos.items()) + ")"
    if same:
        text += ": on this seed the loss changes how fast the first layer moves, hardly where"
    return text, {"cosine": cos, "same_direction": same}


def orders_differ(p2):
    """Do the mean and the sum rank the settings that reach 100 % under both alike? Settings beyond the cap
    under one convention drop out of the comparison; neighbours the seeds cannot tell apart (the paired
    sign test, Bonferroni-corrected p >= SIGNIFICANT) are a tie, not a rank."""
    a, b = p2.order("mean"), p2.order("sum")
    common = [x for x in a if x in b]
    dropped = [x for x in a if x not in b]
    surviving = {LABEL[x] for x in common}
    m = sum(1 for r in p2.s["numbers"]["pairs"] if r["reduction"] == "sum")     # Bonferroni, as pairs() tests
    ties = [(r["a"], r["b"]) for r in p2.s["numbers"]["pairs"] if r["reduction"] == "sum"
            and r["p_value"] * m >= SIGNIFICANT and {r["a"], r["b"]} <= surviving]
    same = common == [x for x in b if x in common]
    text = (("under the sum " + " and ".join(LABEL[x] for x in dropped) + " drop" + ("s" if len(dropped) == 1 else "")
             + " out (median beyond the cap), and " if dropped else "") +
            (f"the {'other ' if dropped else ''}settings keep the same order" if same else
             "the settings that reach 100\\,\\% under both conventions are ranked differently"))
    if ties:
        text += " (under the sum the seeds cannot tell apart " + "; ".join(f"{x} and {y}" for x, y in ties) + ")"
    return text, {"mean": a, "sum": b, "dropped": dropped, "same_order": same, "ties": ties}


def script_vs_study(p2):
    """The runs the script's own loop made (seed --seed's, part2_summary.json, and the traced runs, which are
    that loop too) against the same runs in the study (its engine, many seeds at once, summing in another
    order): how many agree count for count, and whether those that differ lie in cells whose twins move
    (the summary's sensitivity section)."""
    seed, lr = p2.seed_runs["settings"]["seed"], p2.seed_runs["settings"]["lr"]
    study = {tuple(r[:4]): (r[4], r[5]) for r in p2.s["runs"]["rows"]}
    moving = {(c["setting"], c["lr"], c["reduction"]) for c in p2.s.get("sensitivity", {}).get("cells", [])
              if c["sensitive"]}
    mine = {(r["setting"], r["lr"], r["reduction"], r["seed"]): (r["iterations"], r["status"])
            for r in p2.seed_runs["single_runs"] if r["lr"] == lr}
    mine |= {(t["setting"], t["lr"], t["reduction"], t["seed"]): (t["iterations"], t["status"])
             for t in p2.s.get("stability", [])}
    pairs = [(k, a, study[k]) for k, a in sorted(mine.items()) if k in study]
    differ = [(k, a, b) for k, a, b in pairs if a != b]
    text = (f"Of the {len(pairs)} runs that the script's own loop made (seed {seed}'s and the traced ones), "
            f"{len(pairs) - len(differ)} end as in the study")
    if differ:
        mark = {k: "$^\\dagger$" if k[:3] in moving else "" for k, _, _ in differ}     # counts that twins move
        said = "; ".join(f"{LABEL[k[0]]} ({k[2]}, lr {k[1]:g}, seed {k[3]}) ends at {a[0]}{mark[k]} in the script's "
                         f"loop and {b[0]}{mark[k]} in the study" + (f" ({a[1]} against {b[1]})" if a[1] != b[1] else "")
                         for k, a, b in differ)
        inside = all(k[:3] in moving for k, *_ in differ)
        text += (": " + said + (", each in a cell whose twins move (Table~\\ref{tab:sensitivity})" if inside else
                                ", not all in cells whose twins move"))
    return text, {"agree": len(pairs) - len(differ), "of": len(pairs),
                  "differ": [(k, a, b) for k, a, b in differ],
                  "differ_in_sensitive_cells": all(k[:3] in moving for k, *_ in differ)}


def prediction_check(p2):
    """Part 1's predictions (with the same activation, CE needs fewer iterations than L2; sigmoid + L2 is the
    slowest) against the medians, under the mean loss (the handout's runs) and under the sum."""
    verdicts, facts = {}, {}
    for red in ("mean", "sum"):
        med = {s: p2.median(s, red) for s in p2.settings}
        holds = [a for a in ("sigmoid", "relu") if med[f"{a}-ce"] < med[f"{a}-l2"]]
        slowest = max(p2.settings, key=lambda s: (med[s], s == "sigmoid-l2"))   # ties: the prediction's own
        facts[red] = {"ce_faster_with_both": len(holds) == 2, "ce_faster_with": holds, "slowest": slowest}
        second = ("the second holds too" if slowest == "sigmoid-l2" else
                  f"the slowest setting is {LABEL[slowest]}, not sigmoid + L2")
        if not any(math.isfinite(med[f"{a}-ce"]) for a in ("sigmoid", "relu")):
            verdicts[red] = "cannot check the predictions (no cross-entropy median is a number)"
        elif len(holds) == 2:
            verdicts[red] = ("confirm both predictions" if slowest == "sigmoid-l2" else
                             f"confirm the first prediction, but {second}")
        elif holds:
            other = ({"sigmoid", "relu"} - set(holds)).pop()
            verdicts[red] = (f"confirm the first prediction with {NAME[holds[0]]} only ({NAME[other]}'s "
                             f"cross-entropy is the slower), and {second}")
        else:
            verdicts[red] = f"contradict the first prediction with both activations, and {second}"
    if verdicts["mean"] == verdicts["sum"]:
        return f"under either loss reduction the medians {verdicts['mean']}", facts
    return f"under the mean loss the medians {verdicts['mean']}; under the sum they {verdicts['sum']}", facts


def sum_effect(p2):
    failed = [s for s in p2.settings if not math.isfinite(p2.median(s, "sum"))]
    parts = []
    for s in failed:
        g = p2.g[(s, "sum")]
        why = [f"{fmt_pct(g['stuck_pct'])}\\,\\% die" if g["stuck_pct"] else "",
               f"{fmt_pct(g['diverged_pct'])}\\,\\% diverge" if g["diverged_pct"] else ""]
        parts.append(f"{LABEL[s]} ({', '.join(w for w in why if w) + ', ' if any(why) else ''}"
                     f"{fmt_pct(g['reached_pct'])}\\,\\% reach 100\\,\\%)")
    text = ("every setting still reaches 100\\,\\% in most seeds" if not failed else
            "the median of " + " and ".join(parts) + " lies beyond the cap")
    if any(p2.g[(s, "sum")]["stuck_pct"] for s in failed):
        text += ". A dead net's hidden ReLUs are all 0 for every image, so no gradient reaches its first layer again"
    (mean_w, mean_r), (sum_w, sum_r) = (slower(p2.median("sigmoid-l2", red), p2.median("sigmoid-ce", red), p2.cap)
                                        for red in ("mean", "sum"))
    moved = answers.sensitive_cells(p2)              # a ratio from a cell whose twins moved carries its dagger
    mark = {red: "$^\\dagger$" if {("sigmoid-l2", red), ("sigmoid-ce", red)} & set(moved) else "" for red in ("mean", "sum")}
    if mean_w is None or sum_w is None:
        adv = ("With sigmoid units, the two losses cannot be compared under both reductions (cross-entropy's median "
               "is beyond the cap)")
    elif mean_w.startswith("more") or sum_w.startswith("more"):
        adv = (f"With sigmoid units, L2 takes {mean_w}{mark['mean']} as many iterations as cross-entropy under the mean "
               f"and {sum_w}{mark['sum']} under the sum (``more than'': L2's median is beyond the cap)")
    else:
        verb = "reverses" if sum_r < 1 else "shrinks" if sum_r < mean_r else "grows"
        adv = (f"With sigmoid units, cross-entropy's lead over L2 {verb} from {times(mean_r)}{mark['mean']} (mean) to "
               f"{times(sum_r)}{mark['sum']} (sum)")
    return (text, adv), {"failed_under_sum": failed, "sigmoid_l2_over_ce": {"mean": mean_r, "sum": sum_r}}


def lr_scaling(p2):
    """Under the mean loss: exponent k of median ~ lr^-k per setting, over the lrs where its median is finite
    (named per setting when that is not the whole sweep)."""
    from dlbasics.study.stats import power_law, quantile
    lrs = sorted({g["lr"] for g in p2.s["groups"]})
    common = p2.s["settings"].get("sweep_seeds") or min(g["seeds"] for g in p2.s["groups"])   # the seeds every lr ran
    cells = {}
    for setting, lr, red, seed, iterations, status, *_ in p2.s["runs"]["rows"]:
        if red == "mean" and seed < common:
            cells.setdefault((setting, lr), []).append(iterations if status == "reached" else math.inf)
    med = {key: {"median": quantile(values, 0.5)} for key, values in cells.items()}
    fits = {s: power_law(lrs, [med[(s, lr)]["median"] for lr in lrs]) for s in p2.settings}
    good = [s for s, (k, used) in fits.items() if len(used) >= 3 and abs(k - 1) <= 0.1]
    bad = [s for s in p2.settings if s not in good]
    facts = {"lrs": lrs, "fits": fits, "follow_1_over_lr": good}
    if len(lrs) < 2:
        return "the sweep has a single learning rate", facts
    if not any(len(used) >= 2 for _, used in fits.values()):
        return (f"over learning rates {lrs[0]:g} to {lrs[-1]:g} no setting has a median that is a number at two "
                "learning rates or more, so no exponent can be fitted", facts)

    def span(s):
        used = fits[s][1]
        return "" if used == lrs else f", fitted over lr {used[0]:g} to {used[-1]:g} where its median is a number"

    text = f"over learning rates {lrs[0]:g} to {lrs[-1]:g} (on the {common} seeds every learning rate ran), "
    if good:
        text += ("the fitted exponent $k$ in iterations $\\propto \\mathrm{lr}^{-k}$ is " +
                 ", ".join(f"{fits[s][0]:.2f} for {LABEL[s]}" + (f" ({span(s)[2:]})" if span(s) else "") for s in good) + ": iterations scale as 1/lr")
    for s in bad:
        k, used = fits[s]
        if len(used) < 3:
            text += (f"; {LABEL[s]} has too few medians that are numbers for a fit" if len(used) < 2 else
                     f"; {LABEL[s]} has an exponent of {k:.2f} from two learning rates only")
            continue
        last = used[-2:]
        text += (f"; {LABEL[s]} breaks the rule (exponent {k:.2f}{span(s)}"
                 f"; its median is {num(med[(s, last[0])]['median'])} at lr {last[0]:g} and "
                 f"{num(med[(s, last[1])]['median'])} at lr {last[1]:g})")
    return text.replace(", ; ", ": "), facts


def pairs(p2):
    """Neighbours in each ranking, seed by seed: distinguishable when the sign test's p, multiplied by the
    number of neighbours compared under that reduction (Bonferroni), is below SIGNIFICANT. The seeds are
    initialisations of one fixed dataset: the test says nothing about other data."""
    rows = p2.s["numbers"]["pairs"]
    texts, facts = {}, {}
    for red in ("mean", "sum"):
        mine = [r for r in rows if r["reduction"] == red]
        m = len(mine)
        close = [r for r in mine if r["p_value"] * m >= SIGNIFICANT]
        facts[red] = [(r["a"], r["b"], r["a_faster_pct"], r["p_value"], min(1.0, r["p_value"] * m)) for r in mine]
        if not mine:
            texts[red] = "there is nothing to compare"
        elif not close:
            worst = min(r["a_faster_pct"] for r in mine)
            share = "every seed" if worst == 100 else f"at least {answers.at_least_pct(worst)}\\,\\% of the seeds"
            texts[red] = f"each setting needs fewer iterations than the next on {share}, and the sign test tells every gap from chance"
        else:
            texts[red] = ("the seeds cannot tell apart " + "; ".join(
                f"{r['a']} and {r['b']} (the first faster on {fmt_pct(r['a_faster_pct'])}\\,\\% of the seeds, the "
                f"second on {fmt_pct(r['b_faster_pct'])}\\,\\%)" for r in close) +
                ("; the sign test tells every other gap from chance" if len(close) < m else ""))
    return texts, facts


def plateau(p2):
    """Where seed --seed's accuracy curves wait: do all four first sit at the majority share, and on it,
    do the nets predict the majority label for every image (or for all but how many)?"""
    n = p2.s["numbers"]
    shares = p2.s["data"]["class_counts"]
    images = sum(shares)
    majority = 0 if shares[0] >= shares[1] else 1
    lengths = {s: int(n[f"p2 plateau {LABEL[s]}"]) for s in p2.settings}
    none = float(n["p2 plateau predicts 1"]) == (0.0 if majority == 0 else 1.0)
    waiting = [s for s in p2.settings if lengths[s] > 0]
    text = ("Every accuracy curve of seed " if len(waiting) == len(p2.settings) else         # starts a sentence
            ("The accuracy curves of " + ", ".join(LABEL[s] for s in waiting) + " (not the others) of seed " if waiting
             else "No accuracy curve of seed "))
    text += (f"{p2.s['settings']['seed']} sits at {n['p2 majority pct']}\\,\\%, the share of the majority label, for "
             "a while" if waiting else f"{p2.s['settings']['seed']} stops at the majority share")
    other = float(n["p2 plateau predicts 1"]) if majority == 0 else 1 - float(n["p2 plateau predicts 1"])
    most = math.ceil(round(other * images, 6))            # a largest count: rounded up, never below itself
    return (text, (f"predict label {majority} for every image, the best any constant prediction can do; only "
                   "afterwards do they learn the rule") if none else
            (f"predict label {majority} for all but at most {most} of the {images} images before they learn "
             "the rule")), {"majority_label": majority, "all_majority": none, "waiting": waiting,
                            "minority_share": other, "minority_images": most}


def cell(words):
    text, r = words
    return "--" if text is None else (f"$>${causes.bound(r)}" if text.startswith("more") else causes.ratio_text(r))


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


def group(summary, setting, red="mean"):
    return next(g for g in summary["groups"] if g["setting"] == setting and g["reduction"] == red)


def endings(g):
    """How the runs of a group that did not reach 100 % ended."""
    parts = [f"{fmt_pct(g['stuck_pct'])}\\,\\% die" if g["stuck_pct"] else "",
             f"{fmt_pct(g['diverged_pct'])}\\,\\% diverge" if g["diverged_pct"] else "",
             f"{fmt_pct(g['reached_pct'])}\\,\\% reach 100\\,\\%"]
    other = round(100 - g["stuck_pct"] - g["diverged_pct"] - g["reached_pct"], 6)
    if other > 0:
        parts.append(f"{fmt_pct(other)}\\,\\% are still short of it at the cap")
    return ", ".join(p for p in parts if p)


def study_values(summary, column="iterations", reduction="mean"):
    """Each seed's count under `reduction` from a study's runs (+inf where the event never came)."""
    cols = summary["runs"]["columns"]
    rows = [dict(zip(cols, r)) for r in summary["runs"]["rows"] if dict(zip(cols, r))["reduction"] == reduction]
    if column == "iterations":
        return [r["iterations"] if r["status"] == "reached" else math.inf for r in rows]
    return [math.inf if r[column] is None else r[column] for r in rows]


def detection(det, line):
    """The classification head's first 100 % against the line net: different nets on different images, so
    unpaired, and an observation: a two-sided Mann-Whitney test (scipy.stats) over the seeds, that is over
    initialisations, decides whether they differ at all."""
    from scipy.stats import mannwhitneyu
    cls, reg, lg = group(det, "classification"), group(det, "regression"), group(line, "line")
    ln = lg["median"]
    c = cls["median"]
    a, b = study_values(det, "classification"), study_values(line)
    result = mannwhitneyu(a, b, alternative="two-sided")      # exact without ties, else the normal approximation
    p, ties = float(result.pvalue), len(set(a) | set(b)) < len(a) + len(b)
    if math.isfinite(c) and math.isfinite(ln):
        r = c / ln
        speed = ("about as fast as" if 1 / CLOSE <= r <= CLOSE else
                 f"{times(1 / r)} faster than" if r < 1 else f"{times(r)} slower than")
        vs = (f"is {speed} the line task (median {num(c)} against {num(ln)} updates; two-sided Mann--Whitney "
              f"{causes.p_text(p)}{', normal approximation' if ties else ''}, over the seeds' starting weights; "
              "other images and another net, so an observation)")
        if p >= SIGNIFICANT and speed != "about as fast as":
            vs = (f"cannot be told apart from the line task (median {num(c)} against {num(ln)} updates, two-sided "
                  f"Mann--Whitney $p = {p:.2g}$, not below {SIGNIFICANT:g})")
    else:
        vs = "cannot be compared with the line task (a median beyond the cap)"
    longer = ratio(reg["median"], c)
    reg_text = (f"the regression needs {times(longer)} as many updates as the first 100\\,\\% classification"
                if math.isfinite(longer) else "the regression does not reach 100\\,\\% in most seeds")
    return (vs, reg_text), {"cls_over_line": ratio(c, ln), "reg_over_cls": longer, "mann_whitney_p": p}


def comparison_table(p2, line, det, dest):
    """Part 2 vs 3.1 vs 3.2 under the mean loss: iterations to 100 % over each study's seeds, with each
    median's exact interval and that interval's coverage (it depends on the number of seeds)."""
    from dlbasics.study.stats import fmt_iters
    rows = [(f"2: {LABEL[s]}", p2.g[(s, "mean")]) for s in p2.settings]
    rows += [("3.1: line", group(line, "line")), ("3.2: classification", group(det, "classification")),
             ("3.2: regression", group(det, "regression"))]
    cap = p2.cap
    dest.write("claims_comparison.tex", tex_table(["experiment (mean loss)", "seeds", "median", "interval", "coverage",
                                                   "$Q_1$", "$Q_3$", "reached"],
                    [[name, g["seeds"], fmt_iters(g["median"], cap, True),
                      fmt_ci(g, cap, True),
                      f"{fmt_coverage(g['ci_coverage'])}\\,\\%",
                      fmt_iters(g["q1"], cap, True), fmt_iters(g["q3"], cap, True),
                      f"{fmt_pct(g['reached_pct'])}\\,\\%"] for name, g in rows], align="lrrrrrrr",
                    notes=tie_note(rows)))


def datasets(study2, line, det):
    """What the three datasets of this build are, by origin: the bundled ones are ours (we know their rule),
    the course's are described by its files' meaning, others are taken to mean the same."""
    origins = [origin(s["data"]["sha256"]) for s in (study2, line, det)]
    zeros, ones = study2["data"]["class_counts"]
    random = {"bundled": "a hidden linear rule $a\\cdot x > t$, with a margin around the boundary, decides the label",
              "course": "the course's labels", "user-supplied": "user-supplied labels"}[origins[0]]
    sep = study2["numbers"].get("p2 separable") == "yes"
    text = {"data random": f"64 binary $4\\times4$ images; {random}" .replace("64", str(zeros + ones), 1) +
            (". A linear program finds a plane that separates the two classes, so a 16-4-1 net can reach 100\\,\\%"
             if sep else ". No plane separates the two classes (a linear program finds none)")}
    for name, s, kind in (("line", line, origins[1]), ("detection", det, origins[2])):
        text[f"data {name}"] = {"bundled": "made by our generator", "course": "the course's files",
                                "user-supplied": "user-supplied files, read with the course's meaning"}[kind]
    return text, {"origins": origins, "separable": sep}


def part_one(out):
    """Question 1.6's prediction, measured by part 1's gradient descent from the saturated start."""
    n = json.loads((out / "part1_numbers.json").read_text())
    ce, l2 = n["gd_ce_steps"], n["gd_l2_steps"]
    text = (f"cross-entropy gets there in {ce} steps and L2 in {l2}, " +
            (f"{l2 / max(ce, 1):.0f} times as many: the prediction holds" if l2 > ce else
             "no more than cross-entropy: the prediction fails here"))
    if max(ce, l2) > n["gd_cap"]:
        text = f"at least one loss does not get there within {n['gd_cap']} steps (L2 {l2}, cross-entropy {ce})"
    return text, {"ce_steps": ce, "l2_steps": l2}


def build(out, dest=None):
    """The claims from the summaries in `out`; written through `dest` (a staged Outputs) when given."""
    script2, study2 = inputs.read_pair(out, "part2_summary.json")
    p2 = Part2(study2, script2)
    line = inputs.read_pair(out, "part3_line_summary.json")[1]
    det = inputs.read_pair(out, "part3_detection_summary.json")[1]
    texts, facts = {}, {}
    for name, fn in (("mechanism", mechanism), ("gradient start", gradient_start), ("orders differ", orders_differ),
                     ("weight moves", weight_moves), ("prediction check", prediction_check), ("lr scaling", lr_scaling),
                     ("script vs study", script_vs_study)):
        texts[name], facts[name] = fn(p2)
    (texts["plateau all"], texts["plateau"]), facts["plateau"] = plateau(p2)
    (texts["sum failures"], texts["sum ce lead"]), facts["sum"] = sum_effect(p2)
    pair_texts, facts["pairs"] = pairs(p2)
    texts |= {f"pairs {red}": t for red, t in pair_texts.items()}
    d_texts, facts["data"] = datasets(study2, line, det)
    texts |= d_texts
    texts["part one gd"], facts["part one gd"] = part_one(out)
    texts["line sum endings"] = endings(group(line, "line", "sum"))
    (texts["det cls vs line"], texts["det reg vs cls"]), facts["detection"] = detection(det, line)
    texts["det sum endings"] = endings(group(det, "regression", "sum"))
    origins = {"part~2": origin(p2.s["data"]["sha256"]), "part~3.1": origin(line["data"]["sha256"]),
               "part~3.2": origin(det["data"]["sha256"])}
    name = {"course": "the course's original files", "bundled": "the bundled datasets",
            "user-supplied": "user-supplied files"}
    texts["data origin"] = (f"{name[origins['part~2']]} for all three parts" if len(set(origins.values())) == 1 else
                            ", ".join(f"{name[o]} for {p}" for p, o in origins.items()))
    texts["seeds"] = (f"{num(p2.g[(p2.settings[0], 'mean')]['seeds'])} seeds per setting and loss reduction in "
                      f"part~2, {group(line, 'line')['seeds']} for the line net and "
                      f"{group(det, 'regression')['seeds']} for the detection net")
    for name, summary in (("line", line), ("detection", det)):
        cover = sorted({fmt_coverage(g["ci_coverage"]) for g in summary["groups"] if "ci_coverage" in g})
        texts[f"coverage {name}"] = "exact intervals, coverage " + " or ".join(f"{c}\\,\\%" for c in cover)
    r_texts, r_facts = rounding.build([study2, line, det], study2.get("stability", []), dest)
    c_texts, c_facts = causes.build(study2, line, det, dest)
    texts, facts = texts | r_texts | c_texts, facts | r_facts | {"controls": c_facts}
    facts["mechanism table"] = mechanism_table(p2, dest)
    answers_, facts["answers"] = answer_texts(out, p2, dest)
    if dest is not None:
        comparison_table(p2, line, det, dest)
        dest.write("claims.tex", tex_macros({f"claim {k}": v for k, v in texts.items()} |
                                            {f"ans {k}": v for k, v in answers_.items()}))
        dest.json("claims.json", clean({"texts": texts, "answers": answers_, "facts": facts}))
    return texts | {f"ans {k}": v for k, v in answers_.items()}, facts


def answer_texts(out, p2, dest):
    """The submission's answers (dlbasics/report/answers.py) and part 2's table, from the same summaries."""
    line_seed, line = inputs.read_pair(out, "part3_line_summary.json")
    det_seed, det = inputs.read_pair(out, "part3_detection_summary.json")
    texts, facts = {}, {}
    for name, fn in (("order", answers.order), ("loss", answers.loss), ("activation", answers.activation),
                     ("together", answers.together)):
        texts[name], facts[name] = fn(p2)
    texts["line"], facts["line"] = answers.line(p2, line, line_seed)
    texts["detection"], facts["detection"] = answers.detection(det, det_seed, line, reg_accuracy(out))
    texts["part two coverage"], texts["sensitive note"], facts["table"] = answers.part2_table(p2, dest)
    return texts, facts


def reg_accuracy(out):
    """The script's regression accuracy of its seed at every iteration (part3_detection_curves.csv)."""
    provenance.check_used(out, ["part3_detection_curves.csv"])      # from the run whose summary the report quotes
    rows = (out / "part3_detection_curves.csv").read_text().splitlines()
    column = rows[0].split(",").index("reg_acc")
    return [float(r.split(",")[column]) for r in rows[1:] if r.split(",")[column]]


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.report.claims", description=__doc__)
    parser.add_argument("out_dir", type=folder, metavar="DIR", help="the folder of the scripts' outputs")
    parser.add_argument("--author-file", type=Path, default=author.AUTHOR_FILE,
                        help="the author, collaborators and Penn key (default: report/author.txt)")
    args = parser.parse_args(argv)
    write_report_inputs(args.out_dir, args.author_file)


def write_report_inputs(out_dir, author_file=author.AUTHOR_FILE):
    """Every TeX file the two documents \\input, into out_dir: the runs' numbers and sentences, the author
    line and the PDF's record of what it is built from. Returns the names written."""
    missing = [n for n in (*inputs.PAIRS, *(p[1] for p in inputs.PAIRS.values()), "part1_numbers.json")
               if not (out_dir / n).is_file()]
    if missing:
        raise UserError(f"DIR {out_dir}: expected the scripts' and studies' outputs, {missing[0]} is missing "
                        "(run make figures)")
    check_beyond(out_dir)
    check_sections(out_dir)
    found = author.read_author(author_file)
    with Outputs(out_dir) as dest:
        write_inputs(out_dir, dest)
        dest.write("author.tex", author.author_macros(author_file))
        dest.write("pdfinfo.tex", provenance.pdf_info(provenance.build_record(out_dir, found)))
        made = sorted(dest.record()["outputs"])
    return made


def write_inputs(out, dest):
    """Every input of the report made from the runs in `out` (not the author line), through `dest`."""
    inputs.write_all(out, dest)
    with inputs.about(f"{out}/part2_study_summary.json, part3_line_study_summary.json or "
                      "part3_detection_study_summary.json"):
        build(out, dest)


def check_sections(out_dir):
    """The report argues from every study's controlled experiments and from part 2's traced runs: refuse, in
    one line, outputs of studies run without them (--control-seeds 0, --traces 0)."""
    for name, key, flag in (("part2_study_summary.json", "controls", "--control-seeds 0"),
                            ("part2_study_summary.json", "stability", "--traces 0"),
                            ("part3_line_study_summary.json", "controls", "--control-seeds 0"),
                            ("part3_detection_study_summary.json", "controls", "--control-seeds 0")):
        try:
            summary = json.loads((out_dir / name).read_text())
        except (OSError, ValueError):
            continue                          # unreadable: inputs.about names the file and the fault
        if not isinstance(summary, dict) or "script" not in summary:
            continue                          # not a study's summary at all: the loader says so
        if not summary.get(key):
            raise UserError(f"{out_dir / name}: no {'traced runs' if key == 'stability' else 'controlled experiments'}"
                            f" in it (run with {flag}), and the report needs them: rerun make figures")


def check_beyond(out_dir):
    """The report includes the beyond section when DIR/beyond_numbers.tex exists: refuse one that lacks
    a macro the section uses (written by an older version), rather than let LaTeX fail on it."""
    numbers = out_dir / "beyond_numbers.tex"
    section = ROOT / "report" / "beyond.tex"
    if not numbers.is_file() or not section.is_file():
        return
    defined = set(re.findall(r"\\newcommand\{\\(Beyond[A-Za-z]+)\}", numbers.read_text()))
    missing = sorted(set(re.findall(r"\\(Beyond[A-Za-z]+)", section.read_text())) - defined)
    if missing:
        raise UserError(f"{numbers}: written by an older version (no \\{missing[0]}); rerun make beyond, "
                        f"or delete the beyond_* files")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
