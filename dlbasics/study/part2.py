"""The many-seed study of part 2: part2_fc.py's experiment over many seeds, both loss reductions and a
sweep of learning rates, on the many-seed engine (the runs are the script's, up to the last bit).

    python -m dlbasics.study part2 [--seeds 1000] [--lrs 0.1,0.3,1,3] [--sweep-seeds 50] ...

At --lr it trains --seeds seeds x 4 settings x both reductions; at every other learning rate in --lrs,
--sweep-seeds seeds. The runs of --seed at --lr are recorded (curves, gradient norms, what the net
predicts, final weights) for the report's mechanism figures. Writes, with fixed names: part2_study.*
(medians with 95 % intervals), part2_paired.* (neighbours seed by seed), part2_study_ecdf,
part2_lr_sweep.*, part2_grad_norms, part2_predictions, part2_weights, part2_data,
part2_study_numbers.tex and part2_study_summary.json.
"""
from functools import partial

import numpy as np
import torch

import part2_fc
from dlbasics.common.cli import (
    default_workers,
    float_list,
    folder,
    learning_rate,
    nonnegative_int,
    positive_int,
    rerun_argv,
    say,
    seed_int,
    workers,
)
from dlbasics.common.data import describe, load_dataset, origin
from dlbasics.common.outputs import Outputs, fmt_int, tex_macros
from dlbasics.common.paths import FIGURES_DIR
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job
from dlbasics.engine.parallel import train_jobs
from dlbasics.engine.runtime import configure_torch
from dlbasics.engine.sums import sum_samples
from dlbasics.study import controls, plots, sensitivity, summary
from dlbasics.study.resources import check_study
from dlbasics.study.stats import (
    SIGNIFICANT,
    censored_values,
    fmt_iters,
    fmt_pct,
    group_runs,
    power_law,
    sort_key,
    summarise,
)
from dlbasics.study.tables import (
    moved_cells,
    summarise_with_ci,
    write_curves_csv,
    write_paired_table,
    write_study_table,
)
from part2_fc import SETTINGS, add_training_arguments, describe_training, resolve_training

REDUCTIONS = ("mean", "sum")
TAG = {"sigmoid-l2": "SigL", "sigmoid-ce": "SigC", "relu-l2": "ReluL", "relu-ce": "ReluC"}   # macro names


def add_arguments(p):
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the recorded runs (default: %(default)s)")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds 0..N-1 per setting and reduction at "
                   "--lr (default: 1000; 4 with --quick)")
    p.add_argument("--lr", type=learning_rate, default=0.1, help="learning rate of the study (default: %(default)s)")
    p.add_argument("--lrs", type=float_list, default=None,
                   help="learning rates of the sweep, comma-separated (default: 0.1,0.3,1,3; 0.1,1 with --quick)")
    p.add_argument("--sweep-seeds", type=positive_int, default=None,
                   help="seeds per cell at the sweep's other learning rates (default: 50, at most --seeds)")
    p.add_argument("--twin-seeds", type=nonnegative_int, default=None,
                   help="seeds per cell rerun from a start one or two ulps away (every initial parameter times "
                        "1 + 2^-52), to measure how much the count depends on rounding (default: 50; 4 with "
                        "--quick; at most the cell's seeds)")
    p.add_argument("--control-seeds", type=nonnegative_int, default=None,
                   help="seeds of each controlled experiment (dlbasics/study/controls.py), at most --seeds "
                        "(default: 200; 4 with --quick)")
    p.add_argument("--traces", type=nonnegative_int, default=None,
                   help="at most this many runs traced with their twins for the growth rate and lr x sharpness "
                        "(default: every run the rule picks, at most 15; 0: none, for a rerun that only checks the "
                        "counts, as make verify does)")
    p.add_argument("--activations", default="sigmoid,relu",
                   help="hidden activations, comma-separated, of sigmoid, relu (default: %(default)s)")
    p.add_argument("--max-iters", type=positive_int, default=None, help="update cap (default: 10000; 2000 with "
                   "--quick; 1000 epochs with --edition 2017)")
    add_common_arguments(p, "random")
    add_training_arguments(p, {"batch_size": 64, "max_epochs": 1000})
    p.set_defaults(max_epochs=None, resolve=resolve)


