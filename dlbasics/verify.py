"""The grader's check: rerun the studies or the scripts, and compare every run with numbers made elsewhere.

    python -m dlbasics.verify                  (make verify) a small study of every part on the bundled
                                               data, against dlbasics/expected_results.json
    python -m dlbasics.verify --against DIR    every *_summary.json in DIR (a student's figures/: the
                                               scripts' and the studies'), against a fresh rerun with
                                               the same arguments on data with the same contents

Every run's iteration count, status and milestones must be equal, and every recorded curve point
equal to 1e-9 (relative). Prints a table, then "reproduced N of N" or each difference; exit code 0
if everything was reproduced, 1 if anything differs, 2 on bad input.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .cli import Parser, UserError, folder, run_main, say
from .data import origin
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


def command(writer, argv, data_dir, out_dir):
    """The command that reruns `writer` ("part2_fc.py" or "study part2") with `argv`, numbers only."""
    if writer.startswith("study "):
        return [sys.executable, "-m", "dlbasics.study", writer.split()[1], *argv, "--data-dir", str(data_dir),
                "--out-dir", str(out_dir), "--no-progress", "--no-figures", "--workers", "1"]
    return [sys.executable, str(ROOT / writer), *argv, "--data-dir", str(data_dir), "--out-dir", str(out_dir),
            "--no-figures"]


def rerun_all(plan, out_dir):
    """plan: {writer: (argv, data_dir)} -> {writer: summary}, all running at once."""
    procs = {}
    try:
        for writer, (argv, data_dir) in plan.items():
            procs[writer] = subprocess.Popen(command(writer, argv, data_dir, Path(out_dir) / writer.replace(" ", "_")),
                                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = {}
        for writer, proc in procs.items():
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise UserError(f"{writer} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
            name = next(k for k, v in SUMMARIES.items() if v == writer)
            found[writer] = read(Path(out_dir) / writer.replace(" ", "_") / name, writer)
        return found
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def keyed_runs(summary):
    """{(setting, lr, reduction, seed): row} from a summary's runs table."""
    cols = summary["runs"]["columns"]
    return {tuple(row[:4]): dict(zip(cols, row)) for row in summary["runs"]["rows"]}


def compare(expected, got):
    """(per-setting table rows, differences) between two summaries of the same writer."""
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
    for key in got_runs.keys() - exp_runs.keys():
        diffs.append(f"{expected['script']} {key}: not in the expected results")
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
                if other is None or not abs(other - value) <= CURVE_RTOL * max(abs(value), 1e-300):
                    if not (other == value):                 # inf == inf, as recorded
                        diffs.append(f"{expected['script']} {key} {metric} at t={t}: expected {value!r}, got {other!r}")
    return diffs


def report(rows, diffs):
    header = ["writer", "setting", "lr", "reduction", "runs", "reproduced"]
    table = [[str(c) for c in row] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *table)]
    say(*("  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in [header, *table]))
    total, same = sum(r[4] for r in rows), sum(r[5] for r in rows)
    for d in diffs:
        say(f"DIFFERENCE: {d}")
    say(f"reproduced {same} of {total}" + ("" if not diffs else f"; {len(diffs)} difference(s)"))
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
    raise UserError(f"{summary['script']} used data other than the bundled ({summary['data']['name']} files "
                    f"{', '.join(summary['data']['sha256'])}); pass --data-dir with those files")


def verify_against(folder_, data_dir):
    found = {name: folder_ / name for name in SUMMARIES if (folder_ / name).is_file()}
    if not found:
        raise UserError(f"--against {folder_}: expected *_summary.json files written by the scripts, found none")
    theirs = {SUMMARIES[name]: read(path, SUMMARIES[name]) for name, path in found.items()}
    with tempfile.TemporaryDirectory() as tmp:
        ours = rerun_all({w: (s["argv"], data_dir_for(s, data_dir)) for w, s in theirs.items()}, tmp)
    rows, diffs = [], []
    for writer, s in theirs.items():
        if sorted(ours[writer]["data"]["sha256"].values()) != sorted(s["data"]["sha256"].values()):
            raise UserError(f"--data-dir: the files' contents differ from the ones {writer} used (SHA-256)")
        r, d = compare(s, ours[writer])
        rows += r
        diffs += d
    return report(rows, diffs)


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
