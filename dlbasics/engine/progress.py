"""A progress bar for long runs: jobs finished out of all, and runs still computing.

The bar shows on a terminal only (tqdm's disable=None) and never with --no-progress. Worker
processes report through two shared counters that the parent's bar reads.
"""
import threading

from tqdm import tqdm


class Counters:
    """Jobs finished, and runs computing now (per worker): shared between processes when `ctx` (a
    multiprocessing context) is given, else plain counters of this process (no semaphores to clean up)."""

    def __init__(self, workers, ctx=None):
        self.finished = ctx.Value("q", 0) if ctx else _Local()
        self.active = ctx.Array("q", workers) if ctx else [0] * workers


class _Local:
    """The part of multiprocessing.Value that the counters use, for one process."""

    def __init__(self):
        self.value, self._lock = 0, threading.Lock()

    def get_lock(self):
        return self._lock


class WorkerProgress:
    """What a worker's engine calls: advance(n) and running(k)."""

    def __init__(self, counters, slot):
        self.counters, self.slot = counters, slot

    def advance(self, n):
        with self.counters.finished.get_lock():
            self.counters.finished.value += n

    def running(self, k):
        self.counters.active[self.slot] = k


class Bar:
    """Context manager around tqdm that follows a Counters object from a background thread."""

    def __init__(self, total, desc, enabled, counters):
        self.counters, self.enabled = counters, enabled
        self.bar = tqdm(total=total, desc=desc, unit="run", disable=None if enabled else True,
                        leave=False, mininterval=0.5, dynamic_ncols=True)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self):
        if not self.bar.disable:
            self.thread.start()
        return self

    def _follow(self):
        while not self.stop.wait(0.3):
            self._refresh()

    def _refresh(self):
        done = self.counters.finished.value
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix(running=sum(self.counters.active[:]), refresh=False)

    def __exit__(self, *exc):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.bar.close()
        return False
