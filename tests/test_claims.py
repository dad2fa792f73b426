"""The report's claims against the numbers: every outcome-dependent sentence (dlbasics/report/claims.py) is
recomputed here from the runs in the summary JSONs, with code of its own, and the sentences the
report states as fixed facts are checked on the data.

Checked on the bundled data (the quick outputs), on the build in figures/ when there is one, and on
the course's data when ../shared/data/cis581 exists (a small study of every script).
"""
import functools
import json
import math
import re
import sys

import background
import numpy as np
import pytest
from conftest import COURSE, ROOT

from dlbasics.report import claims, mechanism, part2_claims
from dlbasics.study.stats import fmt_pct

CAP = "--max-iters=4000"          # small, with a lower cap: the same claims, sooner
COURSE_RUNS = [("part1_loss_gradient.py", "--points", "31"), ("part2_fc.py", CAP), ("part3_conv.py", CAP),
               ("part3_detection.py", CAP),
               ("study part2", "--seeds", "24", "--sweep-seeds", "6", "--lrs", "0.1,0.3,1", "--traces", "8", CAP, "--workers", "1"),
               ("study line", "--seeds", "4", CAP, "--workers", "1"), ("study detection", "--seeds", "2", CAP, "--workers", "1")]


def command(program, args, out):
    if program.startswith("study "):
        return [sys.executable, "-m", "dlbasics.study", program.split()[1], *args, "--data-dir", str(COURSE),
                "--no-progress", "--no-figures", "--out-dir", str(out)]
    extra = [] if program == "part1_loss_gradient.py" else ["--data-dir", str(COURSE), "--no-figures"]
    return [sys.executable, str(ROOT / program), *args, *extra, "--out-dir", str(out)]


def _course_commands():
    out = background.scratch("course_outputs")
    return [(command(s, a, out), ROOT) for s, *a in COURSE_RUNS]


background.define("course_outputs", _course_commands,
                  lambda item: "outputs" in getattr(item, "fixturenames", ()) and "[course]" in item.nodeid
                  and (COURSE / "random" / "random_imgs.npy").is_file())


@pytest.fixture(scope="session")
def course_outputs():
    """A small study of every script on the course's data, the four side by side."""
    if not (COURSE / "random" / "random_imgs.npy").is_file():
        pytest.skip(f"course data not found at {COURSE}")
    for proc in background.wait("course_outputs"):
        assert proc.returncode == 0, proc.stderr
    return background.scratch("course_outputs")


@pytest.fixture(params=["bundled", "build", "course"])
def outputs(request, quick_outputs):
    if request.param == "bundled":
        return quick_outputs[0]
    if request.param == "build":
        if not (ROOT / "figures" / "part3_detection_study_summary.json").is_file():
            pytest.skip("no build in figures/ (make all makes one)")
        return ROOT / "figures"
    return request.getfixturevalue("course_outputs")


# ---- independent recomputation from the runs ----------------------------------------------------------
def load(out, name):
    return json.loads((out / name).read_text())


def runs(summary):
    cols = summary["runs"]["columns"]
    return [dict(zip(cols, row)) for row in summary["runs"]["rows"]]


def iters(rs):
    """Iterations to 100 %, +inf for runs that did not get there."""
    return np.array([r["iterations"] if r["status"] == "reached" else np.inf for r in rs], dtype=float)


def median(rs):
    v = np.sort(iters(rs))
    mid = (len(v) - 1) / 2
    lo, hi = v[int(math.floor(mid))], v[int(math.ceil(mid))]
    return math.inf if math.isinf(lo) or math.isinf(hi) else (lo + hi) / 2


@functools.lru_cache(maxsize=None)
def part2_runs(out):
    """The part 2 study's summary and its runs at the main learning rate, grouped by (setting, reduction)."""
    s = load(out, "part2_study_summary.json")
    groups = {}
    for r in runs(s):
        if r["lr"] == s["settings"]["lr"]:
            groups.setdefault((r["setting"], r["reduction"]), []).append(r)
    return s, groups


@functools.lru_cache(maxsize=None)
def built_claims(out):
    return claims.build(out)


def times(x):
    """A ratio as the companion's sentences print it: two decimals below 1, one below 10, none above."""
    return (f"{x:.2f}" if x < 1 else f"{x:.1f}" if x < 10 else f"{x:.0f}") + "\\,$\\times$"


def answer_times(x):
    """A ratio as the submission's answers print it: one decimal below 10, none above."""
    return (f"{x:.1f}" if x < 10 else f"{x:.0f}") + "\\,$\\times$"


def at_least(x, digits=2):
    """A lower bound as the report prints it: rounded down, to two decimals (one in the answers)."""
    return "more than " + f"{math.floor(10 ** digits * x) / 10 ** digits:.{digits}f}\\,$\\times$"


