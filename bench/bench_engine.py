"""Benchmark: the many-seed engine against the plain reference on the part 2 workload.

    python bench/bench_engine.py [--seeds 1000] [--ref-seeds 1000] [--threads 1]

Workload: the four part 2 settings (sigmoid/ReLU x L2/CE), lr 0.1, mean reduction, at most
10 000 iterations, seeds 0..S-1, on the course data if ../shared/data/cis581 exists, else the
bundled data. Both sides run in this process, one thread, one after the other. Throughput is
seed-iterations per second: the updates+evaluations actually performed, summed over seeds
(a seed stops when it reaches 100 %). The reference can run on a subset (--ref-seeds) of the
same seeds; its per-iteration cost does not depend on which seeds, so the rate is comparable.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dlbasics.cli import Parser, positive_int, run_main  # noqa: E402
from dlbasics.data import describe, load_dataset  # noqa: E402
from dlbasics.engine import train  # noqa: E402
from dlbasics.objectives import FCObjective  # noqa: E402
from dlbasics.paths import DATA_DIR, ROOT  # noqa: E402
from dlbasics.reference import train_reference  # noqa: E402

SETTINGS = [("sigmoid", "l2"), ("sigmoid", "ce"), ("relu", "l2"), ("relu", "ce")]
COURSE = ROOT.parent / "shared" / "data" / "cis581"


def parse_args(argv):
    parser = Parser(prog="bench_engine.py", description=__doc__)
    parser.add_argument("--seeds", type=positive_int, default=1000, help="engine seeds (default: %(default)s)")
    parser.add_argument("--ref-seeds", type=positive_int, default=1000,
                        help="reference seeds, the first of the same seeds (default: %(default)s)")
    parser.add_argument("--threads", type=positive_int, default=1, help="torch threads (default: %(default)s)")
    parser.add_argument("--max-iters", type=positive_int, default=10000, help="(default: %(default)s)")
    return parser.parse_args(argv)


def run_engine(data, seeds, max_iters):
    seed_iters, start = 0, time.perf_counter()
    for act, loss in SETTINGS:
        obj = FCObjective(data.images, data.labels, act, loss)
        res = train(obj, obj.init_state(seeds, 0.1, "mean"), max_iters, record=("loss", "acc"))
        seed_iters += int((res.iterations + 1).sum())
        print(f"  engine    {act:7s}+{loss}: median iterations {np.median(res.iterations):.0f}")
    return seed_iters, time.perf_counter() - start


def run_reference(data, seeds, max_iters):
    seed_iters, start = 0, time.perf_counter()
    for act, loss in SETTINGS:
        iters = [train_reference(loss, s, data, 0.1, max_iters, "mean", act)[0] for s in seeds]
        seed_iters += sum(i + 1 for i in iters)
        print(f"  reference {act:7s}+{loss}: median iterations {np.median(iters):.0f}")
    return seed_iters, time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)   # as in every script (dlbasics.cli.seed_everything)
    data = load_dataset("random", COURSE if COURSE.is_dir() else DATA_DIR)
    print(describe(data))
    seeds = list(range(args.seeds))
    n_eng, t_eng = run_engine(data, seeds, args.max_iters)
    n_ref, t_ref = run_reference(data, seeds[: args.ref_seeds], args.max_iters)
    eng, ref = n_eng / t_eng, n_ref / t_ref
    print(f"engine:    {n_eng} seed-iterations in {t_eng:.2f} s = {eng:,.0f} seed-iterations/s "
          f"({args.seeds} seeds, {args.threads} thread)")
    print(f"reference: {n_ref} seed-iterations in {t_ref:.2f} s = {ref:,.0f} seed-iterations/s "
          f"({args.ref_seeds} seeds)")
    print(f"ratio engine/reference: {eng / ref:.0f}x")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
