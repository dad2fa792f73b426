import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT.parent / "shared" / "data" / "cis581"
sys.path.insert(0, str(ROOT))
import dlbasics  # noqa: E402,F401  (pins the kernels before anything imports torch)
from dlbasics.runtime import configure_torch  # noqa: E402

import background  # noqa: E402

configure_torch(1)


def run_script(script, *args, timeout=600, env=None):
    """Run a project script in a subprocess from a neutral folder; return CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd="/",
                          capture_output=True, text=True, timeout=timeout, env=env)


def run_module(module, *args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


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
    from dlbasics.data import load_dataset
    return load_dataset(name, ROOT / "data")


def reference(kind, seed, reduction, activation="relu", lr=0.1, max_iters=10000, threads=1):
    """The plain reference on the bundled data, computed once per test session (several tests ask);
    a long one that a background piece computes (background.define_reference) is taken from there."""
    return _reference(kind, seed, reduction, activation, float(lr), max_iters, threads)


@functools.lru_cache(maxsize=None)
def _reference(kind, seed, reduction, activation, lr, max_iters, threads):
    if (max_iters, threads) == (10000, 1):
        done = background.load_reference(kind, seed, reduction, activation, lr)
        if done is not None:
            return done
    return compute_reference(kind, seed, reduction, activation, lr, max_iters, threads)


def compute_reference(kind, seed, reduction, activation, lr, max_iters, threads):
    import torch
    from dlbasics.reference import train_reference
    dataset = {"l2": "random", "ce": "random"}.get(kind, kind)
    torch.set_num_threads(threads)
    try:
        return train_reference(kind, seed, bundled(dataset), lr, max_iters, reduction, activation, lr_reg=0.001)
    finally:
        torch.set_num_threads(1)


# ---- the slow pieces, started in the background as soon as collection shows they are needed ----------
QUICK_RUNS = [("part1_loss_gradient.py", "--points", "31"), ("part2_fc.py", "--quick", "--workers", "1"),
              ("part3_conv.py", "--quick", "--workers", "1"), ("part3_detection.py", "--quick", "--workers", "1")]


def _quick_commands():
    out = background.scratch("quick_outputs")
    return [([sys.executable, str(ROOT / script), *args, "--out-dir", str(out)], "/") for script, *args in QUICK_RUNS]


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
    """All four scripts run with --quick into one folder, side by side as `make figures` runs them."""
    done = {}
    for (script, *_), proc in zip(QUICK_RUNS, background.wait("quick_outputs")):
        assert proc.returncode == 0, (script, proc.stderr)
        done[script] = proc
    return background.scratch("quick_outputs"), done
