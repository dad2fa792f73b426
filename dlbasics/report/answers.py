"""The submission's answers (report/report.tex): the few sentences that answer each of the handout's
questions, and part 2's one table, written from the same summaries as the companion's claims.

Each answer says its point first, in plain words, with only the numbers that decide it, rounded to what
the point needs; the statistics stay in the tables. Every sentence is worded by what the numbers say, so
it stays true on other data; tests/test_claims.py recomputes the facts behind each.
"""
import math

from dlbasics.common.outputs import fmt_int, two_level_table
from dlbasics.report import causes
from dlbasics.study.stats import SIGNIFICANT, fmt_iters, fmt_pct
from dlbasics.study.tables import fmt_ci, fmt_coverage, tie_note

LABEL = causes.NAMES
CLOSE = causes.CLOSE


x = causes.times                 # one format for a ratio in both documents


def both(values, fmt, what="either"):
    """'0.40 with either activation' when the two print alike, else '0.40 and 0.38'."""
    shown = [format(v, fmt) for v in values]
    return f"{shown[0]} with {what}" if len(set(shown)) == 1 and len(shown) > 1 else " and ".join(shown)


def count(run, cap):
    """A run's iterations as a sentence says them: '227', 'more than 10,000 (censored)', 'dead at 11'."""
    n = fmt_int(run[0])
    return {"reached": n, "censored": f"more than {fmt_int(cap)} (censored)", "stuck": f"dead at {n}",
            "diverged": f"diverged at {n}"}[run[1]]


def seed_runs(p2, red="mean"):
    """{setting: (iterations, status)} of the script's runs of its seed under `red` at the study's lr."""
    return {r["setting"]: (r["iterations"], r["status"]) for r in p2.seed_runs["single_runs"]
            if r["reduction"] == red and r["lr"] == p2.lr}


def order(p2):
    """Seed --seed's four counts in order, and whether the study's medians and its neighbours agree."""
    runs, cap, seed = seed_runs(p2), p2.cap, p2.seed_runs["settings"]["seed"]
    ranked = sorted(runs, key=lambda s: (runs[s][1] != "reached", runs[s][0]))
    reached = [s for s in ranked if runs[s][1] == "reached"]
    said = [f"{fmt_int(runs[s][0])} with {LABEL[s]}" for s in reached]
    text = (f"Seed {seed} reaches 100\\,\\% after {said[0].replace(' with', ' iterations with', 1)}"
            + "".join(f", {x}" for x in said[1:-1]) + (f" and {said[-1]}" if len(said) > 1 else "")
            if said else f"Seed {seed} reaches 100\\,\\% with no setting")
    others = [s for s in ranked if runs[s][1] != "reached"]
    if others:
        text += "; " + " and ".join(f"{LABEL[s]} {count(runs[s], cap).replace('more than', 'is still short at')}"
                                    .replace(" (censored)", "").replace("dead at", "dies at")
                                    .replace("diverged at", "diverges at") for s in others)
    medians = p2.order("mean")
    seeds = fmt_int(p2.g[(p2.settings[0], "mean")]["seeds"])
    pairs = [r for r in p2.s["numbers"]["pairs"] if r["reduction"] == "mean"]
    ties = [r for r in pairs if r["p_value"] * len(pairs) >= SIGNIFICANT]
    text += (f". Under the mean loss, the medians over {seeds} seeds rank them alike" if reached == medians else
             f". Under the mean loss, the medians over {seeds} seeds rank them " +
             " $<$ ".join(LABEL[s] for s in medians))
    if pairs and not ties:
        worst = min(r["a_faster_pct"] for r in pairs)
        text += (", each setting beating the next on " +
                 ("every seed" if worst == 100 else f"at least {at_least_pct(worst)}\\,\\% of the seeds"))
    elif ties:
        text += ", but the seeds cannot tell " + "; ".join(f"{r['a']} and {r['b']}" for r in ties) + " apart"
    return text, {"seed_order": reached, "median_order": medians, "ties": [(r["a"], r["b"]) for r in ties]}


def at_least_pct(value):
    """A share as a lower bound: rounded down to one decimal (99.96 is 'at least 99.9', never 100)."""
    down = math.floor(10 * value + 1e-9) / 10
    return f"{down:.0f}" if down == int(down) else f"{down:.1f}"


