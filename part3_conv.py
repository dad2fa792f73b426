"""Part 3.1: a tiny conv net on the line dataset (is the square left or right of the bar?).

Net (handout Figure 4): 16x16 input -> conv 7x7, 1->16, stride 1, no padding -> ReLU -> conv 7x7,
16->8 -> ReLU -> flatten (8 x 4 x 4 = 128) -> fully connected 1 -> sigmoid, cross-entropy loss
(computed from the logit). Init as in part 2: weights ~ normal(0, 0.1) truncated at 2 std,
biases 0.1. Full-batch plain gradient descent, lr --lr, at most --max-iters updates; stop at
100 % training accuracy (prediction = output > 0.5).

Same conventions as part2_fc.py: "iterations to 100 %" = updates made before the first
evaluation at 100 %; a run short of it after the cap is CENSORED ("> cap"); a NaN/inf loss marks
it DIVERGED; a net whose 128 features are all 0 for every image is DEAD (it can never change its
predictions; counted as not reaching 100 %); --reduction mean (default) or sum of the batch loss
(the study runs both); float64 by default (--dtype), and a run's numbers do not depend on the
machine, the thread count or which other runs shared its batch.

Runs: the study trains --seeds seeds x both reductions; seed --seed is recorded in full (curves,
the 16 learned first-layer filters, the second layer's feature maps). Outputs go to --out-dir
with fixed names (part3_line_*).
"""
import sys
from functools import partial

import torch

from dlbasics import plots, summary
from dlbasics.cli import (Parser, add_run_arguments, add_training_arguments, default_threads, describe_training,
                          positive_float, positive_int, rerun_argv, resolve_quick, resolve_training, run_main,
                          training_of)
from dlbasics.convnet import ConvNet
from dlbasics.convruns import BLOCK, data_samples, learned_pictures, relative_change
from dlbasics.data import describe, load_dataset
from dlbasics.engine import Experiment, Head, Job, layer_off
from dlbasics.models import n_parameters
from dlbasics.optim import GradientDescent
from dlbasics.outputs import Outputs, write_json, write_tex_macros
from dlbasics.parallel import train_jobs
from dlbasics.resources import check_study
from dlbasics.runtime import seed_everything
from dlbasics.sampling import MiniBatches
from dlbasics.study import censored_values, fmt_iters, group_runs
from dlbasics.tables import summarise_with_ci, write_curves_csv, write_study_table
from part2_fc import correct, cross_entropy

# ================================ The experiment ===============================================
# The net of handout Figure 4, trained for many seeds at once (dlbasics/convnet.py writes it out as
# matrices, with its hand-derived backward):
#     16x16 image -> conv 7x7, 16 filters -> ReLU -> conv 7x7, 8 filters -> ReLU -> 128 features
#     -> fully connected 1: the logit z; output sigmoid(z), prediction sigmoid(z) > 1/2 (z > 0)
# Loss: part 2's per-image cross-entropy, computed from the logit; its derivative in z is p - y.


def done(metrics):
    return metrics["acc"] == 1                     # the first evaluation at 100 % training accuracy


def dead(acts):
    """Provably stuck: a whole ReLU layer (conv 1, or conv 2 = the 128 features) is 0 for every image.
    Every layer above it then sees the same input for every image, so all images share one
    prediction, and no gradient passes below it, so it stays dead: with both classes present,
    100 % is out of reach for good."""
    return layer_off(acts["conv1"]) | layer_off(acts["features"])


def experiment(setting, data, init="handout", batch_size=None, order="shuffled", momentum=0.0, weight_decay=0.0):
    """The handout trains with the defaults: its initialisation, full-batch gradient descent (see
    part2_fc.experiment for the other options; the dead rule holds only for plain steps)."""
    both_classes = 0 < data.class_counts[1] < len(data)
    optimizer = GradientDescent(momentum, weight_decay)
    batches = MiniBatches(data.labels, batch_size, order) if batch_size and batch_size < len(data) else None
    return Experiment(net=ConvNet(data.images, init=init), heads=[Head("", "logit", data.labels, cross_entropy, correct)],
                      done=done, stuck=dead if both_classes and optimizer.plain else None, optimizer=optimizer,
                      batches=batches)


REDUCTIONS = ("mean", "sum")
CLASS_NAME = {0: "label 0\n(square right)", 1: "label 1\n(square left)"}
# ===============================================================================================


