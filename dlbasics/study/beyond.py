"""Beyond the handout: three questions the handout's fixed choices leave open, on the same engine.

    python -m dlbasics.study.beyond [--data-dir DIR] [--seeds N] [--line-seeds M]     (make beyond)

  1. Initialisation. Part 2's four settings from the handout's initialisation, all-zero weights
     (biases 0.1), everything zero, normal(0, 1) weights and torch's default; the line net too.
  2. Example order. Mini-batch SGD at batch sizes 1 and 8, each epoch shuffled or with every
     label-0 image first: iterations to 100 % and the share of dead hidden units along the way.
  3. The 2017 edition. Part 2 with SGD, momentum 0.99, weight decay 5e-4, batches of 64, at most
     1000 epochs (the line net at lr 0.01), next to the 2019 handout's plain gradient descent.

Every condition runs the same seeds 0..N-1 at lr 0.1 (the 2017 line net: 0.01) with the mean loss,
so seed k starts every condition of a setting from the same weights where the initialisation is
the same. The experiments are the scripts' own (dlbasics.experiments builds them from part2_fc.py
and part3_conv.py); only their training options change. Outputs go to --out-dir with fixed names (beyond_*).
"""
import math
import sys
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch

import part2_fc
import part3_conv
from dlbasics.common.cli import (
    Parser,
    default_workers,
    folder,
    positive_int,
    rerun_argv,
    run_main,
    say,
    workers,
)
from dlbasics.common.data import describe, load_dataset, origin
from dlbasics.common.outputs import Outputs, fmt_int, tex_macros, tex_table
from dlbasics.common.paths import FIGURES_DIR
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job
from dlbasics.engine.parallel import train_jobs
from dlbasics.engine.runtime import configure_torch
from dlbasics.study import plots, summary
from dlbasics.study.resources import check_study
from dlbasics.study.stats import SIGNIFICANT, censored_values, fmt_iters, fmt_pct, sign_test, sort_key
from dlbasics.study.tables import fmt_ci, summarise_with_ci, tie_note

LR, LINE_LR_2017, EPOCHS_2017, BATCH_2017 = 0.1, 0.01, 1000, 64
INITS = ("handout", "zero", "zero-all", "normal1", "default")
BATCHES, ORDERS, ORDER_LRS = (1, 8), ("shuffled", "negatives-first"), (0.1, 1.0)
OPTIMISER_2017 = {"momentum": 0.99, "weight_decay": 5e-4}


@dataclass(frozen=True)
class Condition:
    """One cell of the study: which net and setting, trained how."""
    question: str                   # "init", "order" or "edition"
    net: str                        # "fc" (part 2) or "line" (part 3.1)
    setting: str                    # part 2's '<activation>-<loss>', or "line"
    variant: str                    # the init, "B=1 shuffled", "2017", ...
    lr: float = LR
    training: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self):
        return f"{self.question}: {self.net} {self.setting} {self.variant} lr {self.lr:g}"


FC = [s.name for s in part2_fc.SETTINGS]           # the part 2 settings by name: "sigmoid-l2", ...


def conditions():
    fc = FC
    out = [Condition("init", "fc", s, init, training={"init": init}) for s in fc for init in INITS]
    out += [Condition("init", "line", "line", init, training={"init": init}) for init in INITS]
    out += [Condition("order", "fc", s, f"B={b} {order}", lr, training={"batch_size": b, "order": order})
            for lr in ORDER_LRS for s in fc for b in BATCHES for order in ORDERS]
    out += [Condition("edition", "fc", s, "2019") for s in fc]
    out += [Condition("edition", "fc", s, "2017", training={"batch_size": BATCH_2017, **OPTIMISER_2017}) for s in fc]
    out += [Condition("edition", "line", "line", "2019"),
            Condition("edition", "line", "line", "2017", LINE_LR_2017, OPTIMISER_2017)]
    return {c.name: c for c in out}


CONDITIONS = conditions()


def dead_units(outputs, acts):
    """Share of hidden units that are 0 for every image (dead ReLUs; a sigmoid unit never is)."""
    h = acts["hidden"]                                                   # (N, H, R)
    return {"dead_units": (h.amax(0) == 0).to(h.dtype).mean(0)}


