"""Part 2: a tiny fully connected net on the random 4x4 dataset, four settings, many seeds.

Net (handout Figure 3): 16 inputs -> fully connected 4 -> sigmoid or ReLU -> fully connected 1
-> sigmoid. Weights ~ normal(0, 0.1) truncated at 2 std (redrawn beyond +-0.2), biases 0.1.
Plain full-batch gradient descent (batch = all 64 samples), at most --max-iters updates.

Conventions (the handout leaves them open):
  * prediction = output > 0.5 (logit > 0); stop at the first full-batch evaluation at 100 %.
  * "iterations to 100 %" = updates made before that evaluation (0 if the initial net is already
    perfect). A run still short of 100 % after --max-iters updates is CENSORED: shown as "> cap",
    never as a number. A NaN/inf loss marks the run DIVERGED.
  * a ReLU net whose 4 hidden units are all 0 for every image is DEAD: it can never change its
    predictions again, so it is stopped there and counted as not reaching 100 % (like censored).
  * L2 = (sigmoid(z) - y)^2; CE = binary cross-entropy computed from the logit z (stable).
  * --reduction: the batch loss is the mean (default) or the sum over the 64 samples; the sum
    multiplies every step by 64. The study always runs both.
  * seed k initialises every setting identically (a paired comparison), and a run's numbers do not
    depend on the machine, the thread or worker count, or which other runs shared its batch.
  * training runs in float64 (--dtype): iterations to 100 % are a threshold event, and float32
    rounding differs between CPUs.

Runs: the study trains --seeds seeds x 4 settings x both reductions at --lr, and --sweep-seeds
seeds at every other learning rate in --lrs; the runs of seed --seed at --lr are recorded in full
(curves, gradient norms, final weights). Outputs go to --out-dir with fixed names (part2_*).
"""
import sys
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from dlbasics import pictures, plots, summary
from dlbasics.cli import (Parser, add_run_arguments, add_training_arguments, default_threads, describe_training,
                          float_list, positive_float, positive_int, rerun_argv, resolve_quick, resolve_training,
                          run_main, training_of)
from dlbasics.data import describe, load_dataset
from dlbasics.engine import Experiment, Head, Job, layer_off
from dlbasics.fcnet import FCNet
from dlbasics.models import init_, n_parameters
from dlbasics.optim import GradientDescent
from dlbasics.outputs import Outputs, write_csv, write_json, write_tex_macros, write_tex_table
from dlbasics.parallel import train_jobs
from dlbasics.resources import check_study
from dlbasics.runtime import seed_everything
from dlbasics.sampling import MiniBatches
from dlbasics.sums import sum_samples
from dlbasics.study import censored_values, fmt_iters, group_runs, power_law, sort_key, summarise
from dlbasics.tables import (print_table, summarise_with_ci, write_curves_csv, write_paired_table,
                             write_study_table)

# ================================ The experiment ===============================================
# The net of handout Figure 3, trained for many seeds at once (dlbasics/fcnet.py writes it out as
# matrices, with its hand-derived backward):
#     h = act(x W1 + b1)     16 pixels -> 4 hidden units, act = sigmoid or ReLU
#     z = h w2 + b2          one logit per image; output sigmoid(z), prediction sigmoid(z) > 1/2
ACTIVATIONS = ("sigmoid", "relu")


def l2(z, y):
    """Per-image L2 loss (p - y)^2 with p = sigmoid(z), and its derivative in z: 2 (p - y) p (1 - p)."""
    p = torch.sigmoid(z)
    err = p - y
    return err * err, torch.ops.aten.sigmoid_backward(2 * err, p)     # = 2 err p (1 - p), in one pass


def cross_entropy(z, y):
    """Per-image -(y log p + (1 - y) log(1 - p)), p = sigmoid(z), computed as softplus(-z) for y = 1
    and softplus(z) for y = 0 (no overflow), and its derivative in z: p - y."""
    return F.softplus((1 - 2 * y) * z), torch.sigmoid(z) - y


LOSSES = {"l2": l2, "ce": cross_entropy}


def correct(z, y):
    return (z > 0) == (y > 0.5)                    # sigmoid(z) > 1/2 exactly when z > 0


def done(metrics):
    return metrics["acc"] == 1                     # the first evaluation at 100 % training accuracy


def dead(acts):
    """Provably stuck: every hidden ReLU is 0 for every image. No gradient then reaches the first
    layer, every image gets the same logit forever, and with both classes present 100 % is out of
    reach. (A sigmoid unit is never exactly 0, so sigmoid nets have no such rule.)"""
    return layer_off(acts["hidden"])


