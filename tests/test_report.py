"""The report: every included file is one the scripts write, it builds from scratch, no '??' in the PDF.

Built in a fresh folder from the quick outputs of all four scripts (tests/conftest.py), so it does not
depend on an earlier `make all`.
"""
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SCRIPTS

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
    shutil.copy(REPORT.parent / "beyond.tex", work / "report" / "beyond.tex")
    shutil.copytree(quick_outputs[0], work / "figures")
    made = subprocess.run([sys.executable, "-m", "dlbasics.claims", str(work / "figures")], cwd=ROOT,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                          cwd=work / "report", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return work / "report"


def test_every_included_file_is_written_by_the_scripts(built):
    graphics = targets("includegraphics")
    inputs = targets("input")
    assert len(graphics) >= 30 and len(inputs) >= 8
    optional = ("../figures/build_info.tex", "../figures/beyond_numbers.tex", "beyond")   # \IfFileExists
    inputs = [p for p in inputs if p not in optional]
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
        assert "\\made{python part" in fig or "\\study{" in fig, fig[:200]


def pdf_width_inches(path):
    """The width of a one-page PDF written by matplotlib, from its MediaBox (points / 72)."""
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", path.read_bytes())
    return (float(box.group(3)) - float(box.group(1))) / 72


def test_figures_are_printed_at_their_drawn_size(built):
    """Included without scaling, and no wider than the text (16.6 cm): their text prints at the size the
    plots set, which is never below 8 pt (the next test)."""
    text = REPORT.read_text()
    assert not re.search(r"\\includegraphics\[", text), "a figure is scaled in the report"
    for path in targets("includegraphics"):
        assert pdf_width_inches(built / path) <= 16.6 / 2.54 + 0.01, path


def test_no_figure_text_below_8_pt():
    from dlbasics import plots
    sizes = [v for k, v in plots.plt.rcParams.items() if k.endswith(("size", "fontsize")) and
             isinstance(v, (int, float)) and "font" in k or k in ("axes.titlesize", "axes.labelsize",
                                                                     "xtick.labelsize", "ytick.labelsize",
                                                                     "legend.fontsize", "figure.titlesize")]
    assert sizes and min(sizes) >= plots.MIN_FONT == 8
    for source in [(ROOT / "dlbasics" / "plots.py").read_text(), *((ROOT / s).read_text() for s in SCRIPTS)]:
        explicit = [float(x) for x in re.findall(r"fontsize=([\d.]+)", source)]
        assert all(x >= 8 for x in explicit), explicit


def test_nothing_sticks_out_of_the_text(built):
    """No table or line wider than the text (LaTeX's overfull boxes)."""
    log = (built / "report.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_every_figure_and_table_is_cited():
    text = REPORT.read_text() + (REPORT.parent / "beyond.tex").read_text()
    labels = re.findall(r"\\label\{((?:fig|tab):[^}]+)\}", text)
    assert labels
    uncited = [label for label in labels if f"\\ref{{{label}}}" not in text]
    assert not uncited, uncited


def test_the_body_answers_the_handouts_questions_in_order(built):
    """Questions 1.1 to 3.2 in the handout's order, each with the figure that answers it, before the
    appendices."""
    text = subprocess.run(["pdftotext", str(built / "report.pdf"), "-"], capture_output=True, text=True).stdout
    appendix = [m.start() for m in re.finditer(r"^The data$", text, flags=re.M)]      # the heading, not the contents
    body = text[:appendix[-1]] if appendix else text
    marks = ["Questions 1.1–1.5", "Question 1.6", "Questions 2.1–2.4", "Question 2.5", "Question 3.1",
             "Question 3.2"]
    where = [body.find(m) for m in marks]
    assert all(w >= 0 for w in where) and where == sorted(where), dict(zip(marks, where))