def test_loss_and_activation_effects(outputs):
    """The submission's answers to Question 2.5: each ratio of medians, and which setting is faster."""
    texts, _ = built_claims(outputs)
    s, g = part2_runs(outputs)
    cap = s["settings"]["max_iters"]
    for a in ("sigmoid", "relu"):
        l2, ce = median(g[(f"{a}-l2", "mean")]), median(g[(f"{a}-ce", "mean")])
        if math.isfinite(ce):
            shown = answer_times(l2 / ce) if math.isfinite(l2) else at_least(cap / ce, 1)
            assert shown in texts["ans loss"], (a, shown, texts["ans loss"])
    faster = all(median(g[(f"{a}-l2", "mean")]) > median(g[(f"{a}-ce", "mean")]) for a in ("sigmoid", "relu"))
    assert texts["ans loss"].startswith("Under the mean loss, cross-entropy is faster with either activation") == faster
    for loss in ("l2", "ce"):
        sig, relu = median(g[(f"sigmoid-{loss}", "mean")]), median(g[(f"relu-{loss}", "mean")])
        if math.isfinite(relu):
            shown = answer_times(sig / relu) if math.isfinite(sig) else at_least(cap / relu, 1)
            assert shown in texts["ans activation"], (loss, shown)
    faster = all(median(g[(f"sigmoid-{k}", "mean")]) > median(g[(f"relu-{k}", "mean")]) for k in ("l2", "ce"))
    assert texts["ans activation"].startswith("ReLU is faster with either loss") == faster


def text_of(texts, red):
    """The part of the prediction check that speaks of reduction `red`."""
    text = texts["prediction check"]
    if text.startswith("under either"):
        return text
    mean, _, summed = text.partition("; under the sum")
    return mean if red == "mean" else summed


def test_prediction_check_and_orders(outputs):
    texts, _ = built_claims(outputs)
    s, g = part2_runs(outputs)
    med = {k: median(v) for k, v in g.items()}
    said = {}
    for red in ("mean", "sum"):
        holds = [a for a in ("sigmoid", "relu") if med[(f"{a}-ce", red)] < med[(f"{a}-l2", red)]]
        slowest = max((k for k in med if k[1] == red), key=lambda k: (med[k], k[0] == "sigmoid-l2"))[0]
        finite_ce = any(math.isfinite(med[(f"{a}-ce", red)]) for a in ("sigmoid", "relu"))
        second = ("the second holds too" if slowest == "sigmoid-l2" else
                  f"the slowest setting is {claims.LABEL[slowest]}, not sigmoid + L2")
        said[red] = ("cannot check the predictions" if not finite_ce else
                     ("confirm both predictions" if slowest == "sigmoid-l2" else
                      f"confirm the first prediction, but {second}") if len(holds) == 2 else
                     f"confirm the first prediction with {'ReLU' if holds == ['relu'] else holds[0]} only" if holds
                     else f"contradict the first prediction with both activations, and {second}")
        if len(holds) == 1:
            assert second in text_of(texts, red), (red, second)
    text = texts["prediction check"]
    if said["mean"] == said["sum"]:
        assert text.startswith(f"under either loss reduction the medians {said['mean']}"), text
    else:
        assert text.startswith(f"under the mean loss the medians {said['mean']}"), text
        assert f"under the sum they {said['sum']}" in text, text
    order = {red: [k[0] for k in sorted((k for k in med if k[1] == red and math.isfinite(med[k])),
                                          key=lambda k: med[k])] for red in ("mean", "sum")}
    common = [k for k in order["mean"] if k in order["sum"]]
    same = common == [k for k in order["sum"] if k in common]
    assert ("keep the same order" in texts["orders differ"]) == same
    assert ("ranked differently" in texts["orders differ"]) == (not same)
    for k in order["mean"]:
        if k not in order["sum"]:
            assert claims.LABEL[k] in texts["orders differ"].split(" drop")[0]
    script = load(outputs, "part2_summary.json")
    single = {r["setting"]: r for r in script["single_runs"] if r["reduction"] == "mean"}
    seed_order = sorted((k for k in single if single[k]["status"] == "reached"), key=lambda k: single[k]["iterations"])
    assert ("rank them alike" in texts["ans order"]) == (seed_order == order["mean"])
    for k in seed_order:                         # the script's counts, the ones Table 1 prints
        assert f"{single[k]['iterations']:,}".replace(",", "\\,") + (" iterations" if k == seed_order[0] else "") + \
            f" with {claims.LABEL[k]}" in texts["ans order"], (k, texts["ans order"])


def test_sum_failures_and_pairs(outputs):
    texts, _ = built_claims(outputs)
    s, g = part2_runs(outputs)
    failed = [k[0] for k, v in g.items() if k[1] == "sum" and not math.isfinite(median(v))]
    labels = claims.LABEL
    assert all(labels[f] in texts["sum failures"] for f in failed)
    if not failed:
        assert texts["sum failures"].startswith("every setting")
    for red in ("mean", "sum"):
        for r in s["numbers"]["pairs"]:
            if r["reduction"] != red:
                continue
            ga, gb = (g[(next(k for k, v in labels.items() if v == r[x]), red)] for x in ("a", "b"))
            a, b = iters(ga), iters(gb)
            assert math.isclose(r["a_faster_pct"], 100 * np.mean(a < b))            # paired on the same seeds
            m = sum(1 for q in s["numbers"]["pairs"] if q["reduction"] == red)
            close = r["p_value"] * m >= claims.SIGNIFICANT                      # Bonferroni over the neighbours
            assert (f"{r['a']} and {r['b']}" in texts[f"pairs {red}"]) == close
            table = {row.split(",")[2]: row.split(",")[1] for row in (outputs / "part2_study.csv").read_text().splitlines()[1:]
                     if row.split(",")[0] == red}
            if close and math.isfinite(median(ga)) and math.isfinite(median(gb)):   # a tie shares its rank
                assert table[r["a"]] == table[r["b"]] and table[r["a"]].endswith("="), (red, r, table)
            if red == "sum":                     # a tie under the sum is a tie in the order sentence too
                both = all(math.isfinite(median(g[(next(k for k, v in labels.items() if v == x), q)]))
                           for x in (r["a"], r["b"]) for q in ("mean", "sum"))
                assert (f"{r['a']} and {r['b']}" in texts["orders differ"]) == (close and both)