def slopes(outputs, acts, activation, labels):
    """Recorded along the single runs (the report's mechanism). l2_factor: how much smaller L2's push on
    the logits is than CE's, |2 p (1 - p) (p - y)| summed over images against |p - y|; hidden_slope:
    the hidden activation's mean derivative (sigmoid' = h (1 - h) <= 1/4; ReLU: 1 where on, 0 where
    off); predicted_1: the share of images predicted 1. Sums in a fixed order (sums.py)."""
    z, h = outputs["logit"], acts["hidden"]                              # (N, R), (N, H, R)
    p, y = torch.sigmoid(z), labels[:, None]
    err = (p - y).abs()
    slope = h * (1 - h) if activation == "sigmoid" else (h > 0).to(h.dtype)
    mean = lambda x: sum_samples(x.reshape(-1, x.shape[-1])) / (x.numel() // x.shape[-1])  # noqa: E731
    return {"l2_factor": sum_samples(2 * p * (1 - p) * err) / sum_samples(err), "hidden_slope": mean(slope),
            "predicted_1": mean((z > 0).to(z.dtype))}


def dead_units(outputs, acts):
    """Share of hidden units that are 0 for every image (dead ReLUs; a sigmoid unit never is)."""
    h = acts["hidden"]                                                   # (N, H, R)
    return {"dead_units": (h.amax(0) == 0).to(h.dtype).mean(0)}


def experiment(setting, data, init="handout", batch_size=None, order="shuffled", momentum=0.0, weight_decay=0.0,
               diagnostics="slopes"):
    """setting: '<activation>-<loss>', e.g. 'relu-ce'. The handout trains with the defaults: its
    initialisation, full-batch gradient descent. batch_size: mini-batch SGD in the seeded `order`
    (sampling.py); momentum, weight_decay: torch.optim.SGD's. The dead rule holds only for plain
    steps: momentum and weight decay keep moving a net whose hidden layer is off."""
    activation, loss = setting.split("-")
    both_classes = 0 < data.class_counts[1] < len(data)
    optimizer = GradientDescent(momentum, weight_decay)
    batches = MiniBatches(data.labels, batch_size, order) if batch_size and batch_size < len(data) else None
    watch = partial(slopes, activation=activation, labels=data.labels) if diagnostics == "slopes" else dead_units
    return Experiment(net=FCNet(data.images, activation, init=init),
                      heads=[Head("", "logit", data.labels, LOSSES[loss], correct)],
                      done=done, stuck=dead if activation == "relu" and both_classes and optimizer.plain else None,
                      optimizer=optimizer, batches=batches, record_grad_norms=diagnostics == "slopes",
                      diagnostics=watch)


SETTINGS = [f"{a}-{loss}" for a in ACTIVATIONS for loss in LOSSES]
LABELS = {"sigmoid-l2": "sigmoid + L2", "sigmoid-ce": "sigmoid + CE", "relu-l2": "ReLU + L2", "relu-ce": "ReLU + CE"}
REDUCTIONS = ("mean", "sum")
# ===============================================================================================


def parse_args(argv=None):
    p = Parser(prog="part2_fc.py", description=__doc__)
    add_run_arguments(p, "random", seeds=1000, per="setting and reduction at --lr")
    p.add_argument("--lr", type=positive_float, default=0.1, help="learning rate of the study (default: %(default)s)")
    p.add_argument("--lrs", type=float_list, default=[0.1, 0.3, 1.0, 3.0],
                   help="learning rates of the sweep, comma-separated (default: 0.1,0.3,1,3)")
    p.add_argument("--sweep-seeds", type=positive_int, default=None,
                   help="seeds per cell at the sweep's other learning rates (default: 50)")
    p.add_argument("--activations", default="sigmoid,relu",
                   help="hidden activations, comma-separated, of sigmoid, relu (default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=default_threads(),
                   help="processes sharing the runs, 1 torch thread each; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="tiny budget for tests: 4 seeds, 2 learning rates, 2000 iterations (explicit "
                        "--seeds / --max-iters win)")
    add_training_arguments(p, {"batch_size": 64, "max_epochs": 1000})
    args = resolve_training(p, p.parse_args(argv))
    explicit_cap = "--max-iters" in (argv if argv is not None else sys.argv[1:])
    args = resolve_quick(args, seeds=4, max_iters=2000)
    args.max_epochs = None if explicit_cap or args.quick else getattr(args, "max_epochs", None)
    args.activations = args.activations.split(",")
    for act in args.activations:
        if act not in ACTIVATIONS:
            p.error(f"argument --activations: unknown activation {act!r} (choose from sigmoid, relu)")
    args.sweep_seeds = args.sweep_seeds or (args.seeds if args.quick else min(50, args.seeds))
    if args.quick and "--lrs" not in (argv or sys.argv[1:]):
        args.lrs = [0.1, 1.0]
    args.lrs = sorted(set(args.lrs) | {args.lr})
    return args


def jobs_for(args):
    """Every run of the study; the runs of --seed at --lr are recorded in full."""
    jobs = []
    for setting in [s for s in SETTINGS if s.split("-")[0] in args.activations]:
        for lr in args.lrs:
            n = args.seeds if lr == args.lr else args.sweep_seeds
            seeds = sorted(set(range(n)) | ({args.seed} if lr == args.lr else set()))
            for red in REDUCTIONS:
                jobs += [Job(setting, s, lr, red, record=(s == args.seed and lr == args.lr)) for s in seeds]
    return jobs


def run_study(args, data):
    settings = len(args.activations) * len(LOSSES) * len(REDUCTIONS)
    check_study(settings * (args.seeds + args.sweep_seeds * (len(args.lrs) - 1)), settings, args.max_iters, metrics=5)
    return train_jobs(partial(experiment, **training_of(args)), data, jobs_for(args), args.max_iters, args.workers,
                      progress=not args.no_progress,
                      desc="part 2 runs")


# ================================ Outputs ======================================================
def label(run_or_setting):
    return LABELS[getattr(run_or_setting, "setting", run_or_setting)]


def cell(run, cap, tex=False):
    """Iterations to 100 % of one run as the tables show it."""
    if run.reached:
        return str(run.iterations)
    return {"censored": ("$>$" if tex else ">") + f"{cap:,}".replace(",", "\\," if tex else ""),
            "stuck": f"dead at {run.iterations}", "diverged": f"diverged at {run.iterations}"}[run.status]


def single_run_outputs(single, args, out):
    """Curves of the recorded runs (--reduction), the overlay, the seed table, the curves CSV."""
    runs = [r for r in single if r.reduction == args.reduction]
    for r in runs:
        note = f"100 % after {r.iterations} updates" if r.reached else cell(r, args.max_iters)
        loss_name = "L2 loss" if r.setting.endswith("l2") else "cross-entropy"
        stem = f"part2_{r.setting.replace('-', '_')}"
        plots.plot_curve(r.curves["loss"], f"{label(r)}: loss", f"{loss_name} ({args.reduction})", out,
                         f"{stem}_loss", note, logy=True)
        plots.plot_curve(r.curves["acc"], f"{label(r)}: accuracy", "training accuracy", out, f"{stem}_accuracy",
                         note, ylim=(0, 1.03))
    by_label = {label(r): r.curves for r in runs}
    l2, ce = ([label(r) for r in runs if r.setting.endswith(loss)] for loss in ("l2", "ce"))
    plots.plot_panels(by_label, [("loss", "L2 loss", True, l2), ("loss", "cross-entropy", True, ce),
                                 ("acc", "training accuracy", False, None)], out, "part2_overlay",
                      f"Part 2, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}: the four settings")
    write_curves_csv(out / "part2_curves.csv", {f"{label(r)} ({args.reduction})": r.curves for r in runs},
                     ("loss", "acc"))
    order = sorted(runs, key=lambda r: (not r.reached, r.iterations))
    other = {r.setting: r for r in single if r.reduction != args.reduction}
    header = ["rank", "setting", f"iterations ({args.reduction})", f"final loss ({args.reduction})",
              f"iterations ({'sum' if args.reduction == 'mean' else 'mean'})"]
    rows = [[i if r.reached else "--", label(r), cell(r, args.max_iters), f"{r.curves['loss'][-1]:.4g}",
             cell(other[r.setting], args.max_iters)] for i, r in enumerate(order, 1)]
    print(f"seed {args.seed}, lr {args.lr:g}, sorted by iterations to 100 % ({args.reduction} loss):")
    print_table(header, rows)
    write_csv(out / "part2_seed_table.csv", header, rows)
    write_tex_table(out / "part2_seed_table.tex", header,
                    [[r[0], r[1], cell(o, args.max_iters, True), r[3], cell(other[o.setting], args.max_iters, True)]
                     for r, o in zip(rows, order)], align="rlrrr")
    return order


def mechanism_outputs(single, data, args, out):
    """Why the settings differ, seen along the single runs (mean loss): gradient norms per layer, what
    the net predicts on the way, the learned first-layer weights. Returns the averages quoted."""
    runs = {label(r): r for r in single if r.reduction == "mean"}
    curves = {lab: r.curves for lab, r in runs.items()}
    plots.plot_panels(curves, [("grad_norm_W", "$\\|\\nabla\\|$ layer 1 (16 $\\to$ 4)", True, None),
                               ("grad_norm_v", "$\\|\\nabla\\|$ layer 2 (4 $\\to$ 1)", True, None)],
                      out, "part2_grad_norms", f"Gradient norm per layer, seed {args.seed}, mean loss, lr {args.lr:g}")
    share = data.class_counts[1] / len(data)
    plots.plot_panels(curves, [("predicted_1", f"share predicted 1 (true {share:.2f})", False, None),
                               ("acc", "training accuracy", False, None)], out, "part2_predictions",
                      f"What the nets predict on the way to 100 %, seed {args.seed}, mean loss")
    pictures.plot_weight_images({lab: r.params["fc1.weight"].numpy() for lab, r in runs.items()}, out,
                                "part2_weights", f"First-layer weights as 4x4 images, seed {args.seed}, at the stop")
    mean_of = lambda lab, key: float(np.mean(runs[lab].curves[key]))  # noqa: E731
    majority = max(data.class_counts) / len(data)
    start = init_(FCNet(data.images, "relu").module(), args.seed, args.init).state_dict()["fc1.weight"].flatten()
    moved = {lab: r.params["fc1.weight"].flatten().to(start.dtype) - start for lab, r in runs.items()}
    cosine = {f"weights cosine {a}": float(moved[f"{a} + L2"] @ moved[f"{a} + CE"] /
                                           (moved[f"{a} + L2"].norm() * moved[f"{a} + CE"].norm()))
              for a in ("sigmoid", "ReLU") if f"{a} + L2" in moved and f"{a} + CE" in moved}
    cosine |= {f"weights moved {lab}": float(m.norm() / start.norm()) for lab, m in moved.items()}
    return {"l2 factor " + lab: mean_of(lab, "l2_factor") for lab in runs} | \
        {"slope " + lab: mean_of(lab, "hidden_slope") for lab in runs} | \
        {"plateau " + lab: int(np.sum(runs[lab].curves["acc"] == majority)) for lab in runs} | \
        cosine | {"majority": majority, "plateau predicts 1": max(
            float(np.max(r.curves["predicted_1"][r.curves["acc"] == majority], initial=0)) for r in runs.values())}


def study_outputs(runs, args, out):
    """At --lr: the study table (medians with 95 % intervals), ECDF and paired comparisons; over --lrs:
    the sweep heatmaps, its CSV and the 1/lr fit. Returns the summaries, pairs and fits."""
    groups = group_runs(runs)
    stats = {key: summarise_with_ci(rs) if key[1] == args.lr else summarise(rs) for key, rs in groups.items()}
    settings = list(dict.fromkeys(r.setting for r in runs))
    at_lr = {red: {label(s): groups[(s, args.lr, red)] for s in settings} for red in REDUCTIONS}
    summaries = {red: {label(s): stats[(s, args.lr, red)] for s in settings} for red in REDUCTIONS}
    write_study_table(out, "part2_study", summaries, args.max_iters)
    pairs = write_paired_table(out, "part2_paired", at_lr, summaries)
    plots.plot_ecdf({f"{red} reduction, lr {args.lr:g}": {lab: (censored_values(rs), [r.status for r in rs])
                                                          for lab, rs in at_lr[red].items()} for red in REDUCTIONS},
                    args.max_iters, out, "part2_study_ecdf", f"Part 2: iterations to 100 % over {args.seeds} seeds")
    panels, rows = {}, []
    for red in REDUCTIONS:
        cells = [[stats[(s, lr, red)] for lr in args.lrs] for s in settings]
        panels[f"{red} loss"] = (np.array([[c["median"] for c in row] for row in cells]),
                                 [[fmt_iters(c["median"], args.max_iters).replace(">10000", ">10k") +
                                   f"\n{c['reached_pct']:.0f}%" for c in row] for row in cells])
        rows += [[label(s), red, f"{lr:g}", c["seeds"]] + [fmt_iters(c[q], args.max_iters) for q in
                                                           ("median", "q1", "q3")]
                 + [f"{c['reached_pct']:.1f}", f"{c['diverged_pct']:.1f}", f"{c['stuck_pct']:.1f}"]
                 for s, row in zip(settings, cells) for lr, c in zip(args.lrs, row)]
    plots.plot_heatmaps(panels, [label(s) for s in settings], [f"{lr:g}" for lr in args.lrs], args.max_iters, out,
                        "part2_lr_sweep", "Median iterations to 100 % (% = share of seeds that got there)")
    write_csv(out / "part2_lr_sweep.csv", ["setting", "reduction", "lr", "seeds", "median", "Q1", "Q3",
                                           "reached %", "diverged %", "dead %"], rows)
    fits = {s: power_law(args.lrs, [stats[(s, lr, "mean")]["median"] for lr in args.lrs]) for s in settings}
    return stats, pairs, fits


def data_outputs(data, out):
    """A few images of each class of the random dataset (the data section's figure)."""
    labels = data.labels.numpy()
    idx = [i for c in (0, 1) for i in np.flatnonzero(labels == c)[:4]]
    pictures.plot_samples([data.images[i].numpy() for i in idx], [f"y={int(labels[i])}" for i in idx], out,
                          "part2_data", "random (4x4)")


def numbers(single, order, stats, pairs, fits, mech, data, args):
    """Every number the report quotes about part 2, as LaTeX macros (see the report's \\input)."""
    tag = {"sigmoid-l2": "SigL", "sigmoid-ce": "SigC", "relu-l2": "ReluL", "relu-ce": "ReluC"}
    cap, lr = args.max_iters, args.lr
    values = {"p2 seeds": args.seeds, "p2 sweep seeds": args.sweep_seeds, "p2 cap": f"{cap:,}".replace(",", "\\,"),
              "p2 lr": f"{lr:g}", "p2 seed": args.seed, "p2 data": data.origin,
              "p2 params": n_parameters(FCNet(data.images, "relu").module()),
              "p2 zeros": data.class_counts[0], "p2 ones": data.class_counts[1], "p2 samples": len(data),
              "p2 majority pct": f"{100 * mech['majority']:.0f}", "p2 lrs": ", ".join(f"{x:g}" for x in args.lrs),
              "p2 order": " $<$ ".join(label(r) for r in order if r.reached)}
    for r in single:
        values[f"p2 seed {r.reduction} {tag[r.setting]}"] = cell(r, cap, tex=True)
    for (setting, at, red), s in stats.items():
        if at == lr:
            for q in ("median", "q1", "q3", "ci_low", "ci_high"):
                values[f"p2 {q} {red} {tag[setting]}"] = fmt_iters(s[q], cap, tex=True)
            for k in ("reached", "stuck", "diverged"):
                values[f"p2 {k} {red} {tag[setting]}"] = f"{s[k + '_pct']:.0f}"
    for red in REDUCTIONS:
        ranked = sorted([k for k in stats if k[1] == lr and k[2] == red], key=lambda k: sort_key(stats[k]))
        values[f"p2 study order {red}"] = " $<$ ".join(label(k[0]) for k in ranked if np.isfinite(stats[k]["median"]))
    for setting, (k, used) in fits.items():
        values[f"p2 lr exponent {tag[setting]}"] = f"{k:.2f}"
        values[f"p2 lr fit range {tag[setting]}"] = f"{min(used):g}--{max(used):g}" if used else "none"
    for key, v in mech.items():
        values[f"p2 {key}"] = f"{v:.2f}" if isinstance(v, float) else v
    return values


def write_outputs(runs, data, args, out):
    single = [r for r in runs if r.curves]
    order = single_run_outputs(single, args, out)
    mech = mechanism_outputs(single, data, args, out)
    stats, pairs, fits = study_outputs(runs, args, out)
    data_outputs(data, out)
    values = numbers(single, order, stats, pairs, fits, mech, data, args)
    write_tex_macros(out / "part2_numbers.tex", values)
    settings = {k: (str(v) if k in ("data_dir", "out_dir") else v) for k, v in vars(args).items()}
    rerun = rerun_argv(args, ["seed", "seeds", "lr", "lrs", "sweep_seeds", "activations", "reduction", "max_iters",
                              "init", "batch_size", "order", "optimizer", "momentum", "weight_decay",
                              "dtype"])
    groups = [{"setting": s, "lr": lr, "reduction": red} | st for (s, lr, red), st in stats.items()]
    write_json(out / "part2_summary.json", summary.build("part2_fc.py", rerun, settings, data, runs, groups=groups,
                                                         numbers=values | {"pairs": pairs}))


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("random", args.data_dir)
    print(describe(data))
    if args.max_epochs:                            # the 2017 cap counts epochs of --batch-size images
        args.max_iters = args.max_epochs * -(-len(data) // min(args.batch_size, len(data)))
    print(f"training: {describe_training(args, len(data))}, at most {args.max_iters} updates")
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        seed_everything(args.seed, 1)
        runs = run_study(args, data.to(getattr(torch, args.dtype)))
        write_outputs(runs, data, args, out.dir)
    print(f"part 2: wrote {'' if args.no_figures else 'figures, '}tables and part2_summary.json to {args.out_dir}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
