"""The suite's slow, independent pieces, run in the background while the other tests go on.

Each piece is a subprocess: a script's run, a small study, `make verify`, or a set of plain-reference
runs. When collection ends, the pieces the collected tests need are queued in the order those tests
come, and run at most RUNNING at a time at a lower priority: this process goes on at full speed with
the tests that need none of them (conftest.py puts the others last), and the pieces take the other
core and whatever is left. A test that needs a piece waits for it (and starts it at once if it is still
queued). Nothing here changes what a test checks, only when the work behind it is done. Output goes
to files, never to pipes that could fill up.

    python tests/background.py reference OUT.pkl KIND/SEED/REDUCTION/LR ...
computes runs of the scripts' own loops on the bundled data (the work `conftest.script_loop` hands off).
"""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNING = 2             # pieces at a time: enough to keep both cores busy while the tests wait for one
_SPECS, _STARTED, _TIMES, _QUEUE, _LONG = {}, {}, {}, [], set()
_LOCK = threading.RLock()
_T0 = time.perf_counter()
_SCRATCH = []           # the session's scratch folder, made when first needed: a reference run's process makes none


def _root():
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="dlbasics-tests-")))
    return _SCRATCH[0]


def define(name, make, needed_by=None, long=False):
    """Register a piece: make() -> list of (argv, cwd[, extra environment]) commands, run side by side.
    It is queued at the end of collection if needed_by(item) holds for a collected test (default: the test uses a fixture
    called `name`), else started when first waited for. A `long` piece (one process that takes long)
    goes to the head of the queue, so that it is not what the last tests wait for."""
    _SPECS[name] = (make, needed_by or (lambda item: name in getattr(item, "fixturenames", ())))
    if long:
        _LONG.add(name)


def needs(item):
    """True if the test waits for a background piece."""
    return any(needed_by(item) for _, needed_by in _SPECS.values())


def start_needed(items):
    """Queue every piece the collected tests need, in the order of the first test needing it, and
    start feeding them (conftest calls this when collection ends)."""
    first = {}
    for i, item in enumerate(items):
        for name, (_, needed_by) in _SPECS.items():
            if name not in first and needed_by(item):
                first[name] = i
    _QUEUE.extend(sorted(first, key=lambda name: (name not in _LONG, first[name])))
    threading.Thread(target=_feed, daemon=True).start()


def _feed():
    """Start queued pieces whenever fewer than RUNNING of them run; note when each one ends."""
    while True:
        with _LOCK:
            running = 0
            for name, procs in _STARTED.items():
                if isinstance(procs, Exception):
                    _TIMES[name][1] = _TIMES[name][1] or time.perf_counter()
                elif any(p.poll() is None for p, _, _ in procs):
                    running += 1
                elif _TIMES[name][1] is None:
                    _TIMES[name][1] = time.perf_counter()
            if _QUEUE and running < RUNNING:
                try:
                    start(_QUEUE[0])
                except Exception:             # kept for the tests that wait for it; the others go on
                    pass
                continue
            if not _QUEUE and not running:
                return
        time.sleep(0.1)


def scratch(name):
    """A fresh folder for a piece's outputs, removed with the rest at the end of the session."""
    path = _root() / name.replace(" ", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(name):
    """Start `name` unless it already runs (idempotent)."""
    with _LOCK:
        if name in _QUEUE:
            _QUEUE.remove(name)
        if name not in _STARTED:
            procs, _TIMES[name] = [], [time.perf_counter(), None, 0.0]          # started, ended, waited for
            try:
                commands = _SPECS[name][0]()
            except Exception as err:          # a set-up that failed: said by the tests that wait for it
                _STARTED[name] = err
                raise
            for i, (argv, cwd, *env) in enumerate(commands):
                log = _root() / f"{name}-{i}".replace("/", "_").replace(" ", "_")
                out, err = open(f"{log}.out", "w+"), open(f"{log}.err", "w+")
                proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, text=True,
                                        env=os.environ | env[0] if env else None)
                os.setpriority(os.PRIO_PROCESS, proc.pid, 10)    # the tests in this process come first
                procs.append((proc, out, err))
            _STARTED[name] = procs
        if isinstance(_STARTED[name], Exception):
            raise RuntimeError(f"the background piece {name!r} failed to start") from _STARTED[name]
        return _STARTED[name]


def wait(name, timeout=900):
    """Start `name` if needed, wait for it, and return one CompletedProcess per command."""
    done, since = [], time.perf_counter()
    for proc, out, err in start(name):
        proc.wait(timeout=timeout)
        out.seek(0)
        err.seek(0)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read()))
    now = time.perf_counter()
    with _LOCK:
        _TIMES[name][1] = _TIMES[name][1] or now
        _TIMES[name][2] += now - since
    return done


def timings():
    """One line per piece that ran: when it started and ended (seconds into the session), and how long
    tests waited for it."""
    return [f"{name}: ran {begin - _T0:.0f}-{end - _T0:.0f} s, tests waited {waited:.1f} s"
            for name, (begin, end, waited) in _TIMES.items() if end]


def stop_all():
    """Kill what still runs (a test that failed early leaves it unread) and remove the scratch folder."""
    with _LOCK:
        _QUEUE.clear()
    for procs in _STARTED.values():
        for proc, out, err in () if isinstance(procs, Exception) else procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
            err.close()
    for path in _SCRATCH:
        shutil.rmtree(path, ignore_errors=True)


# ---- runs of the scripts' own loops in a process of their own -----------------------------------------
_REFERENCES = {}      # (kind, seed, reduction, lr) -> (piece name, result file)


def define_references(name, runs, needed_by, long=False):
    """Runs of the scripts' loops [(kind, seed, reduction, lr), ...] on the bundled data (cap 10 000, one
    torch thread), one background process for all of them; conftest.script_loop picks the results up."""
    file = f"reference-{len(_REFERENCES)}.pkl"
    for run in runs:
        _REFERENCES[run] = (name, file)
    define(name, lambda: [([sys.executable, str(Path(__file__)), "reference", str(_root() / file),
                            *("/".join(map(str, run)) for run in runs)], ROOT,
                           {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])})], needed_by, long)


def load_reference(kind, seed, reduction, lr):
    """A background run of a script's loop (a Run), or None if no piece computes it."""
    key = (kind, seed, reduction, lr)
    if key not in _REFERENCES:
        return None
    name, file = _REFERENCES[key]
    proc, = wait(name)
    assert proc.returncode == 0, proc.stderr
    return pickle.loads((_root() / file).read_bytes())[key]


def _main(argv):
    _, path, *runs = argv
    from conftest import compute_loop
    results = {}
    for run in runs:
        kind, seed, reduction, lr = run.split("/")
        key = (kind, int(seed), reduction, float(lr))
        results[key] = compute_loop(*key, 10000)
    Path(path).write_bytes(pickle.dumps(results))


if __name__ == "__main__":
    _main(sys.argv[1:])
