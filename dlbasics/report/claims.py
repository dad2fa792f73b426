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
from dlbasics.report import answers, author, causes, inputs, mechanism, part2_claims, provenance, rounding
from dlbasics.report.wording import num, ratio, times
from dlbasics.study.stats import SIGNIFICANT, fmt_pct
from dlbasics.study.tables import fmt_ci, fmt_coverage, tie_note

CLOSE = causes.CLOSE   # two medians within this factor of each other: about as fast

LABEL = inputs.LABEL


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
    p2 = part2_claims.Part2(study2, script2)
    line = inputs.read_pair(out, "part3_line_summary.json")[1]
    det = inputs.read_pair(out, "part3_detection_summary.json")[1]
    texts, facts = {}, {}
    for name, fn in (("mechanism", mechanism.mechanism), ("gradient start", part2_claims.gradient_start),
                     ("orders differ", part2_claims.orders_differ), ("weight moves", part2_claims.weight_moves),
                     ("prediction check", part2_claims.prediction_check), ("lr scaling", part2_claims.lr_scaling),
                     ("script vs study", part2_claims.script_vs_study)):
        texts[name], facts[name] = fn(p2)
    (texts["plateau all"], texts["plateau"]), facts["plateau"] = part2_claims.plateau(p2)
    (texts["sum failures"], texts["sum ce lead"]), facts["sum"] = part2_claims.sum_effect(p2)
    pair_texts, facts["pairs"] = part2_claims.pairs(p2)
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
    facts["mechanism table"] = mechanism.mechanism_table(p2, dest)
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
