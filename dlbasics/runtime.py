"""Process set-up shared by every script and worker: seeding, threads, and the memory allocator.

The engine's steps allocate and free the same few large tensors (~2 MB each at 1000 seeds) every
iteration. glibc hands blocks that large back to the kernel on free and maps fresh zeroed pages on
the next allocation, which made some steps 15x slower than their arithmetic. Raising the mmap and
trim thresholds keeps those blocks in the heap, where they are simply reused. It changes no number.
"""
import ctypes
import ctypes.util
import random

import numpy as np

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory():
    """Ask glibc to reuse freed large blocks instead of returning them to the kernel (no-op elsewhere)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 31))
    except (OSError, AttributeError):
        return False


def configure_torch(threads):
    """Deterministic kernels, `threads` intra-op threads, subnormals flushed (they are slow here and
    far below anything a result depends on)."""
    import torch  # imported here: part 1 needs no torch and starts 2 s faster without it
    keep_freed_memory()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.set_flush_denormal(True)


def seed_everything(seed, threads):
    """The one seeding block. Every random draw the project makes also takes its own seeded generator;
    this only makes sure that nothing unseeded can slip in."""
    import torch
    configure_torch(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