def make_experiment(name, data, diagnostics=None):
    """The script's experiment for condition `name` (dlbasics.experiments), with the condition's training."""
    c = CONDITIONS[name]
    if c.net == "line":
        return experiments.line("line", data, **c.training)
    return experiments.part2(experiments.SETTINGS[c.setting], data, diagnostics=diagnostics, **c.training)


def cap_of(c, n_images, cap, line_cap):
    """The update cap of condition c: `cap` (`line_cap` for the line net), or the 2017 edition's 1000
    epochs (at most `cap`)."""
    if c.net == "line":
        return line_cap
    if c.question == "edition" and c.variant == "2017":
        return min(cap, EPOCHS_2017 * math.ceil(n_images / min(BATCH_2017, n_images)))
    return cap


# ================================ Running ======================================================
def parse_args(argv=None):
    p = Parser(prog="python -m dlbasics.study.beyond", description=__doc__)
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds 0..N-1 per part 2 condition (default: 100)")
    p.add_argument("--line-seeds", type=positive_int, default=None, help="seeds per line-net condition (default: 16)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of every run (default: %(default)s; see the scripts' --help)")
    p.add_argument("--data-dir", type=folder, default=None, help="folder with the datasets (default: data/)")
    p.add_argument("--out-dir", type=folder, default=FIGURES_DIR, help="where outputs go (default: figures/)")
    p.add_argument("--workers", type=workers, default=default_workers(),
                   help="processes sharing the runs; results do not depend on it (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--max-iters", type=positive_int, default=None,
                   help="update cap of every run; the 2017 edition's is 1000 epochs, at most this (default: 10000)")
    p.add_argument("--line-max-iters", type=positive_int, default=None,
                   help="update cap of the line-net runs (default: 2000; a conv update costs ~50 FC ones)")
    p.add_argument("--quick", action="store_true",
                   help="small budget for tests: 8 and 2 seeds, caps 2000 and 300 (explicit values win)")
    args = p.parse_args(argv)
    args.seeds = args.seeds or (8 if args.quick else 100)
    args.line_seeds = args.line_seeds or (2 if args.quick else 16)
    args.max_iters = args.max_iters or (2000 if args.quick else 10000)
    args.line_max_iters = args.line_max_iters or (300 if args.quick else 2000)
    return args


def jobs_of(c, args):
    seeds = args.seeds if c.net == "fc" else args.line_seeds
    return [Job(c.name, s, c.lr, "mean", record=(c.question == "order" or s == 0)) for s in range(seeds)]


def run_all(args, data):
    """Every condition's runs, grouped by what can share an engine call: the net and the cap."""
    calls = {}
    for c in CONDITIONS.values():
        key = (c.net, cap_of(c, len(data[c.net]), args.max_iters, args.line_max_iters))
        calls.setdefault(key, []).extend(jobs_of(c, args))
    total = sum(len(j) for j in calls.values())
    check_study(total, len(CONDITIONS), args.max_iters, metrics=4)
    runs = []
    for (net, cap), jobs in calls.items():
        make = partial(make_experiment, diagnostics=dead_units) if net == "fc" else make_experiment
        runs += train_jobs(make, data[net], jobs, cap, args.workers, 8 if net == "line" else None,
                           not args.no_progress, f"beyond: {net} runs, cap {cap}")
    return runs


# ================================ Outputs ======================================================
LABEL = {s.name: s.label for s in part2_fc.SETTINGS} | {"line": "line net"}


def by_condition(runs):
    groups = {}
    for r in runs:
        groups.setdefault(r.setting, []).append(r)
    return groups


def unit_spread(run):
    """Largest difference between two hidden units' incoming weights (and biases) at the stop."""
    w = torch.cat([run.params["fc1.weight"], run.params["fc1.bias"][:, None]], 1)     # (H, 17)
    return float((w - w[:1]).abs().max())


def dead_share_by_epoch(runs, steps_per_epoch, epochs):
    """(epochs + 1,) mean over runs of the share of dead hidden units at the end of each epoch; a
    run that stopped keeps its last value (its net no longer changes)."""
    at = np.arange(epochs + 1) * steps_per_epoch
    rows = []
    for r in runs:
        curve = r.curves["dead_units"]
        rows.append(curve[np.minimum(at, len(curve) - 1)])
    return np.mean(rows, 0)


