"""The report's causes, each with its controlled experiment (dlbasics/study/controls.py): the sentences and the
table, from the studies' "controls" sections. Every sentence says what the control showed, including
"it does not explain it"; tests/test_claims.py recomputes each fact from the control's runs."""
import math

from dlbasics.common.outputs import fmt_int, two_level_table
from dlbasics.study.stats import SIGNIFICANT, fmt_iters, fmt_pct, sign_test

NAMES = {"sigmoid-l2": "sigmoid + L2", "sigmoid-ce": "sigmoid + CE", "relu-l2": "ReLU + L2", "relu-ce": "ReLU + CE"}
CLOSE = 1.15            # two medians within this factor of each other: about as fast


def times(x):
    """A ratio in a sentence, as every document prints it: 2.5\\,x, 0.83\\,x, 15\\,x."""
    return ratio_text(x) + "\\,$\\times$"


def ratio_text(x):
    """The digits a ratio gets everywhere: two decimals below 1, one below 10, none above."""
    return f"{x:.2f}" if x < 1 else f"{x:.1f}" if x < 10 else f"{x:.0f}"


def down(x):
    """A lower bound to one decimal, rounded down so that it stays a bound (2.169 is 'more than 2.1')."""
    return math.floor(10 * x + 1e-9) / 10


def bound(x):
    """A lower bound as every document prints it: one decimal, rounded down ('2.1')."""
    return f"{down(x):.1f}"


def pct(x):
    return f"{fmt_pct(x)}\\,\\%"


def p_text(p):
    """A p-value for the prose: '$p = 0.031$', '$p = 1.6\\cdot 10^{-5}$', or '$p < 10^{-6}$'."""
    if p < 1e-6:
        return "$p < 10^{-6}$"
    if p >= 1e-4:
        return f"$p = {p:.2g}$"
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"$p = {mantissa}\\cdot 10^{{{int(exponent)}}}$"


OVER = "more than closes the gap (the changed setting is now the faster)"


def gap_closed(before, after, floor=math.nan, faster=None):
    """How much of a gap (a ratio of medians above 1) a control closes, in words and as the share of the
    gap's logarithm: 'closes it', 'more than closes it', 'narrows it by x %', 'does not narrow it'. A gap
    whose slower median is beyond the cap is only known to exceed `floor` (cap / the faster median): the
    share is then a lower bound, 'by at least x %'. `faster`: True or False when the sign test tells the
    control from its reference (p < SIGNIFICANT), True when the control is the faster; then a ratio within
    CLOSE of 1 is judged by that test, not by the band."""
    if not math.isfinite(before) and math.isfinite(after) and math.isfinite(floor) and floor > 1:
        if after <= CLOSE and faster is not False:
            return (OVER if after < 1 / CLOSE or faster else "closes it"), 1 - math.log(after) / math.log(floor)
        share = 1 - math.log(after) / math.log(floor)
        return (f"narrows it by at least {math.floor(100 * share):.0f}\\,\\% (on a log scale)" if share > 0.1 else
                "does not measurably narrow it"), share
    if not (math.isfinite(before) and math.isfinite(after)):
        return "cannot be judged, a median being beyond the cap", math.nan
    if before <= 1:
        return "has no gap to close", math.nan
    share = 1 - math.log(after) / math.log(before)
    if after < 1 / CLOSE or (after < 1 and faster):
        return OVER, share
    if after <= CLOSE and faster is not False:
        return "closes it", share
    if share > 0.1:
        return (f"narrows it by {100 * share:.0f}\\,\\% (on a log scale)" +
                (", leaving most of it unexplained" if share < 0.5 else "")), share
    return "does not narrow it", share


def versus(c, cap):
    """'median a against b, faster on k of n seeds (sign test p)' for a control against its reference."""
    return (f"median {fmt_iters(c['control']['median'], cap, tex=True)} against "
            f"{fmt_iters(c['reference']['median'], cap, tex=True)}, fewer iterations on {c['fewer']} and more on "
            f"{c['more']} of {c['seeds']} seeds, sign test {p_text(c['p_value'])}"
            + ("" if c["p_value"] < SIGNIFICANT else
               f", the smallest two-sided $p$ that {c['seeds']} seeds allow, so no result of so few seeds can reach "
               f"$p < {SIGNIFICANT:g}$" if min(c["fewer"], c["more"]) == 0 and c["fewer"] + c["more"] == c["seeds"] else
               f", which on {c['seeds']} seeds cannot tell the difference from chance at $p < {SIGNIFICANT:g}$"))