def add_common_arguments(p, dataset):
    """The flags every study shares."""
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of every run (default: %(default)s; see the scripts' --help)")
    p.add_argument("--data-dir", type=folder, default=None, help=f"folder with the {dataset} dataset "
                   "(default: data/ in the project)")
    p.add_argument("--out-dir", type=folder, default=FIGURES_DIR, help="where outputs go (default: figures/)")
    p.add_argument("--workers", type=workers, default=default_workers(),
                   help="processes sharing the runs, at most the CPUs this process may use; results do not "
                        "depend on it (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-figures", action="store_true", help="write the numbers only (make verify reruns this way)")
    p.add_argument("--quick", action="store_true", help="a tiny budget for tests (explicit values win)")


def resolve(parser, args):
    """Defaults that depend on other flags, resolved after parsing (never from sys.argv)."""
    args = resolve_training(parser, args)
    args.activations = args.activations.split(",")
    for act in args.activations:
        if act not in ("sigmoid", "relu"):
            parser.error(f"argument --activations: unknown activation {act!r} (choose from sigmoid, relu)")
    args.seeds = args.seeds or (4 if args.quick else 1000)
    args.sweep_seeds = args.sweep_seeds or (args.seeds if args.quick else min(50, args.seeds))
    args.twin_seeds = (4 if args.quick else 50) if args.twin_seeds is None else args.twin_seeds
    args.control_seeds = min(args.seeds, (4 if args.quick else 200) if args.control_seeds is None else args.control_seeds)
    args.lrs = sorted(set(args.lrs or ([0.1, 1.0] if args.quick else [0.1, 0.3, 1.0, 3.0])) | {args.lr})
    return args


# ================================ What the recorded runs also keep ==============================
def slopes(outputs, acts, activation, labels):
    """Along the recorded runs (the report's mechanism). l2_factor: how much smaller L2's push on the
    logits is than CE's, |2 p (1 - p) (p - y)| summed over images against |p - y|; hidden_slope: the
    hidden activation's mean derivative (sigmoid' = h (1 - h) <= 1/4; ReLU: 1 where on, 0 where off);
    predicted_1: the share of images predicted 1. Sums in a fixed order (sums.py)."""
    z, h = outputs["logit"], acts["hidden"]                              # (N, R), (N, H, R)
    p, y = torch.sigmoid(z), labels[:, None]
    err = (p - y).abs()
    slope = h * (1 - h) if activation == "sigmoid" else (h > 0).to(h.dtype)
    mean = lambda x: sum_samples(x.reshape(-1, x.shape[-1])) / (x.numel() // x.shape[-1])  # noqa: E731
    return {"l2_factor": sum_samples(2 * p * (1 - p) * err) / sum_samples(err), "hidden_slope": mean(slope),
            "predicted_1": mean((z > 0).to(z.dtype)), "hidden_mean": mean(h)}


def experiment(setting, data, **training):
    """part2_fc.py's experiment, with the mechanism's curves along the recorded runs."""
    return experiments.part2(setting, data, diagnostics=partial(slopes, activation=setting.activation,
                                                                labels=data.labels), **training)


def training_of(args):
    return {k: getattr(args, k) for k in ("init", "batch_size", "order", "momentum", "weight_decay")}


def jobs_for(args):
    """Every run of the study; the runs of --seed at --lr are recorded."""
    jobs = []
    for setting in [s for s in SETTINGS if s.activation in args.activations]:
        for lr in args.lrs:
            n = args.seeds if lr == args.lr else args.sweep_seeds
            seeds = sorted(set(range(n)) | ({args.seed} if lr == args.lr else set()))
            for red in REDUCTIONS:
                jobs += [Job(setting, s, lr, red, record=(s == args.seed and lr == args.lr)) for s in seeds]
    return jobs


# ================================ Outputs ======================================================
def label(run_or_setting):
    return getattr(run_or_setting, "setting", run_or_setting).label


def mechanism_outputs(single, data, args, out):
    """Why the settings differ, seen along the recorded runs (mean loss): gradient norms per layer, what
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
    plots.plot_weight_images({lab: r.params["fc1.weight"].numpy() for lab, r in runs.items()}, out,
                             "part2_weights", f"First-layer weights as 4×4 images, seed {args.seed}, at the stop")
    mean_of = lambda lab, key: float(np.mean(runs[lab].curves[key]))  # noqa: E731
    majority = max(data.class_counts) / len(data)
    start = part2_fc.init_weights(part2_fc.FCNet("relu").double(), args.seed, args.init).state_dict()["fc1.weight"]
    moved = {lab: r.params["fc1.weight"].flatten().double() - start.flatten() for lab, r in runs.items()}
    cosine = {f"weights cosine {a}": float(moved[f"{a} + L2"] @ moved[f"{a} + CE"] /
                                           (moved[f"{a} + L2"].norm() * moved[f"{a} + CE"].norm()))
              for a in ("sigmoid", "ReLU") if f"{a} + L2" in moved and f"{a} + CE" in moved}
    cosine |= {f"weights moved {lab}": float(m.norm() / start.norm()) for lab, m in moved.items()}
    on_plateau = {lab: r.curves["acc"] == majority for lab, r in runs.items()}
    for loss in ("L2", "CE"):           # the first layer's gradient, ReLU over sigmoid, over iterations 10..100
        sig, relu = (runs.get(f"{a} + {loss}") for a in ("sigmoid", "ReLU"))
        if sig is not None and relu is not None:
            span = slice(10, min(101, len(sig.curves["grad_norm_W"]), len(relu.curves["grad_norm_W"])))
            early = relu.curves["grad_norm_W"][span] / sig.curves["grad_norm_W"][span]
            cosine[f"grad ratio early {loss.lower()}"] = float(np.median(early)) if len(early) else float("nan")
    travel = {f"path {lab}": float(args.lr * np.sum(r.curves["grad_norm_W"][:-1])) for lab, r in runs.items()} | \
        {f"plateau hidden mean {lab}": float(np.mean(r.curves["hidden_mean"][on_plateau[lab]])) if on_plateau[lab].any()
         else float("nan") for lab, r in runs.items()}
    return travel | {"l2 factor " + lab: mean_of(lab, "l2_factor") for lab in runs} | \
        {"slope " + lab: mean_of(lab, "hidden_slope") for lab in runs} | \
        {"plateau " + lab: int(np.sum(runs[lab].curves["acc"] == majority)) for lab in runs} | \
        cosine | {"majority": majority, "plateau predicts 1": max(
            float(np.max(r.curves["predicted_1"][r.curves["acc"] == majority], initial=0)) for r in runs.values())}


def study_outputs(runs, args, out, moved=()):
    """At --lr: the study table (medians with exact intervals), ECDF and paired comparisons; over --lrs:
    the sweep heatmaps, its CSV and the 1/lr fit; a dagger on every cell in `moved` ({(label, lr, reduction)}:
    a twin moved a count there). Returns the summaries, pairs and fits."""
    groups = group_runs(runs)
    stats = {key: summarise_with_ci(rs) if key[1] == args.lr else summarise(rs) for key, rs in groups.items()}
    settings = list(dict.fromkeys(r.setting for r in runs))
    at_lr = {red: {s.label: groups[(s, args.lr, red)] for s in settings} for red in REDUCTIONS}
    summaries = {red: {s.label: stats[(s, args.lr, red)] for s in settings} for red in REDUCTIONS}
    pairs = write_paired_table(out, "part2_paired", at_lr, summaries)
    tests = {red: sum(1 for r in pairs if r["reduction"] == red) for red in REDUCTIONS}     # Bonferroni, per reduction
    write_study_table(out, "part2_study", summaries, args.max_iters,
                      ties={(r["reduction"], r["a"], r["b"]) for r in pairs if r["p_value"] * tests[r["reduction"]] >= SIGNIFICANT},
                      moved={(red, lab) for lab, lr, red in moved if lr == args.lr})
    plots.plot_ecdf({f"{red} reduction, lr {args.lr:g}": {lab: (censored_values(rs), [r.status for r in rs])
                                                          for lab, rs in at_lr[red].items()} for red in REDUCTIONS},
                    args.max_iters, out, "part2_study_ecdf", f"Part 2: iterations to 100 % over {args.seeds} seeds")
    panels, rows = {}, []
    for red in REDUCTIONS:
        cells = [[stats[(s, lr, red)] for lr in args.lrs] for s in settings]
        panels[f"{red} loss"] = (np.array([[c["median"] for c in row] for row in cells]),
                                 [[fmt_iters(c["median"], args.max_iters).replace(">10000", ">10k") +
                                   ("\u2020" if (s.label, lr, red) in moved else "") + f"\n{fmt_pct(c['reached_pct'])}%"
                                   for lr, c in zip(args.lrs, row)] for s, row in zip(settings, cells)])
        rows += [[s.label, red, f"{lr:g}", c["seeds"]] + [fmt_iters(c[q], args.max_iters) for q in ("median", "q1", "q3")]
                 + [f"{c['reached_pct']:.1f}", f"{c['diverged_pct']:.1f}", f"{c['stuck_pct']:.1f}"]
                 for s, row in zip(settings, cells) for lr, c in zip(args.lrs, row)]
    plots.plot_heatmaps(panels, [s.label for s in settings], [f"{lr:g}" for lr in args.lrs], args.max_iters, out,
                        "part2_lr_sweep", "Median iterations to 100 % (% = seeds that got there" +
                        ("; \u2020 = a twin moved a count)" if moved else ")"))
    out.csv("part2_lr_sweep.csv", ["setting", "reduction", "lr", "seeds", "median", "Q1", "Q3", "reached %",
                                   "diverged %", "dead %"], rows)
    fits = {s: power_law(args.lrs, [stats[(s, lr, "mean")]["median"] for lr in args.lrs]) for s in settings}
    return stats, pairs, fits


def separable(data):
    """True if a plane separates the two classes of images: the linear program 'find w, c with
    (2y - 1)(w.x + c) >= 1 for every image' is feasible (scipy.optimize.linprog)."""
    from scipy.optimize import linprog
    x = np.hstack([data.images.reshape(len(data), -1).double().numpy(), np.ones((len(data), 1))])
    signs = 2 * data.labels.double().numpy() - 1
    return linprog(np.zeros(x.shape[1]), A_ub=-signs[:, None] * x, b_ub=-np.ones(len(data)),
                   bounds=(None, None)).status == 0


def data_outputs(data, out):
    """A few images of each class of the random dataset (the data section's figure)."""
    labels = data.labels.numpy()
    idx = [i for c in (0, 1) for i in np.flatnonzero(labels == c)[:4]]
    plots.plot_samples([data.images[i].numpy() for i in idx], [f"y={int(labels[i])}" for i in idx], out,
                       "part2_data", "random (4×4)")


def numbers(stats, fits, mech, data, args):
    """Every number the report quotes about the part 2 study, as LaTeX macros."""
    cap, lr = args.max_iters, args.lr
    values = {"p2 seeds": args.seeds, "p2 sweep seeds": args.sweep_seeds, "p2 cap": fmt_int(cap),
              "p2 lr": f"{lr:g}", "p2 data": origin(data.files),
              "p2 params": sum(p.numel() for p in part2_fc.FCNet().parameters()),
              "p2 zeros": data.class_counts[0], "p2 ones": data.class_counts[1], "p2 samples": len(data),
              "p2 majority pct": f"{100 * mech['majority']:.0f}", "p2 lrs": ", ".join(f"{x:g}" for x in args.lrs),
              "p2 separable": "yes" if separable(data) else "no"}
    for (setting, at, red), s in stats.items():
        if at == lr:
            for q in ("median", "q1", "q3", "ci_low", "ci_high"):
                values[f"p2 {q} {red} {TAG[setting.name]}"] = fmt_iters(s[q], cap, tex=True)
            for k in ("reached", "stuck", "diverged"):
                values[f"p2 {k} {red} {TAG[setting.name]}"] = fmt_pct(s[k + '_pct'])
    for red in REDUCTIONS:
        ranked = sorted([k for k in stats if k[1] == lr and k[2] == red], key=lambda k: sort_key(stats[k]))
        beyond = [label(k[0]) for k in ranked if not np.isfinite(stats[k]["median"])]
        values[f"p2 study order {red}"] = " $<$ ".join(label(k[0]) for k in ranked if np.isfinite(stats[k]["median"])) + (
            (", then " if len(beyond) < len(ranked) else "") + " and ".join(beyond) + " with a median beyond the cap"
            if beyond else "")
    for setting, (k, used) in fits.items():
        values[f"p2 lr exponent {TAG[setting.name]}"] = f"{k:.2f}"
        values[f"p2 lr fit range {TAG[setting.name]}"] = f"{min(used):g}--{max(used):g}" if used else "none"
    for key, v in mech.items():
        values[f"p2 {key}"] = f"{v:.2f}" if isinstance(v, float) else v
    return values


def control_outputs(runs, mech, data, args, out):
    """The controlled experiments of part 2 (dlbasics/study/controls.py) against the study's own runs of the same
    seeds: part2_controls.csv, and the summary's section."""
    variants = controls.part2_variants(mech, args.activations, args.lr) if args.control_seeds else []
    found = train_jobs(partial(controls.experiment, **training_of(args)), data,
                       controls.jobs(variants, range(args.control_seeds)), args.max_iters, args.workers,
                       progress=not args.no_progress, desc="part 2 controls")
    groups = group_runs(runs)
    results = []
    for variant, lr, (reference, ref_lr), factor in variants:
        mine = [r for r in found if r.setting == variant]
        results.append({"name": variant.name, "setting": variant.base.name, "change": variant.change, "factor": factor,
                        "lr": lr, "reference_setting": reference.name, "rows": [r.row() for r in mine]}
                       | controls.compare(mine, groups[(reference, ref_lr, "mean")], groups[(variant.base, args.lr, "mean")]))
    out.csv("part2_controls.csv", ["control", "seeds", "median before", "median after", "reference", "median of the "
                                   "reference", "ratio before", "ratio after", "fewer", "more", "sign-test p"],
            [[r["name"], r["seeds"], fmt_iters(r["baseline"]["median"], args.max_iters),
              fmt_iters(r["control"]["median"], args.max_iters), r["reference_setting"],
              fmt_iters(r["reference"]["median"], args.max_iters), f"{r['ratio_before']:.2f}", f"{r['ratio']:.2f}",
              r["fewer"], r["more"], f"{r['p_value']:.2g}"] for r in results])
    return results


def traced_runs(args, every, most=3):
    """The runs traced with their twins: seed --seed of every setting under both reductions at --lr and
    under the mean at the sweep's largest learning rate; and, in each of the (at most `most`) cells where
    the most twins moved, the first seed that moved. [(setting, lr, reduction, seed)]"""
    settings = [s for s in SETTINGS if s.activation in args.activations]
    traced = [(s, args.lr, red, args.seed) for s in settings for red in REDUCTIONS]
    traced += [(s, max(args.lrs), "mean", args.seed) for s in settings] if max(args.lrs) > args.lr else []
    moved = sorted(((cell, [r.seed for r, t in ps if sensitivity.moved(r, t)]) for cell, ps in sensitivity.pairs(every).items()),
                   key=lambda cs: -len(cs[1]))
    return list(dict.fromkeys(traced + [(*cell, seeds[0]) for cell, seeds in moved[:most] if seeds]))   # once each


def rounding_outputs(every, data, args, out):
    """How much the counts depend on rounding: each cell's share of seeds whose count moves with a twin
    start (part2_sensitivity.csv), and the mechanism along the traced runs (part2_stability.csv, the
    figure part2_twins). Returns the cells and the traces' summaries."""
    cells = sensitivity.by_cell(every)
    sensitivity.write_csv(out, "part2_sensitivity.csv", {(s.label, lr, red): c for (s, lr, red), c in cells.items()})
    chosen = traced_runs(args, every)[:args.traces]                 # (--traces None: all)
    traces = [sensitivity.trace(s, seed, lr, red, data, args.max_iters) for s, lr, red, seed in chosen]
    out.csv("part2_stability.csv", ["setting", "reduction", "lr", "seed", "iterations", "status", "growth per iteration",
                                    "fitted until", "median lr x sharpness", "largest lr x sharpness", "% beyond 2",
                                    "final distance / |theta|"],
            [[tr["setting"], tr["reduction"], f"{tr['lr']:g}", tr["seed"], tr["iterations"], tr["status"],
              f"{tr['lyapunov']:.4f}",
              tr["fit_until"], f"{tr['median_lr_sharpness']:.3f}", f"{tr['max_lr_sharpness']:.3f}",
              fmt_pct(tr['beyond_two_pct']), f"{tr['final_distance']:.2e}"] for tr in traces])
    for tr in traces:
        cell = cells.get((experiments.SETTINGS[tr["setting"]], tr["lr"], tr["reduction"]))
        tr["cell_sensitive_pct"] = cell["sensitive_pct"] if cell else None
    if traces:
        plots.plot_twins(traces, out, "part2_twins", "A run and its twin")
    kept = ("setting", "lr", "reduction", "seed", "iterations", "status", "lyapunov", "fit_until", "median_lr_sharpness",
            "max_lr_sharpness", "beyond_two_pct", "max_lr_negative", "predicted_growth", "final_distance",
            "cell_sensitive_pct")
    return cells, [{k: tr[k] for k in kept} for tr in traces]


def main(args):
    data = load_dataset("random", args.data_dir)
    say(describe(data))
    if args.max_iters is None:                     # the 2017 cap counts epochs of --batch-size images
        args.max_iters = (args.max_epochs * -(-len(data) // min(args.batch_size, len(data))) if args.max_epochs
                          else 2000 if args.quick else 10000)
    say(f"training: {describe_training(args, len(data))}, at most {args.max_iters} updates")
    n_settings = len(args.activations) * 2 * len(REDUCTIONS)
    check_study(n_settings * (args.seeds + args.sweep_seeds * (len(args.lrs) - 1)), n_settings, args.max_iters, 5)
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        configure_torch(1)
        jobs = jobs_for(args)
        every = train_jobs(partial(experiment, **training_of(args)), data.to(getattr(torch, args.dtype)),
                           jobs + sensitivity.twin_jobs(jobs, args.twin_seeds), args.max_iters, args.workers,
                           progress=not args.no_progress, desc="part 2 study")
        runs = sensitivity.main_runs(every)
        single = [r for r in runs if r.curves]
        mech = mechanism_outputs(single, data, args, out)
        stats, pairs, fits = study_outputs(runs, args, out, moved_cells(every))
        data_outputs(data, out)
        values = numbers(stats, fits, mech, data, args)
        cells, traces = rounding_outputs(every, data.to(getattr(torch, args.dtype)), args, out)
        found = control_outputs(runs, mech, data.to(getattr(torch, args.dtype)), args, out)
        values["p2 twin seeds"] = args.twin_seeds
        out.write("part2_study_numbers.tex", tex_macros(values))
        write_curves_csv(out, "part2_study_curves.csv", {f"{label(r)} ({r.reduction})": r.curves for r in single},
                         ("loss", "acc", "grad_norm_W"))
        settings = {k: v for k, v in vars(args).items() if k not in ("data_dir", "out_dir", "resolve", "study")}
        groups = [{"setting": s.name, "lr": lr, "reduction": red} | st for (s, lr, red), st in stats.items()]
        out.json("part2_study_summary.json", summary.build(
            "study part2", rerun_argv(args, ["seed", "seeds", "twin_seeds", "control_seeds", "traces", "lr", "lrs", "sweep_seeds", "activations",
                                             "max_iters",
                                             "init", "batch_size", "order", "optimizer", "momentum", "weight_decay",
                                             "dtype"]),
            settings, data, runs, summary.fingerprints(part2_fc.FCNet, init=args.init), groups=groups,
            numbers=values | {"pairs": pairs},
            sensitivity=sensitivity.record(every, cells), stability=traces)
            | {"controls": found, "mechanism": {k: v for k, v in mech.items() if isinstance(v, float)}}
            | out.record(part2_fc.__file__))
    say(f"study part2: wrote {'' if args.no_figures else 'figures, '}tables and part2_study_summary.json to "
        f"{args.out_dir}")
