"""CIS 581 Deep Learning Basics: the many-seed studies, a layer above the four part scripts.

The scripts (part*.py) are whole on their own; this package imports their definitions (nets,
initialisation, losses, rules, loader, staged outputs) and adds the many-seed engine, the studies,
the statistics, `make verify`, the report's generated sentences and the submission ZIP.

Importing it pins the kernels torch and MKL use to the AVX2 code paths on x86-64 (unless the caller
set these variables), as every script does for itself: an AVX-512 CPU and an AVX2 CPU then run the
same instructions in the same order and produce the same bits. It must happen before torch is first
imported, so the tests and the benchmarks import dlbasics first.
"""
import os
import platform

if platform.machine().lower() in ("x86_64", "amd64"):
    for _name, _value in {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}.items():
        os.environ.setdefault(_name, _value)