def part2(controls, cap):
    """The loss's and the activation's controls: one sentence each (the point: how much of the gap the
    change closes, and the ratios before and after); the seed-by-seed counts and tests are in the table."""
    texts, facts = {}, {}
    for kind, key, what in (("loss", "L2/CE step factor", "Dividing L2's learning rate by its step factor"),
                            ("activation", "slope factor",
                             "Multiplying the sigmoid net's first-layer learning rate by the slope factor")):
        mine = [c for c in controls if key in c["change"]]
        parts = []
        for c in mine:
            floor = cap / c["reference"]["median"] if c["reference"]["median"] > 0 else math.nan
            tested = c["p_value"] < SIGNIFICANT
            words, share = gap_closed(c["ratio_before"], c["ratio"], floor,
                                      faster=(c["fewer"] > c["more"]) if tested else None)
            facts[c["name"]] = {"before": c["ratio_before"], "after": c["ratio"], "closed_share": share,
                                "before_floor": floor}
            before = (ratio_words(c["ratio_before"]) if math.isfinite(c["ratio_before"]) else
                      f"more than {bound(floor)}\\,$\\times$")
            change = (f"from {before} to {ratio_words(c['ratio'])} on its {c['seeds']} seeds" if math.isfinite(share) else
                      "to " + (ratio_words(c["ratio"]) if math.isfinite(c["ratio"]) else "no number"))
            parts.append(f"for {NAMES[c['setting']]} against {NAMES[c['reference_setting']]} (factor {c['factor']:.2f}) "
                         f"it {words}: the ratio of medians goes {change}")
        texts[f"control {kind}"] = ((f"{what}: " + "; ".join(parts)) if parts else
                                    "the control was not run (one activation only)")
    return texts, facts


def alike(values, fmt):
    """{"L2": a, "CE": b} as '0.22 under either loss' when they print alike, else '0.22 (L2) and 0.21 (CE)'."""
    shown = {k: format(v, fmt) for k, v in values.items()}
    if len(set(shown.values())) == 1 and len(shown) > 1:
        return f"{next(iter(shown.values()))} under either loss"
    return " and ".join(f"{v} ({k})" for k, v in shown.items())


def ratio_words(r):
    """A ratio of medians in a sentence: 2.1\\,x, 0.83\\,x."""
    return times(r)


def travel(numbers, seed):
    """How far the first layer travels along seed --seed's runs: an observation on one seed, worded as one."""
    path = {k[len("p2 path "):]: float(v) for k, v in numbers.items() if k.startswith("p2 path ")}
    parts, facts = [], {}
    for loss in ("L2", "CE"):
        sig, relu = path.get(f"sigmoid + {loss}"), path.get(f"ReLU + {loss}")
        if sig and relu:
            facts[loss] = sig / relu
            parts.append(f"{sig:.2f} against {relu:.2f} with {loss}")
    longer = bool(facts) and all(f > CLOSE for f in facts.values())
    text = f"An observation on seed {seed} alone, not a controlled experiment: "
    text += ("the sigmoid net's first layer travels a longer path than the ReLU net's (the summed lengths of its steps, "
             + "; ".join(parts) + "); one seed cannot show whether that explains the part of the gap the slope control "
             "leaves" if longer else
             "the first layers' paths (the summed lengths of their steps, " + "; ".join(parts) + ") are not clearly "
             "longer with sigmoid units under both losses")
    mean = {k[len("p2 plateau hidden mean sigmoid + "):]: float(v) for k, v in numbers.items()   # no plateau: nan
            if k.startswith("p2 plateau hidden mean sigmoid + ") and math.isfinite(float(v))}
    slope = {k[len("p2 slope sigmoid + "):]: float(v) for k, v in numbers.items()
             if k.startswith("p2 slope sigmoid + ") and math.isfinite(float(v))}
    loose = all(v >= 0.2 for v in slope.values())                   # within a fifth of sigma's largest slope, 1/4
    if mean and slope:
        text += (". The sigmoid hidden units " + ("are not saturated" if loose else "are partly saturated") +
                 ": on the plateau they average " + alike(mean, ".2f") + ", and their $\\sigma'$ along the run " +
                 alike(slope, ".2f") + ", against the largest possible 1/4")
    return text, {"path_ratio": facts, "longer": longer, "plateau_mean": mean, "sigmoid_slope": slope,
                  "saturated": bool(slope) and not loose}


