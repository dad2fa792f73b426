"""Part 3.2: the conv net with a second head that regresses the object's width (detection dataset).

Net: the part 3.1 conv net (conv 7x7 1->16, ReLU, conv 7x7 16->8, ReLU, flatten 128) with two
heads on the 128 features: fully connected 1 -> sigmoid, cross-entropy (diamond 0 / square 1),
and fully connected 1 with linear activation -> the half-width w, L2 loss (y_hat - w)^2.
Init as in part 2 (truncated normal std 0.1, biases 0.1); full-batch plain gradient descent.

Two learning rates (the handout's semantics, made explicit): each loss is minimised by its own
plain gradient-descent step over every parameter it depends on, and both steps are applied every
iteration from the same parameters. The classifier head moves by lr_cls * dCE, the regressor head
by lr_reg * dL2, and the shared conv layers by lr_cls * dCE + lr_reg * dL2.

A width prediction is correct when |prediction - w| < 0.5. Stop when regression accuracy is 100 %;
the iteration at which classification first reached 100 % is recorded too. Conventions as in
part2_fc.py (iterations = updates before the first evaluation at 100 %, censored at the cap,
diverged on NaN/inf, --reduction mean or sum; the study runs both). A net whose ReLUs all die
can never change its predictions again and is stopped as "dead" (counted as censored).

Outputs go to --out-dir with fixed names (part3_detection_*), plus part3_comparison.* when the
part 2 and part 3.1 summaries are in the same folder.
"""
import json
import sys

import numpy as np

from dlbasics import plots
from dlbasics.cli import (Parser, add_run_arguments, check_out_dir, default_threads, positive_float, positive_int, run_main,
                          seed_everything)
from dlbasics.convruns import learned_pictures, run_seeds
from dlbasics.data import describe, load_dataset
from dlbasics.outputs import write_csv, write_json, write_tex_macros, write_tex_table
from dlbasics.study import fmt_iters
from dlbasics.tables import write_curves_csv, write_study_table

REDUCTIONS = ("mean", "sum")
METRICS = ("cls_loss", "cls_acc", "reg_loss", "reg_acc")


def parse_args(argv=None):
    p = Parser(prog="part3_detection.py", description=__doc__)
    add_run_arguments(p, "detection", seeds=4, per="reduction")
    p.add_argument("--lr-cls", type=positive_float, default=0.1,
                   help="learning rate of the cross-entropy step (default: %(default)s)")
    p.add_argument("--lr-reg", type=positive_float, default=0.001,
                   help="learning rate of the L2 (width) step (default: %(default)s)")
    p.add_argument("--threads", type=positive_int, default=default_threads(),
                   help="torch threads inside each step; part of what a result depends on (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny budget for tests: 4 seeds, 300 iterations")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.max_iters = 4, 300
    return args


def curve_figures(run, args, out):
    note = f"regression 100 % after {run.iterations} updates" if run.status == "reached" else \
        f"{run.status} after {run.iterations} updates"
    name = f"seed {args.seed}, {args.reduction} loss"
    specs = {"cls_loss": ("Cross-entropy loss", "cross-entropy", True, None),
             "cls_acc": ("Classification accuracy", "accuracy", False, (0, 1.03)),
             "reg_loss": ("L2 (width) loss", "L2 loss", True, None),
             "reg_acc": ("Regression accuracy (|error| < 0.5)", "accuracy", False, (0, 1.03))}
    for key, (title, ylabel, logy, ylim) in specs.items():
        plots.plot_curve(run.curves[key], f"{title}: {name}", ylabel, out, f"part3_detection_{key}", note,
                         logy=logy, ylim=ylim)
    plots.plot_overlay({f"seed {args.seed}": {"loss": run.curves["cls_loss"], "acc": run.curves["cls_acc"],
                                              "reg_loss": run.curves["reg_loss"], "reg_acc": run.curves["reg_acc"]}},
                       out, "part3_detection_combined",
                       f"Detection net, {name}, lr_cls {args.lr_cls:g}, lr_reg {args.lr_reg:g}",
                       panels=(("loss", "cross-entropy", True), ("acc", "classification accuracy", False),
                               ("reg_loss", "L2 loss", True), ("reg_acc", "regression accuracy", False)))


def picture_figures(run, data, args, out):
    label = lambda c, i: f"label {c} ({'diamond' if c == 0 else 'square'})\nwidth {data.widths[i]:g}"  # noqa: E731
    return learned_pictures(run, data, args.seed, out, "detection", label,
                            "when its width regression reached 100\\,\\%",
                            "the first diamond and the first square", " Both heads read these 128 numbers.")


