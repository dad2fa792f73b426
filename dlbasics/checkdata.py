"""Check a folder of dataset files before training on it.

    python -m dlbasics.checkdata DIR        (or: make check-data DIR=...)

Prints, for each of random / line / detection, the files found, shapes, class balance, the range of
the pixel values and the half-widths, or the problem found (on stderr). The files are read by the
scripts' own loader, so a folder that passes here is one every script accepts. Exit code 0 if all
three load, 2 otherwise (also when the console cannot show a character of a path, or the error stream
is full: every line still goes out, with such characters escaped, and the code stays 2).
"""
import sys
from pathlib import Path

import numpy as np

from dlbasics.common.cli import Parser, UserError, run_main, say, say_error
from dlbasics.common.data import load_dataset, origin
from part2_fc import DATASETS


def summary(ds):
    zeros, ones = ds.class_counts
    text = (f"{len(ds)} images {tuple(ds.images.shape[1:])}, pixels {float(ds.images.min()):g}..{float(ds.images.max()):g}, "
            f"labels: {zeros} x 0, {ones} x 1")
    if ds.widths is not None:
        values, counts = np.unique(ds.widths.numpy(), return_counts=True)
        shown = ", ".join(f"{v:g}: {c}" for v, c in zip(values[:12], counts[:12])) + (" ..." if len(values) > 12 else "")
        text += f"; half-widths {values.min():g}..{values.max():g} ({shown})"
    return text + f"; {origin(ds.files)} files"


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.checkdata", description=__doc__)
    parser.add_argument("data_dir", type=Path, metavar="DIR", help="folder holding the dataset files")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        raise UserError(f"DIR {args.data_dir}: expected an existing folder")
    problems = 0
    for name in DATASETS:
        try:
            ds = load_dataset(name, args.data_dir)
        except UserError as err:
            say_error(f"{name:9s} PROBLEM: {str(err).replace('--data-dir ', 'DIR ', 1)}")
            problems += 1
            continue
        say(f"{name:9s} ok: {summary(ds)}", *(f"{'':9s}   {ds.folder / f}" for f in ds.files))
    return 2 if problems else 0


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