def architecture(controls, cap, part2_median=math.nan):
    """Part 2's kind of net on the line images against the conv net (controls: the same images, the same
    seeds), and, as a description, the same net on part 2's data (`part2_median`: the part 2 study's
    ReLU + CE at the line's learning rate, mean loss). The conv net's lead over part 2 is split on a log
    scale, where factors add, into the step from part 2's data to the line images (data, task and input
    size at once: it describes, it does not test) and the controlled steps on the line images."""
    parts, facts = [], {}
    for c in controls:
        r = c["ratio"]
        facts[c["change"]] = r
        speed = ("mostly never reaches 100\\,\\%" if not math.isfinite(c["control"]["median"]) else
                 "is about as fast as the conv net" if 1 / CLOSE <= r <= CLOSE else
                 f"needs {ratio_words(r)} the conv net's iterations" if r > 1 else
                 f"needs only {ratio_words(r)} the conv net's iterations")
        parts.append(f"the {c['change'].replace('fully connected ', '')} net ({c['parameters']:,} parameters"
                     .replace(",", "\\,") + f") {speed}")
    own = next((c for c in controls if c.get("hidden") == 4), None)            # part 2's own net, 256-4-1
    fc = own["control"]["median"] if own else math.nan
    conv = controls[0]["reference"]["median"] if controls else math.nan
    facts |= {"part2_median": part2_median, "own_net_median": fc, "conv_median": conv}
    size = controls[0].get("conv_parameters", 0) if controls else 0
    text = (f"On the line images (the conv net has {size:,} parameters), ".replace(",", "\\,", 1) + " and ".join(parts)
            if controls else "No architecture control was run")
    wide_c = next((c for c in controls if c is not own), None)
    if own and wide_c:                              # the two controlled steps, each tested seed by seed
        fewer, more, p = step_test(own["rows"], wide_c["rows"])
        facts["size_step"] = {"fewer": fewer, "more": more, "p": p}
        conv_p = wide_c["p_value"]
        text += (f". Seed by seed, the wider net needs fewer iterations than the 256-4-1 net on {fewer} of "
                 f"{wide_c['seeds']} seeds (more on {more}; sign test {p_text(p)}), and the conv net fewer than the "
                 f"wider net on {wide_c['more']} (more on {wide_c['fewer']}; {p_text(conv_p)}" +
                 ("" if conv_p < SIGNIFICANT else f", not below {SIGNIFICANT:g}: the seeds cannot tell that step from "
                                                  "chance") + ")")
    if not all(math.isfinite(x) and x > 0 for x in (part2_median, fc, conv)):
        return text, facts
    data, net = part2_median / fc, fc / conv
    facts |= {"data_factor": data, "net_factor": net}
    text += (f". Part~2's net needs {ratio_words(1 / data)} as many iterations on the line images as on part~2's data "
             "(a description, not a test: the data, the task and the input size change together)")
    if not (data > 1 and net > 1):
        return text, facts
    log_total = math.log(data * net)
    facts["data_share_log"] = math.log(data) / log_total
    matched = next((c for c in controls if c is not own and abs(c["parameters"] - size) <= 0.1 * size
                    and math.isfinite(c["control"]["median"])), None)        # a fully connected net of its size
    wide, rest = (fc / matched["control"]["median"], matched["control"]["median"] / conv) if matched else (0, 0)
    text += (f". On a log scale, of the conv net's {ratio_words(data * net)} lead over part~2's ReLU + CE, "
             f"{100 * math.log(data) / log_total:.0f}\\,\\% comes with the line images (described)")
    if wide > 1 and rest > 1:
        facts |= {"size_share_log": math.log(wide) / log_total, "rest_share_log": math.log(rest) / log_total}
        text += (f", {100 * math.log(wide) / log_total:.0f}\\,\\% with the size and "
                 f"{100 * math.log(rest) / log_total:.0f}\\,\\% with the convolutions (the two steps tested above)")
    else:
        text += f" and {100 * math.log(net) / log_total:.0f}\\,\\% with the conv net (a controlled step)"
    return text, facts


