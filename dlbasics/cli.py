"""Command-line plumbing shared by the scripts: flags, one-line errors (exit 2), Ctrl-C (exit 130)."""
import argparse
import os
import sys
from pathlib import Path

EXIT_BAD_INPUT, EXIT_INTERRUPTED = 2, 130
DTYPE_HELP = ("precision of every training run (default: %(default)s). Iterations to 100 %% are a threshold "
              "event: in float32 a rounding difference between two CPUs' kernels can move them by hundreds, "
              "in float64 the counts are the same on every machine")


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


def run_main(main, argv=None, prog=None):
    """Run `main(argv)`; a UserError becomes one line and exit code 2, Ctrl-C one line and exit 130."""
    prog = prog or Path(sys.argv[0]).name
    try:
        main(argv)
    except UserError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted; no output was written\n")
        sys.exit(EXIT_INTERRUPTED)


def bounded(kind, low, high, what):
    """An argparse type: a `kind` (int or float) in [low, high]."""
    def parse(text):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            value = None
        if value is None or value != value or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    return parse


positive_int = bounded(int, 1, sys.maxsize, "a positive integer")
positive_float = bounded(float, sys.float_info.min, sys.float_info.max, "a positive number")   # normal numbers only
seed_int = bounded(int, 0, 2**32 - 1, "an integer in [0, 4294967295]")
momentum_float = bounded(float, 0.0, 1 - 2**-53, "a number in [0, 1)")
nonnegative_float = bounded(float, 0.0, sys.float_info.max, "a number >= 0")

# The 2017 edition of the handout: SGD with momentum 0.99 and weight decay 5e-4; part 2 in batches of
# 64 for at most 1000 epochs, the line net at lr 0.01. The 2019 edition (the default) is plain
# full-batch gradient descent.
EDITION_2017 = {"optimizer": "momentum", "momentum": 0.99, "weight_decay": 5e-4}


def add_training_arguments(parser, edition_2017):
    """How the runs train: initialisation, batches, optimiser, or an edition's preset of them.
    edition_2017: what --edition 2017 sets for this script beyond EDITION_2017 (e.g. batch_size, lr)."""
    from .models import INITS
    from .sampling import ORDERS
    g = parser.add_argument_group("training (the defaults are the 2019 handout's)")
    g.add_argument("--init", choices=tuple(INITS), default="handout",
                   help="initialisation: " + "; ".join(f"{k} = {v}" for k, v in INITS.items()) + " (default: %(default)s)")
    g.add_argument("--batch-size", type=positive_int, default=None,
                   help="mini-batch SGD with batches of this many images; every run is still judged on all "
                        "images after each update (default: all images, full-batch gradient descent)")
    g.add_argument("--order", choices=ORDERS, default=None,
                   help="order of the images in each epoch, seeded per run: shuffled, or every label-0 image "
                        "before any label-1 image (default: shuffled; needs --batch-size)")
    g.add_argument("--optimizer", choices=("gd", "momentum"), default=None,
                   help="gd: theta -= lr * g; momentum: torch.optim.SGD with --momentum (default: gd)")
    g.add_argument("--momentum", type=momentum_float, default=None,
                   help="momentum of --optimizer momentum (default: 0.9)")
    g.add_argument("--weight-decay", type=nonnegative_float, default=None,
                   help="L2 weight decay added to every gradient, biases included (default: 0)")
    extra = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in edition_2017.items())
    g.add_argument("--edition", choices=("2019", "2017"), default="2019",
                   help=f"2017: that year's training, momentum 0.99, weight decay 5e-4, {extra}; the flags above "
                        "still win (default: %(default)s)")
    parser.set_defaults(edition_2017=edition_2017)


def resolve_training(parser, args):
    """Fill the training flags: explicit values, else the --edition preset, else the handout's."""
    preset = (EDITION_2017 | args.edition_2017) if args.edition == "2017" else {}
    del args.edition_2017
    for name, value in preset.items():
        if name == "momentum" and args.optimizer == "gd":
            continue
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if args.optimizer is None:
        args.optimizer = "gd"
    if args.optimizer == "gd" and args.momentum:
        parser.error("argument --momentum: needs --optimizer momentum")
    if args.momentum is None:
        args.momentum = 0.9 if args.optimizer == "momentum" else 0.0
    if args.weight_decay is None:
        args.weight_decay = 0.0
    if args.order is not None and args.batch_size is None:
        parser.error("argument --order: needs --batch-size (full-batch steps see every image at once)")
    args.order = args.order or ("shuffled" if args.batch_size else None)
    return args


def training_of(args):
    """The keyword arguments of a script's experiment() that --init ... --weight-decay set."""
    return {"init": args.init, "batch_size": args.batch_size, "order": args.order,
            "momentum": args.momentum, "weight_decay": args.weight_decay}


def describe_training(args, n_images):
    """One line: how the runs of these arguments train."""
    batch = "full-batch gradient descent" if not args.batch_size or args.batch_size >= n_images else \
        f"mini-batch SGD, batches of {args.batch_size}, {args.order} order"
    extra = (f", momentum {args.momentum:g}" if args.momentum else "") + \
        (f", weight decay {args.weight_decay:g}" if args.weight_decay else "")
    return f"{batch}{extra}, {args.init} initialisation"


def float_list(text):
    """Comma-separated positive numbers, e.g. '0.01,0.1,1'."""
    return [positive_float(part) for part in text.split(",")]


def folder(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty string")
    return Path(text)


def add_run_arguments(parser, dataset, seeds, per, max_iters=10000):
    """The flags every training script shares. --quick changes only what is not given explicitly."""
    from .paths import DATA_DIR, FIGURES_DIR
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the single run (default: %(default)s)")
    parser.add_argument("--seeds", type=positive_int, default=None,
                        help=f"seeds 0..N-1 per {per} in the study (default: {seeds})")
    parser.add_argument("--reduction", choices=("mean", "sum"), default="mean",
                        help="batch loss of the single run: mean or sum over samples (default: %(default)s)")
    parser.add_argument("--max-iters", type=positive_int, default=None,
                        help=f"update cap; a run still short of 100 %% there is censored (default: {max_iters})")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64", help=DTYPE_HELP)
    parser.add_argument("--data-dir", type=folder, default=DATA_DIR,
                        help=f"folder with {dataset}/{dataset}_imgs.npy etc. (default: data/ in the project)")
    parser.add_argument("--out-dir", type=folder, default=FIGURES_DIR,
                        help="where outputs go, with fixed names (default: figures/ in the project)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--no-figures", action="store_true",
                        help="write the numbers only (summary JSON, tables, TeX macros), no figures; "
                             "make verify reruns this way")
    parser.set_defaults(default_seeds=seeds, default_max_iters=max_iters)


def resolve_quick(args, seeds, max_iters):
    """Fill --seeds / --max-iters: the explicit value, else the --quick budget, else the default."""
    if args.seeds is None:
        args.seeds = seeds if args.quick else args.default_seeds
    if args.max_iters is None:
        args.max_iters = max_iters if args.quick else args.default_max_iters
    del args.default_seeds, args.default_max_iters
    return args


def default_threads():
    return min(2, os.cpu_count() or 1)


def rerun_argv(args, names):
    """The flags that rerun these arguments exactly, every value explicit (for `verify --against`)."""
    argv = []
    for name in names:
        value, flag = getattr(args, name), "--" + name.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            argv += [flag] if value else []
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(repr(v) if isinstance(v, float) else str(v) for v in value)
        argv += [flag, repr(value) if isinstance(value, float) else str(value)]
    return argv
