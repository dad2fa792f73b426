"""make report: the report's inputs from the runs, then the two PDFs, which replace the old ones only
once both are complete.

    python -m dlbasics.report

1. python -m dlbasics.claims: the numbers and the generated sentences, from the summaries in
   figures/, and the author line, read afresh from report/author.txt;
2. latexmk builds report/report.tex (the submission, at most 8 pages) and report/studies.tex (its
   companion, the studies in full) into a fresh build folder (report/.build-*); each log is checked for
   undefined references and missing files;
3. the new PDFs replace report/report.pdf and report/studies.pdf. A failed or interrupted build (Ctrl-C
   during pdflatex) leaves the previous PDFs, and the next build starts from scratch.
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


DOCUMENTS = ("studies", "report")          # the companion first: the submission cites its section numbers


def build_pdf(report_dir=REPORT, documents=DOCUMENTS):
    """report_dir/<document>.tex -> report_dir/<document>.pdf for each document, built in a fresh folder
    beside them and moved in once every one has built."""
    sweep(Path(report_dir), ".build")                   # the build folders of runs killed outright
    work = tempfile.mkdtemp(prefix=staging_prefix(".build"), dir=report_dir)
    try:
        for name in documents:
            latex(report_dir, work, name)
        for name in documents:
            os.replace(os.path.join(work, f"{name}.pdf"), os.path.join(report_dir, f"{name}.pdf"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def latex(report_dir, work, name):
    """latexmk on report_dir/<name>.tex into `work`; UserError naming the file on an error or a missing
    reference or file."""
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={work}",
                           f"{name}.tex"], cwd=report_dir, capture_output=True, text=True,
                          env=os.environ | {"TEXINPUTS": f"{work}:"})         # the companion's .aux, for xr
    log = os.path.join(work, f"{name}.log")
    text = open(log, errors="replace").read() if os.path.exists(log) else proc.stdout
    if proc.returncode != 0:
        error = next((line for line in text.splitlines() if line.startswith("!")), "see the LaTeX log")
        raise UserError(f"report/{name}.tex: LaTeX failed ({error.lstrip('! ')})")
    bad = re.search(r"Warning: (Reference|Citation) .* undefined|File .* not found", text)
    if bad:
        raise UserError(f"report/{name}.tex: {bad.group(0)}")


def main(argv=None):
    Parser(prog="python -m dlbasics.report", description=__doc__).parse_args(argv)
    tools.require("latex")
    claims.main([str(FIGURES_DIR)])
    build_pdf()
    say("report: wrote report/report.pdf (the submission) and report/studies.pdf (its companion)")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
