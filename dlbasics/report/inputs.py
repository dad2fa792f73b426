"""The report's inputs that come from the four scripts: their JSON turned into LaTeX macros and tables,
after checking that each script and its study ran the same experiment.

The scripts write figures, CSV and JSON only; the studies write their own macros. This module, run by
`python -m dlbasics.report.claims DIR` (make report), writes part1_numbers.tex, part2_numbers.tex,
part2_seed_table.tex, part3_line_numbers.tex and part3_detection_numbers.tex from
part1_numbers.json and the three scripts' *_summary.json.
"""
import json
from contextlib import contextmanager

from dlbasics.common.cli import UserError
from dlbasics.common.outputs import fmt_int, tex_macros, tex_table
from dlbasics.study.summary import read
from part2_fc import SETTINGS

LABEL = {s.name: s.label for s in SETTINGS}
TAG = {"sigmoid-l2": "SigL", "sigmoid-ce": "SigC", "relu-l2": "ReluL", "relu-ce": "ReluC"}
SAME = ("seed", "lr", "lr_cls", "lr_reg", "max_iters", "dtype", "init", "batch_size", "order", "optimizer", "momentum",
        "weight_decay")
PAIRS = {"part2_summary.json": ("part2_fc.py", "part2_study_summary.json", "study part2"),
         "part3_line_summary.json": ("part3_conv.py", "part3_line_study_summary.json", "study line"),
         "part3_detection_summary.json": ("part3_detection.py", "part3_detection_study_summary.json", "study detection")}
PAIRS_OF_STUDY = {study_file: study for _, study_file, study in PAIRS.values()}


@contextmanager
def about(what):
    """Turn a summary that lacks what the report needs into one line naming it."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError) as err:
        found = f"no entry {err.args[0]}" if isinstance(err, KeyError) and err.args else "a value of another kind"
        raise UserError(f"{what}: expected what the report reads from it, found {found} (written by another version, "
                        "or a study run with other flags); rerun make figures") from None


def read_pair(out, name):
    """A script's summary and its study's, refused in one line if they ran different experiments."""
    script, study_name, study = PAIRS[name]
    mine, theirs = read(out / name, script), read(out / study_name, study)
    for key in SAME:
        a, b = mine["settings"].get(key), theirs["settings"].get(key)
        if key in mine["settings"] and key in theirs["settings"] and a != b:
            raise UserError(f"{out / name} and {study_name} ran different experiments (--{key.replace('_', '-')} "
                            f"{a} against {b}); rerun both (make figures)")
    if sorted(mine["data"]["sha256"].values()) != sorted(theirs["data"]["sha256"].values()):
        raise UserError(f"{out / name} and {study_name} were made from different data; rerun both (make figures)")
    return mine, theirs


def check_groups(out):
    """Refuse, in one line, a study that lacks runs the report compares: part 2's four settings, and every
    study's two batch losses, at its learning rate."""
    for name, needed in (("part2_study_summary.json", list(LABEL)), ("part3_line_study_summary.json", ["line"]),
                         ("part3_detection_study_summary.json", ["regression"])):
        s = read(out / name, PAIRS_OF_STUDY[name])
        lr = s["settings"].get("lr", s["settings"].get("lr_cls"))
        have = {(g.get("setting"), g.get("reduction")) for g in s.get("groups", []) if g.get("lr") == lr}
        for setting in needed:
            for red in ("mean", "sum"):
                if (setting, red) not in have:
                    flags = " ".join(a for a in s["argv"] if a.startswith("--activations"))
                    raise UserError(f"{out / name}: no {LABEL.get(setting, setting)} runs under the {red} loss at lr "
                                    f"{lr:g} in it{f' (it ran {flags})' if flags else ''}, and the report compares "
                                    "them; rerun make figures")


def cell(row, cap, tex=True):
    """A run's iterations to 100 % as the tables show them."""
    if row["status"] == "reached":
        return str(row["iterations"])
    return {"censored": ("$>$" if tex else ">") + fmt_int(cap), "stuck": f"dead at {row['iterations']}",
            "diverged": f"diverged at {row['iterations']}"}[row["status"]]


def part1(out, dest):
    path = out / "part1_numbers.json"
    try:
        numbers = json.loads(path.read_text())
        numbers["l2_grad_at_corner"] + 0
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise UserError(f"{path}: expected part1_loss_gradient.py's numbers ({err.__class__.__name__}); rerun it") from None
    tex = {f"p1 {k.replace('_', ' ')}": ("n/a" if v is None else v) for k, v in numbers.items()
           if not isinstance(v, (list, dict))}                  # dicts: the record of outputs and scripts
    for k, v in numbers.items():                   # pairs: (w, b) of the start; the lower and the upper value
        if isinstance(v, list) and len(v) == 2:
            ends = ("w", "b") if k == "gd_start" else ("low", "high")
            tex |= {f"p1 {k.replace('_', ' ')} {end}": ("n/a" if x is None else x) for end, x in zip(ends, v)}
    tex["p1 gd ratio"] = f"{numbers['gd_l2_steps'] / max(1, numbers['gd_ce_steps']):.0f}"
    mantissa, exponent = f"{numbers['l2_grad_at_corner']:.1e}".split("e")
    tex["p1 l2 grad at corner"] = f"{mantissa}\\times 10^{{{int(exponent)}}}"          # used inside $...$
    dest.write("part1_numbers.tex", tex_macros(tex))