def ranking(stats):
    """'A $<$ B $<$ ...' by median; settings whose median is beyond the cap come last, named as such."""
    ranked = sorted(stats, key=lambda s: sort_key(stats[s]))
    finite = [LABEL[s] for s in ranked if np.isfinite(stats[s]["median"])]
    beyond = [LABEL[s] for s in ranked if not np.isfinite(stats[s]["median"])]
    text = " $<$ ".join(finite)
    if beyond:
        text += (", then " if finite else "") + " and ".join(beyond) + \
            (" (median beyond the cap)" if len(beyond) == 1 else " (medians beyond the cap)")
    return text


def dead_sign_test(a, b):
    """Share of dead hidden units at the end, runs a against the runs of b with the same seeds:
    {"more": seeds where a ends with more, "fewer": with fewer, "p": two-sided sign-test p}."""
    by_seed = {r.seed: r.curves["dead_units"][-1] for r in b}
    fewer, more, p = sign_test([r.curves["dead_units"][-1] for r in a], [by_seed[r.seed] for r in a])
    return {"more": more, "fewer": fewer, "p": p}


def cell_text(s, cap):
    median = fmt_iters(s["median"], cap)
    if median.startswith(">") and cap % 1000 == 0:
        median = f">{cap // 1000}k"
    return median + f"\n{fmt_pct(s['reached_pct'])}%"


def heatmap(stats, caps, rows, cols, key, out, stem, title, xlabel):
    matrix = np.array([[stats[key(r, c)]["median"] for c in cols] for r in rows])
    text = [[cell_text(stats[key(r, c)], caps[key(r, c)]) for c in cols] for r in rows]
    cap = max(caps.values())
    return plots.plot_heatmaps({"": (matrix, text)}, [LABEL[r] for r in rows], cols, cap, out, stem, title, xlabel)