def shared(control, cap, lr_cls, lr_reg, seed=0, images=64):
    """The width head alone against both heads, the regression's fall along the run, and each loss's step
    on the shared layers."""
    texts, facts = {}, {}
    r = control["ratio"]
    texts["control shared"] = (
        "trained alone, the width head " + ("mostly never reaches 100\\,\\%" if not math.isfinite(r) else
                                            "needs about as many updates as with both heads" if 1 / CLOSE <= r <= CLOSE
                                            else f"needs {ratio_words(r)} the updates it needs with both heads")
        + f" (more on {control['more']} and fewer on {control['fewer']} of {control['seeds']} seeds"
        + (f"; {control['seeds']} seeds cannot give a sign test below $p = {SIGNIFICANT:g}$"
           if 2 * 0.5 ** control["seeds"] >= SIGNIFICANT else "") + ")")
    facts["alone_over_both"] = r
    start = control["steps_at_start"]
    texts["steps"] = (f"at the start the width's step on the shared layers is {start['cls'] / start['reg']:.1f} times "
                      f"smaller than the classifier's, not {lr_cls / lr_reg:g} times: its gradient there is "
                      f"{(start['reg'] / lr_reg) / (start['cls'] / lr_cls):.0f} times larger")
    if "reg_slope" in start:
        texts["steps"] += (f". Per image, L2's derivative in the width, $|2(\\hat r - r)|$, averages "
                           f"{start['reg_slope']:.1f} (the widths are off by {start['reg_error']:.1f} pixels on average), "
                           f"against {start['cls_slope']:.2f} for the cross-entropy's in the logit, $|\\sigma(z) - y|$: "
                           f"a factor of {start['reg_slope'] / start['cls_slope']:.0f} of the "
                           f"{(start['reg'] / lr_reg) / (start['cls'] / lr_cls):.0f}; the rest, from the two heads' "
                           "weights and from how the images' gradients add up, is not split here")
        facts["slope_ratio_at_start"] = start["reg_slope"] / start["cls_slope"]
    facts["step_ratio_at_start"] = start["cls"] / start["reg"]
    if "largest_drop_both" in control:
        drop, alone = control["largest_drop_both"], control.get("largest_drop_alone")
        late_both, late_alone = control.get("late_fall_both"), control.get("late_fall_alone")
        texts["spike"] = (f"An observation on seed {seed} alone, not a controlled experiment: along its run the number of "
                          f"right widths falls by up to {lost(drop, images)} of {images} (at iteration "
                          f"{control['drop_at']})" +
                          (f", and with the width head alone by up to {lost(alone, images)}" if alone is not None else ""))
        if late_both is not None:
            texts["spike"] += (f"; after first reaching 80\\,\\% (iteration {control['first_at'].get('0.8')}) it "
                               "falls again " + fall_text(late_both, images) +
                               (", while the width head alone, after reaching 80\\,\\%, falls " +
                                fall_text(late_alone, images) if late_alone is not None else ""))
        facts |= {"late_fall_both": late_both, "late_fall_alone": late_alone}
        reach = control["first_at"]
        late = [(float(k), v) for k, v in reach.items() if v is not None and float(k) >= 0.8]
        said = [("all by " if k == 1 else f"{100 * k:.0f}\\,\\% by ") + fmt_int(v) for k, v in late]
        texts["last images"] = ((said[0].replace(" by ", " of the widths are right by iteration ", 1) +
                                 "".join(", " + x for x in said[1:-1]) + (f" and {said[-1]}" if len(said) > 1 else ""))
                                if said else "fewer than 80\\,\\% of the widths are ever right at once")
        facts |= {"drop_both": drop, "drop_alone": alone, "first_at": reach}
    return texts, facts


def lost(share, images):
    """A fall in accuracy (a share of the images, 0..1) as a number of images: exact, never rounded."""
    return f"{round(share * images)}"


def points(share):
    """A share (0..1) as percentage points for a largest value: to two decimals, rounded up, so that a
    maximum is never printed below itself (4/64 is 6.25, never 6)."""
    return f"{math.ceil(round(10000 * share, 6)) / 100:g}"


def fall_text(fall, images=64):
    """'from 83 % to 44 % (iteration 375)' or 'by at most 2 images' for a largest_fall record."""
    if fall["fall"] < 0.05:
        return f"by at most {lost(fall['fall'], images)} image{'s' if lost(fall['fall'], images) != '1' else ''}"
    return f"from {100 * fall['from']:.0f}\\,\\% to {100 * fall['to']:.0f}\\,\\% (iteration {fall['at']})"