def verdict(words):
    """A control's result (causes.gap_closed's words) as (a short clause about the gap, its kind:
    all, part, none or unknown, and the share closed as printed: '25', 'at least 32')."""
    if words.startswith("more than closes"):
        return "more than closes the gap", "all", ""
    if words.startswith("closes"):
        return "closes the gap", "all", ""
    if words.startswith("narrows it by"):
        share = words.split("by ")[1].split("\\,")[0]
        return f"closes {share}\\,\\% of the gap (log scale)", "part", share
    if words.startswith("does not"):
        return "does not close the gap", "none", ""
    return "cannot be judged (a median beyond the cap)", "unknown", ""


def combined(found, where):
    """One clause for several controls: the same clause once, shares side by side, or one clause each.
    where: {setting: 'with L2'}."""
    clauses = {c[3] for c in found}
    if len(clauses) == 1:
        return found[0][3]
    if all(c[4] == "part" for c in found):
        return ("closes " + " and ".join(f"{c[6]}\\,\\% of the gap {where[c[0]]}" if i == 0 else
                                         f"{c[6]}\\,\\% {where[c[0]]}" for i, c in enumerate(found)) + " (log scale)")
    return "; ".join(f"{where[c[0]]} it {c[3]}" for c in found)


def controlled(p2, key):
    """[(setting, reference, factor, verdict words, kind)] of part 2's controls whose change names `key`."""
    out = []
    for c in p2.s.get("controls", []):
        if key not in c["change"]:
            continue
        floor = p2.cap / c["reference"]["median"] if c["reference"]["median"] > 0 else math.nan
        tested = c["p_value"] < SIGNIFICANT
        words, _ = causes.gap_closed(c["ratio_before"], c["ratio"], floor,
                                              faster=(c["fewer"] > c["more"]) if tested else None)
        clause, kind, share = verdict(words)
        out.append((c["setting"], c["reference_setting"], c["factor"], clause, kind, c["seeds"], share))
    return out


def effect(p2, pairs, lead):
    """'L2 needs 2.1x as many iterations with sigmoid units and 2.0x with ReLU units', or what can be said."""
    parts = []
    for a, b, where in pairs:
        ma, mb = p2.median(a), p2.median(b)
        if not math.isfinite(mb):
            parts.append(f"cannot be compared {where} (both medians beyond the cap)")
        elif not math.isfinite(ma):
            parts.append(f"more than {causes.bound(p2.cap / mb)}\\,$\\times$ as many iterations {where}")
        else:
            parts.append(f"{x(ma / mb)} as many iterations {where}")
    parts[1:] = [p.replace(" as many iterations", "") for p in parts[1:]]
    return lead + " " + ", ".join(parts)


def loss(p2):
    ratios = [p2.median(f"{a}-l2") / p2.median(f"{a}-ce") if math.isfinite(p2.median(f"{a}-ce")) else math.nan
              for a in ("sigmoid", "relu")]
    head = ("Under the mean loss, cross-entropy is faster with either activation:" if all(r > 1 for r in ratios) else
            "Under the mean loss, the loss matters, but not the same way with both activations:")
    text = effect(p2, [(f"{a}-l2", f"{a}-ce", f"with {'sigmoid' if a == 'sigmoid' else 'ReLU'} units")
                       for a in ("sigmoid", "relu")], head + " L2 needs")
    mech = p2.s.get("mechanism", {})
    factors = [mech[f"l2 factor {LABEL[a + '-l2']}"] for a in ("sigmoid", "relu") if f"l2 factor {LABEL[a + '-l2']}" in mech]
    text += ". L2's gradient carries an extra factor \\mbox{$2\\hat y(1-\\hat y) \\le 1/2$} that shortens every step"
    found = controlled(p2, "step factor")
    if factors:
        seed, shown = p2.s["settings"]["seed"], [f"{v:.2f}" for v in factors]
        text += (f" ({shown[0]} on average along seed {seed}'s runs)" if len(set(shown)) == 1 else
                 f" ({' and '.join(shown)} on average along seed {seed}'s sigmoid and ReLU runs)")
    if found:
        kinds = {c[4] for c in found}
        said = combined(found, {c[0]: f"with {LABEL[c[0]].split(' ')[0]} units" for c in found})
        text += (f". Dividing L2's learning rate by it {said} on {found[0][5]} seeds" +
                 (": a longer step alone removes L2's slowness" if kinds == {"all"} else
                  ": the shorter step explains part of L2's slowness" if kinds <= {"all", "part"} else ""))
    return text + " \\studies{sec:controls}.", {"controls": found, "factors": factors}


