"""The handout's submission: a ZIP named 1_<penn_key>.zip holding the report and the four scripts.

    python -m dlbasics.submission            (make submission)

The Penn key comes from report/author.txt (the line "penn key: ..."); while that file still holds the
placeholder, nothing is written. The ZIP holds exactly report.pdf and the four scripts, flat, each of
which runs on its own (torch, numpy, scipy, matplotlib): unzipped anywhere, `python part2_fc.py
--data-dir DIR` reruns part 2. The entries carry a fixed date, so the same files give the same ZIP.
"""
import re
import sys
import zipfile
from pathlib import Path

from dlbasics.common.cli import Parser, UserError, folder, run_main, say
from dlbasics.common.outputs import Outputs
from dlbasics.common.paths import ROOT
from dlbasics.report import author

SCRIPTS = ("part1_loss_gradient.py", "part2_fc.py", "part3_conv.py", "part3_detection.py")
PDF = ROOT / "report" / "report.pdf"


def penn_key(author_file):
    """The Penn key from the student's file; UserError while it is missing or still the placeholder."""
    key = author.read_author(author_file)["penn key"]
    if not key or key == author.PLACEHOLDERS["penn key"]:
        raise UserError(f"{author_file}: expected your Penn key on the line 'penn key: ...' (it still holds the "
                        "placeholder); the ZIP is named 1_<penn key>.zip")
    if not re.fullmatch(r"[A-Za-z0-9]+", key):
        raise UserError(f"{author_file}: expected a Penn key of letters and digits, found {key!r}")
    return key


def write_zip(path, pdf):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, source in [("report.pdf", pdf), *((s, ROOT / s) for s in SCRIPTS)]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            z.writestr(info, source.read_bytes())


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.submission", description=__doc__)
    parser.add_argument("--author-file", type=Path, default=author.AUTHOR_FILE,
                        help="the file with the Penn key (default: report/author.txt)")
    parser.add_argument("--pdf", type=Path, default=PDF, help="the report (default: report/report.pdf)")
    parser.add_argument("--out-dir", type=folder, default=ROOT, help="where the ZIP goes (default: the project)")
    args = parser.parse_args(argv)
    key = penn_key(args.author_file)
    if not args.pdf.is_file():
        raise UserError(f"{args.pdf}: not found; build the report first (make all)")
    name = f"1_{key}.zip"
    with Outputs(args.out_dir) as out:
        write_zip(out.dir / name, args.pdf)
    say(f"wrote {args.out_dir / name}: report.pdf, {', '.join(SCRIPTS)}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
