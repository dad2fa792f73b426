"""make submission: the handout's ZIP, and the four scripts in it run alone, as a grader runs them."""
import json
import shutil
import subprocess
import sys
import zipfile

import background
import pytest
from conftest import ROOT, SCRIPTS, assert_one_line_error, run_here

from dlbasics import submission, verify

EXPECTED = json.loads(verify.EXPECTED.read_text())


def _unzipped_runs():
    """Build the report with an author of its own from a copy of figures/ (make all made it), then the ZIP;
    unzip it into an empty folder outside the project and run every script there with python -I on the
    bundled data, side by side."""
    where = background.scratch("submission")
    (where / "author.txt").write_text("author: A Student\npenn key: astudent\n")
    (where / "report").mkdir()
    for name in ("report", "studies", "beyond"):
        shutil.copy(ROOT / "report" / f"{name}.tex", where / "report")
    shutil.copytree(ROOT / "figures", where / "figures")
    for command in (["dlbasics.report", "--report-dir", where / "report"],
                    ["dlbasics.submission", "--pdf", where / "report" / "report.pdf", "--out-dir", where]):
        proc = subprocess.run([sys.executable, "-m", *map(str, command), "--author-file", str(where / "author.txt")],
                              cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr            # (figures/ older than the scripts: make all)
    with zipfile.ZipFile(where / "1_astudent.zip") as z:
        z.extractall(where / "unzipped")
    return [([sys.executable, "-I", script, *([] if script.startswith("part1") else ["--data-dir", str(ROOT / "data")]),
              "--out-dir", str(where / "out")], where / "unzipped") for script in SCRIPTS]


background.define("unzipped submission", _unzipped_runs, long=True,
                  needed_by=lambda item: "unzipped" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="module")
def unzipped():
    procs = background.wait("unzipped submission", timeout=600)
    return background.scratch("submission"), dict(zip(SCRIPTS, procs))


def test_the_zip_holds_exactly_the_report_and_the_four_scripts(unzipped):
    where, _ = unzipped
    with zipfile.ZipFile(where / "1_astudent.zip") as z:
        assert sorted(z.namelist()) == sorted(["report.pdf", *SCRIPTS])
        for script in SCRIPTS:
            assert z.read(script) == (ROOT / script).read_bytes()
        assert z.read("report.pdf")[:5] == b"%PDF-"


def test_the_unzipped_scripts_run_alone_and_give_the_studys_seed0_counts(unzipped):
    """Each script exits 0 in a folder where nothing of the project can be imported, and its seed-0 runs
    are the ones the study's engine gives (the shipped expected results, which make verify reruns)."""
    where, procs = unzipped
    for script, proc in procs.items():
        assert proc.returncode == 0, (script, proc.stderr)
    alone = subprocess.run([sys.executable, "-I", "-c", "import dlbasics"], cwd=where / "unzipped",
                           capture_output=True, text=True)
    assert "No module named 'dlbasics'" in alone.stderr
    for script, writer in (("part2", "study part2"), ("part3_line", "study line"), ("part3_detection", "study detection")):
        mine = json.loads((where / "out" / f"{script}_summary.json").read_text())
        expected = {tuple(r[:4]): r for r in EXPECTED[writer]["runs"]["rows"] if r[3] == 0}
        rows = [r for r in mine["runs"]["rows"] if r[3] == 0]
        assert rows and all(expected[tuple(r[:4])] == r for r in rows), (script, rows)
    assert len([r for r in json.loads((where / "out" / "part2_summary.json").read_text())["runs"]["rows"]]) == 8


def test_a_placeholder_penn_key_is_refused(tmp_path):
    (tmp_path / "author.txt").write_text((ROOT / "report" / "author.txt").read_text())
    proc = run_here(submission.main, "--author-file", tmp_path / "author.txt", "--out-dir", tmp_path / "zip")
    assert_one_line_error(proc, "author.txt: expected your Penn key on the line 'penn key: ...'")
    assert not (tmp_path / "zip").exists()