def outputs(runs, data, args, out):
    groups = by_condition(runs)
    cap = args.max_iters
    caps = {name: cap_of(CONDITIONS[name], len(data[CONDITIONS[name].net]), cap, args.line_max_iters) for name in groups}
    stats = {name: summarise_with_ci(rs) for name, rs in groups.items()}
    for name, rs in groups.items():
        if CONDITIONS[name].question == "order":
            stats[name]["dead_units_end_pct"] = 100 * float(np.mean([r.curves["dead_units"][-1] for r in rs]))
            stats[name]["any_dead_pct"] = 100 * float(np.mean([r.curves["dead_units"][-1] > 0 for r in rs]))
        stats[name]["dead_at_start_pct"] = 100 * float(np.mean([r.status == "stuck" and r.iterations == 0 for r in rs]))
        stats[name]["seeds_alike"] = len({(r.iterations, r.status) for r in rs}) == 1
        stats[name]["cap"] = caps[name]
    fc = FC
    name = lambda q, net, s, v, lr=LR: f"{q}: {net} {s} {v} lr {lr:g}"  # noqa: E731
    values = {"beyond line cap": fmt_int(args.line_max_iters), "beyond seeds": args.seeds, "beyond line seeds": args.line_seeds, "beyond data": origin(data["fc"].files),
              "beyond cap": f"{cap:,}".replace(",", "\\,"),
              "beyond negative batches": int(data["fc"].class_counts[0]) // max(BATCHES),
              "beyond cap twenty": f"{caps[name('edition', 'fc', fc[0], '2017')]:,}"
              .replace(",", "\\,")}

    # 1. initialisation
    heatmap(stats, caps, fc + ["line"], list(INITS), lambda r, c: name("init", "fc" if r != "line" else "line", r, c),
            out, "beyond_init", "Median iterations to 100 % by initialisation (% = share of seeds that got there)",
            "initialisation")
    rows = []
    for s in fc + ["line"]:
        for init in INITS:
            key = name("init", "fc" if s != "line" else "line", s, init)
            st = stats[key]
            rows.append([LABEL[s], init, st["seeds"], fmt_iters(st["median"], caps[key], True), f"{fmt_pct(st['reached_pct'])}",
                         f"{fmt_pct(st['stuck_pct'])}", f"{fmt_pct(st['diverged_pct'])}"])
    out.write("beyond_init.tex", tex_table(["setting", "init", "seeds", "median", "reached \\%", "dead \\%",
                                            "diverged \\%"], rows, align="llrrrrr"))
    spreads = {s: unit_spread(next(r for r in groups[name("init", "fc", s, "zero")] if r.seed == 0)) for s in fc}
    spreads_handout = {s: unit_spread(next(r for r in groups[name("init", "fc", s, "handout")] if r.seed == 0))
                       for s in fc}
    values["beyond zero spread"] = f"{max(spreads.values()):g}"
    values["beyond handout spread min"] = f"{min(spreads_handout.values()):.2f}"

    # 2. example order, at the handout's lr and at lr 1
    cols = [f"B={b} {o}" for b in BATCHES for o in ORDERS]
    rows_h = [(s, lr) for lr in ORDER_LRS for s in fc]
    matrix = np.array([[stats[name("order", "fc", s, c, lr)]["median"] for c in cols] for s, lr in rows_h])
    text = [[cell_text(stats[name("order", "fc", s, c, lr)], cap) for c in cols] for s, lr in rows_h]
    plots.plot_heatmaps({"": (matrix, text)}, [f"{LABEL[s]}, lr {lr:g}" for s, lr in rows_h], cols, cap, out,
                        "beyond_order", "Mini-batch SGD: median updates to 100 % (% = share of seeds that got there)",
                        "batch size and order")
    steps = {b: math.ceil(len(data["fc"]) / b) for b in BATCHES}
    epochs = 20
    curves = {f"batch size {b}, lr {lr:g}": {
        f"{LABEL[s]}, {o}": dead_share_by_epoch(groups[name("order", "fc", s, f"B={b} {o}", lr)], steps[b], epochs)
        for s in fc for o in ORDERS}
        for lr in ORDER_LRS for b in BATCHES}
    plots.plot_share_curves(curves, "epoch", "share of units dead", out, "beyond_dead_units",
                            f"Dead hidden units along mini-batch SGD ({args.seeds} seeds, mean loss)")
    rows = []
    for lr in ORDER_LRS:
        for s in fc:
            for b in BATCHES:
                for o in ORDERS:
                    key = name("order", "fc", s, f"B={b} {o}", lr)
                    st = stats[key]
                    dead1 = 100 * dead_share_by_epoch(groups[key], steps[b], 1)[1]
                    st["dead_units_epoch1_pct"] = dead1
                    if o == "negatives-first":       # seed by seed against the same seeds shuffled
                        st["dead_end_sign_test"] = dead_sign_test(groups[key], groups[name(
                            "order", "fc", s, f"B={b} shuffled", lr)])
                    rows.append([f"{lr:g}", LABEL[s], b, o, fmt_iters(st["median"], cap, True),
                                 f"{fmt_pct(st['reached_pct'])}", f"{fmt_pct(st['stuck_pct'])}", f"{dead1:.1f}",
                                 f"{st['dead_units_end_pct']:.1f}"])
    out.write("beyond_order.tex", tex_table(["lr", "setting", "$B$", "order", "median", "reached \\%",
                                             "nets dead \\%", "units dead, epoch 1 \\%", "end \\%"], rows,
                                            align="lllllrrrr"))

    # 3. the 2017 edition
    rows, tied = [], []
    for s in fc + ["line"]:
        net = "fc" if s != "line" else "line"
        cells = []
        for v in ("2019", "2017"):
            key = name("edition", net, s, v, LINE_LR_2017 if net == "line" and v == "2017" else LR)
            st = stats[key]
            cells += [fmt_iters(st["median"], caps[key], True), fmt_ci(st, caps[key], True),
                      f"{fmt_pct(st['reached_pct'])}"]
            tied.append((f"{LABEL[s]} ({v})", st))
        rows.append([LABEL[s], *cells])
    for v in ("2019", "2017"):
        values[f"beyond order {v}"] = ranking({s: stats[name("edition", "fc", s, v)] for s in fc})
    out.write("beyond_edition.tex", tex_table(["setting", "2019 median", "interval", "reached \\%",
                                               "2017 median", "interval", "reached \\%"], rows, align="lrrrrrr",
                                              notes=tie_note(tied)))
    plots.plot_ecdf({f"{v} edition": {LABEL[s]: (censored_values(groups[name("edition", "fc", s, v)]),
                                                 [r.status for r in groups[name("edition", "fc", s, v)]]) for s in fc}
                     for v in ("2019", "2017")},
                    {f"{v} edition": caps[name("edition", "fc", fc[0], v)] for v in ("2019", "2017")}, out, "beyond_edition",
                    f"Part 2 under the two editions' training ({args.seeds} seeds, mean loss; 2017 capped at "
                    f"{caps[name('edition', 'fc', fc[0], '2017')]} updates)")
    values["beyond zero spread value"] = max(spreads.values())
    return stats, values