def activation(p2):
    ratios = [p2.median(f"sigmoid-{k}") / p2.median(f"relu-{k}") if math.isfinite(p2.median(f"relu-{k}")) else math.nan
              for k in ("l2", "ce")]
    head = ("ReLU is faster with either loss:" if all(r > 1 for r in ratios) else
            "The activation matters, but not the same way with both losses:")
    text = effect(p2, [(f"sigmoid-{k}", f"relu-{k}", f"with {'L2' if k == 'l2' else 'cross-entropy'}")
                       for k in ("l2", "ce")], head + " sigmoid units need")
    text += ". A sigmoid unit passes back at most a quarter of the gradient, a ReLU all of it while on"
    found = controlled(p2, "slope factor")
    if found:
        shown = {f"{c[2]:.1f}" for c in found}
        factors = shown.pop() if len(shown) == 1 else " and ".join(f"{c[2]:.1f}" for c in found)
        kinds = {c[4] for c in found}
        said = combined(found, {c[0]: "with " + ("L2" if c[0].endswith("l2") else "cross-entropy") for c in found})
        text += (f". Raising the sigmoid net's first-layer learning rate by the slope ratio ({factors}) "
                 f"{said}" + (": the slope explains it" if kinds == {"all"} else
                              ": the slope is part of the reason, not all of it" if "part" in kinds or "none" in kinds
                              else ""))
    return text + " \\studies{sec:controls}.", {"controls": found}


def together(p2):
    act = {k: p2.median(f"sigmoid-{k}") / p2.median(f"relu-{k}") for k in ("l2", "ce")}
    los = {a: p2.median(f"{a}-l2") / p2.median(f"{a}-ce") for a in ("sigmoid", "relu")}
    known = all(math.isfinite(v) and v > 0 for v in (*act.values(), *los.values()))
    alike = known and max(act.values()) / min(act.values()) <= CLOSE and max(los.values()) / min(los.values()) <= CLOSE
    text = ("The two effects multiply: sigmoid + L2 pays both, ReLU + CE neither. " if alike else
            "The two effects do not simply multiply: each depends on the other. " if known else "")
    failed = [s for s in p2.settings if not math.isfinite(p2.median(s, "sum"))]
    n = p2.s["data"]["class_counts"]
    text += f"Under the sum loss every step is {sum(n)} times larger"
    if failed:
        parts = []
        for s in failed:
            g = p2.g[(s, "sum")]
            how = ("dies" if g["stuck_pct"] >= max(g["diverged_pct"], 1e-9) else "diverges")
            share = g["stuck_pct"] if how == "dies" else g["diverged_pct"]
            parts.append(f"{LABEL[s]} {how} on {fmt_pct(share)}\\,\\% of the seeds")
        text += ": " + " and ".join(parts)
        rest = p2.order("sum")
        if rest:
            mean = p2.order("mean")
            same = [s for s in rest if s in mean] == [s for s in mean if s in rest]    # where both rank them
            text += "; the others keep their order" if same else "; the others rank " + " $<$ ".join(LABEL[s] for s in rest)
    else:
        same = p2.order("sum") == p2.order("mean")
        text += (", and the settings keep their order" if same else
                 ", and the medians rank the settings " + " $<$ ".join(LABEL[s] for s in p2.order("sum")))
    return text + " \\studies{sec:sum}.", {"multiply": alike, "failed_under_sum": failed}


def sensitive_cells(p2):
    """{(setting, reduction): (moved, twins)} of the part 2 cells at the study's lr whose twins moved."""
    return {(c["setting"], c["reduction"]): (c["sensitive"], c["twins"]) for c in p2.s.get("sensitivity", {}).get("cells", [])
            if c["lr"] == p2.lr and c["sensitive"]}


