"""The many-seed studies of part 3: part3_conv.py's line net and part3_detection.py's detection net,
over many seeds and both loss reductions, on the many-seed engine (the runs are the scripts', count
for count).

    python -m dlbasics.study line [--seeds 32] ...
    python -m dlbasics.study detection [--seeds 8] ...

Writes, with fixed names: part3_<line|detection>_study.* (medians with 95 % intervals), _study_ecdf,
_data, _study_numbers.tex and _study_summary.json.
"""
from functools import partial

import numpy as np
import torch

import part2_fc
import part3_conv
import part3_detection
from dlbasics.common.cli import learning_rate, nonnegative_int, positive_int, rerun_argv, say, seed_int
from dlbasics.common.data import describe, load_dataset, origin
from dlbasics.common.outputs import Outputs, fmt_int, tex_macros
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job
from dlbasics.engine.parallel import train_jobs
from dlbasics.engine.runtime import configure_torch
from dlbasics.study import controls, plots, sensitivity, summary
from dlbasics.study.part2 import add_common_arguments
from dlbasics.study.resources import check_study
from dlbasics.study.stats import censored_values, fmt_iters, fmt_median, fmt_pct, group_runs, milestone_values
from dlbasics.study.tables import moved_cells, summarise_with_ci, write_study_table

REDUCTIONS = ("mean", "sum")
LATE = 0.8  # the regression's falls are also measured from the first iteration with this share right
BLOCK = 8   # runs per engine batch: a block's per-seed matrices stay in cache, one thread per worker


def add_line_arguments(p):
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the recorded run (default: %(default)s)")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds 0..N-1 per reduction (default: 32; 4 "
                   "with --quick)")
    p.add_argument("--lr", type=learning_rate, default=None, help="learning rate (default: 0.1; 0.01 with "
                   "--edition 2017)")
    p.add_argument("--max-iters", type=positive_int, default=None, help="update cap (default: 10000; 300 with --quick)")
    add_twin_argument(p, 8)
    add_control_argument(p, "the fully connected nets on the line images", "--seeds", None)
    add_common_arguments(p, "line")
    part3_conv.add_training_arguments(p, {"lr": 0.01})
    p.set_defaults(resolve=resolve_line)


def add_twin_argument(p, default):
    p.add_argument("--twin-seeds", type=nonnegative_int, default=None,
                   help="seeds per reduction rerun from a start one or two ulps away (every initial parameter times "
                        f"1 + 2^-52), to measure how much the count depends on rounding (default: {default}; 2 with "
                        "--quick)")
    p.set_defaults(default_twins=default)


def add_control_argument(p, what, shown, default):
    p.add_argument("--control-seeds", type=nonnegative_int, default=None,
                   help=f"seeds of the controlled experiment, {what} (dlbasics/study/controls.py) (default: {shown}; 2 "
                        "with --quick)")
    p.set_defaults(default_controls=default)


def controls_of(args):
    found = (2 if args.quick else args.default_controls or args.seeds) if args.control_seeds is None else args.control_seeds
    return min(found, args.seeds)


def twins_of(args):
    return (2 if args.quick else args.default_twins) if args.twin_seeds is None else args.twin_seeds


def resolve_line(parser, args):
    args = part3_conv.resolve_training(parser, args)
    args.lr = args.lr or 0.1
    args.seeds, args.max_iters = args.seeds or (4 if args.quick else 32), args.max_iters or (300 if args.quick else 10000)
    args.twin_seeds, args.control_seeds = twins_of(args), controls_of(args)
    return args


def add_detection_arguments(p):
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the recorded run (default: %(default)s)")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds 0..N-1 per reduction (default: 8; 4 "
                   "with --quick)")
    p.add_argument("--lr-cls", type=learning_rate, default=0.1, help="learning rate of the cross-entropy "
                   "(default: %(default)s)")
    p.add_argument("--lr-reg", type=learning_rate, default=0.001, help="learning rate of the L2 (width) loss "
                   "(default: %(default)s)")
    p.add_argument("--max-iters", type=positive_int, default=None, help="update cap (default: 10000; 300 with --quick)")
    add_twin_argument(p, 2)
    add_control_argument(p, "the width head trained alone", "every seed of the study, so that 8 seeds can reach a "
                         "sign test below 0.01", None)
    add_common_arguments(p, "detection")
    p.set_defaults(resolve=resolve_detection)


