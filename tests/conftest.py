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