def part2_table(p2, dest):
    """answer_part2.tex: seed --seed's counts beside the study's medians and intervals, both reductions;
    a dagger on each count whose cell's twins moved. Returns the coverage and the note's text."""
    cap, seed = p2.cap, p2.seed_runs["settings"]["seed"]
    moved = sensitive_cells(p2)
    runs = {red: seed_runs(p2, red) for red in ("mean", "sum")}
    ranked = sorted(p2.settings, key=lambda s: (runs["mean"][s][1] != "reached", runs["mean"][s][0]))
    rows, coverage = [], set()
    for s in ranked:
        row = [LABEL[s]]
        for red in ("mean", "sum"):
            g = p2.g[(s, red)]
            mark = "$^\\dagger$" if (s, red) in moved else ""
            row += [tex_count(runs[red][s], cap) + mark, fmt_iters(g["median"], cap, tex=True) + mark,
                    interval(g, cap) + mark, f"{fmt_pct(g['reached_pct'])}\\,\\%"]
            coverage.add(fmt_coverage(g["ci_coverage"]))
        rows.append(row)
    if dest is not None:
        notes = tie_note([(f"{LABEL[s]} ({red})", p2.g[(s, red)]) for s in ranked for red in ("mean", "sum")])
        dest.write("answer_part2.tex", two_level_table(["mean loss", "sum loss"],
                                                       ["setting"] + [f"seed {seed}", "median", "interval", "reached"] * 2,
                                                       rows, notes))
    twins = max((t for _, t in moved.values()), default=None)
    study = {(r[0], r[2]): (r[4], r[5]) for r in p2.s["runs"]["rows"] if r[3] == seed and r[1] == p2.lr}
    other = {k: study[k] for k in moved if k in study and study[k] != runs[k[1]][k[0]]}
    if moved:
        note = ("$^\\dagger$ A start one or two ulps away from seed $k$'s (every initial parameter times $1 + 2^{-52}$) "
                "moved the count on " + "; ".join(f"{m} of {t} seeds of {LABEL[s]} under the {red} loss"
                                                  for (s, red), (m, t) in sorted(moved.items())) +
                ": there, another CPU's rounding can move it too" +
                ("; so does the study's engine, which sums in another order: " + "; ".join(
                    f"it ends seed {seed}'s {LABEL[s]} run under the {red} loss at {tex_count(v, cap)}$^\\dagger$"
                    for (s, red), v in sorted(other.items())) if other else "") + " \\studies{sec:rounding}. ")
    else:
        cells = [c for c in p2.s.get("sensitivity", {}).get("cells", []) if c["lr"] == p2.lr]
        note = (f"No count moved when the start moved by one or two ulps ({min(c['twins'] for c in cells)} or more "
                "seeds per cell) \\studies{sec:rounding}. " if cells else "")
    return "coverage " + " or ".join(f"{c}\\,\\%" for c in sorted(coverage)), note, {"moved": sorted(moved), "twins": twins}


def tex_count(run, cap):
    return {"reached": fmt_int(run[0]), "censored": f"$>${fmt_int(cap)}", "stuck": f"dead at {run[0]}",
            "diverged": f"div.\\ at {run[0]}"}[run[1]]


def interval(g, cap):
    return fmt_ci(g, cap, tex=True)


