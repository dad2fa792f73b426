"""CIS 581 Deep Learning Basics: the shared mechanism behind the four part scripts.

Importing the package pins the kernels torch and MKL use to the AVX2 code paths (unless the caller
set these variables). An AVX-512 CPU and an AVX2 CPU then run the same instructions in the same
order and produce the same bits, so a run that is sensitive to rounding (a few settings amplify a
1e-16 difference by ~3x per iteration) still gives the grader the student's numbers. It must happen
before torch is first imported; every script and test imports dlbasics first.
"""
import os

KERNEL_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}
for _name, _value in KERNEL_ENV.items():
    os.environ.setdefault(_name, _value)
