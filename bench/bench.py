"""Speed benchmarks: the many-seed engine against the scripts' own plain loops, side by side.

    python -m bench.bench [--only fc,detection] [--seeds 1000] [--ref-seeds 12] [--det-seeds 8]   (make bench)

fc         the part 2 study: the four settings x --seeds seeds, lr 0.1, mean loss, cap 10 000. The engine
           and part2_fc.py's own loop (part2_fc.train) on one thread each. The loop trains the first
           --ref-seeds seeds of every setting (its cost per seed-iteration does not depend on which
           seeds). Also prints the kernel floor: the torch kernels of one full-width sigmoid + L2 step
           alone, the most any engine built on them could reach.
detection  the part 3.2 runs: --det-seeds seeds to 100 % regression, lr 0.1 / 0.001, mean loss. The
           engine on both cores (two single-threaded workers), part3_detection.py's loop on one thread.

Data: the course files if ../shared/data/cis581 exists, else the bundled ones; float64 (--dtype).
Throughput = seed-iterations per second: updates plus evaluations actually made, summed over runs.
Every benchmark ends with one line
    BENCH <name> ratio=<engine/reference>x rate=<engine seed-iterations/s> dtype=<dtype> seeds=<S>
Both sides run in this one process, one after the other; the machine is shared, so compare ratios.
"""
import sys
import time
from argparse import Namespace
from functools import partial

import numpy as np
import torch

import dlbasics  # noqa: F401  (pins the kernels before torch loads)
import part2_fc
import part3_detection
from dlbasics.common.cli import Parser, positive_int, run_main, say
from dlbasics.common.data import describe, load_dataset
from dlbasics.common.paths import DATA_DIR, ROOT
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job
from dlbasics.engine.parallel import train_jobs
from dlbasics.engine.runtime import configure_torch

COURSE = ROOT.parent / "shared" / "data" / "cis581"


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def loop_args(**flags):
    """The arguments a script's own loop reads, at the handout's settings."""
    return Namespace(**{"lr": 0.1, "max_iters": 10000, "init": "handout", "batch_size": None, "order": None,
                        "momentum": 0.0, "weight_decay": 0.0, "reduction": "mean"} | flags)


def bench_fc(data, args):
    jobs = [Job(s, seed, 0.1, "mean") for s in part2_fc.SETTINGS for seed in range(args.seeds)]
    runs, t_eng = timed(lambda: train_jobs(experiments.part2, data, jobs, 10000, workers=1, progress=False))
    n_eng = sum(r.iterations + 1 for r in runs)
    configure_torch(1)
    ref_iters, t_ref = timed(lambda: [part2_fc.train(s, seed, "mean", data, loop_args()).iterations
                                      for s in part2_fc.SETTINGS for seed in range(args.ref_seeds)])
    same = all(r.iterations == i for r, i in zip([r for r in runs if r.seed < args.ref_seeds], ref_iters))
    floor = kernel_floor(data, args.seeds)
    ref_rate = sum(i + 1 for i in ref_iters) / t_ref
    say(f"fc kernel floor (sigmoid + L2, {args.seeds} seeds, kernels only): {floor * 1e3:.2f} ms per iteration "
          f"= at most {args.seeds / floor:,.0f} seed-iterations/s = {args.seeds / floor / ref_rate:.0f}x the reference")
    return n_eng, t_eng, sum(i + 1 for i in ref_iters), t_ref, same, args.seeds


def kernel_floor(data, seeds, repeats=200):
    """Seconds per iteration of the torch kernels one sigmoid + L2 step at `seeds` seeds cannot do
    without, called back to back with no bookkeeping: the two GEMMs with the images, the hidden and
    output sigmoids, the loss and its derivative, the sums over images, the backward products and
    the update. The engine's rate at full width cannot exceed seeds / this."""
    n = len(data)
    x = torch.cat([data.images.reshape(n, -1), data.images.new_ones(n, 1)], 1)
    xt, y = x.T.contiguous(), data.labels[:, None]
    rng = np.random.RandomState(0)                 # timing only, but every draw comes from a frozen stream
    w, v = (torch.from_numpy(0.1 * rng.standard_normal(shape)).to(x.dtype) for shape in ((17, 4 * seeds), (5, seeds)))
    ones, lr = x.new_ones(1, n), x.new_full((seeds,), 0.1)

    def step():
        h = torch.sigmoid_(x @ w).view(n, 4, seeds)
        z = torch.addcmul(v[-1], h[:, 0], v[0])
        for j in range(1, 4):
            z.addcmul_(h[:, j], v[j])
        p = torch.sigmoid(z)
        err = p - y
        dz = torch.ops.aten.sigmoid_backward(2 * err, p)
        loss, acc = ones @ (err * err), ones @ ((z > 0) == (y > 0.5)).to(x.dtype)
        dv = ones @ (h * dz[:, None]).view(n, -1)
        da = torch.ops.aten.sigmoid_backward(dz[:, None] * v[:-1], h)
        dw = xt @ da.view(n, -1)
        w.addcmul_(dw, lr.repeat(4), value=-1e-12)
        v[:-1].addcmul_(dv.view(4, seeds), lr, value=-1e-12)
        return loss, acc

    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def bench_detection(data, args):
    jobs = [Job("detection", seed, 0.1, "mean") for seed in range(args.det_seeds)]
    make = partial(experiments.detection, lr_reg=0.001)
    runs, t_eng = timed(lambda: train_jobs(make, data, jobs, 10000, workers=2, width=8, progress=False))
    configure_torch(1)
    ref_iters, t_ref = timed(lambda: [part3_detection.train(s, data, loop_args(lr_cls=0.1, lr_reg=0.001)).iterations
                                      for s in range(args.det_seeds)])
    same = [r.iterations for r in runs] == ref_iters
    return sum(r.iterations + 1 for r in runs), t_eng, sum(i + 1 for i in ref_iters), t_ref, same, args.det_seeds


def report(name, n_eng, t_eng, n_ref, t_ref, same, seeds, dtype):
    eng, ref = n_eng / t_eng, n_ref / t_ref
    say(f"{name}: engine {n_eng:,} seed-iterations in {t_eng:.1f} s = {eng:,.0f}/s; "
        f"the script's loop {n_ref:,} in {t_ref:.1f} s = {ref:,.0f}/s; same iteration counts: {same}",
        f"BENCH {name} ratio={eng / ref:.1f}x rate={eng:.0f} dtype={dtype} seeds={seeds}")


def main(argv=None):
    p = Parser(prog="python -m bench.bench", description=__doc__)
    p.add_argument("--only", default="fc,detection", help="benchmarks to run, comma-separated (default: %(default)s)")
    p.add_argument("--seeds", type=positive_int, default=1000, help="fc engine seeds per setting (default: %(default)s)")
    p.add_argument("--ref-seeds", type=positive_int, default=12, help="fc reference seeds per setting (default: %(default)s)")
    p.add_argument("--det-seeds", type=positive_int, default=8, help="detection seeds (default: %(default)s)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="(default: %(default)s)")
    args = p.parse_args(argv)
    folder = COURSE if COURSE.is_dir() else DATA_DIR
    dtype = getattr(torch, args.dtype)
    for name, (dataset, fn) in {"fc": ("random", bench_fc), "detection": ("detection", bench_detection)}.items():
        if name in args.only.split(","):
            data = load_dataset(dataset, folder)
            say(describe(data))
            report(name, *fn(data.to(dtype), args), args.dtype)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
