"""The many-seed studies, a layer above the four scripts: each trains a script's own experiment over
many seeds on the many-seed engine, with the statistics the report quotes.

    python -m dlbasics.study part2      [flags]    part2_fc.py's four settings: seeds, reductions, lr sweep
    python -m dlbasics.study line       [flags]    part3_conv.py's line net
    python -m dlbasics.study detection  [flags]    part3_detection.py's two-headed net

`python -m dlbasics.study STUDY --help` lists each study's flags and defaults. The scripts themselves
draw the handout's single runs; `make all` runs both.
"""
import sys

from . import study_conv, study_part2
from .cli import Parser, run_main

STUDIES = {"part2": (study_part2.add_arguments, study_part2.main, study_part2.__doc__),
           "line": (study_conv.add_line_arguments, study_conv.main_line, study_conv.__doc__),
           "detection": (study_conv.add_detection_arguments, study_conv.main_detection, study_conv.__doc__)}


def parse_args(argv=None):
    parser = Parser(prog="python -m dlbasics.study", description=__doc__)
    sub = parser.add_subparsers(dest="study", required=True, metavar="STUDY", parser_class=Parser)
    for name, (add, _, doc) in STUDIES.items():
        add(sub.add_parser(name, prog=f"python -m dlbasics.study {name}", description=doc,
                           help=doc.splitlines()[0]))
    args = parser.parse_args(argv)
    return args.resolve(parser, args)


def main(argv=None):
    args = parse_args(argv)
    STUDIES[args.study][1](args)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
