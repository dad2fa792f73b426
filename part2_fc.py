"""Part 2: a tiny fully connected net on the random 4x4 dataset, four settings, many seeds.

Net (handout Figure 3): 16 inputs -> fully connected 4 -> sigmoid or ReLU -> fully connected 1
-> sigmoid. Weights ~ normal(0, 0.1) truncated at 2 std (re-drawn beyond +-0.2), biases 0.1.
Plain full-batch gradient descent (batch = all 64 samples), at most --max-iters updates.

Conventions (the handout leaves them open):
  * prediction = output > 0.5; stop at the first full-batch evaluation with 100 % accuracy.
  * "iterations to 100 %" = updates made before that evaluation (0 if the initial net is
    already perfect). A run still short of 100 % after --max-iters updates is CENSORED: shown
    as "> cap", never as a number. A NaN/inf loss marks the run DIVERGED at that iteration.
  * L2 = (y_hat - y)^2; CE = binary cross-entropy computed from the logit (stable).
  * --reduction: the batch loss is the mean (default) or the sum over the 64 samples; the sum
    multiplies every step by 64. The study always runs both.
  * seed k initialises every setting identically (paired comparison); seed k in a many-seed
    batch gives bit-for-bit the run of --seed k alone.

Default run: seed --seed of the four settings (curves, tables), then the study: --seeds seeds
x 4 settings x both reductions x every learning rate in --lrs (--lr included), all in one
vectorised engine call per setting. Outputs go to --out-dir with fixed names (part2_*).
"""
import sys

import numpy as np

from dlbasics import plots
from dlbasics.cli import (Parser, add_run_arguments, check_out_dir, default_threads, float_list, positive_float,
                          positive_int, run_main, seed_everything)
from dlbasics.data import describe, load_dataset
from dlbasics.engine import train
from dlbasics.models import FCNet
from dlbasics.objectives import FCObjective
from dlbasics.outputs import write_csv, write_json, write_tex_macros, write_tex_table
from dlbasics.parallel import map_jobs
from dlbasics.study import fmt_iters, summarise
from dlbasics.tables import print_table, write_curves_csv, write_study_table

ACTIVATIONS, LOSSES, REDUCTIONS = ("sigmoid", "relu"), ("l2", "ce"), ("mean", "sum")
LABEL = {"sigmoid": "sigmoid", "relu": "ReLU", "l2": "L2", "ce": "CE"}


def label(act, loss):
    return f"{LABEL[act]} + {LABEL[loss]}"


