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
report step), character for character. Prints a table of the runs, each difference, then
"reproduced N of N"; exit code 0 if everything agrees, 1 if anything differs, 2 on bad input.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import claims, processes
from .cli import Parser, UserError, folder, run_main, say
from .data import origin
from .outputs import Outputs
from .paths import DATA_DIR, ROOT
from .summary import read

EXPECTED = Path(__file__).with_name("expected_results.json")
CURVE_RTOL = 1e-9
SUMMARIES = {  # summary file -> who writes it
    "part2_summary.json": "part2_fc.py", "part3_line_summary.json": "part3_conv.py",
    "part3_detection_summary.json": "part3_detection.py", "part2_study_summary.json": "study part2",
    "part3_line_study_summary.json": "study line", "part3_detection_study_summary.json": "study detection",
}
SMALL_STUDY = {  # every setting, a few seeds, both reductions, on the bundled data
    "study part2": ["--seeds=4", "--lrs=0.1"], "study line": ["--seeds=4"], "study detection": ["--seeds=2"],
}
NOT_RERUN = {"author.tex", "build_info.tex"}           # who wrote the report, and when: not results


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
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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


def compare(expected, got):
    """(per-setting table rows, differences) between the runs of two summaries of the same writer."""
    exp_runs, got_runs = keyed_runs(expected), keyed_runs(got)
    diffs, groups = [], {}
    for key, row in exp_runs.items():
        other = got_runs.get(key)
        ok = other is not None and all(other.get(c) == v for c, v in row.items())
        group = groups.setdefault(key[:3], [0, 0])
        group[0] += 1
        group[1] += ok
        if not ok:
            shown = {c: other.get(c) for c in row} if other else "missing"
            diffs.append(f"{expected['script']} {key}: expected {row}, got {shown}")
    diffs += [f"{expected['script']} {key}: not in the expected results" for key in got_runs.keys() - exp_runs.keys()]
    diffs += compare_curves(expected, got)
    return [[expected["script"], *k, n, ok] for k, (n, ok) in groups.items()], diffs


def compare_curves(expected, got):
    diffs = []
    got_single = {(s["setting"], s["lr"], s["reduction"], s["seed"]): s for s in got["single_runs"]}
    for s in expected["single_runs"]:
        key = (s["setting"], s["lr"], s["reduction"], s["seed"])
        for metric, points in s["curve_points"].items():
            theirs = got_single.get(key, {}).get("curve_points", {}).get(metric, {})
            for t, value in points.items():
                other = theirs.get(t)
                if other != value and (other is None or not abs(other - value) <= CURVE_RTOL * max(abs(value), 1e-300)):
                    diffs.append(f"{expected['script']} {key} {metric} at t={t}: expected {value!r}, got {other!r}")
    return diffs


def differences(theirs, ours, where):
    """Every leaf of `theirs` that `ours` does not hold as it is, named by its path: ["where.a[3].b: x against y"]."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        return [d for k in sorted(set(theirs) | set(ours), key=str)
                for d in differences(theirs.get(k, "(missing)"), ours.get(k, "(missing)"), f"{where}.{k}")]
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        return [d for i, (a, b) in enumerate(zip(theirs, ours)) for d in differences(a, b, f"{where}[{i}]")]
    same = theirs == ours or (theirs != theirs and ours != ours)          # nan == nan here
    return [] if same else [f"{where}: {theirs!r} in the outputs, {ours!r} in the rerun"]


def compare_statistics(writer, theirs, ours):
    """Every group statistic and every number of a summary, against the rerun's."""
    key = lambda g: f"{g.get('setting')}, lr {g.get('lr')}, {g.get('reduction')}"  # noqa: E731
    mine = {key(g): g for g in ours.get("groups", [])}
    diffs = []
    for group in theirs.get("groups", []):
        diffs += differences(group, mine.get(key(group), {}), f"{writer}: group ({key(group)})")
    return diffs + differences(theirs.get("numbers", {}), ours.get("numbers", {}), f"{writer}: numbers")


def compare_files(folder_, rerun):
    """Every table, macro file and sentence file in folder_ that the rerun also wrote, line by line."""
    diffs, same = [], 0
    for path in sorted(rerun.iterdir()):
        if path.suffix not in (".csv", ".tex", ".json") or path.name in SUMMARIES or path.name in NOT_RERUN:
            continue
        if not (folder_ / path.name).is_file():
            continue
        a, b = (folder_ / path.name).read_text(errors="replace").splitlines(), path.read_text().splitlines()
        if a == b:
            same += 1
            continue
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        x, y = (lines[line][:80] if line < len(lines) else "(no line)" for lines in (a, b))
        diffs.append(f"{path.name}, line {line + 1}: {x!r} in the outputs, {y!r} in the rerun")
    return diffs, same


def report(rows, diffs, extra=""):
    header = ["writer", "setting", "lr", "reduction", "runs", "reproduced"]
    table = [[str(c) for c in row] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *table)]
    say(*("  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in [header, *table]))
    for d in diffs:
        say(f"DIFFERENCE: {d}")
    total, same = sum(r[4] for r in rows), sum(r[5] for r in rows)
    say(f"reproduced {same} of {total}{extra}" + ("" if not diffs else f"; {len(diffs)} difference(s)"))
    return 0 if not diffs and same == total else 1


def verify_expected():
    if not EXPECTED.is_file():
        raise UserError(f"{EXPECTED}: the expected results are missing (python -m dlbasics.verify --write-expected)")
    expected = json.loads(EXPECTED.read_text())
    rows, diffs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        got = rerun_all({w: (argv, DATA_DIR) for w, argv in SMALL_STUDY.items()}, tmp)
    for writer, summary in got.items():
        r, d = compare(expected[writer], summary)
        rows += r
        diffs += d
    return report(rows, diffs)


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
    theirs = {SUMMARIES[name]: read(path, SUMMARIES[name]) for name, path in found.items()}
    plan = {w: (s["argv"], data_dir_for(s, data_dir)) for w, s in theirs.items()} | part1_plan(folder_)
    rows, diffs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        ours = rerun_all(plan, tmp)
        for writer, s in theirs.items():
            if sorted(ours[writer]["data"]["sha256"].values()) != sorted(s["data"]["sha256"].values()):
                raise UserError(f"--data-dir: the files' contents differ from the ones {writer} used (SHA-256)")
            r, d = compare(s, ours[writer])
            rows += r
            diffs += d + compare_statistics(writer, s, ours[writer])
        if len(plan) == len(SUMMARIES) + 1:                 # everything the report step reads: rebuild its inputs
            with Outputs(tmp) as dest:
                claims.write_inputs(Path(tmp), dest)
        file_diffs, same = compare_files(folder_, Path(tmp))
    return report(rows, diffs + file_diffs, f" runs; {same} of {same + len(file_diffs)} tables, macro and "
                                            "sentence files identical")


def write_expected():
    with tempfile.TemporaryDirectory() as tmp:
        found = rerun_all({w: (argv, DATA_DIR) for w, argv in SMALL_STUDY.items()}, tmp)
    kept = ("script", "argv", "data", "kernels", "runs", "single_runs")
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
    code = 0

    def _main(argv):
        global code
        code = main(argv)

    run_main(_main, sys.argv[1:])
    sys.exit(code)