def test_lr_scaling(outputs):
    texts, _ = built_claims(outputs)
    s = load(outputs, "part2_study_summary.json")
    cells, common = {}, s["settings"]["sweep_seeds"]            # every learning rate on the same seeds
    for r in runs(s):
        if r["seed"] < common:
            cells.setdefault((r["setting"], r["lr"], r["reduction"]), []).append(r)
    lrs = sorted({k[1] for k in cells})
    for setting, label in claims.LABEL.items():
        meds = [median(cells[(setting, lr, "mean")]) for lr in lrs]
        pts = [(lr, m) for lr, m in zip(lrs, meds) if math.isfinite(m)]
        if len(pts) < 2:
            assert f"{label} has too few medians" in texts["lr scaling"] or "no exponent can be fitted" in \
                texts["lr scaling"]
            continue
        k = -np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)[0]
        assert f"{k:.2f}" in texts["lr scaling"], (label, k, texts["lr scaling"])
        if len(pts) == 2:
            assert f"{label} has an exponent of {k:.2f} from two learning rates only" in texts["lr scaling"]
            continue
        assert (f"{label} breaks the rule" in texts["lr scaling"]) == (abs(k - 1) > 0.1)


def test_part3_claims(outputs):
    texts, _ = built_claims(outputs)
    s2, g = part2_runs(outputs)
    line, det = load(outputs, "part3_line_study_summary.json"), load(outputs, "part3_detection_study_summary.json")
    line_mean = median([r for r in runs(line) if r["reduction"] == "mean"])
    best = min(median(g[(s, "mean")]) for s in claims.LABEL)
    assert ("faster than any part-2 setting" in texts["ans line"]) == (line_mean < best)
    det_mean = [r for r in runs(det) if r["reduction"] == "mean"]
    cls = np.array([np.inf if r["classification"] is None else r["classification"] for r in det_mean], dtype=float)
    cls_median = np.median(cls)
    if math.isfinite(cls_median) and math.isfinite(line_mean):
        r = cls_median / line_mean
        word = "about as fast as" if 1 / 1.15 <= r <= 1.15 else (f"{times(1 / r)} faster than" if r < 1 else
                                                                  f"{times(r)} slower than")
        from scipy.stats import mannwhitneyu  # unpaired: different nets, different data
        p = mannwhitneyu(cls, iters([r for r in runs(line) if r["reduction"] == "mean"]), alternative="two-sided").pvalue
        if word != "about as fast as" and p >= claims.SIGNIFICANT:
            assert texts["det cls vs line"].startswith("cannot be told apart from the line task")
            assert f"Mann--Whitney $p = {p:.2g}$" in texts["det cls vs line"]
        else:
            assert word in texts["det cls vs line"]
    for name, summary in (("line sum endings", line), ("det sum endings", det)):
        sum_runs = [r for r in runs(summary) if r["reduction"] == "sum"]
        dead = 100 * np.mean([r["status"] == "stuck" for r in sum_runs])
        assert (f"{fmt_pct(dead)}\\,\\% die" in texts[name]) == (dead > 0)


def test_fixed_sentences_of_the_report(outputs):
    """Sentences the report states as facts, checked on the data."""
    s, g = part2_runs(outputs)
    numbers = s["numbers"]
    zeros, ones = s["data"]["class_counts"]
    # "Every accuracy curve first jumps to the majority share and stays there for a while"
    for label in claims.LABEL.values():
        assert numbers[f"p2 plateau {label}"] > 0, label
    assert numbers["p2 majority pct"] == f"{100 * max(zeros, ones) / (zeros + ones):.0f}"
    # part 1: the cross-entropy is convex, L2 is not, on the default grid
    p1 = load(outputs, "part1_numbers.json")
    assert p1["ce_concave_pct"] == 0 and p1["l2_concave_pct"] > 0
    assert p1["l2_flat_pct"] > p1["ce_flat_pct"]


def test_every_claim_macro_is_used_by_a_document(quick_outputs):
    """Every sentence the claims step writes appears in the submission or its companion, and every answer
    in the submission."""
    texts, _ = claims.build(quick_outputs[0])
    report, studies = ((ROOT / "report" / f"{n}.tex").read_text() for n in ("report", "studies"))
    from dlbasics.common.outputs import macro_name
    unused = [k for k in texts if "\\" + macro_name(k if k.startswith("ans ") else f"claim {k}") not in report + studies]
    assert not unused, unused
    assert all("\\" + macro_name(k) in report for k in texts if k.startswith("ans ") and "coverage" not in k)


def test_stale_beyond_numbers_are_refused_before_latex(tmp_path):
    """An older study's beyond_numbers.tex lacks a macro the section uses: one line, not a LaTeX error."""
    from dlbasics.common.cli import UserError
    (tmp_path / "beyond_numbers.tex").write_text("\\newcommand{\\BeyondSeeds}{100}\n")
    with pytest.raises(UserError, match="written by an older version"):
        claims.check_beyond(tmp_path)
    used = set(re.findall(r"\\(Beyond[A-Za-z]+)", (ROOT / "report" / "beyond.tex").read_text()))
    (tmp_path / "beyond_numbers.tex").write_text("".join(f"\\newcommand{{\\{m}}}{{x}}\n" for m in used))
    claims.check_beyond(tmp_path)                                    # complete: accepted


