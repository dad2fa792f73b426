"""The one schema of every *_summary.json (the scripts' and the studies'), and reading it back.

    schema        "dlbasics-summary/2" (1: before versions and weights were recorded)
    script        who wrote it (part2_fc.py, ..., or "study part2", ...), and argv: the flags that rerun it
    settings      every resolved setting
    data          the dataset's name, each file's SHA-256 (by its path inside the data folder), class counts
    versions      what made the numbers: Python, torch, NumPy, SciPy, the machine, the kernels torch ran
                  (cpu_capability) and the settings that pin them (ATEN_CPU_CAPABILITY, MKL_CBWR)
    weights       each net's fingerprint: the SHA-256 of seed 0's starting weights (the same everywhere,
                  since NumPy's RandomState draws them; a difference means other starting weights)
    runs          every run: columns + rows (setting, lr, reduction, seed, iterations, status, milestones)
    single_runs   the recorded runs, each with a few points of every curve
    groups        (studies) one censoring-aware summary per group of runs
    numbers       the values the report quotes
    sensitivity   (studies) each twin's ending beside its run's (the twin starts one or two ulps away), per group
    stability     (study part2) the traced runs: growth rate of the twins' distance, lr x sharpness
    outputs       every file the run wrote beside it: its SHA-256 (None: a figure left out, --no-figures)
    scripts       the scripts whose code ran: their SHA-256 (what make submission zips must be these)

No timestamps and no absolute paths: the same arguments give the same bytes on one machine (another
machine differs in `versions` alone, or in its rounding-sensitive runs).
The scripts write theirs with their own copy of the builder (the block "summary"); this module
builds the studies' and reads both.
"""
import json
from pathlib import Path

import part2_fc
from dlbasics.common.cli import UserError
from dlbasics.common.outputs import clean
from dlbasics.study.stats import group_runs, summarise

SCHEMA = "dlbasics-summary/2"
OLD_SCHEMA = "dlbasics-summary/1"      # made before the weights came from RandomState: verify says so
REQUIRED = {"script": str, "argv": list, "settings": dict, "data": dict, "data.sha256": dict, "versions": dict,
            "weights": dict, "runs": dict,
            "runs.columns": list, "runs.rows": list, "single_runs": list}     # what every reader relies on
RUN_COLUMNS = ["setting", "lr", "reduction", "seed", "iterations", "status"]


def curve_points(curve):
    """The values at t = 0, 1, 10, 100, 1000 (where run that long) and at the stop."""
    last = len(curve) - 1
    return {str(t): float(curve[t]) for t in sorted({0, 1, 10, 100, 1000, last}) if t <= last}


def data_record(data):
    return {"name": data.name, "sha256": dict(data.files), "class_counts": list(data.class_counts)}


def fingerprints(*nets, init="handout"):
    """{net class name: SHA-256 of seed 0's starting weights} for the scripts' nn.Module classes `nets`,
    by the scripts' own init_weights and fingerprint (the init block is the same in every script)."""
    return {net.__name__: part2_fc.fingerprint(part2_fc.init_weights(net().double(), 0, init)) for net in nets}


def build(script, argv, settings, data, runs, weights, milestones=(), groups=None, numbers=None, sensitivity=None,
          stability=None):
    """A study's summary dict; weights: fingerprints(...) of its nets; `groups` defaults to one summary per
    (setting, lr, reduction). sensitivity: the runs' twins (dlbasics.sensitivity.record);
    stability: the traced runs' mechanism."""
    if groups is None:
        groups = [{"setting": getattr(s, "name", s), "lr": lr, "reduction": red} | summarise(rs)
                  for (s, lr, red), rs in group_runs(runs).items()]
    singles = [{"setting": r.name, "lr": r.lr, "reduction": r.reduction, "seed": r.seed,
                "iterations": r.iterations, "status": r.status, "milestones": r.milestones,
                "curve_points": {k: curve_points(v) for k, v in sorted(r.curves.items())}}
               for r in runs if r.curves]
    return clean({"schema": SCHEMA, "script": script, "argv": list(argv), "settings": settings,
                  "data": data_record(data),
                  "versions": part2_fc.versions(), "weights": dict(weights),
                  "runs": {"columns": RUN_COLUMNS + list(milestones), "rows": [r.row() for r in runs]},
                  "single_runs": singles, "groups": groups, "numbers": numbers or {}}
                 | ({"sensitivity": sensitivity} if sensitivity is not None else {})
                 | ({"stability": stability} if stability is not None else {}))


