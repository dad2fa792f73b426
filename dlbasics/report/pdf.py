"""make report: the report's inputs from the runs, then the two PDFs, which replace the old ones only
once both are complete.

    python -m dlbasics.report

1. python -m dlbasics.report.claims: the numbers and the generated sentences, from the summaries in
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
import tempfile
from pathlib import Path

from dlbasics.common import deps
from dlbasics.common.cli import Parser, UserError, say, say_error
from dlbasics.common.paths import FIGURES_DIR, ROOT
from dlbasics.report import claims

REPORT = ROOT / "report"


DOCUMENTS = ("studies", "report")          # the companion first: the submission cites its section numbers


def build_pdf(report_dir=REPORT, documents=DOCUMENTS):
    """report_dir/<document>.tex -> report_dir/<document>.pdf for each document, built in a fresh folder
    beside them and moved in once every one has built."""
    left = sorted(Path(report_dir).glob(".build-*"))       # a build killed outright (kill -9) leaves its folder
    if left:
        say_error(f"note: {left[0]}: left by a build that did not finish; delete it when no build is using it")
    work = tempfile.mkdtemp(prefix=".build-", dir=report_dir)
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
    deps.require("latex")
    claims.main([str(FIGURES_DIR)])
    build_pdf()
    say("report: wrote report/report.pdf (the submission) and report/studies.pdf (its companion)")
