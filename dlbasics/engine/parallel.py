"""Independent jobs on several worker processes (one torch thread each), with one progress bar.

Small batched steps are bound by per-operation overhead, which threads inside an operation do not
remove; separate processes do. Results come back in job order and each run's numbers do not depend
on which process made it or on what else shared its batch, so the output does not depend on the
number of workers, which is at most the number of CPUs this process may use. Workers ignore the
signals that stop a run (the parent stops them and reports one line) and end by themselves as soon
as their parent is gone.
"""
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from dlbasics.common.cli import UserError, cpu_count
from dlbasics.common.processes import end_with_parent
from dlbasics.engine.progress import Bar, Counters, WorkerProgress
from dlbasics.engine.runtime import configure_torch

_COUNTERS = None


def _init_worker(threads, counters, parent):
    global _COUNTERS
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    end_with_parent(parent)
    configure_torch(threads)
    _COUNTERS = counters


def _call(args):
    fn, job, slot = args
    return fn(job, WorkerProgress(_COUNTERS, slot))


def worker_count(requested, n_jobs):
    """Workers actually started: at most one per job and one per CPU this process may use."""
    return max(1, min(requested, n_jobs, cpu_count()))


def map_jobs(fn, jobs, workers, threads=1, total_runs=0, desc="", progress=True):
    """[fn(job, progress) for job in jobs] on `workers` processes of `threads` torch threads each.

    fn must be a module-level function; it reports finished runs through progress.advance(n).
    """
    jobs = list(jobs)
    workers = worker_count(workers, len(jobs))
    ctx = multiprocessing.get_context("spawn")
    counters = Counters(workers, ctx if workers > 1 else None)
    with Bar(total_runs, desc, progress, counters):
        if workers == 1:
            _init_worker_here(threads, counters)
            return [fn(job, WorkerProgress(counters, 0)) for job in jobs]
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(threads, counters, os.getpid()))
        try:
            results = list(pool.map(_call, [(fn, job, i % workers) for i, job in enumerate(jobs)]))
        except BrokenProcessPool:
            raise UserError("a worker process died (killed from outside, or out of memory); nothing was "
                            "written") from None
        except BaseException:
            processes = list(getattr(pool, "_processes", {}).values())
            for proc in processes:
                proc.kill()                       # they ignore the polite signals
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.join(timeout=10)
            raise
        pool.shutdown()
        return results


def _init_worker_here(threads, counters):
    global _COUNTERS
    configure_torch(threads)
    _COUNTERS = counters


def _train_share(share, progress):
    """One worker's jobs: one engine call per setting."""
    from dlbasics.engine.loop import train
    make_experiment, data, jobs, max_iters, width = share
    runs = {}
    for setting in dict.fromkeys(j.setting for j in jobs):
        mine = [j for j in jobs if j.setting == setting]
        runs.update(zip(mine, train(make_experiment(setting, data), mine, max_iters, width, progress)))
    return runs


def train_jobs(make_experiment, data, jobs, max_iters, workers, width=None, progress=True, desc="runs"):
    """Every job trained by the engine, its seeds split over `workers` single-threaded processes.

    make_experiment(setting, data) -> Experiment must be picklable (a module-level function or a
    functools.partial of one). Returns the runs in job order.
    """
    jobs = list(jobs)
    workers = worker_count(workers, len(jobs))
    shares = [(make_experiment, data, [j for j in jobs if j.seed % workers == k], max_iters, width)
              for k in range(workers)]
    results = map_jobs(_train_share, [s for s in shares if s[2]], workers, total_runs=len(jobs), desc=desc,
                       progress=progress)
    by_job = {job: run for share in results for job, run in share.items()}
    return [by_job[j] for j in jobs]