def resolve_detection(parser, args):
    args.seeds, args.max_iters = args.seeds or (4 if args.quick else 8), args.max_iters or (300 if args.quick else 10000)
    args.twin_seeds, args.control_seeds = twins_of(args), controls_of(args)
    return args


def jobs(name, args, lr):
    """Every run of the study, and the twins (one or two ulps away) of the first --twin-seeds seeds of each reduction."""
    seeds = sorted(set(range(args.seeds)) | {args.seed})
    main = [Job(name, s, lr, red, record=(s == args.seed)) for red in REDUCTIONS for s in seeds]
    return main + sensitivity.twin_jobs(main, args.twin_seeds)


def rounding(every, name, out):
    """Each reduction's share of seeds whose count moves with a twin start one or two ulps away; the summary's section."""
    cells = sensitivity.by_cell(every)
    sensitivity.write_csv(out, f"part3_{name}_sensitivity.csv", cells)
    return sensitivity.record(every, cells)


def data_samples(data, out, name, caption_of, title):
    """Four images of each class present (the data section's figure)."""
    labels = data.labels.numpy()
    idx = [i for c in (0, 1) for i in np.flatnonzero(labels == c)[:4]]
    plots.plot_samples([data.images[i].numpy() for i in idx], [caption_of(i) for i in idx], out,
                       f"part3_{name}_data", title)


def line_controls(runs, data, args):
    """Part 2's kind of net on the line images against the conv net, seed by seed (dlbasics/study/controls.py)."""
    if not args.control_seeds:
        return []
    conv = [r for r in runs if r.reduction == "mean"]
    params = sum(p.numel() for p in part3_conv.ConvNet().parameters())
    hidden = round((params - 1) / (data.images[0].numel() + 2))        # a P-H-1 net has (P + 2) H + 1 parameters
    variants = [(controls.Variant(part2_fc.Setting("relu", "ce"), f"fully connected {data.images[0].numel()}-{h}-1",
                                  hidden=h), args.lr) for h in (4, hidden)]
    found = train_jobs(controls.experiment, data, controls.jobs(variants, range(args.control_seeds)), args.max_iters,
                       args.workers, progress=not args.no_progress, desc="part 3.1 controls")
    return [{"name": v.name, "setting": "line", "change": v.change, "hidden": v.hidden,
             "parameters": (data.images[0].numel() + 2) * v.hidden + 1, "conv_parameters": params,
             "rows": [r.row() for r in found if r.setting == v]} | controls.compare([r for r in found if r.setting == v], conv)
            for v, _ in variants]


WIDTH_ALONE = controls.Variant("detection", "width head alone", width_only=True)


def detection_or_control(setting, data, lr_reg):
    """The engine's experiment for a job of the detection study: the script's run, or the control."""
    if setting == WIDTH_ALONE:
        return controls.experiment(setting, data, lr_reg=lr_reg)
    return experiments.detection(setting, data, lr_reg=lr_reg)


def detection_controls(runs, found, data, args):
    """The width head trained alone (the runs `found`) against both heads, seed by seed; the regression's
    largest fall along the runs of --seed with and without the classifier; each loss's step on the shared
    layers."""
    if not found:                                  # --control-seeds 0
        return []
    both, variant = [r for r in runs if r.reduction == "mean"], WIDTH_ALONE
    seed_both = next((r for r in both if r.seed == args.seed and r.curves), None)
    seed_alone = next((r for r in found if r.seed == args.seed), None)
    start = part3_detection.init_weights(part3_detection.DetectionNet().double(), args.seed).state_dict()
    result = {"name": variant.name, "setting": "detection", "change": variant.change, "rows": [r.row() for r in found]}
    result |= controls.compare(found, both)
    result["steps_at_start"] = controls.head_steps(start, data, args.lr_cls, args.lr_reg)
    if seed_both is not None:
        curve = seed_both.curves["reg_acc"]
        result |= {"steps_at_stop": controls.head_steps(seed_both.params, data, args.lr_cls, args.lr_reg),
                   "largest_drop_both": controls.largest_drop(curve),
                   "drop_at": int(np.argmax(np.maximum.accumulate(curve) - curve)),
                   "first_at": {f"{share:g}": controls.first_at(curve, share) for share in (0.5, 0.8, 0.9, 0.95, 1.0)}}
    if seed_alone is not None and seed_alone.curves:
        result["largest_drop_alone"] = controls.largest_drop(seed_alone.curves["reg_acc"])
    for key, run in (("both", seed_both), ("alone", seed_alone)):      # once 80 % of the widths were right
        at = controls.first_at(run.curves["reg_acc"], LATE) if run is not None and run.curves else None
        if at is not None:
            result[f"late_fall_{key}"] = controls.largest_fall(run.curves["reg_acc"], at)
    return [result]


