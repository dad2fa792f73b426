"""One build, one truth: every summary records the files its run wrote; the report refuses a piece of
another run and records what it is built from; make submission refuses a PDF that no longer matches.

The report is built once, with an author of its own, in a scratch copy of the quick outputs (the
`reported` fixture); each refusal below changes one thing in a copy of that copy."""
import json
import shutil
import subprocess

import pytest
from conftest import ROOT, SCRIPTS, assert_one_line_error, run_here

import part2_fc
import part3_conv
from dlbasics import submission
from dlbasics.report import pdf, provenance

AUTHOR = "author: Ada Student\ncollaborators: none\npenn key: adastu\n"


@pytest.fixture(scope="module")
def reported(tmp_path_factory, quick_outputs):
    """(project-like folder, CompletedProcess of make report) with report/, figures/ and author.txt."""
    if shutil.which("latexmk") is None:
        pytest.fail("latexmk missing: `make latex-deps` installs it")
    where = tmp_path_factory.mktemp("reported")
    (where / "report").mkdir()
    for name in ("report", "studies", "beyond"):
        shutil.copy(ROOT / "report" / f"{name}.tex", where / "report")
    shutil.copytree(quick_outputs[0], where / "figures")
    (where / "author.txt").write_text(AUTHOR)
    proc = run_here(pdf.main, "--report-dir", where / "report", "--author-file", where / "author.txt")
    assert proc.returncode == 0, proc.stderr
    return where, proc


def copy_of(reported, tmp_path):
    shutil.copytree(reported[0], tmp_path / "p")
    return tmp_path / "p"


def submit(where, *extra):
    return run_here(submission.main, "--pdf", where / "report" / "report.pdf", "--author-file",
                      where / "author.txt", "--out-dir", where / "zip", *extra)


# ---- what every run records ----------------------------------------------------------------------------
def test_every_summary_records_each_file_its_run_wrote_and_its_script(quick_outputs):
    out = quick_outputs[0]
    records = provenance.summaries(out)
    assert set(records) >= {"part1_numbers.json", "part2_summary.json", "part2_study_summary.json",
                            "part3_line_summary.json", "part3_line_study_summary.json",
                            "part3_detection_summary.json", "part3_detection_study_summary.json"}
    owners = {}
    for name, value in records.items():
        for file, digest in value["outputs"].items():
            assert digest == provenance.sha256(out / file), (name, file)
            owners.setdefault(file, name)
        for script, digest in value["scripts"].items():
            assert digest == provenance.sha256(ROOT / script), (name, script)
    written = {p.name for p in out.iterdir() if p.is_file() and p.name not in records}
    assert written <= set(owners), sorted(written - set(owners))          # every file has its run


