"""What the report says about its own build: who wrote it, when, on which machine, how long it took.

    python -m dlbasics.buildinfo start DIR      (make figures, before the scripts run)
    python -m dlbasics.buildinfo finish DIR     (after them): writes DIR/build_info.tex

The author and collaborators come from report/author.txt (lines "author: ..." and "collaborators:
..."), the one file a student edits. This file is kept apart from the scripts' results, which stay
byte-identical from run to run.
"""
import os
import platform
import sys
import time
from pathlib import Path

from .cli import Parser, folder, run_main
from .outputs import write_tex_macros
from .paths import ROOT

AUTHOR_FILE = ROOT / "report" / "author.txt"
STAMP = ".build_start"
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
           "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text):
    return "".join(SPECIAL.get(c, c) for c in text)


def read_author(path=AUTHOR_FILE):
    """{"author": ..., "collaborators": ...} from the student's file; placeholders if it is missing."""
    found = {"author": "(author not given: edit report/author.txt)", "collaborators": "(not given)"}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.lstrip().startswith("#") and key.strip().lower() in found and value.strip():
                found[key.strip().lower()] = value.strip()
    return found


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def finish(out_dir):
    stamp = out_dir / STAMP
    seconds = time.time() - float(stamp.read_text()) if stamp.is_file() else None
    import torch
    values = {"build seconds": "an unrecorded time" if seconds is None else f"{seconds:.0f}\\,s",
              "build date": time.strftime("%Y-%m-%d"), "build cpu": tex_escape(cpu_model()),
              "build cores": os.cpu_count() or 1, "build torch": torch.__version__.split("+")[0],
              "build python": platform.python_version()}
    values |= {f"report {k}": tex_escape(v) for k, v in read_author().items()}
    write_tex_macros(out_dir / "build_info.tex", values)
    stamp.unlink(missing_ok=True)


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.buildinfo", description=__doc__)
    parser.add_argument("step", choices=("start", "finish"))
    parser.add_argument("out_dir", type=folder, metavar="DIR")
    args = parser.parse_args(argv)
    if not args.out_dir.is_dir():
        args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.step == "start":
        (args.out_dir / STAMP).write_text(f"{time.time()}\n")
    else:
        finish(args.out_dir)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
