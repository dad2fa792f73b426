"""The grader's check: rerun the scripts and compare every run with numbers made elsewhere.

    python -m dlbasics.verify                  (make verify) the bundled data, a small study of every
                                               script, against dlbasics/expected_results.json
    python -m dlbasics.verify --against DIR    the runs in DIR/*_summary.json (a student's figures/),
                                               against a fresh rerun with the same arguments

Every run's iteration count, status and milestones must be equal, and every recorded curve point
equal to 1e-9 (relative). Prints a table, then "reproduced N of N" or each difference; exit code 0
if everything was reproduced, 1 if anything differs, 2 on bad input.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .cli import Parser, UserError, folder, run_main
from .paths import DATA_DIR, ROOT
from .summary import read

EXPECTED = Path(__file__).with_name("expected_results.json")
CURVE_RTOL = 1e-9
SCRIPTS = {  # summary file -> script
    "part2_summary.json": "part2_fc.py",
    "part3_line_summary.json": "part3_conv.py",
    "part3_detection_summary.json": "part3_detection.py",
}
SMALL_STUDY = {  # every setting, a few seeds, both reductions, on the bundled data
    "part2_fc.py": ["--seeds", "4", "--lrs", "0.1"],
    "part3_conv.py": ["--seeds", "4"],
    "part3_detection.py": ["--seeds", "2"],
}


def start(script, argv, data_dir, out_dir):
    """Start `script` with `argv` into `out_dir` (one worker: several scripts run side by side; numbers
    only, no figures)."""
    cmd = [sys.executable, str(ROOT / script), *argv, "--data-dir", str(data_dir), "--out-dir", str(out_dir),
           "--no-progress", "--no-figures", "--workers", "1"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(script, proc, out_dir):
    """Its summary once it ends, or UserError with the script's own message."""
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise UserError(f"{script} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    name = next(k for k, v in SCRIPTS.items() if v == script)
    return read(Path(out_dir) / name, script)


def rerun_all(plan, out_dir):
    """plan: {script: (argv, data_dir)} -> {script: summary}, all scripts running at once."""
    procs = {script: start(script, argv, data_dir, Path(out_dir) / script) for script, (argv, data_dir) in plan.items()}
    try:
        return {script: finish(script, proc, Path(out_dir) / script) for script, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()


def keyed_runs(summary):
    """{(setting, lr, reduction, seed): row} from a summary's runs table."""
    cols = summary["runs"]["columns"]
    return {tuple(row[:4]): dict(zip(cols, row)) for row in summary["runs"]["rows"]}


def compare(expected, got):
    """(per-setting table rows, differences) between two summaries of the same script."""
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
                if other is None or abs(other - value) > CURVE_RTOL * max(abs(value), 1e-300):
                    diffs.append(f"{expected['script']} {key} {metric} at t={t}: expected {value!r}, got {other!r}")
    return diffs


def report(rows, diffs):
    header = ["script", "setting", "lr", "reduction", "runs", "reproduced"]
    table = [[str(c) for c in row] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *table)]
    for row in [header, *table]:
        print("  ".join(x.ljust(w) for x, w in zip(row, widths)))
    total, same = sum(r[4] for r in rows), sum(r[5] for r in rows)
    for d in diffs:
        print("DIFFERENCE:", d)
    print(f"reproduced {same} of {total}" + ("" if not diffs else f"; {len(diffs)} difference(s)"))
    return 0 if not diffs and same == total else 1


def small_study(out_dir):
    return rerun_all({script: (argv, DATA_DIR) for script, argv in SMALL_STUDY.items()}, out_dir)


def verify_expected():
    if not EXPECTED.is_file():
        raise UserError(f"{EXPECTED}: the expected results are missing (python -m dlbasics.verify --write-expected)")
    expected = json.loads(EXPECTED.read_text())
    rows, diffs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for script, got in small_study(tmp).items():
            r, d = compare(expected[script], got)
            rows += r
            diffs += d
    return report(rows, diffs)


def data_dir_for(summary, given):
    """Where the summary's data are on this machine: --data-dir, else the bundled data if it used them."""
    if given is not None:
        return given
    if summary["data"]["origin"] == "bundled":
        return DATA_DIR
    raise UserError(f"{summary['script']} used {summary['data']['origin']} data "
                    f"({', '.join(summary['data']['files'])}); pass --data-dir with those files")


def verify_against(folder_, data_dir):
    found = {name: folder_ / name for name in SCRIPTS if (folder_ / name).is_file()}
    if not found:
        raise UserError(f"--against {folder_}: expected *_summary.json files written by the scripts, found none")
    theirs = {SCRIPTS[name]: read(path, SCRIPTS[name]) for name, path in found.items()}
    rows, diffs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        ours = rerun_all({script: (s["argv"], data_dir_for(s, data_dir)) for script, s in theirs.items()}, tmp)
    for script, s in theirs.items():
        if ours[script]["data"]["sha256"] != s["data"]["sha256"]:
            raise UserError(f"--data-dir: the files differ from the ones {script} used (SHA-256)")
        r, d = compare(s, ours[script])
        rows += r
        diffs += d
    return report(rows, diffs)


def write_expected():
    with tempfile.TemporaryDirectory() as tmp:
        found = small_study(tmp)
    kept = ("script", "argv", "data", "kernels", "runs", "single_runs")
    found = {script: {k: summary[k] for k in kept} for script, summary in found.items()}
    EXPECTED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED}")
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

    run_main(_main, sys.argv[1:], prog="python -m dlbasics.verify")
    sys.exit(code)
