"""The report's causes, each with its controlled experiment (dlbasics/controls.py): the sentences and the
table, from the studies' "controls" sections. Every sentence says what the control showed, including
"it does not explain it"; tests/test_claims.py recomputes each fact from the control's runs."""
import math

from .outputs import tex_table
from .stats import SIGNIFICANT, fmt_iters, fmt_pct

NAMES = {"sigmoid-l2": "sigmoid + L2", "sigmoid-ce": "sigmoid + CE", "relu-l2": "ReLU + L2", "relu-ce": "ReLU + CE"}
CLOSE = 1.15            # two medians within this factor of each other: about as fast


def times(x):
    return f"{x:.2f}\\,$\\times$"


def down(x):
    """A lower bound to two decimals, rounded down so that it stays a bound (2.1749 is 'more than 2.17')."""
    return math.floor(100 * x) / 100


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


OVER = "more than closes it (the factor over-corrects: the changed setting is now the faster)"


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
        return (f"narrows it by at least {100 * share:.0f}\\,\\% (on a log scale)" if share > 0.1 else
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
    """The loss's and the activation's controls: one sentence each, and their facts."""
    texts, facts = {}, {}
    for kind, key, what in (("loss", "L2/CE step factor", "L2's learning rate divided by"),
                            ("activation", "slope factor", "the first layer's learning rate of sigmoid units times")):
        mine = [c for c in controls if key in c["change"]]
        parts = []
        for c in mine:
            floor = cap / c["reference"]["median"] if c["reference"]["median"] > 0 else math.nan
            tested = c["p_value"] < SIGNIFICANT
            words, share = gap_closed(c["ratio_before"], c["ratio"], floor,
                                      faster=(c["fewer"] > c["more"]) if tested else None)
            facts[c["name"]] = {"before": c["ratio_before"], "after": c["ratio"], "closed_share": share,
                                "before_floor": floor}
            reference = NAMES[c["reference_setting"]]
            before = (times(c["ratio_before"]) if math.isfinite(c["ratio_before"]) else
                      f"more than {times(down(floor))} (a median beyond the cap)")
            change = (f"goes from {before} to {times(c['ratio'])} on these {c['seeds']} seeds" if math.isfinite(share) else
                      "is " + (times(c["ratio"]) if math.isfinite(c["ratio"]) else "not a number") + " after the change")
            parts.append(f"for {NAMES[c['setting']]} against {reference}, {what} {c['factor']:.2f} {words}: the ratio "
                         f"of medians {change} ({versus(c, cap)})")
        texts[f"control {kind}"] = "; ".join(parts) if parts else "the control was not run (one activation only)"
    return texts, facts


def travel(numbers, seed):
    """How far the first layer travels along seed --seed's runs: an observation on one seed, worded as one."""
    path = {k[len("p2 path "):]: float(v) for k, v in numbers.items() if k.startswith("p2 path ")}
    parts, facts = [], {}
    for loss in ("L2", "CE"):
        sig, relu = path.get(f"sigmoid + {loss}"), path.get(f"ReLU + {loss}")
        if sig and relu:
            facts[loss] = sig / relu
            parts.append(f"{sig:.2f} against {relu:.2f} with {loss} ({times(sig / relu)})")
    longer = bool(facts) and all(f > CLOSE for f in facts.values())
    text = f"An observation on seed {seed} alone, not a controlled experiment: "
    text += ("the sigmoid net's first layer travels a longer path than the ReLU net's (the sum of its steps' "
             "lengths: " + "; ".join(parts) + "); one seed cannot show whether that longer path explains the part of "
             "the gap the slope control leaves"
             if longer else
             "the first layers' paths (the sum of their steps' lengths: " + "; ".join(parts) + ") are not clearly "
             "longer with sigmoid units under both losses, so this seed gives no sign that path length explains the "
             "part of the gap the slope control leaves")
    mean = {k[len("p2 plateau hidden mean sigmoid + "):]: float(v) for k, v in numbers.items()   # no plateau: nan
            if k.startswith("p2 plateau hidden mean sigmoid + ") and math.isfinite(float(v))}
    slope = {k[len("p2 slope sigmoid + "):]: float(v) for k, v in numbers.items()
             if k.startswith("p2 slope sigmoid + ") and math.isfinite(float(v))}
    loose = all(v >= 0.2 for v in slope.values())                   # within a fifth of sigma's largest slope, 1/4
    if mean and slope:
        text += (". On the plateau the sigmoid hidden units average " + " and ".join(
            f"{mean[k]:.2f} ({k})" for k in ("L2", "CE") if k in mean) + ", and their $\\sigma'$ along the run " +
            " and ".join(f"{slope[k]:.2f} ({k})" for k in ("L2", "CE") if k in slope) + ", against the largest possible 1/4: " +
            ("they are not saturated (the sigmoid's side of the slope factor is the 1/4 bound of $\\sigma'$ itself, not "
             "units stuck at 0 or 1)"
             if loose else "some units are saturated, which shrinks the slope below the 1/4 of $\\sigma'$"))
    return text, {"path_ratio": facts, "longer": longer, "plateau_mean": mean, "sigmoid_slope": slope,
                  "saturated": bool(slope) and not loose}


def architecture(controls, cap, part2_median=math.nan):
    """Part 2's kind of net on the line images against the conv net, and (when the part 2 study ran ReLU + CE
    at the line's learning rate: `part2_median`, its median under the mean loss) the same net on part 2's data.
    The conv net's lead over part 2 (part2_median / conv) is split on a log scale, where factors add, into
    part2_median / fc (data, task and input size at once: a description) and, through a fully connected
    net of the conv net's size when one was run, fc / matched and matched / conv (controls on the line images)."""
    parts, facts = [], {}
    for c in controls:
        r = c["ratio"]
        facts[c["change"]] = r
        speed = ("never reaches 100\\,\\% in most seeds" if not math.isfinite(c["control"]["median"]) else
                 "is about as fast as the conv net" if 1 / CLOSE <= r <= CLOSE else
                 f"needs {times(r)} the conv net's iterations" if r > 1 else
                 f"needs only {times(r)} the conv net's iterations")
        parts.append(f"the {c['change'].replace('fully connected ', '')} net ({c['parameters']:,} parameters"
                     .replace(",", "\\,") + f") {speed} ({versus(c, cap)}; {pct(c['control']['reached_pct'])} reach "
                     "100\\,\\%)")
    own = next((c for c in controls if c.get("hidden") == 4), None)            # part 2's own net, 256-4-1
    fc = own["control"]["median"] if own else math.nan
    conv = controls[0]["reference"]["median"] if controls else math.nan
    facts |= {"part2_median": part2_median, "own_net_median": fc, "conv_median": conv}
    if not all(math.isfinite(x) and x > 0 for x in (part2_median, fc, conv)):
        verdict = ("part~2's study has no median of its own net to set against it at this learning rate, so the "
                   "images and the net cannot be told apart here" if own else "")
        return "; ".join(parts) + (f"; {verdict}" if verdict else ""), facts
    data, net = part2_median / fc, fc / conv
    facts |= {"data_factor": data, "net_factor": net}
    size = controls[0].get("conv_parameters", 0)
    matched = next((c for c in controls if c is not own and abs(c["parameters"] - size) <= 0.1 * size
                    and math.isfinite(c["control"]["median"])), None)        # a fully connected net of its size
    verdict = (f"part~2's net, the same kind with one input per pixel of its smaller images, has a median of "
               f"{fmt_iters(part2_median, cap, tex=True)} on part~2's data at the same learning rate "
               f"(Table~\\ref{{tab:p2study}}), so moving to the line images and their labels makes this kind of net "
               + (f"{times(data)} faster" if data >= 1 else f"{times(1 / data)} slower"))
    if not (data > 1 and net > 1):
        verdict += (", and the conv net is " + (f"another {times(net)} faster" if net >= 1 else
                                                f"{times(1 / net)} slower again") + " than it")
        return "; ".join(parts) + f"; {verdict}", facts
    log_total = math.log(data * net)
    facts["data_share_log"] = math.log(data) / log_total
    first = (f"{100 * math.log(data) / log_total:.0f}\\,\\% from part~2's net to the 256-4-1 net on the line images "
             "(data, task and input size change together, so this step describes, it does not test)")
    verdict += f": on a log scale, the conv net's {times(data * net)} lead over part~2's ReLU + CE splits into {first}"
    wide, rest = (fc / matched["control"]["median"], matched["control"]["median"] / conv) if matched else (0, 0)
    name = matched["change"].replace("fully connected ", "") if matched else ""
    if wide > 1 and rest > 1:
        facts |= {"size_share_log": math.log(wide) / log_total, "rest_share_log": math.log(rest) / log_total}
        verdict += (f", {100 * math.log(wide) / log_total:.0f}\\,\\% from the 256-4-1 to the {name} net of about the "
                    f"conv net's size and {100 * math.log(rest) / log_total:.0f}\\,\\% from the {name} net to the conv "
                    "net (these two are controls on the same images)")
    else:
        verdict += (f" and {100 * math.log(net) / log_total:.0f}\\,\\% from the 256-4-1 net to the conv net (a control "
                    "on the same images)")
    return "; ".join(parts) + f"; {verdict}", facts


def shared(control, cap, lr_cls, lr_reg, seed=0):
    """The width head alone against both heads, the regression's fall along the run, and each loss's step
    on the shared layers."""
    texts, facts = {}, {}
    r = control["ratio"]
    texts["control shared"] = (
        "trained alone, the width head " + ("never reaches 100\\,\\% in most seeds" if not math.isfinite(r) else
                                            "needs about as many updates as with both heads" if 1 / CLOSE <= r <= CLOSE
                                            else f"needs {times(r)} the updates it needs with both heads")
        + f" ({versus(control, cap)})")
    facts["alone_over_both"] = r
    start = control["steps_at_start"]
    texts["steps"] = (f"at the start the width's step on the shared layers is {start['cls'] / start['reg']:.1f} times "
                      f"smaller than the classifier's, not {lr_cls / lr_reg:g} times: its gradient there is "
                      f"{(start['reg'] / lr_reg) / (start['cls'] / lr_cls):.0f} times larger")
    if "reg_slope" in start:
        texts["steps"] += (f". Per image, the size of the L2 loss's derivative in the width, $|2(\\hat r - r)|$, "
                           f"averages {start['reg_slope']:.2f} there (the widths are off by {start['reg_error']:.2f} "
                           f"pixels on average), against {start['cls_slope']:.2f} for the cross-entropy's in the logit, "
                           f"$|\\sigma(z) - y|$")
        facts["slope_ratio_at_start"] = start["reg_slope"] / start["cls_slope"]
    facts["step_ratio_at_start"] = start["cls"] / start["reg"]
    if "largest_drop_both" in control:
        drop, alone = control["largest_drop_both"], control.get("largest_drop_alone")
        late_both, late_alone = control.get("late_fall_both"), control.get("late_fall_alone")
        texts["spike"] = (f"An observation on seed {seed} alone, not a controlled experiment: along its run the regression "
                          f"accuracy falls by up to {points(drop)} points (at iteration {control['drop_at']})" +
                          (f", and with the width head alone by at most {points(alone)}" if alone is not None else ""))
        if late_both is not None:
            texts["spike"] += (f"; after first reaching 80\\,\\% (iteration {control['first_at'].get('0.8')}) it "
                               "falls again " + fall_text(late_both) +
                               (", while the width head alone, after reaching 80\\,\\%, falls " + fall_text(late_alone)
                                if late_alone is not None else ""))
        facts |= {"late_fall_both": late_both, "late_fall_alone": late_alone}
        reach = control["first_at"]
        texts["last images"] = ", ".join(f"{100 * float(k):.0f}\\,\\% of the widths are right by iteration {v}"
                                         for k, v in reach.items() if v is not None and float(k) >= 0.8)
        facts |= {"drop_both": drop, "drop_alone": alone, "first_at": reach}
    return texts, facts


def points(share):
    """A share (0..1) as percentage points for a largest value: to two decimals, rounded up, so that a
    maximum is never printed below itself (4/64 is 6.25, never 6)."""
    return f"{math.ceil(round(10000 * share, 6)) / 100:g}"


def fall_text(fall):
    """'from 83 % to 44 % (iteration 375)' or 'by at most 2 points' for a largest_fall record."""
    if fall["fall"] < 0.05:
        return f"by at most {points(fall['fall'])} points"
    return f"from {100 * fall['from']:.0f}\\,\\% to {100 * fall['to']:.0f}\\,\\% (iteration {fall['at']})"


def ratio_cell(r, c, cap):
    """A ratio of medians for the controls' table: '>x' (cap / the reference's median, rounded down) when the
    slower median is beyond the cap, '--' when there is no ratio."""
    if math.isfinite(r):
        return f"{r:.2f}"
    ref = float(c["reference"]["median"])
    return f"$>${down(cap / ref):.2f}" if 0 < ref < math.inf else "--"   # the slower one: beyond the cap


def table(study2, line, det, dest):
    """claims_controls.tex: every control against its reference on the same seeds."""
    rows = []
    for s, part in ((study2, "2"), (line, "3.1"), (det, "3.2")):
        cap = s["settings"]["max_iters"]
        for c in s.get("controls", []):
            rows.append([part, c["name"].split(": ", 1)[1].replace(" (the L2/CE step factor)", "").replace(
                " (the slope factor)", "").replace("fully connected", "FC").replace("first layer's", "layer 1"),
                NAMES.get(c["setting"], c["setting"]), c["seeds"],
                fmt_iters(c["control"]["median"], cap, tex=True), fmt_iters(c["reference"]["median"], cap, tex=True),
                ratio_cell(c["ratio"], c, cap), ratio_cell(c["ratio_before"], c, cap) if "ratio_before" in c else "--",
                f"{c['fewer']}/{c['more']}"])
    dest.write("claims_controls.tex", tex_table(["part", "change", "setting", "seeds", "median", "reference",
                                                 "ratio", "before", "fewer/more"], rows, align="lllrrrrrr"))


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
                      det["settings"]["seed"])
        texts, facts = texts | t, facts | {"shared": f}
    if dest is not None:
        table(study2, line, det, dest)
    return texts, facts
