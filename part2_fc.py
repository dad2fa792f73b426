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

import torch
import torch.nn.functional as F

from dlbasics import plots, summary
from dlbasics.cli import (Parser, add_run_arguments, default_threads, float_list, positive_float, positive_int,
                          rerun_argv, resolve_quick, run_main)
from dlbasics.data import describe, load_dataset
from dlbasics.engine import Experiment, Head, Job, layer_off
from dlbasics.fcnet import FCNet
from dlbasics.models import n_parameters
from dlbasics.outputs import Outputs, write_csv, write_json, write_tex_macros, write_tex_table
from dlbasics.parallel import train_jobs
from dlbasics.resources import check_study
from dlbasics.runtime import seed_everything
from dlbasics.study import censored_values, fmt_iters, group_runs, sort_key, summarise
from dlbasics.tables import print_table, write_curves_csv, write_study_table

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


def experiment(setting, data, init="handout"):
    """setting: '<activation>-<loss>', e.g. 'relu-ce'."""
    activation, loss = setting.split("-")
    both_classes = 0 < data.class_counts[1] < len(data)
    return Experiment(net=FCNet(data.images, activation, init=init),
                      heads=[Head("", "logit", data.labels, LOSSES[loss], correct)],
                      done=done, stuck=dead if activation == "relu" and both_classes else None,
                      record_grad_norms=True)


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
                   help="seeds per cell at the sweep's other learning rates (default: 100)")
    p.add_argument("--activations", default="sigmoid,relu",
                   help="hidden activations, comma-separated, of sigmoid, relu (default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=default_threads(),
                   help="processes sharing the runs, 1 torch thread each; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="tiny budget for tests: 4 seeds, 2 learning rates, 2000 iterations (explicit "
                        "--seeds / --max-iters win)")
    args = resolve_quick(p.parse_args(argv), seeds=4, max_iters=2000)
    args.activations = args.activations.split(",")
    for act in args.activations:
        if act not in ACTIVATIONS:
            p.error(f"argument --activations: unknown activation {act!r} (choose from sigmoid, relu)")
    args.sweep_seeds = args.sweep_seeds or (args.seeds if args.quick else min(100, args.seeds))
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
    return train_jobs(experiment, data, jobs_for(args), args.max_iters, args.workers, progress=not args.no_progress,
                      desc="part 2 runs")


# ================================ Outputs ======================================================
def label(run_or_setting):
    return LABELS[getattr(run_or_setting, "setting", run_or_setting)]


def cell(run, cap, tex=False):
    """Iterations to 100 % of one run as the tables show it."""
    if run.reached:
        return str(run.iterations)
    return {"censored": ("$>$" if tex else ">") + str(cap), "stuck": f"dead at {run.iterations}",
            "diverged": f"diverged at {run.iterations}"}[run.status]


def single_run_outputs(single, args, out):
    """Curves of the recorded runs (--reduction), the seed table, the curves CSV."""
    runs = [r for r in single if r.reduction == args.reduction]
    for r in runs:
        note = f"100 % after {r.iterations} updates" if r.reached else cell(r, args.max_iters)
        name = f"{label(r)}, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}"
        loss_name = "L2 loss" if r.setting.endswith("l2") else "cross-entropy loss"
        plots.plot_curve(r.curves["loss"], f"Loss: {name}", f"{loss_name} ({args.reduction})", out,
                         f"part2_{r.setting.replace('-', '_')}_loss", note, logy=True)
        plots.plot_curve(r.curves["acc"], f"Accuracy: {name}", "training accuracy", out,
                         f"part2_{r.setting.replace('-', '_')}_accuracy", note, ylim=(0, 1.03))
    plots.plot_overlay({label(r): r.curves for r in runs}, out, "part2_overlay",
                       f"Part 2, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}: all four settings")
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


def study_outputs(runs, args, out):
    """At --lr: the study table and ECDF; over --lrs: the sweep heatmaps and CSV."""
    groups = group_runs(runs)
    stats = {key: summarise(rs) for key, rs in groups.items()}
    settings = list(dict.fromkeys(r.setting for r in runs))
    write_study_table(out, "part2_study", {red: {label(s): stats[(s, args.lr, red)] for s in settings}
                                           for red in REDUCTIONS}, args.max_iters)
    plots.plot_ecdf({f"{red} reduction, lr {args.lr:g}": {
        label(s): (censored_values(groups[(s, args.lr, red)]), [r.status for r in groups[(s, args.lr, red)]])
        for s in settings} for red in REDUCTIONS}, args.max_iters, out, "part2_study_ecdf",
        f"Part 2: iterations to 100 % over {args.seeds} seeds")
    rows = []
    for red in REDUCTIONS:
        cells = [[stats[(s, lr, red)] for lr in args.lrs] for s in settings]
        plots.plot_heatmap([[c["median"] for c in row] for row in cells], [label(s) for s in settings],
                           [f"{lr:g}" for lr in args.lrs],
                           [[fmt_iters(c["median"], args.max_iters).replace(">10000", ">10k") +
                             f"\n{c['reached_pct']:.0f}%" for c in row] for row in cells],
                           f"Median iterations to 100 % ({red} loss; % = share of seeds reached)",
                           out, f"part2_lr_sweep_{red}", args.max_iters)
        rows += [[label(s), red, f"{lr:g}", c["seeds"]] + [fmt_iters(c[q], args.max_iters) for q in ("median", "q1", "q3")]
                 + [f"{c['reached_pct']:.1f}", f"{c['diverged_pct']:.1f}", f"{c['stuck_pct']:.1f}"]
                 for s, row in zip(settings, cells) for lr, c in zip(args.lrs, row)]
    write_csv(out / "part2_lr_sweep.csv", ["setting", "reduction", "lr", "seeds", "median", "Q1", "Q3",
                                           "reached %", "diverged %", "dead %"], rows)
    return stats


def numbers(single, order, stats, data, args):
    """Every number the report quotes about part 2, as LaTeX macros."""
    tag = {"sigmoid-l2": "SigL", "sigmoid-ce": "SigC", "relu-l2": "ReluL", "relu-ce": "ReluC"}
    cap = args.max_iters
    values = {"p2 seeds": args.seeds, "p2 sweep seeds": args.sweep_seeds, "p2 cap": f"{cap:,}".replace(",", "\\,"),
              "p2 lr": f"{args.lr:g}", "p2 seed": args.seed, "p2 data": data.origin,
              "p2 params": n_parameters(FCNet(data.images, "relu").module()),
              "p2 order": " $<$ ".join(label(r) for r in order)}
    for r in single:
        values[f"p2 seed {r.reduction} {tag[r.setting]}"] = cell(r, cap, tex=True)
    for (setting, lr, red), s in stats.items():
        if lr != args.lr:
            continue
        for q in ("median", "q1", "q3"):
            values[f"p2 {q} {red} {tag[setting]}"] = fmt_iters(s[q], cap, tex=True)
        values[f"p2 reached {red} {tag[setting]}"] = f"{s['reached_pct']:.0f}"
    for red in REDUCTIONS:
        ranked = sorted([k for k in stats if k[1] == args.lr and k[2] == red], key=lambda k: sort_key(stats[k]))
        values[f"p2 study order {red}"] = " $<$ ".join(label(k[0]) for k in ranked)
    return values


def write_outputs(runs, data, args, out):
    single = [r for r in runs if r.curves]
    order = single_run_outputs(single, args, out)
    stats = study_outputs(runs, args, out)
    values = numbers(single, order, stats, data, args)
    write_tex_macros(out / "part2_numbers.tex", values)
    settings = {k: (str(v) if k in ("data_dir", "out_dir") else v) for k, v in vars(args).items()}
    rerun = rerun_argv(args, ["seed", "seeds", "lr", "lrs", "sweep_seeds", "activations", "reduction", "max_iters",
                              "dtype"])
    write_json(out / "part2_summary.json", summary.build("part2_fc.py", rerun, settings, data, runs, numbers=values))


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("random", args.data_dir)
    print(describe(data))
    with Outputs(args.out_dir) as out:
        seed_everything(args.seed, 1)
        runs = run_study(args, data.to(getattr(torch, args.dtype)))
        write_outputs(runs, data, args, out.dir)
    print(f"part 2: wrote figures, tables and part2_summary.json to {args.out_dir}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
