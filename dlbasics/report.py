"""make report: the report's inputs from the runs, then the PDF, which replaces the old one only once
it is complete.

    python -m dlbasics.report

1. python -m dlbasics.claims: the numbers and the generated sentences, from the summaries in
   figures/, and the author line, read afresh from report/author.txt;
2. latexmk builds report/report.tex into a fresh build folder (report/.build-*); the log is checked
   for undefined references and missing files;
3. the new PDF replaces report/report.pdf in one step. A failed or interrupted build (Ctrl-C during
   pdflatex) leaves the previous PDF, and the next build starts from scratch.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from part2_fc import staging_prefix, sweep

from . import claims, tools
from .cli import Parser, UserError, run_main, say
from .paths import FIGURES_DIR, ROOT

REPORT = ROOT / "report"


def build_pdf(report_dir=REPORT):
    """report_dir/report.tex -> report_dir/report.pdf, built in a fresh folder beside it and moved in."""
    sweep(Path(report_dir), ".build")                   # the build folders of runs killed outright
    work = tempfile.mkdtemp(prefix=staging_prefix(".build"), dir=report_dir)
    try:
        proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={work}",
                               "report.tex"], cwd=report_dir, capture_output=True, text=True)
        log = os.path.join(work, "report.log")
        text = open(log, errors="replace").read() if os.path.exists(log) else proc.stdout
        if proc.returncode != 0:
            error = next((line for line in text.splitlines() if line.startswith("!")), "see the LaTeX log")
            raise UserError(f"report/report.tex: LaTeX failed ({error.lstrip('! ')})")
        bad = re.search(r"Warning: (Reference|Citation) .* undefined|File .* not found", text)
        if bad:
            raise UserError(f"report/report.tex: {bad.group(0)}")
        os.replace(os.path.join(work, "report.pdf"), os.path.join(report_dir, "report.pdf"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    Parser(prog="python -m dlbasics.report", description=__doc__).parse_args(argv)
    tools.require("latex")
    claims.main([str(FIGURES_DIR)])
    build_pdf()
    say("report: wrote report/report.pdf")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