def test_rounding_claims(outputs):
    """Which cells moved under one ulp, and which traced runs pass the edge of stability, recomputed from
    the twins and the traces in the studies' summaries."""
    texts, _ = built_claims(outputs)
    moved, total = [], 0
    for name in ("part2_study_summary.json", "part3_line_study_summary.json", "part3_detection_study_summary.json"):
        s = load(outputs, name)
        total += len(s["sensitivity"]["rows"])
        cells = {}
        for r in s["sensitivity"]["rows"]:
            cells.setdefault((r[0], r[1], r[2]), []).append((r[4], r[5]) != (r[6], r[7]))
        moved += [(k, sum(v), len(v)) for k, v in cells.items() if any(v)]
    assert f"Of {total:,} twin pairs".replace(",", "\\,") in texts["rounding moved"]
    if not moved:
        assert "not one count or status moved" in texts["rounding moved"]
    for (setting, lr, red), k, n in moved:
        assert f"at lr {lr:g} under the {red} loss ({k} of {n} seeds" in texts["rounding moved"]
    every = [c for n in ("part2_study_summary.json", "part3_line_study_summary.json",
                         "part3_detection_study_summary.json") for c in load(outputs, n)["sensitivity"]["cells"]]
    largest = max((c["max_abs_delta"] for c in every if c["sensitive"]), default=0)
    assert (f"by up to {largest} updates" in texts["rounding largest"]) == (largest > 0)
    traces = load(outputs, "part2_study_summary.json")["stability"]
    edge = [t for t in traces if t["max_lr_sharpness"] > 2]
    assert texts["rounding mechanism"].startswith(f"Of the {len(traces)} traced runs, {len(edge)} pass the edge")
    for t in edge:
        assert f"({t['reduction']}, lr {t['lr']:g}, seed {t['seed']})" in texts["rounding mechanism"]
    moved_traced = [t for t in traces if t["cell_sensitive_pct"]]
    if moved_traced and all(t in edge for t in moved_traced):
        assert "Every traced cell whose counts moved runs at the edge" in texts["rounding mechanism"]
    for t in edge:                                           # a quiet run at the edge: how it ends, never why
        if not t["cell_sensitive_pct"]:
            end = {"reached": f"reaches 100\\,\\% at iteration {t['iterations']}", "censored": "runs to the cap",
                   "stuck": f"dies at iteration {t['iterations']}", "diverged": f"diverges at iteration {t['iterations']}"}
            assert f"seed {t['seed']}) {end[t['status']]}" in texts["rounding mechanism"]
    assert "because" not in texts["rounding mechanism"]


# ---- the causes: each control's sentence, recomputed from its runs --------------------------------------
class Capture:
    """Stands in for a staged Outputs: keeps what the claims step writes."""

    def __init__(self):
        self.files = {}

    def write(self, name, text):
        self.files[name] = text

    def json(self, name, obj):
        self.files[name] = obj


def rows_of(control):
    cols = ["setting", "lr", "reduction", "seed", "iterations", "status"]
    return [dict(zip(cols, r)) for r in control["rows"]]


def paired_counts(mine, reference):
    by_seed = {r["seed"]: r for r in reference}
    a = iters(mine)
    b = iters([by_seed[r["seed"]] for r in mine])
    return int(np.sum(a < b)), int(np.sum(a > b)), median(mine), median([by_seed[r["seed"]] for r in mine])


def controls_table(out):
    """The controls' table as the report step writes it, captured."""
    files = {}

    class Capture:
        def write(self, name, text):
            files[name] = text
    from dlbasics.report import causes
    causes.table(*(load(out, n) for n in ("part2_study_summary.json", "part3_line_study_summary.json",
                                                   "part3_detection_study_summary.json")), Capture())
    return files["claims_controls.tex"]


def test_part2_control_claims(outputs):
    texts, _ = built_claims(outputs)
    s, g = part2_runs(outputs)
    table = controls_table(outputs)
    for c in s["controls"]:
        mine = rows_of(c)
        fewer, more, m, ref = paired_counts(mine, g[(c["reference_setting"], "mean")])
        assert f"& {fewer}/{more} & " in table                        # the seed-by-seed counts: in the table
        text = texts["control loss" if "step factor" in c["change"] else "control activation"]
        if math.isfinite(m) and math.isfinite(ref):
            assert f"to {times(m / ref)}" in text, (times(m / ref), text)
        before = median([r for r in g[(c["setting"], "mean")] if r["seed"] in {x["seed"] for x in mine}])
        cap = s["settings"]["max_iters"]
        if math.isfinite(before) and math.isfinite(ref) and math.isfinite(m):
            assert f"goes from {times(before / ref)}" in text
        elif math.isinf(before) and math.isfinite(ref) and math.isfinite(m):   # only a lower bound is known
            bound = f"{math.floor(10 * cap / ref) / 10:.1f}"       # a bound: rounded down
            assert f"goes from more than {bound}" in text
        # the table's second group: the control's median over the unchanged one's (an upper bound, rounded
        # up, when the unchanged median is beyond the cap)
        if math.isfinite(before) and math.isfinite(m):
            r = m / before
            assert f"& {r:.2f} &" in table if r < 1 else f"& {r:.1f} &" in table if r < 10 else f"& {r:.0f} &" in table
        elif math.isinf(before) and math.isfinite(m):
            assert f"& $<${math.ceil(100 * m / cap) / 100:.2f} &" in table, (m, cap, table)