def line(p2, line_study, line_seed):
    """Question 3.1: the conv net against part 2, and the architecture controls on the same images: how
    the gap between part 2's kind of net and the conv net splits (log scale) between the size (256-4-1 to
    256-28-1) and the convolutions (256-28-1 to the conv net), each step with its sign test."""
    run = next(r for r in line_seed["single_runs"] if r["reduction"] == "mean")
    cap = line_seed["settings"]["max_iters"]
    group = next(g for g in line_study["groups"] if g["reduction"] == "mean")
    m, seeds = group["median"], group["seeds"]
    fastest = min(p2.settings, key=lambda s: p2.median(s))
    best = p2.median(fastest)
    first = (f"seed {line_seed['settings']['seed']} reaches 100\\,\\% after {fmt_int(run['iterations'])} updates"
             if run["status"] == "reached" else f"seed {line_seed['settings']['seed']} ends "
             f"{count((run['iterations'], run['status']), cap)}")
    if math.isfinite(m) and math.isfinite(best):
        lead = ("Under the mean loss, the conv net learns its task faster than any part-2 setting learns part 2's"
                if m < best else "Under the mean loss, the conv net learns its task more slowly than part 2's fastest "
                "setting")
        text = (f"{lead}: {first}, and the median over {seeds} seeds is {fmt_iters(m, cap, tex=True)} updates against "
                f"{fmt_iters(best, cap, tex=True)} for {LABEL[fastest]}, part 2's fastest (data, task and net all differ)")
    else:
        text = (f"Under the mean loss, the conv net: {first}; its median over {seeds} seeds is "
                f"{fmt_iters(m, cap, tex=True)} updates")
    found = {c["hidden"]: c for c in line_study.get("controls", [])}
    own, wide = found.get(4), next((c for h, c in found.items() if h != 4), None)
    facts = {"line_median": m, "fastest_part2": best}
    if own and math.isfinite(own["ratio"]):
        text += (f". On the same line images, part 2's kind of net (fully connected, one ReLU layer) needs "
                 f"{x(own['ratio'])} the conv net's iterations")
        if wide and math.isfinite(wide["ratio"]) and own["ratio"] > wide["ratio"] > 1:
            size = math.log(own["ratio"] / wide["ratio"]) / math.log(own["ratio"])
            fewer, more, p = causes.step_test(own["rows"], wide["rows"])
            facts |= {"size_share": size, "conv_share": 1 - size, "conv_p": wide["p_value"], "size_p": p}
            tested = {"size": p < SIGNIFICANT and fewer > more,
                      "conv": wide["p_value"] < SIGNIFICANT and wide["fewer"] < wide["more"]}
            text += (f", and {x(wide['ratio'])} at about the conv net's size "
                     f"({wide['change'].replace('fully connected ', '')}). Of that gap (log scale), "
                     f"{100 * size:.0f}\\,\\% goes with the size and {100 * (1 - size):.0f}\\,\\% with the "
                     "convolutions; " + ("each step holds seed by seed (sign test, $p < 0.01$)" if all(tested.values()) else
                                         "the seeds tell neither step from chance" if not any(tested.values()) else
                                         f"only the {'size' if tested['size'] else 'convolutions'}' step holds seed "
                                         "by seed (sign test, $p < 0.01$)").replace("size' step", "size step"))
        elif wide and math.isfinite(wide["ratio"]):
            text += (f", and {x(wide['ratio'])} at about the conv net's size "
                     f"({wide['change'].replace('fully connected ', '')})")
    elif own:
        text += ". On the same line images, part 2's kind of net mostly does not reach 100\\,\\% within the cap"
    return text + under_sum("the conv net", line_study, p2) + " \\studies{sec:part31}.", facts


def under_sum(net, study, p2=None, setting=None):
    """'. Under the summed loss, the conv net dies on 32 of 32 seeds' (or its median), with part 2's
    fastest setting under the sum beside it when `p2` is given; '' when the study has no sum runs."""
    g = next((g for g in study["groups"] if g["reduction"] == "sum" and setting in (None, g["setting"])), None)
    if g is None:
        return ""
    cap, n = study["settings"]["max_iters"], g["seeds"]
    if math.isfinite(g["median"]):
        fate = f"{net}'s median is {fmt_iters(g['median'], cap, tex=True)} updates over {n} seeds"
    else:
        verbs = (("stuck_pct", "dies"), ("diverged_pct", "diverges"), ("reached_pct", "reaches 100\\,\\%"))
        counts = [(round(g[key] * n / 100), verb) for key, verb in verbs]
        counts.append((n - sum(k for k, _ in counts), "is still short at the cap"))
        fate = net + " " + ", ".join(f"{verb} on {k} of {n} seeds" for k, verb in counts if k)
    text = f". Under the summed loss, {fate}"
    if p2 is not None:
        best = min(p2.settings, key=lambda s: p2.median(s, "sum"))
        if math.isfinite(p2.median(best, "sum")):
            text += f" (part 2's {LABEL[best]}: median {fmt_iters(p2.median(best, 'sum'), p2.cap, tex=True)})"
    return text


def first_at(curve, share):
    """The first iteration at which a recorded accuracy curve holds `share`, or None."""
    return next((t for t, v in enumerate(curve) if v >= share - 1e-12), None)


