"""Check a folder of dataset files before training on it.

    python -m dlbasics.checkdata DIR        (or: make check-data DIR=...)

Prints, for each of random / line / detection, the files found, shapes, class balance and
width range, or the problem found. Exit code 0 if all three load, 2 otherwise.
"""
import sys
from pathlib import Path

import numpy as np

from .cli import Parser
from .data import SPECS, DataError, load_dataset


def summary(ds):
    n1 = int(ds.labels.sum())
    text = f"{len(ds)} images {tuple(ds.images.shape[1:])}, labels: {len(ds) - n1} x 0, {n1} x 1"
    if ds.widths is not None:
        counts = np.bincount(ds.widths.numpy().round().astype(int))
        text += f"; widths {ds.widths.min():g}..{ds.widths.max():g} (counts {counts.tolist()})"
    return text + f"; {ds.origin} files"


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.checkdata", description=__doc__)
    parser.add_argument("data_dir", type=Path, help="folder holding the dataset files")
    args = parser.parse_args(argv)
    problems = 0
    for name in SPECS:
        try:
            ds = load_dataset(name, args.data_dir)
        except DataError as err:
            print(f"{name:9s} PROBLEM: {err}")
            problems += 1
            continue
        print(f"{name:9s} ok: {summary(ds)}")
        for path in ds.files:
            print(f"{'':9s}   {path}")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