def test_a_run_without_figures_records_the_figures_it_left_out(tmp_path):
    proc = run_here(part3_conv.main, "--max-iters", "3", "--no-figures", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    outputs = json.loads((tmp_path / "part3_line_summary.json").read_text())["outputs"]
    assert outputs["part3_line_loss.pdf"] is None and outputs["part3_line_filters.png"] is None
    assert outputs["part3_line_curves.csv"] == provenance.sha256(tmp_path / "part3_line_curves.csv")


# ---- the report ------------------------------------------------------------------------------------------
def test_the_pdf_records_its_data_author_scripts_and_summaries(reported):
    where, _ = reported
    record = json.loads((where / "report" / "report.build.json").read_text())
    assert record["author"] == {"author": "Ada Student", "collaborators": "none", "penn key": "adastu"}
    assert record["pdf"] == provenance.sha256(where / "report" / "report.pdf")
    assert record["data"]["origin"] == "bundled" and len(record["data"]["files"]) == 7
    assert set(record["scripts"]) == set(SCRIPTS)
    assert "part2_overlay.pdf" in record["used"] and "part3_line_feature_maps.pdf" in record["used"]
    info = subprocess.run(["pdfinfo", "-custom", str(where / "report" / "report.pdf")], capture_output=True,
                          text=True).stdout
    assert "Ada Student" in info and "built on the bundled data" in info
    for script, digest in record["scripts"].items():
        assert f"{script} {digest}" in info
    for name, digest in record["summaries"].items():
        assert f"{name} {digest}" in info
    assert record["data"]["files"]["random: random/random_imgs.npy"] in info


def test_a_figure_of_another_run_is_refused_naming_both_files(reported, tmp_path):
    """The mix found by hand: part2_fc.py --seed 4, then --seed 0 --no-figures, then make report."""
    where = copy_of(reported, tmp_path)
    old_pdf = (where / "report" / "report.pdf").read_bytes()
    for flags in (["--seed", "4"], ["--seed", "0", "--no-figures"]):
        proc = run_here(part2_fc.main, "--quick", *flags, "--out-dir", where / "figures")
        assert proc.returncode == 0, proc.stderr
    proc = run_here(pdf.main, "--report-dir", where / "report", "--author-file", where / "author.txt")
    assert_one_line_error(proc, str(where / "figures" / "part2_"), str(where / "figures" / "part2_summary.json"),
                          "different runs", "--no-figures")
    assert (where / "report" / "report.pdf").read_bytes() == old_pdf           # the old PDF kept


def test_a_figure_changed_after_its_run_is_refused(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    with open(where / "figures" / "part3_line_loss.pdf", "ab") as f:
        f.write(b"\n")
    proc = run_here(pdf.main, "--report-dir", where / "report", "--author-file", where / "author.txt")
    assert_one_line_error(proc, "part3_line_loss.pdf and ", "part3_line_summary.json are from different runs")


def test_summaries_made_by_two_versions_of_a_script_are_refused(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    path = where / "figures" / "part3_line_study_summary.json"
    value = json.loads(path.read_text())
    value["scripts"]["part3_conv.py"] = "0" * 64
    path.write_text(json.dumps(value))
    proc = run_here(pdf.main, "--report-dir", where / "report", "--author-file", where / "author.txt")
    assert_one_line_error(proc, "part3_line", "made by different versions of part3_conv.py")


# ---- make submission -------------------------------------------------------------------------------------
def test_the_submission_of_a_matching_build_is_written_with_a_note_on_the_bundled_data(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    proc = submit(where)
    assert proc.returncode == 0, proc.stderr
    assert (where / "zip" / "1_adastu.zip").is_file()
    note = [line for line in proc.stdout.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "built on the bundled datasets" in note[0] and "make all DATA_DIR=" in note[0], proc.stdout


def test_the_note_names_the_course_files_when_given(reported, tmp_path, course_dir):
    where = copy_of(reported, tmp_path)
    proc = submit(where, "--data-dir", course_dir)
    assert proc.returncode == 0, proc.stderr
    assert f"the course's files are in {course_dir}: make all DATA_DIR={course_dir}" in proc.stdout


def test_an_author_line_edited_after_the_build_is_refused(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    (where / "author.txt").write_text(AUTHOR.replace("Ada Student", "Ada B. Student"))
    proc = submit(where)
    assert_one_line_error(proc, "author.txt changed after", "report.pdf was built", "make report")
    assert not (where / "zip").exists()


def test_a_placeholder_author_is_refused_even_with_a_penn_key(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    (where / "author.txt").write_text(AUTHOR.replace("Ada Student", "Your Name"))
    proc = submit(where)
    assert_one_line_error(proc, "author.txt: expected your name on the line 'author: ...'")
    assert not (where / "zip").exists()


def set_pdf_key(pdf, key, change):
    """Rewrite one key of the record inside a PDF's metadata: change(text) -> new text."""
    data = pdf.read_bytes()
    start = data.index(f"/{key} <FEFF".encode()) + len(key) + 7
    end = data.index(b">", start)
    text = bytes.fromhex(data[start:end].decode()).decode("utf-16-be")
    pdf.write_bytes(data[:start] + change(text).encode("utf-16-be").hex().upper().encode() + data[end:])


def test_a_pdf_built_with_the_placeholder_is_refused(reported, tmp_path):
    """The student fills in author.txt but does not rebuild: the PDF still says 'Your Name'."""
    where = copy_of(reported, tmp_path)
    set_pdf_key(where / "report" / "report.pdf", "AuthorLine", lambda text: json.dumps(
        {"author": "Your Name", "collaborators": "none", "penn key": "your Penn key"}, sort_keys=True))
    proc = submit(where)
    assert_one_line_error(proc, "author.txt changed after", "'Your Name'", "make report")


def test_a_build_record_edited_by_hand_changes_nothing(reported, tmp_path):
    """What counts is the record inside the PDF: editing report.build.json to match another author, or
    emptying its list of files, gets no ZIP past the checks."""
    where = copy_of(reported, tmp_path)
    record_path = where / "report" / "report.build.json"
    record = json.loads(record_path.read_text())
    record["author"] = {"author": "Eve", "collaborators": "none", "penn key": "eve"}
    record["used"] = {}
    record_path.write_text(json.dumps(record))
    (where / "author.txt").write_text("author: Eve\ncollaborators: none\npenn key: eve\n")
    proc = submit(where)
    assert_one_line_error(proc, "author.txt changed after", "'Ada Student'")
    assert not (where / "zip").exists()


@pytest.mark.parametrize("change", ["figure", "table", "summary", "script", "no record"])
def test_a_pdf_that_no_longer_matches_its_pieces_is_refused(reported, tmp_path, change):
    where = copy_of(reported, tmp_path)
    pdf = where / "report" / "report.pdf"
    expected = {"figure": "part2_overlay.pdf changed after", "table": "part2_study.tex changed after",
                "summary": "part3_line_summary.json changed after", "script": "part2_fc.py changed after its runs",
                "no record": "carries no record of what it was built from"}
    if change in ("figure", "table", "summary"):
        name = {"figure": "part2_overlay.pdf", "table": "part2_study.tex", "summary": "part3_line_summary.json"}[change]
        with open(where / "figures" / name, "a") as f:
            f.write(" ")
    elif change == "script":                  # the project's script is not edited: the PDF's record of it is
        set_pdf_key(pdf, "ScriptsSHA256", lambda text: text.replace(json.loads(
            (where / "figures" / "part2_summary.json").read_text())["scripts"]["part2_fc.py"], "0" * 64))
    else:
        pdf.write_bytes(pdf.read_bytes().replace(b"/ScriptsSHA256 <FEFF", b"/XcriptsSHA256 <FEFF"))
    proc = submit(where)
    assert_one_line_error(proc, expected[change])
    assert not (where / "zip").exists()


def test_a_missing_script_is_one_line(reported, tmp_path, monkeypatch, capsys):
    where = copy_of(reported, tmp_path)
    monkeypatch.setattr(submission, "SCRIPTS", (*submission.SCRIPTS, "part9.py"))
    with pytest.raises(submission.UserError) as err:
        submission.check_report(where / "report" / "report.pdf", where / "author.txt")
    assert str(err.value).startswith(f"{ROOT / 'part9.py'}: not found")


def test_a_data_folder_that_does_not_exist_is_refused(reported, tmp_path):
    where = copy_of(reported, tmp_path)
    proc = submit(where, "--data-dir", tmp_path / "nowhere")
    assert_one_line_error(proc, f"--data-dir {tmp_path / 'nowhere'}: expected an existing folder")
    assert not (where / "zip").exists()


@pytest.mark.parametrize("author_line, key", [("your name", "adastu"), ("Ada Student", "YourPennKey"),
                                              ("YOUR  NAME", "adastu")])
def test_the_placeholder_in_any_spelling_is_refused(reported, tmp_path, author_line, key):
    where = copy_of(reported, tmp_path)
    (where / "author.txt").write_text(f"author: {author_line}\ncollaborators: none\npenn key: {key}\n")
    proc = submit(where)
    assert_one_line_error(proc, "author.txt: expected your ", "(it still holds the placeholder)")
