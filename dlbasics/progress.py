"""A progress bar for long runs: jobs finished out of all, and runs still computing.

The bar shows on a terminal only (tqdm's disable=None) and never with --no-progress. Worker
processes report through two shared counters that the parent's bar reads.
"""
import multiprocessing
import threading

from tqdm import tqdm


class Counters:
    """Shared between processes: jobs finished, and runs computing now (per worker)."""

    def __init__(self, workers, ctx=None):
        ctx = ctx or multiprocessing.get_context("spawn")
        self.finished = ctx.Value("q", 0)
        self.active = ctx.Array("q", workers)


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
