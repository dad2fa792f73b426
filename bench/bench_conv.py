"""Benchmark: the part 3.2 detection study against the plain one-seed-at-a-time reference loop.

    python bench/bench_conv.py [--seeds 8] [--threads 2]

Workload: the detection net, mean reduction, lr_cls 0.1, lr_reg 0.001, seeds 0..S-1, each until
its regression accuracy is 100 % (cap 10 000), on the course data if ../shared/data/cis581
exists, else the bundled data. The engine runs the seeds in blocks of 4 with --threads torch
threads (both cores by default); the reference is the plain loop, one nn.Module + SGD per seed,
one thread. Both in this process, one after the other, on the same seeds. Throughput counts
the seed-iterations each side needs (iterations to the stop + 1, summed over seeds); the
engine's padded or already-stopped block slots are work it does but does not get credit for.
"""
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dlbasics.cli import Parser, positive_int, run_main  # noqa: E402
from dlbasics.convruns import run_seeds  # noqa: E402
from dlbasics.data import describe, load_dataset  # noqa: E402
from dlbasics.paths import DATA_DIR, ROOT  # noqa: E402
from dlbasics.reference import train_reference  # noqa: E402

COURSE = ROOT.parent / "shared" / "data" / "cis581"
METRICS = ("cls_loss", "cls_acc", "reg_loss", "reg_acc")


def main(argv=None):
    parser = Parser(prog="bench_conv.py", description=__doc__)
    parser.add_argument("--seeds", type=positive_int, default=8, help="(default: %(default)s)")
    parser.add_argument("--threads", type=positive_int, default=2, help="engine threads (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_flush_denormal(True)
    data = load_dataset("detection", COURSE if COURSE.is_dir() else DATA_DIR)
    print(describe(data))
    seeds = list(range(args.seeds))
    start = time.perf_counter()
    runs = run_seeds(data, [(s, "mean") for s in seeds], 0.1, 0.001, 10000, METRICS, args.threads)
    t_eng = time.perf_counter() - start
    torch.set_num_threads(1)
    start, ref_iters = time.perf_counter(), []
    for s in seeds:
        ref_iters.append(train_reference("detection", s, data, 0.1, 10000, "mean", lr_reg=0.001)[0])
    t_ref = time.perf_counter() - start
    n_eng, n_ref = sum(r.iterations + 1 for r in runs), sum(i + 1 for i in ref_iters)
    print(f"iterations to 100 % regression: engine {[r.iterations for r in runs]}, reference {ref_iters}")
    eng, ref = n_eng / t_eng, n_ref / t_ref
    print(f"engine:    {n_eng} seed-iterations in {t_eng:.1f} s = {eng:.0f} seed-iterations/s ({args.threads} threads)")
    print(f"reference: {n_ref} seed-iterations in {t_ref:.1f} s = {ref:.0f} seed-iterations/s (1 thread)")
    print(f"ratio engine/reference: {eng / ref:.2f}x")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
