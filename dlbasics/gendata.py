"""python -m dlbasics.gendata [--out-dir data] (make data): write the bundled datasets (dlbasics.common.bundled),
byte for byte the committed files."""
import sys

from dlbasics.common.bundled import generate, npy_bytes
from dlbasics.common.cli import Parser, folder, run_main, say
from dlbasics.common.outputs import Outputs
from dlbasics.common.paths import DATA_DIR


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.gendata", description=__doc__)
    parser.add_argument("--out-dir", type=folder, default=DATA_DIR,
                        help="folder to write <name>/<name>_*.npy into (default: data/ in the project)")
    args = parser.parse_args(argv)
    with Outputs(args.out_dir) as out:
        for rel, array in generate().items():
            name = rel.replace("/", "__")          # staged flat, moved into place below
            (out.dir / name).write_bytes(npy_bytes(array))
    for rel in generate():
        target = args.out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        (args.out_dir / rel.replace("/", "__")).replace(target)
        say(f"wrote {target}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