def test_part3_control_claims(outputs):
    texts, _ = built_claims(outputs)
    line = load(outputs, "part3_line_study_summary.json")
    conv = [r for r in runs(line) if r["reduction"] == "mean"]
    table = controls_table(outputs)
    for c in line["controls"]:
        mine = rows_of(c)
        fewer, more, m, ref = paired_counts(mine, conv)
        assert f"& {fewer}/{more} & " in table
        name = c["change"].replace("fully connected ", "")
        if math.isfinite(m) and 1 / 1.15 <= m / ref <= 1.15:
            assert f"the {name} net" in texts["control architecture"]
        elif math.isfinite(m):
            assert f"the {name} net ({c['parameters']:,} parameters) needs {times(m / ref)}".replace(",", "\\,", 1) \
                in texts["control architecture"], texts["control architecture"]
    # the 256-4-1 net on part 2's data (the part 2 study, same learning rate) against the line images
    p2 = [r for r in runs(load(outputs, "part2_study_summary.json"))
          if (r["setting"], r["lr"], r["reduction"]) == ("relu-ce", line["settings"]["lr"], "mean")]
    own = median(rows_of(next(c for c in line["controls"] if c["hidden"] == 4)))
    if p2 and all(math.isfinite(x) for x in (median(p2), own, median(conv))):
        data, net = median(p2) / own, own / median(conv)
        assert (f"Part~2's net needs {times(1 / data)} as many iterations on the line images as on part~2's data "
                "(a description, not a test") in texts["control architecture"]
        if data > 1 and net > 1:
            share = math.log(data) / math.log(data * net)
            assert f"{100 * share:.0f}\\,\\% comes with the line images (described)" in texts["control architecture"]
    det = load(outputs, "part3_detection_study_summary.json")
    c = det["controls"][0]
    both = [r for r in runs(det) if r["reduction"] == "mean"]
    fewer, more, *_ = paired_counts(rows_of(c), both)
    assert f"more on {more} and fewer on {fewer} of {len(rows_of(c))} seeds" in texts["control shared"]
    # the regression's largest fall and the last images, from the script's own curves of the same seed
    images = sum(det["data"]["class_counts"])
    curve = [float(line.split(",")[4]) for line in (outputs / "part3_detection_curves.csv").read_text().splitlines()[1:]]
    drop = max(np.maximum.accumulate(curve) - curve)
    assert f"falls by up to {round(drop * images)} of {images}" in texts["spike"]       # whole images, exact
    assert texts["spike"].startswith("An observation on seed")
    late = next((t for t, v in enumerate(curve) if v >= 0.8 - 1e-12), None)
    if late is not None:                       # the largest fall after first reaching 80 %, found by hand
        best, fall, at = curve[late], 0.0, late
        for t in range(late, len(curve)):
            best = max(best, curve[t])
            if best - curve[t] > fall:
                fall, at, top = best - curve[t], t, best
        assert f"after first reaching 80\\,\\% (iteration {late})" in texts["spike"]
        if fall < 0.05:
            assert f"falls again by at most {round(fall * images)} image" in texts["spike"]
        else:
            assert (f"falls again from {100 * top:.0f}\\,\\% to {100 * curve[at]:.0f}\\,\\% (iteration {at})"
                    in texts["spike"])
    said = {}
    for share in (0.8, 0.9, 0.95, 1.0):
        hit = [t for t, v in enumerate(curve) if v >= share - 1e-12]
        if hit:
            said[share] = f"{hit[0]:,}".replace(",", "\\,")
    if 0.8 in said:
        assert texts["last images"].startswith(f"80\\,\\% of the widths are right by iteration {said[0.8]}")
    if 1.0 in said:
        assert texts["last images"].endswith(f"all by {said[1.0]}")
    if 0.9 in said:
        assert f"90\\,\\% by {said[0.9]}" in texts["last images"]


def test_the_widths_step_on_the_shared_layers(outputs):
    """Each loss's step on the conv layers at the start, from the script's own net and initialisation."""
    import torch

    import part3_detection
    texts, _ = built_claims(outputs)
    det = load(outputs, "part3_detection_study_summary.json")
    folder = COURSE if det["data"]["sha256"] and "a750b959" in " ".join(det["data"]["sha256"].values()) else ROOT / "data"
    data = part3_detection.load_dataset("detection", folder).to(torch.float64)
    net = part3_detection.init_weights(part3_detection.DetectionNet().double(), det["settings"]["seed"])
    logits, widths, _ = net(data.images)
    conv = [p for n, p in net.named_parameters() if n.startswith("conv")]
    norm = lambda loss: float(torch.sqrt(sum((g * g).sum() for g in torch.autograd.grad(loss, conv, retain_graph=True))))  # noqa: E731
    cls = det["settings"]["lr_cls"] * norm(part3_detection.cross_entropy(logits, data.labels).mean())
    reg = det["settings"]["lr_reg"] * norm(part3_detection.width_l2(widths, data.widths).mean())
    assert f"is {cls / reg:.1f} times smaller than the classifier's" in texts["steps"]
    error = (widths.detach() - data.widths).abs().mean()
    ce_slope = (torch.sigmoid(logits.detach()) - data.labels).abs().mean()      # d CE / d logit, by hand
    assert (f"averages {2 * float(error):.1f} (the widths are off by {float(error):.1f} pixels on average), "
            f"against {float(ce_slope):.2f} for the cross-entropy's") in texts["steps"]


