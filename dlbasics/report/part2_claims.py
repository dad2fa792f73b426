"""The report's sentences on part 2's study: the order of the settings, the sum against the mean, the
learning rates, the plateaus, and the script's seed against the study, each worded by what the numbers say."""
import math

from dlbasics.report import answers, inputs
from dlbasics.report.wording import num, slower, times
from dlbasics.study.stats import SIGNIFICANT, fmt_pct

LABEL = inputs.LABEL
NAME = {"sigmoid": "sigmoid", "relu": "ReLU"}


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
