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
diverged on NaN/inf, dead when a whole ReLU layer is 0 for every image, --reduction mean or sum
and the study runs both, float64 by default).

Outputs go to --out-dir with fixed names (part3_detection_*). The table that compares all parts
is made with the report (python -m dlbasics.claims), from the three scripts' summaries.
"""
import sys
from functools import partial

import numpy as np
import torch

from dlbasics import plots, summary
from dlbasics.cli import (Parser, add_run_arguments, default_threads, positive_float, positive_int,
                          rerun_argv, resolve_quick, run_main)
from dlbasics.convnet import ConvNet
from dlbasics.convruns import BLOCK, data_samples, learned_pictures
from dlbasics.data import describe, load_dataset
from dlbasics.engine import Experiment, Head, Job, layer_off
from dlbasics.outputs import Outputs, write_json, write_tex_macros
from dlbasics.parallel import train_jobs
from dlbasics.resources import check_study
from dlbasics.runtime import seed_everything
from dlbasics.study import censored_values, fmt_iters, milestone_values
from dlbasics.tables import summarise_with_ci, write_curves_csv, write_study_table
from part2_fc import correct, cross_entropy

# ================================ The experiment ===============================================
# The part 3.1 net (dlbasics/convnet.py) with a second linear unit on its 128 features:
#     logit z -> sigmoid -> class (diamond 0 / square 1), part 2's cross-entropy, step lr_cls
#     width r (linear)   -> the half-width w,            L2 loss below,          step lr_reg


def width_l2(r, w):
    """Per-image L2 loss (r - w)^2 of the predicted width r, and its derivative in r: 2 (r - w)."""
    err = r - w
    return err * err, 2 * err


def width_correct(r, w):
    return (r - w).abs() < 0.5                     # the handout's tolerance on the half-width


def done(metrics):
    return metrics["reg_acc"] == 1                 # stop when every width is within 0.5


MILESTONES = {"classification": lambda metrics: metrics["cls_acc"] == 1}   # first time all classes right


def dead(acts):
    """Provably stuck: a whole ReLU layer is 0 for every image (see part3_conv.py). All images then
    share one width prediction forever, and widths that differ by 1 or more cannot all be within
    0.5 of it."""
    return layer_off(acts["conv1"]) | layer_off(acts["features"])


def experiment(setting, data, lr_reg=0.001):
    hopeless_if_dead = bool(data.widths.max() - data.widths.min() >= 1)
    return Experiment(net=ConvNet(data.images, regression=True),
                      heads=[Head("cls", "logit", data.labels, cross_entropy, correct),
                             Head("reg", "width", data.widths, width_l2, width_correct, lr=lr_reg)],
                      done=done, stuck=dead if hopeless_if_dead else None, milestones=MILESTONES)


REDUCTIONS = ("mean", "sum")
METRICS = ("cls_loss", "cls_acc", "reg_loss", "reg_acc")
# ===============================================================================================


def parse_args(argv=None):
    p = Parser(prog="part3_detection.py", description=__doc__)
    add_run_arguments(p, "detection", seeds=16, per="reduction")
    p.add_argument("--lr-cls", type=positive_float, default=0.1,
                   help="learning rate of the cross-entropy step (default: %(default)s)")
    p.add_argument("--lr-reg", type=positive_float, default=0.001,
                   help="learning rate of the L2 (width) step (default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=default_threads(),
                   help="processes sharing the runs, 1 torch thread each; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="tiny budget for tests: 4 seeds, 300 iterations (explicit --seeds / --max-iters win)")
    return resolve_quick(p.parse_args(argv), seeds=4, max_iters=300)


def run_study(args, data):
    check_study(2 * (args.seeds + (args.seed >= args.seeds)), 2, args.max_iters, metrics=4)
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    jobs = [Job("detection", s, args.lr_cls, red, record=(s == args.seed)) for red in REDUCTIONS for s in seeds]
    return train_jobs(partial(experiment, lr_reg=args.lr_reg), data, jobs, args.max_iters, args.workers, BLOCK,
                      not args.no_progress, "part 3.2 runs")


def curve_figures(run, args, out):
    """The four curves of the single run, one figure each (the handout's four figures)."""
    note = f"regression 100 % after {run.iterations} updates" if run.reached else \
        f"{run.status} after {run.iterations} updates"
    name = f"seed {args.seed}, {args.reduction} loss"
    specs = {"cls_loss": ("Cross-entropy loss", "cross-entropy", True, None),
             "cls_acc": ("Classification accuracy", "accuracy", False, (0, 1.03)),
             "reg_loss": ("L2 (width) loss", "L2 loss", True, None),
             "reg_acc": ("Regression accuracy (|error| < 0.5)", "accuracy", False, (0, 1.03))}
    title_of = {k: f"{t}, seed {args.seed}" for k, (t, *_) in specs.items()}
    for key, (title, ylabel, logy, ylim) in specs.items():
        plots.plot_curve(run.curves[key], title_of[key], ylabel, out, f"part3_detection_{key}", note,
                         logy=logy, ylim=ylim)
    write_curves_csv(out / "part3_detection_curves.csv", {f"seed {args.seed} ({args.reduction})": run.curves},
                     METRICS)


def study_outputs(runs, args, out):
    """Regression-100 % and classification-first-100 % iterations, both reductions."""
    stats, panels = {}, {}
    for red in REDUCTIONS:
        rs = [r for r in runs if r.reduction == red]
        status = np.array([r.status for r in rs])
        values = {"regression": censored_values(rs), "classification": milestone_values(rs, "classification")}
        stats[red] = {head: summarise_with_ci(rs, v) for head, v in values.items()}
        panels[f"{red} reduction"] = {head: (v, status) for head, v in values.items()}
    plots.plot_ecdf(panels, args.max_iters, out, "part3_detection_study_ecdf",
                    f"Part 3.2: iterations to 100 % over {args.seeds} seeds "
                    "(classification: first time, before the regression stop)")
    write_study_table(out, "part3_detection_study", stats, args.max_iters)
    return stats


def numbers(single, stats, pictures_out, data, args):
    captions, silent = pictures_out
    cap = args.max_iters
    first = single.milestones["classification"]
    values = {"p3 det seed iters": single.iterations if single.reached else f"$>${cap}",
              "p3 det seed cls first": first if first is not None else "never", "p3 det seeds": args.seeds,
              "p3 det data": data.origin, "p3 det lr cls": f"{args.lr_cls:g}", "p3 det lr reg": f"{args.lr_reg:g}",
              "p3 det silent maps": silent, "p3 det lr ratio": f"{args.lr_cls / args.lr_reg:g}", "p3 det zeros": data.class_counts[0], "p3 det ones": data.class_counts[1],
              "p3 det width min": f"{float(data.widths.min()):g}", "p3 det width max": f"{float(data.widths.max()):g}",
              "p3 det filters caption": captions["filters"], "p3 det feature maps caption": captions["feature_maps"]}
    for red in REDUCTIONS:
        for head, tag in (("regression", "reg"), ("classification", "cls")):
            s = stats[red][head]
            for q in ("median", "q1", "q3"):
                values[f"p3 det {tag} {q} {red}"] = fmt_iters(s[q], cap, tex=True)
            values[f"p3 det {tag} reached {red}"] = f"{s['reached_pct']:.0f}"
    return values


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("detection", args.data_dir)
    print(describe(data))
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        seed_everything(args.seed, 1)
        runs = run_study(args, data.to(getattr(torch, args.dtype)))
        single = next(r for r in runs if r.curves and r.reduction == args.reduction)
        curve_figures(single, args, out.dir)
        label = lambda c, i: f"label {c} ({'diamond' if c == 0 else 'square'})\nwidth {data.widths[i]:g}"  # noqa: E731
        data_samples(data, out.dir, "detection", lambda i: f"w={data.widths[i]:g}", "detection (16x16)")
        captions = learned_pictures(single, data.to(getattr(torch, args.dtype)), out.dir, "detection", label,
                                    "when its width regression reached 100\\,\\%" if single.reached else "at its stop",
                                    " Both heads read these 128 numbers.")
        stats = study_outputs(runs, args, out.dir)
        values = numbers(single, stats, captions, data, args)
        write_tex_macros(out.dir / "part3_detection_numbers.tex", values)
        settings = {k: (str(v) if k in ("data_dir", "out_dir") else v) for k, v in vars(args).items()}
        rerun = rerun_argv(args, ["seed", "seeds", "lr_cls", "lr_reg", "reduction", "max_iters", "dtype"])
        groups = [{"setting": head, "lr": args.lr_cls, "reduction": red} | s
                  for red, by_head in stats.items() for head, s in by_head.items()]
        write_json(out.dir / "part3_detection_summary.json", summary.build(
            "part3_detection.py", rerun, settings, data, runs, milestones=list(MILESTONES), groups=groups,
            numbers=values))
    first = single.milestones["classification"]
    print(f"part 3.2: seed {args.seed} ({args.reduction}): regression {single.status} after {single.iterations} "
          f"updates, classification first at 100 % after {first if first is not None else 'never'}")
    print(f"part 3.2: wrote {'' if args.no_figures else 'figures, '}tables and part3_detection_summary.json to {args.out_dir}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
