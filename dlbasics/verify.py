"""The grader's check: rerun the studies or the scripts, and compare every run and every number the
report quotes with numbers made elsewhere.

    python -m dlbasics.verify                  (make verify) a small study of every part on the bundled
                                               data, against dlbasics/expected_results.json
    python -m dlbasics.verify --against DIR    the outputs in DIR (a student's figures/): every script and
                                               study whose *_summary.json is there is rerun with the same
                                               arguments, on data with the same contents (SHA-256)

What must agree: every run's iteration count, status and milestones; every recorded curve point, to
1e-9 (relative); with --against also every statistic of every group (medians, quartiles, intervals,
shares, seed counts), every number in the summaries, and every table, macro file and generated
sentence in DIR that the rerun also writes (the report's inputs, rebuilt from the rerun by the
report step), character for character.

Rounding-sensitive runs. Another CPU's kernels differ from ours in the last bit, and some runs amplify
that until their count moves (the report's section "Which numbers are reproducible?"). So a run whose
count or status differs is trained again from 8 nearby starts (every initial parameter
times 1 + k 2^-52, k = 1..8: k to 2k ulps away). If any of them ends otherwise than our rerun, the run is
rounding-sensitive here too, and its expected count is accepted when it is plausible: its status is
one the reruns reached, and, if it reached 100 %, it lies within the reruns' range [lo, hi] widened by
that range's width on both sides. Such a run is listed with both counts and the reruns' range and
does not fail the check; the statistics and report inputs built on it are then not compared. A
difference in a run whose nine reruns all agree (a stable run), or an implausible count, fails.

Prints a table of the runs, each difference, then "reproduced N of N (M rounding-sensitive)"; exit
code 0 if everything agrees, 1 if anything differs, 2 on bad input.
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from dlbasics.common import processes
from dlbasics.common.cli import Parser, UserError, folder, run_main, say
from dlbasics.common.data import load_dataset, origin
from dlbasics.common.outputs import Outputs
from dlbasics.common.paths import DATA_DIR, ROOT
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job, train
from dlbasics.report import claims
from dlbasics.study.summary import read

EXPECTED = Path(__file__).with_name("expected_results.json")
CURVE_RTOL = 1e-9
SUMMARIES = {  # summary file -> who writes it
    "part2_summary.json": "part2_fc.py", "part3_line_summary.json": "part3_conv.py",
    "part3_detection_summary.json": "part3_detection.py", "part2_study_summary.json": "study part2",
    "part3_line_study_summary.json": "study line", "part3_detection_study_summary.json": "study detection",
}
SMALL_STUDY = {  # every setting, a few seeds, both reductions, on the bundled data; only the counts are compared,
    # so no twins (see below), no controlled experiments and no traced runs
    "study part2": ["--seeds=4", "--lrs=0.1", "--twin-seeds=0", "--control-seeds=0", "--traces=0"],
    "study line": ["--seeds=4", "--twin-seeds=0", "--control-seeds=0"],
    "study detection": ["--seeds=2", "--twin-seeds=0", "--control-seeds=0"],
}
NOT_RERUN = {"author.tex"}                             # who wrote the report: not a result
FORBIDDEN = {"--help", "--out-dir", "--data-dir", "--workers", "--no-progress", "--no-figures", "--against"}
SCRATCH = "dlbasics-verify-"                            # the reruns' folder, in the system's temporary folder


def command(writer, argv, data_dir, out_dir):
    """The command that reruns `writer` ("part2_fc.py", "study part2", "part1_loss_gradient.py") with argv."""
    if writer.startswith("study "):
        return [sys.executable, "-m", "dlbasics.study", writer.split()[1], *argv, "--data-dir", str(data_dir),
                "--out-dir", str(out_dir), "--no-progress", "--no-figures", "--workers", "1"]
    if writer.startswith("part1"):
        return [sys.executable, str(ROOT / writer), *argv, "--out-dir", str(out_dir)]
    return [sys.executable, str(ROOT / writer), *argv, "--data-dir", str(data_dir), "--out-dir", str(out_dir),
            "--no-figures"]


def rerun_all(plan, out_dir):
    """plan: {writer: (argv, data_dir)}, all run at once into out_dir -> {writer: summary}."""
    procs = {}
    try:
        for writer, (argv, data_dir) in plan.items():
            procs[writer] = subprocess.Popen(command(writer, argv, data_dir, out_dir), cwd=ROOT,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                             preexec_fn=processes.child_setup())
        for writer, proc in procs.items():
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise UserError(f"{writer} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
        return {writer: read(Path(out_dir) / name, writer) for name, writer in SUMMARIES.items() if writer in plan}
    finally:
        processes.stop(procs.values())


def keyed_runs(summary):
    """{(setting, lr, reduction, seed): row} from a summary's runs table."""
    cols = summary["runs"]["columns"]
    return {tuple(row[:4]): dict(zip(cols, row)) for row in summary["runs"]["rows"]}


