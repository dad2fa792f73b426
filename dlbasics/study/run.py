"""python -m dlbasics.study: the many-seed studies, a layer above the four scripts. Each trains a script's own experiment over
many seeds on the many-seed engine, with the statistics the report quotes.

    python -m dlbasics.study part2      [flags]    part2_fc.py's four settings: seeds, reductions, lr sweep
    python -m dlbasics.study line       [flags]    part3_conv.py's line net
    python -m dlbasics.study detection  [flags]    part3_detection.py's two-headed net

`python -m dlbasics.study STUDY --help` lists each study's flags and defaults. The scripts themselves
draw the handout's single runs; `make all` runs both.
"""
from dlbasics.common.cli import Parser
from dlbasics.study import conv, part2

STUDIES = {"part2": (part2.add_arguments, part2.main, part2.__doc__),
           "line": (conv.add_line_arguments, conv.main_line, conv.__doc__),
           "detection": (conv.add_detection_arguments, conv.main_detection, conv.__doc__)}


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
