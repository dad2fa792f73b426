import contextlib
import functools
import io
import subprocess
import sys
from pathlib import Path

import background
import pytest

import dlbasics  # noqa: F401  (pins the kernels before anything imports torch)
import part2_fc
import part3_conv
import part3_detection
from dlbasics.common.cli import run_main
from dlbasics.engine.experiments import SETTINGS
from dlbasics.engine.runtime import configure_torch

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT.parent / "shared" / "data" / "cis581"
SCRIPTS = ("part1_loss_gradient.py", "part2_fc.py", "part3_conv.py", "part3_detection.py")

configure_torch(1)


def run_script(script, *args, timeout=600, env=None, cwd="/"):
    """Run a project script in a subprocess from a neutral folder; return CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=env)


def run_module(module, *args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def run_here(main, *args):
    """main(args) as its program runs it (run_main: its one-line errors and exit codes), but in this process,
    as a CompletedProcess. For what a program says to a given input, where a process of its own would add only
    the seconds torch takes to load; what needs a process (signals, consoles, the environment, the kernels
    set before torch loads) is tested in one."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_main(main, [str(a) for a in args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
    return subprocess.CompletedProcess([main.__module__, *map(str, args)], code, out.getvalue(), err.getvalue())


def assert_one_line_error(proc, *fragments):
    """Exit 2, a single line on stderr naming what was wrong, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def course_dir():
    if not (COURSE / "random" / "random_imgs.npy").is_file():
        pytest.skip(f"course data not found at {COURSE}")
    return COURSE


@functools.lru_cache(maxsize=None)
def bundled(name):
    return part2_fc.load_dataset(name, ROOT / "data")


def script_loop(kind, seed, reduction="mean", lr=0.1, max_iters=10000, flags=()):
    """A run of a script's own plain loop on the bundled data, as a Run of the script's (cached: several
    tests ask). kind: a part 2 setting name ("relu-ce"), "line" or "detection"; flags: more of the
    script's own flags ("--init=zero", ...). A long one that a background piece computes
    (background.define_references) is taken from there."""
    return _script_loop(kind, seed, reduction, float(lr), max_iters, tuple(flags))


@functools.lru_cache(maxsize=None)
def _script_loop(kind, seed, reduction, lr, max_iters, flags):
    if max_iters == 10000 and not flags:
        done = background.load_reference(kind, seed, reduction, lr)
        if done is not None:
            return done
    return compute_loop(kind, seed, reduction, lr, max_iters, flags)


def compute_loop(kind, seed, reduction, lr, max_iters, flags=()):
    """The script's own training function with the script's own parsed arguments."""
    common = [f"--max-iters={max_iters}", f"--reduction={reduction}", *flags]
    if kind == "detection":
        args = part3_detection.parse_args([f"--lr-cls={lr}", "--lr-reg=0.001", *common])
        run = part3_detection.train(seed, bundled("detection"), args)
    elif kind == "line":
        run = part3_conv.train(seed, bundled("line"), part3_conv.parse_args([f"--lr={lr}", *common]))
    else:
        run = part2_fc.train(SETTINGS[kind], seed, reduction, bundled("random"), part2_fc.parse_args([f"--lr={lr}", *common]))
    run.net = None                              # (the run travels between processes)
    return run


# ---- the slow pieces, started in the background as soon as collection shows they are needed ----------
QUICK_RUNS = [("part1_loss_gradient.py", "--points", "31"), ("part2_fc.py", "--quick"), ("part3_conv.py", "--quick"),
              ("part3_detection.py", "--quick"), ("-m", "dlbasics.study", "part2", "--quick", "--workers", "1"),
              ("-m", "dlbasics.study", "line", "--quick", "--workers", "1"),
              ("-m", "dlbasics.study", "detection", "--quick", "--workers", "1")]


def _quick_commands():
    out = background.scratch("quick_outputs")
    return [([sys.executable, *([str(ROOT / args[0])] if args[0] != "-m" else ["-m", args[1], args[2]]),
              *(args[1:] if args[0] != "-m" else args[3:]), "--out-dir", str(out)]
             + (["--no-progress"] if args[0] == "-m" else []), ROOT if args[0] == "-m" else "/")
            for args in QUICK_RUNS]


background.define("quick_outputs", _quick_commands)


def pytest_collection_modifyitems(session, config, items):
    """Tests that wait for a background piece last (their pieces run meanwhile); otherwise file order."""
    items.sort(key=background.needs)


def pytest_collection_finish(session):
    background.start_needed(session.items)


def pytest_sessionfinish(session, exitstatus):
    background.stop_all()


def pytest_terminal_summary(terminalreporter):
    lines = background.timings()
    if lines:
        terminalreporter.write_sep("-", "pieces run in the background")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def quick_outputs():
    """The four scripts and the three studies with --quick into one folder, side by side as `make figures`
    runs them: (folder, {name: CompletedProcess})."""
    done = {}
    for args, proc in zip(QUICK_RUNS, background.wait("quick_outputs")):
        name = args[0] if args[0] != "-m" else f"study {args[2]}"
        assert proc.returncode == 0, (name, proc.stderr)
        done[name] = proc
    return background.scratch("quick_outputs"), done