def detection(det_study, det_seed, line_study, reg_acc):
    """Question 3.2, compared with 3.1 in its first sentence: the regression against the classification and
    the line task, the width head alone (a control), and one seed's steps (an observation); reg_acc: seed
    --seed's regression accuracy at every iteration (the script's curves)."""
    run = next(r for r in det_seed["single_runs"] if r["reduction"] == "mean")
    cap, seed = det_seed["settings"]["max_iters"], det_seed["settings"]["seed"]
    groups = {g["setting"]: g for g in det_study["groups"] if g["reduction"] == "mean"}
    cls, reg = groups["classification"]["median"], groups["regression"]["median"]
    lm = next(g for g in line_study["groups"] if g["reduction"] == "mean")["median"]
    slow = math.isfinite(reg) and math.isfinite(lm) and reg > CLOSE * lm
    text = ("Compared with 3.1 (both under the mean loss), training takes far longer, and the width is the hard part" if slow else
            "Compared with 3.1 (both under the mean loss), training takes about as long" if math.isfinite(reg) and math.isfinite(lm) else
            "Compared with 3.1 (both under the mean loss), the regression mostly does not reach 100\\,\\% within the cap")
    first = run["milestones"].get("classification")
    text += (f": seed {seed}'s classes are first all right after {fmt_int(first)} updates" if first is not None else
             f": seed {seed}'s classes are never all right at once")
    if run["status"] == "reached":
        at80 = first_at(reg_acc, 0.8)
        text += (f", its widths only after {fmt_int(run['iterations'])}" +
                 (f" (80\\,\\% of them by update {fmt_int(at80)})" if at80 is not None else ""))
    else:
        text += f", and its widths end {count((run['iterations'], run['status']), cap)}"
    seeds = groups["regression"]["seeds"]
    if math.isfinite(reg) and math.isfinite(cls):
        text += f". Over {seeds} seeds the regression needs {x(reg / cls)} as many updates as the classification"
    if math.isfinite(cls) and math.isfinite(lm):
        r = cls / lm
        speed = ("about as fast as" if 1 / CLOSE <= r <= CLOSE else f"{x(r)} slower than" if r > 1 else
                 f"{x(1 / r)} faster than")
        text += (f", and the classification alone is {speed} the line task (median {fmt_iters(cls, cap, tex=True)} "
                 f"against {fmt_iters(lm, cap, tex=True)}; other images and another net, so an observation)")
    control = (det_study.get("controls") or [None])[0]
    facts = {"reg_over_cls": reg / cls if math.isfinite(cls) and cls else math.nan}
    if control:
        r, n = control["ratio"], control["seeds"]
        tested = control["p_value"] < SIGNIFICANT
        if math.isfinite(r) and r > CLOSE and control["fewer"] < control["more"]:
            text += (f". Trained alone, the width head needs {x(r)} as many updates (more on {control['more']} of {n} "
                     "seeds" + (", sign test $p < 0.01$): the classifier's gradient in the shared layers helps it"
                                if tested else f"; on {n} seeds the sign test cannot reach $p < 0.01$): a hint that "
                                               "the classifier's gradient helps it, not a finding"))
        elif math.isfinite(r) and r <= CLOSE:
            text += ". Trained alone, the width head needs about as many updates"
        else:
            text += ". Trained alone, the width head mostly does not reach 100\\,\\%" if not math.isfinite(r) else ""
        start = control["steps_at_start"]
        lrs = det_seed["settings"]["lr_cls"] / det_seed["settings"]["lr_reg"]
        grad = (start["reg"] / det_seed["settings"]["lr_reg"]) / (start["cls"] / det_seed["settings"]["lr_cls"])
        text += (f". An observation on seed {seed}: at the start the width's step on the shared layers is only "
                 f"{start['cls'] / start['reg']:.1f} times smaller than the classifier's, not {lrs:g} times as the "
                 f"learning rates suggest, its gradient being {grad:.0f} times larger")
        facts |= {"alone_over_both": r, "alone_p": control["p_value"]}
    return text + under_sum("the detection net", det_study, p2=None, setting="regression") + \
        " \\studies{sec:part32}.", facts
