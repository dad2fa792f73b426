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
    """The plain reference on the bundled data, computed once per test session (several tests ask)."""
    return _reference(kind, seed, reduction, activation, float(lr), max_iters, threads)


@functools.lru_cache(maxsize=None)
def _reference(kind, seed, reduction, activation, lr, max_iters, threads):
    import torch
    from dlbasics.reference import train_reference
    dataset = {"l2": "random", "ce": "random"}.get(kind, kind)
    torch.set_num_threads(threads)
    try:
        return train_reference(kind, seed, bundled(dataset), lr, max_iters, reduction, activation, lr_reg=0.001)
    finally:
        torch.set_num_threads(1)


QUICK_RUNS = [("part1_loss_gradient.py", "--points", "31"), ("part2_fc.py", "--quick", "--workers", "1"),
              ("part3_conv.py", "--quick", "--workers", "1"), ("part3_detection.py", "--quick", "--workers", "1")]


@pytest.fixture(scope="session")
def quick_outputs(tmp_path_factory):
    """All four scripts run with --quick into one folder, side by side as `make figures` runs them."""
    out = tmp_path_factory.mktemp("figures")
    procs = {script: subprocess.Popen([sys.executable, str(ROOT / script), *args, "--out-dir", str(out)],
                                      cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for script, *args in QUICK_RUNS}
    done = {}
    for script, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        done[script] = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
        assert p.returncode == 0, (script, stderr)
    return out, done