def test_mechanism_multiply_and_plateau_claims(outputs):
    texts, _ = built_claims(outputs)
    s, g = part2_runs(outputs)
    med = {k: median(v) for k, v in g.items()}
    act = [med[(f"sigmoid-{k}", "mean")] / med[(f"relu-{k}", "mean")] for k in ("l2", "ce")]
    loss = [med[(f"{a}-l2", "mean")] / med[(f"{a}-ce", "mean")] for a in ("sigmoid", "relu")]
    if all(math.isfinite(x) for x in act + loss):
        alike = max(act) / min(act) <= 1.15 and max(loss) / min(loss) <= 1.15
        assert texts["ans together"].startswith("The two effects multiply") == alike
    mech, cap = s["mechanism"], s["settings"]["max_iters"]        # the factors the controls were scaled by
    for a, b, factor in [("sigmoid-ce", "relu-ce", mech["slope ReLU + CE"] / mech["slope sigmoid + CE"]),
                         ("sigmoid-l2", "sigmoid-ce", 1 / mech["l2 factor sigmoid + L2"])]:
        by = {r["seed"]: r for r in g[(b, "mean")]}
        more = unknown = 0
        for r in g[(a, "mean")]:
            o = by[r["seed"]]
            # a run short of 100 % needs more than the cap; a dead or diverged one needs forever
            low_a = r["iterations"] if r["status"] == "reached" else cap if r["status"] == "censored" else math.inf
            high_a = r["iterations"] if r["status"] == "reached" else math.inf
            low_b = o["iterations"] if o["status"] == "reached" else cap
            high_b = o["iterations"] if o["status"] == "reached" else math.inf
            lowest, highest = low_a / high_b, (high_a / low_b if low_b > 0 else math.inf)
            if r["status"] == "reached" and o["status"] == "reached":
                more += o["iterations"] > 0 and r["iterations"] / o["iterations"] > factor
            elif lowest > factor or (r["status"] != "censored" and o["status"] == "reached"):
                more += 1
            elif highest > factor:
                unknown += 1
        n = len(g[(a, "mean")])
        share, open_share = 100 * more / n, 100 * unknown / n
        row = next(line for line in mechanism_table(outputs).splitlines()
                   if line.startswith(f"{claims.LABEL[a]} / {claims.LABEL[b]}".replace("sigmoid", "sig.")))
        cells = [c.strip() for c in row.removesuffix("\\\\").split("&")]
        assert cells[2] == f"{factor:.2f}", (cells, factor)
        if not math.isfinite(med[(b, "mean")]):                  # no ratio of medians: the shares are not given
            assert cells[3] == "--"
        elif unknown:
            assert cells[4] == f"{fmt_pct(share)}--{fmt_pct(share + open_share)}\\,\\%"
        else:
            assert cells[4] == f"{fmt_pct(share)}\\,\\%"
        if math.isfinite(med[(a, "mean")]) and math.isfinite(med[(b, "mean")]):   # the sentence: which side
            side = "larger" if med[(a, "mean")] / med[(b, "mean")] > factor else "smaller"
            what = "L2's slowdown against cross-entropy" if a.endswith("l2") else "the sigmoid's against ReLU"
            assert re.search(re.escape(what) + r" is (" + side + r" than its factor predicts|[^;]*\b" + side + r" than its factor (once|\d+ times))",
                             texts["mechanism"]), (what, side, texts["mechanism"])
    curves = (outputs / "part2_curves.csv").read_text().splitlines()
    header, table = curves[0].split(","), [line.split(",") for line in curves[1:]]
    zeros, ones = load(outputs, "part2_summary.json")["data"]["class_counts"]
    majority = max(zeros, ones) / (zeros + ones)
    waits = [any(row[i] and float(row[i]) == majority for row in table) for i, h in enumerate(header) if h.endswith(" acc")]
    assert texts["plateau all"].startswith("Every accuracy curve") == all(waits)


def mechanism_table(out):
    files = {}

    class Capture:
        def write(self, name, text):
            files[name] = text
    from dlbasics.study.summary import read
    mechanism.mechanism_table(part2_claims.Part2(read(out / "part2_study_summary.json"), read(out / "part2_summary.json")),
                              Capture())
    return files["claims_mechanism.tex"]


