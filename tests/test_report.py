"""The two documents: every included file is one the scripts write, both build from scratch with no '??',
the submission answers the handout in its order within 8 pages, and each answer within its word limit.

Built in a fresh folder from the quick outputs of all four scripts (tests/conftest.py), so they do not
depend on an earlier `make all`.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SCRIPTS

REPORT_DIR = ROOT / "report"
DOCUMENTS = ("studies", "report")          # the companion first: the submission cites its section numbers
SOURCES = {name: REPORT_DIR / f"{name}.tex" for name in DOCUMENTS}
MAX_PAGES = 8
WORD_LIMITS = {"Question 1.6": 250, "Question 2.5": 250, "Question 3.1": 150, "Question 3.2": 200}


def targets(kind, documents=DOCUMENTS):
    text = "".join(SOURCES[d].read_text() for d in documents)
    return re.findall(r"\\" + kind + r"(?:\[[^\]]*\])?\{([^}]+)\}", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory, quick_outputs):
    """Both documents built in a fresh folder from the quick outputs."""
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk / pdftotext missing: `make latex-deps` installs them")
    work = tmp_path_factory.mktemp("build")
    (work / "report").mkdir()
    for name in (*DOCUMENTS, "beyond"):
        shutil.copy(REPORT_DIR / f"{name}.tex", work / "report" / f"{name}.tex")
    shutil.copytree(quick_outputs[0], work / "figures")
    made = subprocess.run([sys.executable, "-m", "dlbasics.report.claims", str(work / "figures")], cwd=ROOT,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    for name in DOCUMENTS:
        proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=work / "report", capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:]
    return work / "report"


def pdf_text(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def test_every_included_file_is_written_by_the_scripts(built):
    graphics = targets("includegraphics")
    inputs = targets("input")
    assert len(graphics) >= 30 and len(inputs) >= 16
    optional = ("../figures/beyond_numbers.tex", "beyond")   # \IfFileExists
    inputs = [p for p in inputs if p not in optional]
    for path in graphics + inputs:
        assert path.startswith("../figures/"), path            # only generated files are included
        assert (built / path).is_file(), path
    for path in graphics:
        assert path.endswith(".pdf"), path


def test_every_figure_the_scripts_make_is_in_a_document(quick_outputs):
    included = {p.split("/")[-1] for p in targets("includegraphics")}
    made = {p.name for p in quick_outputs[0].glob("*.pdf")}
    assert made <= included, sorted(made - included)


def test_build_without_undefined_references(built):
    for name in DOCUMENTS:
        log = (built / f"{name}.log").read_text(errors="replace")
        assert not re.search(r"undefined (references|control sequence)|Reference .* undefined", log), name
        assert "File `" not in log or "not found" not in log, name


def test_pdfs_have_no_unresolved_marks(built):
    for name in DOCUMENTS:
        text = pdf_text(built / f"{name}.pdf")
        assert "??" not in text, name
        assert "bundled" in text or "course's original files" in text, name


def test_the_submission_fits_in_8_pages(built):
    """What the grader reads: at most 8 pages, everything included."""
    info = subprocess.run(["pdfinfo", str(built / "report.pdf")], capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    assert pages <= MAX_PAGES, pages


def test_the_first_page_has_the_title_author_key_collaborators_and_the_first_answer(built):
    first = subprocess.run(["pdftotext", "-l", "1", str(built / "report.pdf"), "-"], capture_output=True,
                           text=True).stdout
    for mark in ("Deep Learning Basics", "Penn key", "Collaborators", "Question 1.6"):
        assert mark in first, mark
    assert "Contents" not in first and "Built" not in first          # no table of contents, no build metadata


def test_every_caption_names_its_command():
    for name in DOCUMENTS:
        floats = re.findall(r"\\begin\{(figure|table)\}.*?\\end\{\1\}", SOURCES[name].read_text(), flags=re.S)
        bodies = re.findall(r"\\begin\{(?:figure|table)\}.*?\\end\{(?:figure|table)\}", SOURCES[name].read_text(),
                            flags=re.S)
        assert floats
        for body in bodies:
            assert "\\made{" in body or "\\study{" in body or "\\claims" in body, body[:200]


def pdf_width_inches(path):
    """The width of a one-page PDF written by matplotlib, from its MediaBox (points / 72)."""
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", path.read_bytes())
    return (float(box.group(3)) - float(box.group(1))) / 72


def test_figures_are_printed_at_their_drawn_size(built):
    """Included without scaling, and no wider than the text (16.6 cm): their text prints at the size the
    plots set, which is never below 8 pt (the next test)."""
    for name in DOCUMENTS:
        assert not re.search(r"\\includegraphics\[", SOURCES[name].read_text()), f"a figure is scaled in {name}"
    for path in targets("includegraphics"):
        assert pdf_width_inches(built / path) <= 16.6 / 2.54 + 0.01, path


def test_no_figure_text_below_8_pt():
    from dlbasics.study import plots
    sizes = [v for k, v in plots.plt.rcParams.items() if k.endswith(("size", "fontsize")) and
             isinstance(v, (int, float)) and "font" in k or k in ("axes.titlesize", "axes.labelsize",
                                                                     "xtick.labelsize", "ytick.labelsize",
                                                                     "legend.fontsize", "figure.titlesize")]
    assert sizes and min(sizes) >= plots.MIN_FONT == 8
    for source in [(ROOT / "dlbasics" / "study" / "plots.py").read_text(), *((ROOT / s).read_text() for s in SCRIPTS)]:
        explicit = [float(x) for x in re.findall(r"fontsize=([\d.]+)", source)]
        assert all(x >= 8 for x in explicit), explicit


def test_nothing_sticks_out_of_the_text(built):
    """No table or line wider than the text (LaTeX's overfull boxes)."""
    for name in DOCUMENTS:
        log = (built / f"{name}.log").read_text(errors="replace")
        assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_every_figure_and_table_is_cited_in_its_document():
    for name in DOCUMENTS:
        text = SOURCES[name].read_text() + ((REPORT_DIR / "beyond.tex").read_text() if name == "studies" else "")
        labels = re.findall(r"\\label\{((?:fig|tab):[^}]+)\}", text)
        assert labels
        uncited = [label for label in labels if f"\\ref{{{label}}}" not in text]
        assert not uncited, (name, uncited)


def test_the_submission_answers_the_handouts_questions_in_order(built):
    """Questions 1.1 to 3.2 in the handout's order, each with the figure that answers it, and each part's
    floats inside that part."""
    text = pdf_text(built / "report.pdf")
    marks = ["Questions 1.1–1.5", "Question 1.6", "Questions 2.1–2.4", "Question 2.5", "Question 3.1",
             "Question 3.2"]
    where = [next((m.start() for m in re.finditer("^" + re.escape(mark), text, flags=re.M)), -1) for mark in marks]
    assert all(w >= 0 for w in where) and where == sorted(where), dict(zip(marks, where))
    parts = [text.find(h) for h in ("Part 2:", "Part 3.1:", "Part 3.2:", "Choices the handout")]
    for n, caption in enumerate(("Figure 1:", "Figure 3:", "Figure 5:", "Figure 7:")):
        at = text.find(caption)
        assert at >= 0 and (n == 0 or at > parts[n - 1]) and at < parts[n], (caption, at, parts)


def answer_words(figures):
    """{question: its words} in the submission: the answer's source up to the next question or section,
    floats left out, every macro replaced by the text the build gave it."""
    macros = {}
    for path in figures.glob("*.tex"):
        for name, body in re.findall(r"\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}\n", path.read_text()):
            macros[name] = body
    source = re.sub(r"\\begin\{(figure|table)\}.*?\\end\{\1\}", " ", SOURCES["report"].read_text(), flags=re.S)
    out = {}
    for question in WORD_LIMITS:
        start = source.index(f"\\question{{{question}}}")
        end = min(i for i in (source.find("\\question{", start + 1), source.find("\\section", start + 1)) if i > 0)
        text = source[start + len(f"\\question{{{question}}}"):end]
        for _ in range(3):                                  # macros inside macros
            text = re.sub(r"\\([A-Za-z]+)(\{\})?", lambda m: macros.get(m.group(1), " "), text)
        text = re.sub(r"\\[,;!]|[{}$~]", lambda m: "" if m.group(0) != "~" else " ", text)
        out[question] = len(text.split())                  # as `wc -w` counts the printed words, signs included
    return out


@pytest.mark.parametrize("figures", ["quick", "build"])
def test_every_answer_keeps_to_its_word_limit(figures, built):
    folder = built.parent / "figures" if figures == "quick" else ROOT / "figures"
    if not (folder / "claims.tex").is_file():
        pytest.skip("no report inputs in figures/ (make all makes them)")
    words = answer_words(folder)
    for question, limit in WORD_LIMITS.items():
        assert 20 <= words[question] <= limit, (question, words[question], limit)


def test_the_submission_says_where_the_evidence_is(built):
    """Each cause in Question 2.5 gets one sentence with its control's result and a pointer to the companion."""
    answers = json.loads((built.parent / "figures" / "claims.json").read_text())["answers"]
    for key in ("loss", "activation"):
        assert "\\studies{sec:controls}" in answers[key]
        assert re.search(r"(closes|does not close|cannot be judged)", answers[key]), answers[key]
