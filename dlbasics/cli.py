"""Command-line plumbing of the package. The one-line errors, the signal handling and the argument
types are the scripts' own (part2_fc.py holds the copy every script shares), so a study, verify or the
report step fail exactly as the scripts do: one line, exit code 2 (bad input) or 128 + the signal."""
import os
import sys
from pathlib import Path

import part2_fc
from part2_fc import Parser, UserError, bounded, folder, say  # noqa: F401  (re-exported)

positive_int = bounded(int, 1, sys.maxsize, "a positive integer")
nonnegative_int = bounded(int, 0, sys.maxsize, "an integer >= 0")
positive_float = bounded(float, sys.float_info.min, sys.float_info.max, "a positive number")   # normal numbers only
seed_int = bounded(int, 0, 2**32 - 1, "an integer in [0, 4294967295]")


def float_list(text):
    """Comma-separated positive numbers, e.g. '0.01,0.1,1'."""
    return [positive_float(part) for part in text.split(",")]


def run_main(main, argv=None):
    """The scripts' run_main, naming the module as it was run (python -m dlbasics.study) in its messages;
    the process ends right after a success (no signal can then arrive while Python shuts down)."""
    run = Path(sys.argv[0]).parent.name == "dlbasics"        # a module run as a program (not a test's call)
    if run:
        sys.argv[0] = f"python -m dlbasics.{Path(sys.argv[0]).stem}"
    part2_fc.run_main(main, argv, end=run)


def cpu_count():
    """CPUs this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_workers():
    return min(2, cpu_count())


def rerun_argv(args, names):
    """The flags that rerun these arguments exactly, every value explicit (for `verify --against`)."""
    argv = []
    for name in names:
        value, flag = getattr(args, name), "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        argv.append(f"{flag}={value}")
    return argv
