"""Independent jobs (settings, seed blocks) on several cores, one torch thread each.

Small batched steps are bound by per-operation overhead, which threads inside an operation do
not remove; separate processes do. Results come back in job order, and each job computes
exactly what it would compute alone (same thread count, same batch), so the output does not
depend on the number of workers.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def _init_worker(threads=1):
    import torch
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True)


def map_jobs(fn, jobs, workers, threads=1):
    """[fn(job) for job in jobs], on `workers` processes of `threads` torch threads each.

    fn must be a module-level function. workers=1 runs in this process.
    """
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        _init_worker(threads)
        return [fn(job) for job in jobs]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx,
                             initializer=_init_worker, initargs=(threads,)) as pool:
        return list(pool.map(fn, jobs))