# ================================ Claims ======================================================
def key_of(question, net, setting, variant, lr=LR):
    return f"{question}: {net} {setting} {variant} lr {lr:g}"


def pct(x):
    return f"{x:.0f}\\,\\%"


def compared_paired(test):
    """'more than' / 'fewer than' only where the seeds tell the two apart (sign test p < SIGNIFICANT)."""
    if test["p"] < SIGNIFICANT:
        return "more than" if test["more"] > test["fewer"] else "fewer than"
    return "as many as" if test["more"] == test["fewer"] == 0 else "about as many as"


def seeds(n):
    return f"{n} seed" if n == 1 else f"{n} seeds"


def p_text(p):
    return f"$p < {SIGNIFICANT:g}$" if p < SIGNIFICANT else f"$p = {p:.2f}$"


def pct1(x):
    return f"{x:.1f}\\,\\%"


def claims(stats, values):
    """The section's outcome-dependent sentences, worded by what the numbers say ({macro: text})."""
    fc = FC
    st = lambda *k: stats[key_of(*k)]  # noqa: E731
    out = {}
    zero = [st("init", "fc", s, "zero") for s in fc]
    out["beyond claim zero"] = (
        ("every hidden unit was still an exact copy of the others when the run stopped (largest difference "
         "between two units' weights: 0), so the 16-4-1 net trained as a 16-1-1 net"
         if values["beyond zero spread value"] == 0 else
         f"the hidden units drifted apart (largest difference {values['beyond zero spread value']:.3g})") +
        ("; and since nothing in it is random, every seed trained the very same net" if all(z["seeds_alike"] for z in zero)
         else ""))
    relu_dead = min(st("init", "fc", s, "zero-all")["dead_at_start_pct"] for s in fc if experiments.SETTINGS[s].activation == "relu")
    sig = {s: st("init", "fc", s, "zero-all")["reached_pct"] for s in fc if experiments.SETTINGS[s].activation == "sigmoid"}
    out["beyond claim zero all"] = (
        ("every ReLU net was dead at its first evaluation" if relu_dead == 100 else
         f"the ReLU nets were dead at their first evaluation in at least {pct(relu_dead)} of the seeds") +
        " (a ReLU at 0 passes no gradient), while the sigmoid nets, whose units all start at 1/2, went on "
        "learning and reached 100\\,\\% in " +
        " and ".join(f"{pct(v)} of the seeds with {LABEL[s][len('sigmoid + '):]}" for s, v in sig.items()))
    faster = [s for s in fc if sort_key(st("init", "fc", s, "default")) < sort_key(st("init", "fc", s, "handout"))]
    wide = [s for s in fc if sort_key(st("init", "fc", s, "normal1")) > sort_key(st("init", "fc", s, "handout"))]
    out["beyond claim default"] = (f"torch's default initialisation had a smaller median than the handout's in "
                                   f"{len(faster)} of the 4 settings")
    out["beyond claim normal one"] = (f"weights of std 1 had a larger median than the handout's in {len(wide)} of the "
                                      f"4 settings (reached: " + ", ".join(
                                          f"{LABEL[s]} {pct(st('init', 'fc', s, 'normal1')['reached_pct'])}" for s in fc)
                                      + ")")
    for lr in ORDER_LRS:
        for b in BATCHES:
            first = st("order", "fc", "relu-ce", f"B={b} negatives-first", lr)
            mixed = st("order", "fc", "relu-ce", f"B={b} shuffled", lr)
            a, z = round(first["dead_units_end_pct"], 1), round(mixed["dead_units_end_pct"], 1)
            a1, z1 = round(first["dead_units_epoch1_pct"], 1), round(mixed["dead_units_epoch1_pct"], 1)
            test = first["dead_end_sign_test"]
            out[f"beyond claim order {b} lr {lr:g}"] = (
                f"negatives-first left {compared_paired(test)} shuffled of the ReLU + CE hidden units dead at the "
                f"end ({pct1(a)} against {pct1(z)}, more on {seeds(test['more'])} and fewer on {test['fewer']}, "
                f"sign test {p_text(test['p'])}; after the first epoch {pct1(a1)} against {pct1(z1)}; whole nets "
                f"dead: {pct(first['stuck_pct'])} against {pct(mixed['stuck_pct'])})")
    sig_dead = max(stats[k]["dead_units_end_pct"] for k in stats
                   if CONDITIONS[k].question == "order" and experiments.SETTINGS[CONDITIONS[k].setting].activation == "sigmoid")
    out["beyond claim sigmoid"] = ("no sigmoid unit was ever dead at the end of a run" if sig_dead == 0 else
                                   f"sigmoid units ended dead in {pct(sig_dead)} of cases")
    same = values["beyond order 2017"] == values["beyond order 2019"]
    out["beyond claim edition order"] = "the same order" if same else "a different order"
    out["beyond claim edition speed"] = edition_speed(
        {s: (st("edition", "fc", s, "2019"), st("edition", "fc", s, "2017")) for s in fc})
    return out


