"""The report: every included file is one the scripts write, it builds from scratch, no '??' in the PDF.

Built in a fresh folder from the quick outputs of all four scripts (tests/conftest.py), so it does not
depend on an earlier `make all`.
"""
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

REPORT = ROOT / "report" / "report.tex"


def targets(kind):
    text = REPORT.read_text()
    return re.findall(r"\\" + kind + r"(?:\[[^\]]*\])?\{([^}]+)\}", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory, quick_outputs):
    """The report built in a fresh folder from the quick outputs."""
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk / pdftotext missing: `make latex-deps` installs them")
    work = tmp_path_factory.mktemp("build")
    (work / "report").mkdir()
    shutil.copy(REPORT, work / "report" / "report.tex")
    shutil.copytree(quick_outputs[0], work / "figures")
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                          cwd=work / "report", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return work / "report"


def test_every_included_file_is_written_by_the_scripts(built):
    graphics = targets("includegraphics")
    inputs = targets("input")
    assert len(graphics) >= 30 and len(inputs) >= 8
    for path in graphics + inputs:
        assert path.startswith("../figures/"), path            # only generated files are included
        assert (built / path).is_file(), path
    for path in graphics:
        assert path.endswith(".pdf"), path


def test_every_figure_the_scripts_make_is_in_the_report(quick_outputs):
    included = {p.split("/")[-1] for p in targets("includegraphics")}
    made = {p.name for p in quick_outputs[0].glob("*.pdf")}
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