def test_travel_claim(outputs):
    """The first layer's path along seed 0's runs: lr x the summed first-layer gradient norms, from the
    study's curves; the sentence's lead-in follows the ratio."""
    texts, _ = built_claims(outputs)
    s = load(outputs, "part2_study_summary.json")
    rows = (outputs / "part2_study_curves.csv").read_text().splitlines()
    header, table = rows[0].split(","), [r.split(",") for r in rows[1:]]
    path = {}
    for name in ("sigmoid + L2", "sigmoid + CE", "ReLU + L2", "ReLU + CE"):
        col = header.index(f"{name} (mean) grad_norm_W")
        values = [float(r[col]) for r in table if r[col]]
        path[name] = s["settings"]["lr"] * sum(values[:-1])
    ratios = []
    for loss in ("L2", "CE"):
        sig, relu = path[f"sigmoid + {loss}"], path[f"ReLU + {loss}"]
        assert f"{sig:.2f} against {relu:.2f} with {loss}" in texts["travel"]
        ratios.append(sig / relu)
    assert texts["travel"].startswith(f"An observation on seed {s['settings']['seed']} alone, not a controlled")
    assert ("one seed cannot show whether that explains" in texts["travel"]) == all(r > 1.15 for r in ratios)
    assert "cause" not in texts["travel"]
    n = s["numbers"]
    for key in ("p2 plateau hidden mean sigmoid + ", "p2 slope sigmoid + "):
        values = {loss: float(n[key + loss]) for loss in ("L2", "CE") if math.isfinite(float(n[key + loss]))}
        shown = {loss: f"{v:.2f}" for loss, v in values.items()}
        if len(values) == 2 and len(set(shown.values())) == 1:
            assert f"{shown['L2']} under either loss" in texts["travel"]
        else:
            assert all(f"{v} ({loss})" in texts["travel"] for loss, v in shown.items()), (shown, texts["travel"])
    assert "nan" not in texts["travel"]
    loose = all(float(n[f"p2 slope sigmoid + {loss}"]) >= 0.2 for loss in ("L2", "CE"))
    assert ("are not saturated" in texts["travel"]) == loose


def test_part1_gradient_descent_claim(outputs):
    """Question 1.6's measurement, recomputed with a loop of our own from the numbers' start and rate."""
    texts, _ = built_claims(outputs)
    n = load(outputs, "part1_numbers.json")
    y = n["target"]
    steps = {}
    for name, slope in (("l2", lambda s: 2 * (s - y) * s * (1 - s)), ("ce", lambda s: s - y)):
        w, b = n["gd_start"]
        k = 0
        while abs(1 / (1 + math.exp(-(w + b))) - y) >= n["gd_tolerance"] and k <= n["gd_cap"]:
            g = slope(1 / (1 + math.exp(-(w + b))))
            w, b, k = w - n["gd_lr"] * g, b - n["gd_lr"] * g, k + 1
        steps[name] = k
    assert f"cross-entropy gets there in {steps['ce']} steps and L2 in {steps['l2']}" in texts["part one gd"]


def test_outputs_without_controls_or_traces_are_refused_in_one_line(tmp_path):
    """Studies run with --control-seeds 0 or --traces 0 (as make verify runs them) cannot make the report:
    the claims step says which file lacks what, and which flag did it."""
    from dlbasics.common.cli import UserError
    for name, key, flag in (("part2_study_summary.json", "stability", "--traces 0"),
                            ("part3_detection_study_summary.json", "controls", "--control-seeds 0")):
        folder = tmp_path / key
        folder.mkdir()
        for other in ("part2_study_summary.json", "part3_line_study_summary.json", "part3_detection_study_summary.json"):
            (folder / other).write_text(json.dumps({"script": "s", "controls": [{"name": "x"}],
                                                    "stability": [{"seed": 0}]}))
        (folder / name).write_text(json.dumps({"script": "s", "controls": [] if key == "controls" else [{"name": "x"}],
                                               "stability": []}))
        with pytest.raises(UserError, match=f"{name}: no .* in it \\(run with {flag}\\)"):
            claims.check_sections(folder)
    claims.check_sections(tmp_path / "controls" / ".." / "stability" / ".." / "missing")   # unreadable: left to inputs


def test_traced_runs_once_each_and_orders_name_every_setting(outputs):
    """A run traced for two reasons is traced (and tabled) once; the orders the report prints name every
    setting, those beyond the cap last and marked."""
    s = load(outputs, "part2_study_summary.json")
    keys = [(t["setting"], t["reduction"], t["lr"], t["seed"]) for t in s["stability"]]
    assert len(keys) == len(set(keys)), keys
    _, g = part2_runs(outputs)
    for red in ("mean", "sum"):
        meds = {k: median(v) for (k, r), v in g.items() if r == red}
        finite = sorted((k for k in meds if math.isfinite(meds[k])), key=lambda k: meds[k])
        text = s["numbers"][f"p2 study order {red}"]
        ranked, _, beyond = text.partition(", then ") if ", then " in text else (
            ("", "", text) if text.endswith("beyond the cap") else (text, "", ""))
        names = ranked.split(" $<$ ") if ranked else []
        key = {v: k for k, v in claims.LABEL.items()}
        in_order = [meds[key[n]] for n in names]
        assert in_order == sorted(in_order) and all(map(math.isfinite, in_order)), (red, text)
        assert len(names) == len(finite)
        late = beyond.removesuffix(" with a median beyond the cap").split(" and ") if beyond else []
        assert sorted(names + late) == sorted(claims.LABEL[k] for k in meds), (red, text)