def parse_args(argv=None):
    p = Parser(prog="part3_conv.py", description=__doc__)
    add_run_arguments(p, "line", seeds=32, per="reduction")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate (default: 0.1; 0.01 with --edition 2017)")
    p.add_argument("--workers", type=positive_int, default=default_threads(),
                   help="processes sharing the runs, 1 torch thread each; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="tiny budget for tests: 4 seeds, 300 iterations (explicit --seeds / --max-iters win)")
    add_training_arguments(p, {"lr": 0.01})
    args = resolve_training(p, p.parse_args(argv))
    args.lr = args.lr or 0.1
    return resolve_quick(args, seeds=4, max_iters=300)


def run_study(args, data):
    check_study(2 * (args.seeds + (args.seed >= args.seeds)), 2, args.max_iters, metrics=2)
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    jobs = [Job("line", s, args.lr, red, record=(s == args.seed)) for red in REDUCTIONS for s in seeds]
    return train_jobs(partial(experiment, **training_of(args)), data, jobs, args.max_iters, args.workers, BLOCK, not args.no_progress,
                      "part 3.1 runs")


def single_run_outputs(run, data, args, out):
    note = f"100 % after {run.iterations} updates" if run.reached else f"{run.status} after {run.iterations} updates"
    name = f"line net, seed {args.seed}"
    plots.plot_curve(run.curves["loss"], f"{name}: loss", f"cross-entropy ({args.reduction})", out,
                     "part3_line_loss", note, logy=True)
    plots.plot_curve(run.curves["acc"], f"{name}: accuracy", "training accuracy", out,
                     "part3_line_accuracy", note, ylim=(0, 1.03))
    write_curves_csv(out / "part3_line_curves.csv", {f"line seed {args.seed} ({args.reduction})": run.curves},
                     ("loss", "acc"))
    data_samples(data, out, "line", lambda i: f"y={int(data.labels[i])}", "line (16x16)")
    return learned_pictures(run, data, out, "line", lambda c, i: CLASS_NAME[c],
                            "after it reached 100\\,\\% training accuracy" if run.reached else "at its stop")


def study_outputs(runs, args, out):
    groups = group_runs(runs, ("reduction",))
    stats = {red: summarise_with_ci(groups[(red,)]) for red in REDUCTIONS}
    plots.plot_ecdf({f"line dataset, lr {args.lr:g}": {
        f"{red} reduction": (censored_values(groups[(red,)]), [r.status for r in groups[(red,)]])
        for red in REDUCTIONS}}, args.max_iters, out, "part3_line_study_ecdf",
        f"Part 3.1: iterations to 100 % over {args.seeds} seeds")
    write_study_table(out, "part3_line_study", {red: {"line": stats[red]} for red in REDUCTIONS}, args.max_iters)
    return stats


def numbers(single, stats, pictures_out, data, args):
    captions, silent = pictures_out
    cap = args.max_iters
    values = {"p3 line seed iters": single.iterations if single.reached else f"$>${cap}",
              "p3 line seeds": args.seeds, "p3 line data": data.origin, "p3 line silent maps": silent,
              "p3 line zeros": data.class_counts[0], "p3 line ones": data.class_counts[1],
              "p3 line filters caption": captions["filters"], "p3 line feature maps caption": captions["feature_maps"],
              "p3 line params": f"{n_parameters(ConvNet(data.images).module()):,}".replace(",", "\\,"),
              "p3 line conv one change pct": f"{100 * relative_change(single.params, single.seed, False, 'conv1.weight', args.init):.0f}",
              "p3 line conv two change pct": f"{100 * relative_change(single.params, single.seed, False, 'conv2.weight', args.init):.0f}"}
    for red, s in stats.items():
        for q in ("median", "q1", "q3"):
            values[f"p3 line {q} {red}"] = fmt_iters(s[q], cap, tex=True)
        values[f"p3 line reached {red}"] = f"{s['reached_pct']:.0f}"
    return values


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("line", args.data_dir)
    print(describe(data))
    print(f"training: {describe_training(args, len(data))}, lr {args.lr:g}, at most {args.max_iters} updates")
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        seed_everything(args.seed, 1)
        runs = run_study(args, data.to(getattr(torch, args.dtype)))
        single = next(r for r in runs if r.curves and r.reduction == args.reduction)
        captions = single_run_outputs(single, data.to(getattr(torch, args.dtype)), args, out.dir)
        stats = study_outputs(runs, args, out.dir)
        values = numbers(single, stats, captions, data, args)
        write_tex_macros(out.dir / "part3_line_numbers.tex", values)
        settings = {k: (str(v) if k in ("data_dir", "out_dir") else v) for k, v in vars(args).items()}
        rerun = rerun_argv(args, ["seed", "seeds", "lr", "reduction", "max_iters", "init", "batch_size", "order",
                                  "optimizer", "momentum", "weight_decay", "dtype"])
        write_json(out.dir / "part3_line_summary.json", summary.build(
            "part3_conv.py", rerun, settings, data, runs,
            groups=[{"setting": "line", "lr": args.lr, "reduction": red} | s for red, s in stats.items()],
            numbers=values))
    print(f"part 3.1: seed {args.seed} ({args.reduction}) {single.status} after {single.iterations} updates; "
          + "; ".join(f"{red}: median {fmt_iters(s['median'], args.max_iters)}" for red, s in stats.items()))
    print(f"part 3.1: wrote {'' if args.no_figures else 'figures, '}tables and part3_line_summary.json to {args.out_dir}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
