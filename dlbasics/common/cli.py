"""Command-line plumbing of the package. The one-line errors, the signal handling and the argument
types are the scripts' own (part2_fc.py holds the copy every script shares), so a study, verify or the
report step fail exactly as the scripts do: one line, exit code 2 (bad input) or 128 + the signal."""
import os
import sys
from pathlib import Path

import part2_fc
from part2_fc import Parser, UserError, bounded, folder, say, say_error  # noqa: F401  (re-exported)

positive_int = bounded(int, 1, sys.maxsize, "a positive integer")
nonnegative_int = bounded(int, 0, sys.maxsize, "an integer >= 0")
positive_float = bounded(float, sys.float_info.min, sys.float_info.max, "a positive number")   # normal numbers only
seed_int = bounded(int, 0, 2**32 - 1, "an integer in [0, 4294967295]")
learning_rate = bounded(float, 1e-12, 1e6, "a learning rate in [1e-12, 1e+06]")      # as the scripts' --lr


def workers(text):
    """--workers: a positive integer; more than the CPUs this process may use is said, in one line, and the
    study starts one worker per CPU."""
    n, cpus = positive_int(text), cpu_count()
    if n > cpus:
        say_error(f"note: --workers {n}: this process may use {cpus} CPU{'s' if cpus > 1 else ''}, so at most {cpus} "
                  "workers start")
    return n


def float_list(text):
    """Comma-separated learning rates, e.g. '0.01,0.1,1'."""
    return [learning_rate(part) for part in text.split(",")]


PACKAGE = Path(__file__).resolve().parents[1]


def run_main(main, argv=None):
    """The scripts' run_main, naming the module as it was run (python -m dlbasics.study) in its messages;
    run as a program, the process ends right after a success (no late signal meets Python shutting down)."""
    program = Path(sys.argv[0]).resolve()
    run = PACKAGE in program.parents                           # a module run as a program (not a test's call)
    if run:
        parts = program.relative_to(PACKAGE.parent).with_suffix("").parts
        sys.argv[0] = "python -m " + ".".join(parts[:-1] if parts[-1] == "__main__" else parts)
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
