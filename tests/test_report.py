"""The report: every included file exists, it builds from scratch, no '??' in the PDF.

Run after `make all` (as `make test` does): it needs the files the scripts wrote in figures/.
"""
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

REPORT = ROOT / "report" / "report.tex"
FIGURES = ROOT / "figures"


def targets(kind):
    text = REPORT.read_text()
    return re.findall(r"\\" + kind + r"(?:\[[^\]]*\])?\{([^}]+)\}", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the report in a fresh folder from the generated figures only."""
    if not (FIGURES / "part1_numbers.tex").is_file():
        pytest.fail("figures/ is empty: run `make all` before the report tests (make test does)")
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk / pdftotext missing: `make latex-deps` installs them")
    work = tmp_path_factory.mktemp("build")
    (work / "report").mkdir()
    shutil.copy(REPORT, work / "report" / "report.tex")
    shutil.copytree(FIGURES, work / "figures")
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                          cwd=work / "report", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return work / "report"


def test_every_included_file_exists():
    graphics = targets("includegraphics")
    inputs = targets("input")
    assert len(graphics) >= 30 and len(inputs) >= 8
    for path in graphics + inputs:
        assert path.startswith("../figures/"), path            # only generated files are included
        assert (REPORT.parent / path).is_file(), path
    for path in graphics:
        assert path.endswith(".pdf"), path


def test_every_figure_the_scripts_make_is_in_the_report():
    included = {p.split("/")[-1] for p in targets("includegraphics")}
    made = {p.name for p in FIGURES.glob("*.pdf")}
    assert made <= included, sorted(made - included)


def test_builds_without_undefined_references(built):
    log = (built / "report.log").read_text(errors="replace")
    assert not re.search(r"undefined (references|control sequence)|Reference .* undefined", log)
    assert "File `" not in log or "not found" not in log


def test_pdf_has_no_unresolved_marks(built):
    text = subprocess.run(["pdftotext", str(built / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "??" not in text
    assert "Question 1.6" in text and "Question 2.5" in text and "Compared with 3.1" in text
    assert "bundled" in text or "course's original files" in text


def test_every_caption_names_its_command():
    figures = re.findall(r"\\begin\{figure\}.*?\\end\{figure\}", REPORT.read_text(), flags=re.S)
    assert figures
    for fig in figures:
        assert "\\made{python part" in fig, fig[:200]