def ratio_cell(r, c, cap):
    """A ratio of medians for the controls' table: '>x' (cap / the reference's median, rounded down) when the
    slower median is beyond the cap, '--' when there is no ratio."""
    if math.isfinite(r):
        return ratio_text(r)
    ref = float(c["reference"]["median"])
    return f"$>${bound(cap / ref)}" if 0 < ref < math.inf else "--"   # the slower one: beyond the cap


def unchanged_cell(c, cap):
    """The control against the same setting unchanged, as a ratio of medians: '<0.37' (the control's median
    over the cap, rounded up to two decimals so it stays a bound) when the unchanged median is beyond the cap,
    '--' when there is no ratio."""
    new, old = float(c["control"]["median"]), float(c["baseline"]["median"])
    if math.isfinite(new) and math.isfinite(old) and old > 0:
        return ratio_text(new / old)
    if math.isfinite(new) and not math.isfinite(old):
        return f"$<${math.ceil(100 * new / cap - 1e-9) / 100:.2f}"
    return "--"


def table(study2, line, det, dest):
    """claims_controls.tex: every control against its reference on the same seeds (does the change close
    the gap?) and, for part 2's, against the same setting unchanged (did the change itself help?), each
    with the seeds on which the control needs fewer or more iterations and the two-sided sign test. Each
    group's ratio is the control's median over that group's own (the reference's, the unchanged one's)."""
    rows = []
    for s, part in ((study2, "2"), (line, "3.1"), (det, "3.2")):
        cap = s["settings"]["max_iters"]
        for c in s.get("controls", []):
            change = c["name"].split(": ", 1)[1]
            for old, new in ((" (the L2/CE step factor)", ""), (" (the slope factor)", ""), ("fully connected", "FC"),
                             ("first layer's", "layer 1"), (" x ", " $\\times$ ")):
                change = change.replace(old, new)
            rows.append([f"{part}: {change}", NAMES.get(c["setting"], c["setting"]), c["seeds"],
                         fmt_iters(c["control"]["median"], cap, tex=True), fmt_iters(c["reference"]["median"], cap, tex=True),
                         ratio_cell(c["ratio"], c, cap), f"{c['fewer']}/{c['more']}", p_cell(c["p_value"]),
                         unchanged_cell(c, cap) if "baseline" in c else "--",
                         f"{c['fewer_than_before']}/{c['more_than_before']}" if "p_before" in c else "--",
                         p_cell(c["p_before"]) if "p_before" in c else "--"])
    dest.write("claims_controls.tex", two_level_table(
        ["against the reference", "against the unchanged"],
        ["control", "setting", "seeds", "median", "ref.", "ratio", "fewer/more", "$p$", "ratio", "fewer/more", "$p$"],
        rows, first=5))


def step_test(rows_a, rows_b):
    """Two controls' runs on the same seeds ([setting, lr, reduction, seed, iterations, status] rows): on how
    many seeds b needs fewer iterations than a, on how many more, and the two-sided sign test."""
    def values(rows):
        return {r[3]: r[4] if r[5] == "reached" else math.inf for r in rows}
    a, b = values(rows_a), values(rows_b)
    seeds = sorted(set(a) & set(b))
    return sign_test([b[k] for k in seeds], [a[k] for k in seeds])


def p_cell(p):
    """A sign test's p-value for a table: 0.031, 1.6$\\cdot10^{-5}$, $<10^{-6}$."""
    return p_text(p).replace("$p = ", "$").replace("$p < ", "$<")


def build(study2, line, det, dest=None):
    texts, facts = {}, {}
    t, f = part2(study2.get("controls", []), study2["settings"]["max_iters"])
    texts, facts = texts | t, facts | f
    texts["travel"], facts["travel"] = travel(study2["numbers"], study2["settings"]["seed"])
    if line.get("controls"):
        lr, cap = line["settings"]["lr"], line["settings"]["max_iters"]
        same = [g["median"] for g in study2["groups"] if (g["setting"], g["lr"], g["reduction"]) == ("relu-ce", lr, "mean")]
        same = [float(x) for x in same] + [math.nan]
        texts["control architecture"], facts["architecture"] = architecture(line["controls"], cap, same[0])
    if det.get("controls"):
        t, f = shared(det["controls"][0], det["settings"]["max_iters"], det["settings"]["lr_cls"], det["settings"]["lr_reg"],
                      det["settings"]["seed"], sum(det["data"]["class_counts"]))
        texts, facts = texts | t, facts | {"shared": f}
    if dest is not None:
        table(study2, line, det, dest)
    return texts, facts
