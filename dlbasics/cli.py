"""Command-line plumbing shared by the scripts: one-line errors, exit code 2, seeding."""
import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

EXIT_BAD_INPUT = 2


class UserError(Exception):
    """Bad input from the user: reported as one line, exit code 2, nothing written."""


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and defaults shown in --help."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)


def run_main(main, argv=None):
    """Run `main(argv)`; turn a UserError into one line on stderr and exit code 2."""
    try:
        main(argv)
    except UserError as err:
        prog = Path(sys.argv[0]).name
        sys.stderr.write(f"{prog}: error: {err}\n")
        sys.exit(EXIT_BAD_INPUT)


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def nonnegative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def float_list(text):
    """Comma-separated positive numbers, e.g. '0.01,0.1,1'."""
    return [positive_float(part) for part in text.split(",")]


def add_run_arguments(parser, dataset, seeds, per):
    """The flags every training script shares: seeds, loss reduction, update cap, folders."""
    from .paths import DATA_DIR, FIGURES_DIR
    parser.add_argument("--seed", type=int, default=0, help="seed of the single run (default: %(default)s)")
    parser.add_argument("--seeds", type=positive_int, default=seeds,
                        help=f"seeds 0..N-1 per {per} in the study (default: %(default)s)")
    parser.add_argument("--reduction", choices=("mean", "sum"), default="mean",
                        help="batch loss of the single run: mean or sum over samples (default: %(default)s)")
    parser.add_argument("--max-iters", type=positive_int, default=10000, help="update cap (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help=f"folder with {dataset}/{dataset}_imgs.npy etc. (default: data/ in the project)")
    parser.add_argument("--out-dir", type=Path, default=FIGURES_DIR, help="(default: figures/ in the project)")


def seed_everything(seed, threads):
    """The one seeding block: every source of randomness, deterministic kernels, fixed threads."""
    import torch  # here, not at the top: part 1 needs no torch and starts 2 s faster without it
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)   # subnormal floats (< 1.2e-38) are slow here and change nothing


def check_out_dir(path):
    """Fail early (before any work) if `path` cannot become a writable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out-dir {path}: expected a folder, found a file")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"--out-dir {path}: cannot create a folder under the file {probe}")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        raise UserError(f"--out-dir {path}: folder {probe} is not writable ({err.strerror})") from None
    return path


def default_threads():
    return min(2, os.cpu_count() or 1)
