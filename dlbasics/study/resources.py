"""Refusing, before anything is allocated, the runs that cannot fit in this machine's memory."""
import os

from dlbasics.common.cli import UserError

CURVE_BYTES = 8                  # one float64 per metric per iteration of a recorded run


def available_memory():
    """Bytes of memory this process may use (physical memory as a fallback guess)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _need(nbytes, flag, what):
    budget = available_memory() // 2
    if nbytes > budget:
        raise UserError(f"{flag}: {what} would need {nbytes / 2**30:,.1f} GiB of memory, more than half of the "
                        f"{2 * budget / 2**30:,.1f} GiB available; expected a smaller value")


def check_study(n_jobs, n_recorded, max_iters, metrics, per_run_bytes=1500):
    """The study's results and the recorded curves must fit; so must one batch of runs."""
    _need(n_jobs * per_run_bytes, "--seeds", f"a study of {n_jobs:,} runs")
    _need(n_recorded * (max_iters + 1) * metrics * CURVE_BYTES, "--max-iters",
          f"the curves of {n_recorded} recorded runs over {max_iters:,} iterations")


def check_grid(points, arrays=12):
    _need(points * points * 8 * arrays, "--points", f"a {points:,} x {points:,} grid")