def compare(expected, got, data_dir):
    """(per-setting table rows, differences, notes on rounding-sensitive runs) between the runs of two
    summaries of the same writer; a run that differs is checked against its reruns from nearby starts, unless the two
    started from other weights (then every difference is one: provenance() has said why)."""
    twins = expected.get("weights") == got.get("weights")
    exp_runs, got_runs = keyed_runs(expected), keyed_runs(got)
    diffs, notes, groups, differing = [], [], {}, []
    for key, row in exp_runs.items():
        other = got_runs.get(key)
        group = groups.setdefault(key[:3], [0, 0, 0])
        group[0] += 1
        if other is not None and all(other.get(c) == v for c, v in row.items()):
            group[1] += 1
        elif other is None:
            diffs.append(f"{expected['script']} {key}: expected {row}, got none")
        else:
            differing.append((key, row, other))
    for (key, row, other), reran in zip(differing, reruns(expected, [k for k, _, _ in differing], data_dir) if twins
                                       else [[] for _ in differing]):
        spread = [(t.iterations, t.status) for t in reran] or [(other["iterations"], other["status"])]
        verdict = judge(row, other, spread)
        shown = f"expected {row['iterations']} ({row['status']}), got {other['iterations']} ({other['status']})"
        if verdict == "sensitive":
            groups[key[:3]][1:] = [groups[key[:3]][1] + 1, groups[key[:3]][2] + 1]
            notes.append(f"ROUNDING-SENSITIVE: {expected['script']} {key}: {shown}; its reruns from nearby starts ended at "
                         f"{spread_text(spread)}")
        else:
            diffs.append(f"{expected['script']} {key}: {shown}" + ("" if verdict == "stable" else
                         f", implausible: its reruns from nearby starts ended at {spread_text(spread)}"))
    diffs += [f"{expected['script']} {key}: not in the expected results" for key in got_runs.keys() - exp_runs.keys()]
    curves = compare_curves(expected, got, skip={k for k, _, _ in differing})
    wobbly = sorted({key for key, _ in curves}) if twins else []
    diffs += [] if twins else [text for _, text in curves]
    for key, twins in zip(wobbly, reruns(expected, wobbly, data_dir, record=True)):
        mine = [text for k, text in curves if k == key]
        ours = next(s for s in got["single_runs"] if (s["setting"], s["lr"], s["reduction"], s["seed"]) == key)
        if any(far(ours["curve_points"], twin.curves) for twin in twins):
            groups[key[:3]][2] += 1                  # its count held, its curves moved: rounding-sensitive
            notes.append(f"ROUNDING-SENSITIVE: {expected['script']} {key}: its curves differ ({len(mine)} points, e.g. {mine[0]}) and so do "
                         "those of its reruns from nearby starts")
        else:
            diffs += mine
    return [[expected["script"], *k, n, ok, s] for k, (n, ok, s) in groups.items()], diffs, notes


def far(points, curves):
    """True if a rerun's curves are more than CURVE_RTOL away from the points of ours anywhere."""
    for metric, at in points.items():
        for t, value in at.items():
            other = curves[metric][int(t)] if metric in curves and int(t) < len(curves[metric]) else None
            if other is None or not abs(other - value) <= CURVE_RTOL * max(abs(value), 1e-300):
                return True
    return False


ULPS = range(1, 9)