def relative_change(params, seed, name, init="handout"):
    """||final - initial|| / ||initial|| of parameter `name` of the line net of `seed`."""
    initial = part3_conv.init_weights(part3_conv.ConvNet().double(), seed, init).state_dict()[name]
    size = initial.norm()
    return float((params[name].double() - initial).norm() / size) if size > 0 else float("inf")


def main_line(args):
    data = load_dataset("line", args.data_dir)
    say(describe(data), f"training: {part3_conv.describe_training(args, len(data))}, lr {args.lr:g}, at most "
                        f"{args.max_iters} updates")
    check_study(2 * (args.seeds + 1), 2, args.max_iters, metrics=2)
    training = {k: getattr(args, k) for k in ("init", "batch_size", "order", "momentum", "weight_decay")}
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        configure_torch(1)
        every = train_jobs(partial(experiments.line, **training), data.to(getattr(torch, args.dtype)),
                           jobs("line", args, args.lr), args.max_iters, args.workers, BLOCK, not args.no_progress,
                           "part 3.1 study")
        runs = sensitivity.main_runs(every)
        groups = group_runs(runs, ("reduction",))
        stats = {red: summarise_with_ci(groups[(red,)]) for red in REDUCTIONS}
        plots.plot_ecdf({f"line dataset, lr {args.lr:g}": {
            f"{red} reduction": (censored_values(groups[(red,)]), [r.status for r in groups[(red,)]])
            for red in REDUCTIONS}}, args.max_iters, out, "part3_line_study_ecdf",
            f"Part 3.1: iterations to 100 % over {args.seeds} seeds")
        write_study_table(out, "part3_line_study", {red: {"line": stats[red]} for red in REDUCTIONS}, args.max_iters,
                          moved={(red, "line") for _, _, red in moved_cells(every)})
        data_samples(data, out, "line", lambda i: f"y={int(data.labels[i])}", "line (16×16)")
        single = next(r for r in runs if r.curves and r.reduction == "mean")
        values = {"p3 line seeds": args.seeds, "p3 line data": origin(data.files), "p3 line twin seeds": args.twin_seeds,
                  "p3 line zeros": data.class_counts[0], "p3 line ones": data.class_counts[1],
                  "p3 line params": fmt_int(sum(p.numel() for p in part3_conv.ConvNet().parameters())),
                  "p3 line conv one change pct": f"{100 * relative_change(single.params, single.seed, 'conv1.weight', args.init):.0f}",
                  "p3 line conv two change pct": f"{100 * relative_change(single.params, single.seed, 'conv2.weight', args.init):.0f}"}
        for red, s in stats.items():
            values |= {f"p3 line {q} {red}": fmt_iters(s[q], args.max_iters, tex=True) for q in ("median", "q1", "q3")}
            values[f"p3 line reached {red}"] = f"{fmt_pct(s['reached_pct'])}"
        out.write("part3_line_study_numbers.tex", tex_macros(values))
        out.json("part3_line_study_summary.json", summary.build(
            "study line", rerun_argv(args, ["seed", "seeds", "twin_seeds", "control_seeds", "lr", "max_iters", "init", "batch_size", "order",
                                            "optimizer", "momentum", "weight_decay", "dtype"]),
            settings_of(args), data, runs, summary.fingerprints(part3_conv.ConvNet, init=args.init),
            groups=[{"setting": "line", "lr": args.lr, "reduction": red} | s for red, s in stats.items()],
            numbers=values, sensitivity=rounding(every, "line", out))
                 | {"controls": line_controls(runs, data.to(getattr(torch, args.dtype)), args)}
                 | out.record(part3_conv.__file__))
    say("study line: " + "; ".join(f"{red}: {fmt_median(s, args.max_iters)}" for red, s in stats.items()),
        f"study line: wrote {'' if args.no_figures else 'figures, '}tables and part3_line_study_summary.json to "
        f"{args.out_dir}")


