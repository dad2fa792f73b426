"""make report: the report's inputs from the runs, then the two PDFs, which replace the old ones only
once both are complete and every piece belongs to the runs they quote.

    python -m dlbasics.report [--report-dir DIR] [--author-file FILE]

1. python -m dlbasics.report.claims: the numbers and the generated sentences, from the summaries in
   figures/; the author line, read afresh from report/author.txt; pdfinfo.tex, the PDF's record of what it
   is built from (the data's, the scripts' and the summaries' SHA-256, the author line);
2. latexmk builds report/report.tex (the submission, at most 8 pages) and report/studies.tex (its
   companion, the studies in full) into a fresh build folder (report/.build-*); each log is checked for
   undefined references and missing files;
3. every file LaTeX read from figures/ is checked against the summary of the run that wrote it (its
   SHA-256 there): a figure of another run (part2_fc.py --seed 4, then --seed 0 --no-figures) is refused
   in one line naming the figure and the summary (dlbasics/report/provenance.py);
4. the new PDFs replace report/report.pdf and report/studies.pdf, each with <name>.build.json beside it
   (what it was built from, which make submission checks). A failed or interrupted build (Ctrl-C during
   pdflatex) leaves the previous PDFs, and the next build starts from scratch.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from dlbasics.common import deps
from dlbasics.common.cli import Parser, UserError, folder, say, say_error
from dlbasics.common.paths import ROOT
from dlbasics.report import author, claims, provenance

REPORT = ROOT / "report"


DOCUMENTS = ("studies", "report")          # the companion first: the submission cites its section numbers


def build_pdf(report_dir=REPORT, documents=DOCUMENTS, made_now=(), author_record=None):
    """report_dir/<document>.tex -> report_dir/<document>.pdf for each document, built in a fresh folder
    beside them and moved in once every one has built and every file it read from ../figures/ belongs to
    the runs the report quotes (provenance.check_used). Beside each PDF, <document>.build.json records what
    it was built from; make submission checks the ZIP against it."""
    report_dir = Path(report_dir)
    out_dir = report_dir.parent / "figures"
    left = sorted(report_dir.glob(".build-*"))       # a build killed outright (kill -9) leaves its folder
    if left:
        say_error(f"note: {left[0]}: left by a build that did not finish; delete it when no build is using it")
    work = tempfile.mkdtemp(prefix=".build-", dir=report_dir)
    try:
        records = {}
        for name in documents:
            latex(report_dir, work, name)
            used = provenance.used_files(os.path.join(work, f"{name}.fls"), report_dir, out_dir)
            provenance.check_used(out_dir, used, made_now)
            records[name] = provenance.build_record(out_dir, author_record or {}) | {
                "used": {u: provenance.sha256(out_dir / u) for u in sorted(used)},
                "pdf": provenance.sha256(os.path.join(work, f"{name}.pdf"))}
        for name in documents:
            with open(os.path.join(work, f"{name}.build.json"), "w", encoding="utf-8") as f:
                json.dump(records[name], f, indent=1, sort_keys=True)
            os.replace(os.path.join(work, f"{name}.pdf"), report_dir / f"{name}.pdf")
            os.replace(os.path.join(work, f"{name}.build.json"), report_dir / f"{name}.build.json")
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
    parser = Parser(prog="python -m dlbasics.report", description=__doc__)
    parser.add_argument("--report-dir", type=folder, default=REPORT,
                        help="the folder of report.tex and studies.tex; the outputs are in ../figures/ beside it "
                             "(default: report/)")
    parser.add_argument("--author-file", type=Path, default=author.AUTHOR_FILE,
                        help="the author, collaborators and Penn key (default: report/author.txt)")
    args = parser.parse_args(argv)
    deps.require("latex")
    out_dir = args.report_dir.parent / "figures"
    made = claims.write_report_inputs(out_dir, args.author_file)
    build_pdf(args.report_dir, made_now=made, author_record=author.read_author(args.author_file))
    say(f"report: wrote {args.report_dir / 'report.pdf'} (the submission) and {args.report_dir / 'studies.pdf'} "
        "(its companion)")