def reruns(summary, keys, data_dir, record=False):
    """For each run (setting, lr, reduction, seed) of `summary`'s writer: its 8 reruns from nearby starts (times 1 + k 2^-52, k = 1..8)
    (Run records, with their curves if `record`), trained by the engine with the writer's settings."""
    if not keys:
        return []
    settings, writer = summary["settings"], summary["script"]
    training = {k: settings[k] for k in ("init", "batch_size", "order", "momentum", "weight_decay") if k in settings}
    if writer in ("study part2", "part2_fc.py"):
        dataset, make, key_of = "random", lambda s, d: experiments.part2(s, d, **training), experiments.SETTINGS.get
    elif writer in ("study line", "part3_conv.py"):
        dataset, make, key_of = "line", lambda s, d: experiments.line(s, d, **training), str
    else:
        dataset, make, key_of = "detection", lambda s, d: experiments.detection(s, d, settings["lr_reg"]), str
    data = load_dataset(dataset, data_dir).to(getattr(torch, settings.get("dtype", "float64")))
    jobs = [Job(key_of(k[0]), k[3], k[1], k[2], record=record, perturb=u) for k in keys for u in ULPS]
    found = {}
    for job in jobs:                           # one engine call per setting
        found.setdefault(job.setting, []).append(job)
    runs = {}
    for setting, mine in found.items():
        runs |= dict(zip(mine, train(make(setting, data), mine, settings["max_iters"], width=8)))
    return [[runs[j] for j in jobs if (j.setting, j.lr, j.reduction, j.seed) == (key_of(k[0]), k[1], k[2], k[3])]
            for k in keys]


def judge(expected, got, spread):
    """"stable" (our nine reruns agree), "sensitive" (they do not, and the expected ending is plausible)
    or "implausible" (they do not, but the expected ending is not among what they make plausible)."""
    ours = (got["iterations"], got["status"])
    if all(r == ours for r in spread):
        return "stable"
    seen = [ours, *spread]
    if expected["status"] not in {s for _, s in seen}:
        return "implausible"
    if expected["status"] != "reached":
        return "sensitive"
    counts = [i for i, s in seen if s == "reached"]
    lo, hi = min(counts), max(counts)
    return "sensitive" if lo - (hi - lo) <= expected["iterations"] <= hi + (hi - lo) else "implausible"


def spread_text(spread):
    counts = sorted({i for i, s in spread if s == "reached"})
    other = sorted({s for _, s in spread if s != "reached"})
    return ", ".join(([f"{counts[0]}..{counts[-1]}" if len(counts) > 1 else str(counts[0])] if counts else []) + other)


def compare_curves(expected, got, skip=()):
    """[(run key, difference)] of the recorded curve points, beyond CURVE_RTOL."""
    diffs = []
    got_single = {(s["setting"], s["lr"], s["reduction"], s["seed"]): s for s in got["single_runs"]}
    for s in expected["single_runs"]:
        key = (s["setting"], s["lr"], s["reduction"], s["seed"])
        if key in skip:
            continue
        for metric, points in s["curve_points"].items():
            theirs = got_single.get(key, {}).get("curve_points", {}).get(metric, {})
            for t, value in points.items():
                other = theirs.get(t)
                if other != value and (other is None or not abs(other - value) <= CURVE_RTOL * max(abs(value), 1e-300)):
                    diffs.append((key, f"{expected['script']} {key} {metric} at t={t}: expected {value!r}, got {other!r}"))
    return diffs


