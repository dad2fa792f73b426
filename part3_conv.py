"""Part 3.1: a tiny conv net on the line dataset (is the square left or right of the bar?).

Net (handout Figure 4): 16x16 input -> conv 7x7, 1->16, stride 1, no padding -> ReLU -> conv 7x7,
16->8 -> ReLU -> flatten (8 x 4 x 4 = 128) -> fully connected 1 -> sigmoid, cross-entropy loss
(computed from the logit). Init as in part 2: weights ~ normal(0, 0.1) truncated at 2 std,
biases 0.1. Full-batch plain gradient descent, lr --lr, at most --max-iters updates; stop at
100 % training accuracy (prediction = output > 0.5).

Same conventions as part2_fc.py: "iterations to 100 %" = updates made before the first
evaluation at 100 %; a run short of it after the cap is CENSORED ("> cap"); a NaN/inf loss marks
it DIVERGED; --reduction mean (default) or sum of the batch loss (the study runs both).

Default run: seed --seed (curves, the 16 learned first-layer filters, the second layer's feature
maps for one sample of each class), then the study over --seeds seeds x both reductions. Seeds
run in fixed blocks of 4 on --threads threads; seed k is bit-identical alone or in a study.
Outputs go to --out-dir with fixed names (part3_line_*).
"""
import sys

import numpy as np

from dlbasics import plots
from dlbasics.cli import (Parser, add_run_arguments, check_out_dir, default_threads, positive_float, positive_int, run_main,
                          seed_everything)
from dlbasics.convruns import learned_pictures, n_parameters, relative_change, run_seeds
from dlbasics.data import describe, load_dataset
from dlbasics.outputs import write_json, write_tex_macros
from dlbasics.study import fmt_iters
from dlbasics.tables import write_curves_csv, write_study_table

REDUCTIONS = ("mean", "sum")
CLASS_NAME = {0: "label 0\n(square right)", 1: "label 1\n(square left)"}


def parse_args(argv=None):
    p = Parser(prog="part3_conv.py", description=__doc__)
    add_run_arguments(p, "line", seeds=8, per="reduction")
    p.add_argument("--lr", type=positive_float, default=0.1, help="learning rate (default: %(default)s)")
    p.add_argument("--threads", type=positive_int, default=default_threads(),
                   help="torch threads inside each step; part of what a result depends on (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny budget for tests: 4 seeds, 300 iterations")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.max_iters = 4, 300
    return args


def single_run_figures(run, data, args, out):
    note = f"100 % after {run.iterations} updates" if run.status == "reached" else \
        f"{run.status} after {run.iterations} updates"
    name = f"line, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}"
    plots.plot_curve(run.curves["loss"], f"Loss: {name}", f"cross-entropy loss ({args.reduction})", out,
                     "part3_line_loss", note, logy=True)
    plots.plot_curve(run.curves["acc"], f"Accuracy: {name}", "training accuracy", out,
                     "part3_line_accuracy", note, ylim=(0, 1.03))
    return learned_pictures(run, data, args.seed, out, "line", lambda c, i: CLASS_NAME[c],
                            "after it reached 100\\,\\% training accuracy", "the first sample of each class")


def study_outputs(runs, args, out):
    groups = {red: {"line": (np.array([r.iterations for r in runs if r.reduction == red]),
                             np.array([r.status for r in runs if r.reduction == red]))} for red in REDUCTIONS}
    plots.plot_ecdf({"line dataset, lr %g" % args.lr: {f"{red} reduction": groups[red]["line"]
                                                       for red in REDUCTIONS}},
                    args.max_iters, out, "part3_line_study_ecdf", f"Part 3.1: iterations to 100 % over {args.seeds} seeds")
    return write_study_table(out, "part3_line_study", groups, args.max_iters)


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("line", args.data_dir)
    print(describe(data))
    out = check_out_dir(args.out_dir)
    seed_everything(args.seed, 1)
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    runs = run_seeds(data, [(s, red) for red in REDUCTIONS for s in seeds], args.lr, 0.0, args.max_iters,
                     ("loss", "acc"), args.threads)
    single = next(r for r in runs if r.seed == args.seed and r.reduction == args.reduction)
    captions = single_run_figures(single, data, args, out)
    write_curves_csv(out / "part3_line_curves.csv", {f"line seed {args.seed} ({args.reduction})": single.curves},
                     ("loss", "acc"))
    summaries = study_outputs(runs, args, out)
    cap = args.max_iters
    numbers = {"p3 line seed iters": single.iterations if single.status == "reached" else f"$>${cap}",
               "p3 line seeds": args.seeds, "p3 line data": data.origin,
               "p3 line filters caption": captions["filters"],
               "p3 line feature maps caption": captions["feature_maps"],
               "p3 line params": f"{n_parameters(False):,}".replace(",", "\\,"),
               "p3 line conv one change pct": f"{100 * relative_change(single.params, args.seed, False, 'conv1.weight'):.0f}",
               "p3 line conv two change pct": f"{100 * relative_change(single.params, args.seed, False, 'conv2.weight'):.0f}"}
    for red in REDUCTIONS:
        s = summaries[(red, "line")]
        for q in ("median", "q1", "q3"):
            numbers[f"p3 line {q} {red}"] = fmt_iters(s[q], cap, tex=True)
        numbers[f"p3 line reached {red}"] = f"{s['reached_pct']:.0f}"
    write_tex_macros(out / "part3_line_numbers.tex", numbers)
    write_json(out / "part3_line_summary.json", {
        "settings": {k: v for k, v in vars(args).items() if k not in ("out_dir", "data_dir")}
        | {"data_dir": str(args.data_dir), "data_files": data.files, "data_origin": data.origin},
        "single_run": {"seed": args.seed, "reduction": args.reduction, "iterations": single.iterations,
                       "status": single.status},
        "study": {red: summaries[(red, "line")] for red in REDUCTIONS}})
    print(f"part 3.1: seed {args.seed} ({args.reduction}) {single.status} after {single.iterations} updates; "
          + "; ".join(f"{red}: median {fmt_iters(summaries[(red, 'line')]['median'], cap)}" for red in REDUCTIONS))
    print(f"part 3.1: wrote figures, tables and part3_line_summary.json to {out}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