def study_outputs(runs, args, out):
    """Distributions of regression-100 % and classification-first-100 % iterations, both reductions."""
    groups = {}
    for red in REDUCTIONS:
        rs = [r for r in runs if r.reduction == red]
        cls = np.array([r.first("cls_acc") for r in rs])
        groups[red] = {"regression": (np.array([r.iterations for r in rs]), np.array([r.status for r in rs])),
                       "classification": (np.where(cls >= 0, cls, args.max_iters),
                                          np.where(cls >= 0, "reached", "censored"))}
    plots.plot_ecdf({f"{red} reduction": groups[red] for red in REDUCTIONS}, args.max_iters, out,
                    "part3_detection_study_ecdf", f"Part 3.2: iterations to 100 % over {args.seeds} seeds "
                    "(classification: first time, before the regression stop)")
    return write_study_table(out, "part3_detection_study", groups, args.max_iters)


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("detection", args.data_dir)
    print(describe(data))
    out = check_out_dir(args.out_dir)
    seed_everything(args.seed, 1)
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    runs = run_seeds(data, [(s, red) for red in REDUCTIONS for s in seeds], args.lr_cls, args.lr_reg,
                     args.max_iters, METRICS, args.threads)
    single = next(r for r in runs if r.seed == args.seed and r.reduction == args.reduction)
    curve_figures(single, args, out)
    captions = picture_figures(single, data, args, out)
    write_curves_csv(out / "part3_detection_curves.csv", {f"seed {args.seed} ({args.reduction})": single.curves},
                     METRICS)
    summaries = study_outputs(runs, args, out)
    numbers = write_numbers(single, summaries, data, args, out, captions)
    comparison(out, args, summaries)
    write_json(out / "part3_detection_summary.json", {
        "settings": {k: v for k, v in vars(args).items() if k not in ("out_dir", "data_dir")}
        | {"data_dir": str(args.data_dir), "data_files": data.files, "data_origin": data.origin},
        "single_run": {"seed": args.seed, "reduction": args.reduction, "iterations": single.iterations,
                       "status": single.status, "classification_first": single.first("cls_acc")},
        "study": {f"{lab} ({red})": s for (red, lab), s in summaries.items()}, "numbers": numbers})
    print(f"part 3.2: seed {args.seed} ({args.reduction}): regression {single.status} after {single.iterations} "
          f"updates, classification first at 100 % after {single.first('cls_acc')}")
    print(f"part 3.2: wrote figures, tables and part3_detection_summary.json to {out}")


def write_numbers(single, summaries, data, args, out, captions):
    cap = args.max_iters
    first = single.first("cls_acc")
    values = {"p3 det seed iters": single.iterations if single.status == "reached" else f"$>${cap}",
              "p3 det seed cls first": first if first >= 0 else "never", "p3 det seeds": args.seeds,
              "p3 det data": data.origin, "p3 det lr cls": f"{args.lr_cls:g}", "p3 det lr reg": f"{args.lr_reg:g}",
              "p3 det filters caption": captions["filters"],
              "p3 det feature maps caption": captions["feature_maps"]}
    for red in REDUCTIONS:
        for head, tag in (("regression", "reg"), ("classification", "cls")):
            s = summaries[(red, head)]
            for q in ("median", "q1", "q3"):
                values[f"p3 det {tag} {q} {red}"] = fmt_iters(s[q], cap, tex=True)
            values[f"p3 det {tag} reached {red}"] = f"{s['reached_pct']:.0f}"
    write_tex_macros(out / "part3_detection_numbers.tex", values)
    return values


def comparison(out, args, summaries):
    """Part 2 vs 3.1 vs 3.2 (mean reduction), when the part 2 and 3.1 summaries are in `out`."""
    p2_file, line_file = out / "part2_summary.json", out / "part3_line_summary.json"
    if not (p2_file.is_file() and line_file.is_file()):
        print(f"part 3.2: no part2/part3_line summary in {out}: comparison table skipped")
        return
    p2, line = json.loads(p2_file.read_text()), json.loads(line_file.read_text())
    studies = [(f"2: {key[:-7]}", s) for key, s in p2["results"]["study"].items() if key.endswith("(mean)")]
    studies.append(("3.1: line", line["study"]["mean"]))
    studies += [(f"3.2: {head}", summaries[("mean", head)]) for head in ("classification", "regression")]
    cap = args.max_iters
    rows = {tex: [[name] + [fmt_iters(float(s[k]), cap, tex=tex) for k in ("median", "q1", "q3")]
                  + [f"{float(s['reached_pct']):.0f}"] for name, s in studies] for tex in (False, True)}
    write_csv(out / "part3_comparison.csv", ["experiment", "median", "Q1", "Q3", "reached %"], rows[False])
    write_tex_table(out / "part3_comparison.tex", ["experiment (mean loss)", "median", "$Q_1$", "$Q_3$",
                                                   "reached \\%"], rows[True])


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