def differences(theirs, ours, where):
    """Every leaf of `theirs` that `ours` does not hold as it is, named by its path: ["where.a[3].b: x against y"].
    Floats agree to CURVE_RTOL (the same computation on the same runs agrees exactly on x86-64)."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return [d for k in sorted(set(theirs) | set(ours), key=str)
                for d in differences(theirs.get(k, "(missing)"), ours.get(k, "(missing)"), f"{where}.{k}")]
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        return [d for i, (a, b) in enumerate(zip(theirs, ours)) for d in differences(a, b, f"{where}[{i}]")]
    if isinstance(theirs, float) and isinstance(ours, float) and abs(theirs - ours) <= CURVE_RTOL * max(abs(theirs), abs(ours)):
        return []
    same = theirs == ours or (theirs != theirs and ours != ours)          # nan == nan here
    return [] if same else [f"{where}: {theirs!r} in the outputs, {ours!r} in the rerun"]


IGNORED_SETTINGS = {"workers", "no_progress", "no_figures", "quick"}     # how it ran, not what
ROUNDING = ("sensitivity", "stability")     # measurements of rounding itself: they differ with the kernels


def compare_summary(writer, theirs, ours):
    """Everything a summary holds besides its runs and curves (compared on their own): the settings, the
    data's shape, every group's statistics, every number and control, and the rounding measurements.
    Returns (differences, notes): the rounding measurements of a run on other kernels are notes."""
    def strip(s):
        return {"settings": {k: v for k, v in s["settings"].items() if k not in IGNORED_SETTINGS},
                "data": {k: v for k, v in s["data"].items() if k != "sha256"},
                **{k: v for k, v in s.items() if k in ("groups", "numbers", "controls", "mechanism", *ROUNDING)}}
    found = differences(strip(theirs), strip(ours), writer)
    if theirs.get("versions") == ours.get("versions"):
        return found, []
    rounding = [d for d in found if any(d.startswith(f"{writer}.{k}") for k in ROUNDING)]
    return [d for d in found if d not in rounding], ([f"ROUNDING MEASUREMENTS: {writer}: they differ ({len(rounding)} "
                                                      "values), as they do between kernels"] if rounding else [])


REPORT_STEP = ("claims", "part1_numbers.tex", "part2_numbers.tex", "part2_seed_table.tex", "part3_line_numbers.tex",
               "part3_detection_numbers.tex")


def compare_files(folder_, rerun, other_kernels=False):
    """Every table, macro file and sentence file the rerun wrote, against the one in folder_ (the report
    step's own only if folder_ has a report's inputs at all): (differences, notes, identical count, compared
    count). On other versions, a file of rounding measurements that differs is a note, and so is one whose
    numbers differ only in their last digits."""
    diffs, notes, same, compared = [], [], 0, 0
    built = (folder_ / "claims.tex").is_file()
    for path in sorted(rerun.iterdir()):
        if path.suffix not in (".csv", ".tex", ".json") or path.name in SUMMARIES or path.name in NOT_RERUN:
            continue
        if not (folder_ / path.name).is_file():
            if built or not path.name.startswith(REPORT_STEP):
                diffs.append(f"{path.name}: missing from the outputs (the rerun writes it)")
            continue
        compared += 1
        a, b = (lines_of(p) for p in (folder_ / path.name, path))
        if a == b:
            same += 1
            continue
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        x, y = (lines[line] if line < len(lines) else "" for lines in (a, b))
        text = f"{path.name}, line {line + 1}: {excerpt(x, y)}"
        rounding = "sensitivity" in path.name or "stability" in path.name or "ClaimRounding" in x
        if other_kernels and not rounding and len(a) == len(b) and all(map(close, a, b)):
            notes.append(f"LAST DIGITS: {path.name}: printed numbers differ in their last digits (within {CURVE_RTOL:g}), as "
                         f"between versions; first at line {line + 1}")
            continue
        if other_kernels and rounding:
            notes.append(f"ROUNDING MEASUREMENTS: {text}")
        else:
            diffs.append(text)
    return diffs, notes, same, compared


RECORD = ("outputs", "scripts")     # the SHA-256 of each file a run wrote and of its script: not a result


def lines_of(path):
    """A table's, macro file's or JSON file's lines; a JSON file without its record of files, whose figure
    hashes change with matplotlib and its fonts."""
    text = path.read_text(errors="replace")
    if path.suffix == ".json":
        try:
            value = json.loads(text)
        except ValueError:
            return text.splitlines()
        if isinstance(value, dict):
            text = json.dumps({k: v for k, v in value.items() if k not in RECORD}, indent=1, sort_keys=True)
    return text.splitlines()


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def close(a, b):
    """Two lines that say the same but for numbers within CURVE_RTOL of each other (a last digit printed
    otherwise by another torch's kernels)."""
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    return all(x == y or abs(float(x) - float(y)) <= CURVE_RTOL * max(abs(float(x)), abs(float(y)))
               for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def excerpt(a, b, around=40):
    """Where two lines first differ, with a little of what surrounds it on each side."""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, i - around)
    return f"...{a[start:i + around]!r}... in the outputs, ...{b[start:i + around]!r}... in the rerun"


def report(rows, diffs, notes=(), extra="", heading=()):
    """Print the heading lines (where the starting weights or the versions differ), the table of runs,
    the notes and the differences, and the verdict; returns the exit code."""
    say(*heading)
    header = ["writer", "setting", "lr", "reduction", "runs", "reproduced", "of them rounding-sensitive"]
    table = [[str(c) for c in row] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *table)]
    say(*("  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in [header, *table]))
    for n in notes:
        say(n)
    for d in diffs:
        say(f"DIFFERENCE: {d}")
    total, same, sensitive = (sum(r[i] for r in rows) for i in (4, 5, 6))
    say(f"reproduced {same} of {total} ({sensitive} rounding-sensitive){extra}" +
        ("" if not diffs else f"; {len(diffs)} difference(s)"))
    return 0 if not diffs and same == total else 1


SHOWN_VERSIONS = {"torch": "torch", "numpy": "NumPy", "scipy": "SciPy", "python": "Python", "machine": "machine",
                  "cpu_capability": "kernels"}


def provenance(pairs, there):
    """The lines that say, before the table, why numbers may differ. pairs: [(writer, their summary, ours)];
    there: where theirs come from ("in the outputs"). Other starting weights (seed 0's fingerprints differ, or
    none was recorded) come first; else other versions, named field by field ("torch 2.13.0 there, 2.11.0 here")."""
    def named(versions, keys):
        return ", ".join(f"{SHOWN_VERSIONS[k]} {versions[k]}" for k in keys if versions.get(k)) or "unknown versions"
    theirs, ours = pairs[0][1].get("versions", {}), pairs[0][2].get("versions", {})
    other = [(w, t, o) for w, t, o in pairs if t.get("weights") != o.get("weights")]
    if other:
        def shas(summary):
            return "; ".join(f"{net} {sha[:12]}" for net, sha in sorted(summary["weights"].items()))
        _, t, o = other[0]
        seen = ("record no fingerprint of their starting weights (made before the scripts drew them from NumPy's RandomState)" if not t.get("weights")
                else f"have seed 0's SHA-256 {shas(t)}, against {shas(o)} here")
        return [f"STARTING WEIGHTS DIFFER: the runs of {', '.join(w for w, _, _ in other)} {there} {seen}; made with "
                f"{named(theirs, SHOWN_VERSIONS)} there, {named(ours, SHOWN_VERSIONS)} here. Every count may differ "
                "for this reason alone"]
    keys = [k for k in SHOWN_VERSIONS if theirs.get(k) != ours.get(k)]
    if keys:
        return [f"the same starting weights, other versions: {named(theirs, keys)} {there}; {named(ours, keys)} here"]
    return []


def verify_expected():
    if not EXPECTED.is_file():
        raise UserError(f"{EXPECTED}: the expected results are missing (python -m dlbasics.verify --write-expected)")
    expected = json.loads(EXPECTED.read_text())
    rows, diffs, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix=SCRATCH) as tmp:
        got = rerun_all({w: (argv, DATA_DIR) for w, argv in SMALL_STUDY.items()}, tmp)
    heading = provenance([(w, expected[w], got[w]) for w in got], "in the expected results")
    for writer, summary in got.items():
        r, d, n = compare(expected[writer] | {"settings": summary["settings"]}, summary, DATA_DIR)
        rows, diffs, notes = rows + r, diffs + d, notes + n
    return report(rows, diffs, notes, heading=heading)


def data_dir_for(summary, given):
    """Where the summary's data are on this machine: --data-dir, else the bundled data if it used them."""
    if given is not None:
        return given
    if origin(summary["data"]["sha256"]) == "bundled":
        return DATA_DIR
    raise UserError(f"{summary['script']} used data other than the bundled ({summary['data'].get('name')} files "
                    f"{', '.join(summary['data']['sha256'])}); pass --data-dir with those files")


def part1_plan(folder_):
    """part1_loss_gradient.py's flags, from the part1_numbers.json it wrote (when there is one)."""
    path = folder_ / "part1_numbers.json"
    if not path.is_file():
        return {}
    try:
        n = json.loads(path.read_text())
        return {"part1_loss_gradient.py": ([f"--extent={n['extent']}", f"--points={n['points']}",
                                            f"--target={n['target']}"], None)}
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{path}: expected part1_loss_gradient.py's numbers (extent, points, target)") from None


def verify_against(folder_, data_dir):
    found = {name: folder_ / name for name in SUMMARIES if (folder_ / name).is_file()}
    if not found:
        raise UserError(f"--against {folder_}: expected *_summary.json files written by the scripts, found none")
    theirs = {SUMMARIES[name]: read(path, SUMMARIES[name], old=True) for name, path in found.items()}
    for name, path in found.items():
        bad = next((a for a in theirs[SUMMARIES[name]]["argv"] if not re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", a)
                    or a.split("=")[0] in FORBIDDEN), None)
        if bad is not None:
            raise UserError(f"{path}: expected the flags that rerun it, found {bad!r} among them")
    plan = {w: (s["argv"], data_dir_for(s, data_dir)) for w, s in theirs.items()} | part1_plan(folder_)
    rows, diffs, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix=SCRATCH) as tmp:
        ours = rerun_all(plan, tmp)
        for writer, s in theirs.items():
            if sorted(ours[writer]["data"]["sha256"].values()) != sorted(s["data"]["sha256"].values()):
                raise UserError(f"--data-dir: the files' contents differ from the ones {writer} used (SHA-256)")
            r, d, n = compare(s, ours[writer], plan[writer][1])
            rows, diffs, notes = rows + r, diffs + d, notes + n
            sensitive = bool(notes)
            if not n:                          # statistics of rounding-sensitive runs may differ as the runs do
                d, n = compare_summary(writer, s, ours[writer])
                diffs, notes = diffs + d, notes + n
        other = any(s.get("versions") != ours[w].get("versions") for w, s in theirs.items())
        if len(plan) == len(SUMMARIES) + 1:                 # everything the report step reads: rebuild its inputs
            with Outputs(tmp) as dest:
                claims.write_inputs(Path(tmp), dest)
        file_diffs, file_notes, same, compared = compare_files(folder_, Path(tmp), other) if not sensitive else ([], [], 0, 0)
    heading = provenance([(w, s, ours[w]) for w, s in theirs.items()], "in the outputs")
    near = sum(n.startswith("LAST DIGITS") for n in file_notes)
    return report(rows, diffs + file_diffs, notes + file_notes, heading=heading, extra="; tables, macro and sentence files not compared: "
                  "they rest on rounding-sensitive runs" if sensitive else f"; {same} of {compared} "
                  "tables, macro and sentence files identical" + (f", {near} within their last digits" if near else ""))


def write_expected():
    with tempfile.TemporaryDirectory(prefix=SCRATCH) as tmp:
        found = rerun_all({w: (argv, DATA_DIR) for w, argv in SMALL_STUDY.items()}, tmp)
    kept = ("script", "argv", "data", "versions", "weights", "runs", "single_runs")
    found = {writer: {k: summary[k] for k in kept} for writer, summary in found.items()}
    EXPECTED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    say(f"wrote {EXPECTED}")
    return 0


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.verify", description=__doc__)
    parser.add_argument("--against", type=folder, help="a folder of outputs to check (e.g. a student's figures/)")
    parser.add_argument("--data-dir", type=folder, help="the data those outputs were made from (default: bundled)")
    parser.add_argument("--write-expected", action="store_true",
                        help="regenerate dlbasics/expected_results.json (say why in the commit message)")
    args = parser.parse_args(argv)
    if args.write_expected:
        return write_expected()
    if args.against is not None:
        if not args.against.is_dir():
            raise UserError(f"--against {args.against}: expected a folder")
        return verify_against(args.against, args.data_dir)
    return verify_expected()


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
