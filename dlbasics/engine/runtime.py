"""Process set-up shared by every study and worker: deterministic kernels, threads, and the memory allocator.
Nothing is seeded here: every random draw takes its own numpy.random.RandomState (the scripts' init_weights
and epoch_order), and nothing uses torch's generator or NumPy's global one.

The engine's steps allocate and free the same few large tensors (~2 MB each at 1000 seeds) every
iteration. glibc hands blocks that large back to the kernel on free and maps fresh zeroed pages on
the next allocation, which made some steps 15x slower than their arithmetic. Raising the mmap and
trim thresholds keeps those blocks in the heap, where they are simply reused. It changes no number.
"""
import ctypes
import ctypes.util

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