def edition_speed(pairs):
    """How many times fewer updates the 2017 training needed than the 2019 one, by median, setting by
    setting ({setting: (2019 stats, 2017 stats)}). A median beyond its cap gives a bound, never a number."""
    parts, faster = [], 0
    for s, (new, old) in pairs.items():
        m19, m17 = new["median"], old["median"]
        if np.isfinite(m19) and np.isfinite(m17):
            parts.append(f"{LABEL[s]} {m19 / m17:.1f}")
            faster += m19 > m17
        elif np.isfinite(m17):                      # the 2019 median is beyond its cap: at least cap / m17
            parts.append(f"{LABEL[s]} more than {new['cap'] / m17:.1f}, its 2019 median being beyond the cap")
            faster += new["cap"] >= m17
        elif np.isfinite(m19):
            parts.append(f"{LABEL[s]} less than {m19 / old['cap']:.1f}, its 2017 median being beyond the cap")
        else:
            parts.append(f"{LABEL[s]} not comparable, both medians being beyond the caps")
    return (f"the 2017 training needed fewer updates by median in {faster} of the {len(pairs)} settings "
            f"(2019 median over 2017 median: " + "; ".join(parts) + ")")


def main(argv=None):
    args = parse_args(argv)
    data = {"fc": load_dataset("random", args.data_dir), "line": load_dataset("line", args.data_dir)}
    say(*(describe(d) for d in data.values()))
    with Outputs(args.out_dir) as out:
        configure_torch(1)
        dtype = getattr(torch, args.dtype)
        runs = run_all(args, {k: d.to(dtype) for k, d in data.items()})
        stats, values = outputs(runs, data, args, out)
        values |= claims(stats, values)
        out.write("beyond_numbers.tex", tex_macros(values))
        groups = [{"setting": n, "question": CONDITIONS[n].question, "net": CONDITIONS[n].net,
                   "condition_setting": CONDITIONS[n].setting, "variant": CONDITIONS[n].variant, "lr": CONDITIONS[n].lr,
                   "reduction": "mean", "cap": cap_of(CONDITIONS[n], len(data[CONDITIONS[n].net]), args.max_iters,
                                                     args.line_max_iters)} | s
                  for n, s in stats.items()]
        settings = {k: v for k, v in vars(args).items() if k not in ("data_dir", "out_dir")}
        out.json("beyond_summary.json", summary.build(
            "dlbasics.study.beyond", rerun_argv(args, ["seeds", "line_seeds", "max_iters", "line_max_iters", "dtype"]), settings, data["fc"], runs,
            summary.fingerprints(part2_fc.FCNet, part3_conv.ConvNet), groups=groups, numbers=values)
            | out.record(part2_fc.__file__, part3_conv.__file__))
    say(f"beyond: wrote figures, tables and beyond_summary.json to {args.out_dir}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