def parse_args(argv=None):
    p = Parser(prog="part2_fc.py", description=__doc__)
    add_run_arguments(p, "random", seeds=16, per="setting, reduction and lr")
    p.add_argument("--lr", type=positive_float, default=0.1, help="learning rate (default: %(default)s)")
    p.add_argument("--lrs", type=float_list, default=[0.1, 0.3, 1.0, 3.0],
                   help="learning rates of the sweep, comma-separated (default: 0.1,0.3,1,3)")
    p.add_argument("--activations", default="sigmoid,relu",
                   help="hidden activations, comma-separated, of sigmoid, relu (default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=default_threads(),
                   help="processes running settings side by side, 1 torch thread each; the results "
                        "do not depend on it (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="tiny budget for tests: 4 seeds, 2 lrs, 2000 iterations")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = p.parse_args(argv)
    args.activations = args.activations.split(",")
    for act in args.activations:
        if act not in ACTIVATIONS:
            p.error(f"argument --activations: unknown activation {act!r} (choose from sigmoid, relu)")
    if args.quick:
        args.seeds, args.lrs, args.max_iters = 4, [0.1, 1.0], 2000
    args.lrs = sorted(set(args.lrs) | {args.lr})
    return args


def run_setting(job):
    """One engine call: every (lr, reduction) config x every seed of one setting.

    Returns (configs, seeds, result); curves are kept only for --seed at --lr.
    """
    data, (act, loss), args = job
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    configs = [(lr, red) for lr in args.lrs for red in REDUCTIONS]
    obj = FCObjective(data.images, data.labels, act, loss)
    state = obj.init_state([s for _ in configs for s in seeds],
                           [lr for lr, _ in configs for _ in seeds],
                           [red for _, red in configs for _ in seeds])
    record = [configs.index((args.lr, red)) * len(seeds) + seeds.index(args.seed) for red in REDUCTIONS]
    result = train(obj, state, args.max_iters, record=("loss", "acc"), record_cols=record,
                   progress=not args.no_progress, desc=label(act, loss))
    return configs, seeds, result


def split(configs, seeds, result):
    """{(lr, reduction): (iterations, status)} and the single run's curves per reduction."""
    n = len(seeds)
    by_config = {cfg: (result.iterations[i * n:(i + 1) * n], result.status[i * n:(i + 1) * n])
                 for i, cfg in enumerate(configs)}
    curves = {red: {k: v[:, j] for k, v in result.curves.items()} for j, red in enumerate(REDUCTIONS)}
    return by_config, curves


def single_run(by_config, curves, seeds, args):
    """The --seed run of one setting, for both reductions."""
    i = seeds.index(args.seed)
    out = {}
    for red in REDUCTIONS:
        iters, status = by_config[(args.lr, red)]
        c = curves[red]
        last = int(iters[i])
        out[red] = {"iterations": last, "status": str(status[i]),
                    "loss": c["loss"][: last + 1], "acc": c["acc"][: last + 1]}
    return out


def plot_single_runs(runs, args, out):
    for (act, loss), run in runs.items():
        r = run[args.reduction]
        note = f"{r['status']} after {r['iterations']} updates" if r["status"] != "reached" else \
            f"100 % after {r['iterations']} updates"
        name = f"{label(act, loss)}, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}"
        loss_name = "L2 loss" if loss == "l2" else "cross-entropy loss"
        plots.plot_curve(r["loss"], f"Loss: {name}", f"{loss_name} ({args.reduction})", out,
                         f"part2_{act}_{loss}_loss", note, logy=True)
        plots.plot_curve(r["acc"], f"Accuracy: {name}", "training accuracy", out,
                         f"part2_{act}_{loss}_accuracy", note, ylim=(0, 1.03))
    plots.plot_overlay({label(*k): run[args.reduction] for k, run in runs.items()}, out, "part2_overlay",
                       f"Part 2, seed {args.seed}, {args.reduction} loss, lr {args.lr:g}: all four settings")


def seed_table(runs, args, out):
    """The single runs sorted by iterations to 100 % under --reduction (censored last)."""
    other = "sum" if args.reduction == "mean" else "mean"
    key = lambda k: (runs[k][args.reduction]["status"] != "reached", runs[k][args.reduction]["iterations"])  # noqa: E731
    cell = lambda r, tex=False: (str(r["iterations"]) if r["status"] == "reached" else  # noqa: E731
                                 ("$>$" if tex else ">") + str(args.max_iters) if r["status"] == "censored"
                                 else f"diverged at {r['iterations']}")
    order = sorted(runs, key=key)
    header = ["rank", "setting", f"iterations ({args.reduction})", f"final loss ({args.reduction})",
              f"iterations ({other})"]
    rows = [[i, label(*k), cell(runs[k][args.reduction]), f"{runs[k][args.reduction]['loss'][-1]:.4g}",
             cell(runs[k][other])] for i, k in enumerate(order, 1)]
    print(f"seed {args.seed}, lr {args.lr:g}, sorted by iterations to 100 % ({args.reduction} loss):")
    print_table(header, rows)
    write_csv(out / "part2_seed_table.csv", header, rows)
    tex_rows = [[r[0], r[1], cell(runs[k][args.reduction], True), r[3], cell(runs[k][other], True)]
                for r, k in zip(rows, order)]
    write_tex_table(out / "part2_seed_table.tex", header, tex_rows, align="rlrrr")
    return order


def sweep_outputs(study, settings, args, out):
    """Median iterations per setting x lr, one heatmap per reduction, and the CSV behind them."""
    rows = []
    for red in REDUCTIONS:
        matrix = np.array([[summarise(*study[k][(lr, red)])["median"] for lr in args.lrs] for k in settings])
        text = [[fmt_iters(summarise(*study[k][(lr, red)])["median"], args.max_iters).replace(">10000", ">10k")
                 + f"\n{summarise(*study[k][(lr, red)])['reached_pct']:.0f}%" for lr in args.lrs]
                for k in settings]
        text = [[t.replace("\\n", "\n") for t in row] for row in text]
        plots.plot_heatmap(matrix, [label(*k) for k in settings], [f"{lr:g}" for lr in args.lrs], text,
                           f"Median iterations to 100 % ({red} loss, {args.seeds} seeds; % = share reached)",
                           out, f"part2_lr_sweep_{red}", args.max_iters)
        for k in settings:
            for lr in args.lrs:
                s = summarise(*study[k][(lr, red)])
                rows.append([label(*k), red, f"{lr:g}", fmt_iters(s["median"], args.max_iters),
                             fmt_iters(s["q1"], args.max_iters), fmt_iters(s["q3"], args.max_iters),
                             f"{s['reached_pct']:.1f}", f"{s['diverged_pct']:.1f}"])
    write_csv(out / "part2_lr_sweep.csv", ["setting", "reduction", "lr", "median", "Q1", "Q3",
                                           "reached %", "diverged %"], rows)


def write_numbers(runs, order, summaries, settings, data, args, out):
    """Every number the report quotes about part 2, as LaTeX macros."""
    tag = {("sigmoid", "l2"): "SigL", ("sigmoid", "ce"): "SigC", ("relu", "l2"): "ReluL", ("relu", "ce"): "ReluC"}
    values = {"p2 seeds": args.seeds, "p2 cap": f"{args.max_iters:,}".replace(",", "\\,"),
              "p2 lr": f"{args.lr:g}", "p2 seed": args.seed, "p2 data": data.origin,
              "p2 params": sum(p.numel() for p in FCNet().parameters()),
              "p2 order": " $<$ ".join(label(*k) for k in order)}
    for k in settings:
        for red in REDUCTIONS:
            r = runs[k][red]
            values[f"p2 seed {red} {tag[k]}"] = r["iterations"] if r["status"] == "reached" else \
                ("$>$" + values["p2 cap"] if r["status"] == "censored" else "diverged")
            s = summaries[(red, label(*k))]
            for q in ("median", "q1", "q3"):
                values[f"p2 {q} {red} {tag[k]}"] = fmt_iters(s[q], args.max_iters, tex=True)
            values[f"p2 reached {red} {tag[k]}"] = f"{s['reached_pct']:.0f}"
    for red in REDUCTIONS:
        ranked_labels = sorted(settings, key=lambda k: _rank_key(summaries[(red, label(*k))]))
        values[f"p2 study order {red}"] = " $<$ ".join(label(*k) for k in ranked_labels)
    write_tex_macros(out / "part2_numbers.tex", values)
    return values


def _rank_key(s):
    return (s["median"], s["q3"], -s["reached_pct"])


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset("random", args.data_dir)
    print(describe(data))
    out = check_out_dir(args.out_dir)
    seed_everything(args.seed, 1)
    settings = [(a, loss) for a in args.activations for loss in LOSSES]
    study, runs = {}, {}
    results = map_jobs(run_setting, [(data, k, args) for k in settings], args.workers)
    for (act, loss), (configs, seeds, result) in zip(settings, results):
        by_config, curves = split(configs, seeds, result)
        study[(act, loss)] = by_config
        runs[(act, loss)] = single_run(by_config, curves, seeds, args)
    plot_single_runs(runs, args, out)
    order = seed_table(runs, args, out)
    write_curves_csv(out / "part2_curves.csv", {f"{label(*k)} ({args.reduction})": runs[k][args.reduction]
                                                for k in settings}, ("loss", "acc"))
    summaries = write_study_table(out, "part2_study", {red: {label(*k): study[k][(args.lr, red)]
                                                             for k in settings} for red in REDUCTIONS},
                                  args.max_iters)
    sweep_outputs(study, settings, args, out)
    numbers = write_numbers(runs, order, summaries, settings, data, args, out)
    summary = {"single_runs": {f"{label(*k)} ({red})": {"iterations": runs[k][red]["iterations"],
                                                        "status": runs[k][red]["status"]}
                               for k in settings for red in REDUCTIONS},
               "study": {f"{lab} ({red})": s for (red, lab), s in summaries.items()},
               "numbers": numbers}
    plots.plot_ecdf({f"{red} reduction, lr {args.lr:g}": {label(*k): study[k][(args.lr, red)] for k in settings}
                     for red in REDUCTIONS}, args.max_iters, out, "part2_study_ecdf",
                    f"Part 2: iterations to 100 % over {args.seeds} seeds")
    write_json(out / "part2_summary.json", {"settings": {k: v for k, v in vars(args).items()
                                                         if k != "out_dir"} | {
        "data_dir": str(args.data_dir), "data_files": data.files, "data_origin": data.origin},
        "results": summary})
    print(f"part 2: wrote figures, tables and part2_summary.json to {out}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