def main_detection(args):
    data = load_dataset("detection", args.data_dir)
    say(describe(data))
    check_study(2 * (args.seeds + 1), 2, args.max_iters, metrics=4)
    with Outputs(args.out_dir, figures=not args.no_figures) as out:
        configure_torch(1)
        alone = controls.jobs([(WIDTH_ALONE, args.lr_reg)], range(args.control_seeds), record_seed=args.seed)
        found = train_jobs(partial(detection_or_control, lr_reg=args.lr_reg), data.to(getattr(torch, args.dtype)),
                           jobs("detection", args, args.lr_cls) + alone, args.max_iters, args.workers, BLOCK,
                           not args.no_progress, "part 3.2 study and control")
        every, found = found[:len(found) - len(alone)], found[len(found) - len(alone):]
        runs = sensitivity.main_runs(every)
        stats, panels = {}, {}
        for red in REDUCTIONS:
            rs = [r for r in runs if r.reduction == red]
            values = {"regression": censored_values(rs), "classification": milestone_values(rs, "classification")}
            stats[red] = {head: summarise_with_ci(rs, v) for head, v in values.items()}
            panels[f"{red} reduction"] = {head: (v, np.array([r.status for r in rs])) for head, v in values.items()}
        plots.plot_ecdf(panels, args.max_iters, out, "part3_detection_study_ecdf",
                        f"Part 3.2: iterations to 100 % over {args.seeds} seeds "
                        "(classification: first time, before the regression stop)")
        write_study_table(out, "part3_detection_study", stats, args.max_iters, rank=False,
                          moved={(red, "regression") for _, _, red in moved_cells(every)})
        data_samples(data, out, "detection", lambda i: f"r={data.widths[i]:g}", "detection (16×16)")
        values = {"p3 det seeds": args.seeds, "p3 det data": origin(data.files), "p3 det twin seeds": args.twin_seeds,
                  "p3 det lr cls": f"{args.lr_cls:g}",
                  "p3 det lr reg": f"{args.lr_reg:g}", "p3 det lr ratio": f"{args.lr_cls / args.lr_reg:g}",
                  "p3 det zeros": data.class_counts[0], "p3 det ones": data.class_counts[1],
                  "p3 det width min": f"{float(data.widths.min()):g}", "p3 det width max": f"{float(data.widths.max()):g}"}
        for red in REDUCTIONS:
            for head, tag in (("regression", "reg"), ("classification", "cls")):
                s = stats[red][head]
                values |= {f"p3 det {tag} {q} {red}": fmt_iters(s[q], args.max_iters, tex=True) for q in ("median", "q1", "q3")}
                values[f"p3 det {tag} reached {red}"] = f"{fmt_pct(s['reached_pct'])}"
        out.write("part3_detection_study_numbers.tex", tex_macros(values))
        out.json("part3_detection_study_summary.json", summary.build(
            "study detection", rerun_argv(args, ["seed", "seeds", "twin_seeds", "control_seeds", "lr_cls", "lr_reg", "max_iters",
                                                 "dtype"]),
            settings_of(args), data, runs, summary.fingerprints(part3_detection.DetectionNet), milestones=["classification"],
            groups=[{"setting": head, "lr": args.lr_cls, "reduction": red} | s
                    for red, by_head in stats.items() for head, s in by_head.items()], numbers=values,
            sensitivity=rounding(every, "detection", out))
                 | {"controls": detection_controls(runs, found, data.to(getattr(torch, args.dtype)), args)}
                 | out.record(part3_detection.__file__))
    say("study detection: " + "; ".join(f"{red}: regression {fmt_median(s['regression'], args.max_iters)}"
                                        for red, s in stats.items()),
        f"study detection: wrote {'' if args.no_figures else 'figures, '}tables and part3_detection_study_summary.json "
        f"to {args.out_dir}")


def settings_of(args):
    return {k: v for k, v in vars(args).items() if k not in ("data_dir", "out_dir", "resolve", "study", "default_twins",
                                                            "default_controls")}