def _restore(value):
    """Undo outputs.clean: the strings 'inf', '-inf' and 'nan' stand for those floats."""
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def problem(summary):
    """The first thing in a summary that is not where or what every reader expects, or None."""
    number = (int, float)
    for key, kind in REQUIRED.items():
        value = summary
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, kind):
            return f"its '{key}' section ({kind.__name__}), found {'none' if value is None else type(value).__name__}"
    checks = [("argv", summary["argv"], lambda a: isinstance(a, str) and a.startswith("--"), "flags"),
              ("data.sha256", list(summary["data"]["sha256"].values()), lambda v: isinstance(v, str), "digests"),
              ("runs.columns", summary["runs"]["columns"], lambda c: isinstance(c, str), "names")]
    for where, values, ok, what in checks:
        bad = next((v for v in values if not ok(v)), None)
        if bad is not None:
            return f"{what} in '{where}', found {bad!r}"
    width = len(summary["runs"]["columns"])
    kinds = (str, number, str, int, int, str)
    for i, row in enumerate(summary["runs"]["rows"]):
        if not isinstance(row, list) or len(row) != width or not all(
                isinstance(v, k) and not isinstance(v, bool) for v, k in zip(row, kinds)):
            return f"runs of {width} fields (setting, lr, reduction, seed, iterations, status, ...) in 'runs.rows[{i}]', found {row!r}"[:300]
    for i, run in enumerate(summary["single_runs"]):
        points = run.get("curve_points") if isinstance(run, dict) else None
        if not isinstance(points, dict) or not all(isinstance(c, dict) and all(
                isinstance(v, number) or v in ("inf", "-inf", "nan") for v in c.values()) for c in points.values()):
            return f"curve points (numbers) in 'single_runs[{i}]'"
        if not all(isinstance(run.get(k), t) for k, t in (("setting", str), ("lr", number), ("reduction", str),
                                                            ("seed", int), ("iterations", int), ("status", str))):
            return f"setting, lr, reduction, seed, iterations and status in 'single_runs[{i}]'"
    for key, kind in (("groups", list), ("numbers", dict)):
        if key in summary and not isinstance(summary[key], kind):
            return f"'{key}' as a {kind.__name__}, found {type(summary[key]).__name__}"
    if not all(isinstance(g, dict) for g in summary.get("groups", [])):
        return "every group in 'groups' as a dictionary"
    return None


def read(path, script=None, old=False):
    """A summary written by `script` (any when None); UserError naming the file if it is not one, or not
    one every reader can rely on. old: also one of schema 1, its versions taken from what it recorded
    (torch, the machine, the kernel settings) and no weights (for verify, which says so)."""
    path = Path(path)
    try:
        summary = json.loads(path.read_text())
    except RecursionError:
        raise UserError(f"{path}: expected a summary written by the scripts, found JSON nested too deep") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: expected a summary written by the scripts (JSON), cannot read it "
                        f"({getattr(err, 'strerror', None) or err.__class__.__name__})") from None
    if old and isinstance(summary, dict) and summary.get("schema") == OLD_SCHEMA:
        summary = summary | {"schema": SCHEMA, "weights": {}, "versions": summary["kernels"] if isinstance(summary.get("kernels"), dict) else {}}
    if not isinstance(summary, dict) or summary.get("schema") != SCHEMA:
        raise UserError(f"{path}: expected a summary with schema {SCHEMA!r}; rerun the script that wrote it")
    if script and summary.get("script") != script:
        raise UserError(f"{path}: expected a summary written by {script}, found one by {summary.get('script')}")
    found = problem(summary)
    if found:
        raise UserError(f"{path}: expected {found}; rerun {summary.get('script')}")
    return _restore(summary)