def test_the_script_and_the_study_differ_only_where_twins_move(outputs):
    """Seed 0 as the script trained it against the study's row of the same seed, and each traced rerun
    against the study: any difference lies in a cell whose one-ulp twins move (the report says so)."""
    texts, _ = built_claims(outputs)
    s = load(outputs, "part2_study_summary.json")
    script = load(outputs, "part2_summary.json")
    seed, lr = script["settings"]["seed"], script["settings"]["lr"]
    study = {(r[0], r[2]): (r[4], r[5]) for r in s["runs"]["rows"] if r[3] == seed and r[1] == lr}
    moving = {(c["setting"], c["lr"], c["reduction"]) for c in s["sensitivity"]["cells"] if c["sensitive"]}
    mine = [(r["setting"], r["reduction"], (r["iterations"], r["status"])) for r in script["single_runs"]]
    traced = {(t["setting"], t["lr"], t["reduction"], t["seed"]) for t in s["stability"]}
    everything = {(k, lr, red, seed) for k, red, _ in mine} | traced
    differ = [(k, red, a) for k, red, a in mine if study[(k, red)] != a]
    for k, red, a in differ:
        assert (f"ends at {a[0]}$^\\dagger$ in the script's loop and {study[(k, red)][0]}$^\\dagger$ in the study"
                in texts["script vs study"])
        assert (k, lr, red) in moving, (k, red)
    assert texts["script vs study"].startswith(f"Of the {len(everything)} runs that the script's own loop made")
    rows = {tuple(r[:4]): (r[4], r[5]) for r in s["runs"]["rows"]}
    mine = {(r["setting"], r["reduction"]): (r["iterations"], r["status"]) for r in script["single_runs"]}
    for t in s["stability"]:                   # one run, one count: a traced run is the script's loop
        if (t["seed"], t["lr"]) == (seed, lr):
            assert (t["iterations"], t["status"]) == mine[(t["setting"], t["reduction"])], t
    for t in s["stability"]:
        if (t["iterations"], t["status"]) != rows[(t["setting"], t["lr"], t["reduction"], t["seed"])]:
            assert (t["setting"], t["lr"], t["reduction"]) in moving, t


def test_the_answer_table_marks_every_rounding_sensitive_count_and_shows_the_scripts_counts(outputs):
    """Table 1 of the submission: seed --seed's counts are the script's (the runs the figures show), each
    marked with a dagger exactly when a twin moved a count of its cell, and the medians are the study's."""
    written = Capture()
    claims.build(outputs, written)
    table = written.files["answer_part2.tex"]
    s, g = part2_runs(outputs)
    script = load(outputs, "part2_summary.json")
    moved = {}
    for r in s["sensitivity"]["rows"]:
        if r[1] == s["settings"]["lr"]:
            moved[(r[0], r[2])] = moved.get((r[0], r[2]), False) or (r[4], r[5]) != (r[6], r[7])
    single = {(r["setting"], r["reduction"]): r for r in script["single_runs"]}
    for setting, label in claims.LABEL.items():
        row = next(line for line in table.splitlines() if line.startswith(label + " &"))
        cells = [c.strip() for c in row.removesuffix("\\\\").split("&")]
        for red, at in (("mean", 1), ("sum", 5)):
            run = single[(setting, red)]
            shown = cells[at]
            assert shown.endswith("$^\\dagger$") == moved.get((setting, red), False), (setting, red, shown)
            count = shown.removesuffix("$^\\dagger$")
            if run["status"] == "reached":
                assert count == f"{run['iterations']:,}".replace(",", "\\,"), (setting, red, count)
            med, shown_median = median(g[(setting, red)]), cells[at + 1]
            assert shown_median.endswith("$^\\dagger$") == moved.get((setting, red), False)
            shown_median = shown_median.removesuffix("$^\\dagger$")
            assert shown_median == (f"{med:,.1f}" if med != int(med) else f"{med:,.0f}").replace(",", "\\,") \
                if math.isfinite(med) else shown_median.startswith("$>$")


def test_part3_answers_say_what_the_sum_does(outputs):
    """Q3.1 and Q3.2 compare under the mean loss and then say, from the study's runs, how each net ends
    under the summed loss: its median, or how many seeds die, diverge, reach 100 % or stay short."""
    texts, _ = built_claims(outputs)
    part2 = part2_runs(outputs)[1]
    for key, name, net in (("ans line", "part3_line_study_summary.json", "the conv net"),
                           ("ans detection", "part3_detection_study_summary.json", "the detection net")):
        s = load(outputs, name)
        text = texts[key]
        rows = [r for r in runs(s) if r["reduction"] == "sum"]     # a detection run ends with its regression
        if not rows:
            assert "summed loss" not in text
            continue
        m, n = median(rows), len(rows)
        if math.isfinite(m):
            assert f"Under the summed loss, {net}'s median is " in text and f"over {n} seeds" in text, text
        else:
            said = {"dies": "stuck", "diverges": "diverged", "reaches 100": "reached"}
            after = text.split("summed loss", 1)[1]
            for verb, status in said.items():
                k = sum(r["status"] == status for r in rows)
                found = re.search(re.escape(verb) + r"(\\,\\%)? on (\d+) of (\d+) seeds", after)
                assert (found is not None and found.group(2, 3) == (str(k), str(n))) if k else found is None, \
                    (verb, k, n, after)
        assert text.lower().index("under the mean loss") < text.index("summed"), text
    best = min((k for k in part2 if k[1] == "sum"), key=lambda k: median(part2[k]))
    if math.isfinite(median(part2[best])) and "summed loss" in texts["ans line"]:
        assert f"(part 2's {claims.LABEL[best[0]]}: median " in texts["ans line"], texts["ans line"]