def part2(out, dest):
    s, _ = read_pair(out, "part2_summary.json")
    cap, seed, red = s["settings"]["max_iters"], s["settings"]["seed"], s["settings"]["reduction"]
    other = "sum" if red == "mean" else "mean"
    single = {(r["setting"], r["reduction"]): r for r in s["single_runs"]}
    order = sorted(LABEL, key=lambda k: (single[(k, red)]["status"] != "reached", single[(k, red)]["iterations"]))
    done = [k for k in order if single[(k, red)]["status"] == "reached"]
    ended = {"censored": "still short of 100\\,\\% at the cap", "stuck": "dead", "diverged": "diverged"}
    values = {"p2 seed": seed, "p2 order": " $<$ ".join(LABEL[k] for k in done) + "".join(
        f"{', then' if done and i == 0 else ' and'} {LABEL[k]}, {ended[single[(k, red)]['status']]}"
        for i, k in enumerate(k for k in order if k not in done))}
    values |= {f"p2 seed {r} {TAG[k]}": cell(single[(k, r)], cap) for k in LABEL for r in ("mean", "sum")}
    dest.write("part2_numbers.tex", tex_macros(values))
    final = {k: single[(k, red)]["curve_points"]["loss"][str(single[(k, red)]["iterations"])] for k in LABEL}
    rows = [[i if single[(k, red)]["status"] == "reached" else "--", LABEL[k], cell(single[(k, red)], cap),
             f"{final[k]:.4g}", cell(single[(k, other)], cap)] for i, k in enumerate(order, 1)]
    dest.write("part2_seed_table.tex", tex_table(
        ["rank", "setting", f"iterations ({red})", f"final loss ({red})", f"iterations ({other})"], rows, "rlrrr"))


def captions(run, numbers, net, labels, extra=""):
    """The captions of a conv script's two pictures, from its summary."""
    when = ({"line": "after it reached 100\\,\\% training accuracy",
             "detection": "when its width regression reached 100\\,\\%"}[run["setting"]]
            if run["status"] == "reached" else "at its stop")
    silent = numbers["silent maps"]
    which = " and ".join(f"image {i} (label {c})" for c, i in sorted(numbers["pictured images"].items()))
    return {"filters caption": f"The 16 first-layer $7\\times7$ filters of the {net} (seed {run['seed']}) {when}; red "
                               "positive, blue negative, one colour scale centred on 0.",
            "feature maps caption": f"Second-layer feature maps of the {net} (seed {run['seed']}) {when}: for {which}, "
                                    f"then averaged over each class. Each map has its own colour scale, from 0 (black) "
                                    f"to its peak over all {labels} images, printed above it. " +
                                    ("No map is 0 for every image." if silent == 0 else
                                     f"{silent} of the 8 maps {'is' if silent == 1 else 'are'} 0 for every image.") +
                                    extra,
            "silent maps": silent}


def part3(out, dest):
    for name, tag, net, extra in (("part3_line_summary.json", "line", "line net", ""),
                                  ("part3_detection_summary.json", "det", "detection net",
                                   " Both heads read these 128 numbers.")):
        s, _ = read_pair(out, name)
        run = next(r for r in s["single_runs"] if r["reduction"] == s["settings"]["reduction"])
        cap = s["settings"]["max_iters"]
        values = {"seed iters": run["iterations"] if run["status"] == "reached" else f"$>${cap}"}
        if tag == "det":
            first = run["milestones"]["classification"]
            values["seed cls first"] = first if first is not None else "never"
        values |= captions(run, s["numbers"], net, sum(s["data"]["class_counts"]), extra)
        dest.write(name.replace("summary.json", "numbers.tex"), tex_macros({f"p3 {tag} {k}": v for k, v in values.items()}))


def write_all(out, dest):
    """Read the scripts' outputs in the folder `out`; write the TeX through `dest` (a staged Outputs)."""
    for name in PAIRS:                             # every summary readable before anything is written
        read_pair(out, name)
    check_groups(out)
    with about(out / "part1_numbers.json"):
        part1(out, dest)
    with about(out / "part2_summary.json"):
        part2(out, dest)
    with about(f"{out / 'part3_line_summary.json'} or part3_detection_summary.json"):
        part3(out, dest)
