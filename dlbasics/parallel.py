"""Independent jobs on several worker processes (one torch thread each), with one progress bar.

Small batched steps are bound by per-operation overhead, which threads inside an operation do not
remove; separate processes do. Results come back in job order and each run's numbers do not depend
on which process made it or on what else shared its batch, so the output does not depend on the
number of workers. Workers ignore Ctrl-C; the parent stops them and reports one line.
"""
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

from .progress import Bar, Counters, WorkerProgress
from .runtime import configure_torch

_COUNTERS = None


def _init_worker(threads, counters):
    global _COUNTERS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_torch(threads)
    _COUNTERS = counters


def _call(args):
    fn, job, slot = args
    return fn(job, WorkerProgress(_COUNTERS, slot))


def map_jobs(fn, jobs, workers, threads=1, total_runs=0, desc="", progress=True):
    """[fn(job, progress) for job in jobs] on `workers` processes of `threads` torch threads each.

    fn must be a module-level function; it reports finished runs through progress.advance(n).
    """
    jobs = list(jobs)
    workers = max(1, min(workers, len(jobs)))
    ctx = multiprocessing.get_context("spawn")
    counters = Counters(workers, ctx)
    with Bar(total_runs, desc, progress, counters):
        if workers == 1:
            _init_worker_here(threads, counters)
            return [fn(job, WorkerProgress(counters, 0)) for job in jobs]
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(threads, counters))
        try:
            results = list(pool.map(_call, [(fn, job, i % workers) for i, job in enumerate(jobs)]))
        except BaseException:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return results


def _init_worker_here(threads, counters):
    global _COUNTERS
    configure_torch(threads)
    _COUNTERS = counters
