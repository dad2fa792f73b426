"""CIS 581 Deep Learning Basics: the many-seed studies, a layer above the four part scripts.

The scripts (part*.py) are whole on their own; this package imports their definitions (nets,
initialisation, losses, rules, loader, staged outputs) and adds the many-seed engine, the studies,
the statistics, `make verify`, the report's generated sentences and the submission ZIP.

Importing it does what every script does first:
  * runs the scripts' shared block "kernels" (part2_fc.py): a setting of ATEN_CPU_CAPABILITY, MKL_CBWR
    or OMP_NUM_THREADS that torch, MKL or OpenMP would not understand is replaced in one line, and on
    x86-64 the kernels are pinned to the AVX2 code paths (unless the caller chose others): an AVX-512 CPU
    and an AVX2 CPU then run the same instructions in the same order and produce the same bits. It must
    happen before torch is first imported, so the tests and the benchmarks import dlbasics first;
  * chooses matplotlib's file-only backend, whatever a notebook left in MPLBACKEND;
  * when a module of the package is run (python -m dlbasics....), turns a signal that arrives while
    the libraries load into one line and the exit code 128 + its number (cli.run_main takes over).
"""
import os
import signal
import sys

if sys.argv[:1] == ["-m"]:                         # python -m dlbasics.<module>, still importing
    for _s in [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]:
        signal.signal(_s, lambda s, f: (sys.stderr.write("interrupted; no output was written\n"), os._exit(128 + s)))

import part2_fc  # noqa: E402,F401  (its shared block "kernels": the settings checked and pinned, as in every script)
