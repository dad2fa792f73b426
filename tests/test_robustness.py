"""What real users do must not break it. One section per kind of fault: process control (signals,
children, staging left behind), the report pipeline, the grader's check, where outputs are staged,
the environments students use, and odd but real data. Each test fails on the behaviour it names."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import background
import matplotlib.figure
import numpy as np
import pytest
from conftest import ROOT, SCRIPTS, assert_one_line_error, run_here, run_script

import part1_loss_gradient
import part2_fc
import part3_conv
from dlbasics import build, checkdata, verify
from dlbasics.common import deps
from dlbasics.common.cli import UserError, cpu_count
from dlbasics.engine import parallel
from dlbasics.report import author, claims, pdf
from dlbasics.study.summary import read

BUNDLED = ROOT / "data"
INLINE = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def session_processes(sid):
    """PIDs of the live processes of session `sid` (every process a program started, wherever it went)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def start(argv, env=None, **kwargs):
    """A program in a session of its own (so that everything it starts can be found), output piped."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=os.environ | (env or {}) | {"PYTHONUNBUFFERED": "1"}, **kwargs)


def wait_for_line(proc, prefix, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting {prefix!r}")


def no_process_left(sid, timeout=15):
    end = time.monotonic() + timeout
    while session_processes(sid) and time.monotonic() < end:
        time.sleep(0.2)
    return not session_processes(sid)


# ==== 1. process control ===================================================================================
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_process_control_a_signal_is_one_line_and_128_plus_its_number(tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = start([sys.executable, str(ROOT / "part2_fc.py"), "--seeds", "300", "--out-dir", str(out)], cwd="/")
    wait_for_line(proc, "training:")
    time.sleep(1)
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, sig), err
    assert err.strip().splitlines() == ["part2_fc.py: interrupted; no output was written"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]              # no staging folder left


def test_process_control_a_study_stopped_leaves_no_worker_and_nothing_staged(tmp_path):
    out = tmp_path / "out"
    proc = start([sys.executable, "-m", "dlbasics.study", "part2", "--seeds", "400", "--workers", "2", "--no-progress",
                  "--out-dir", str(out)], cwd=ROOT)
    wait_for_line(proc, "training:")
    time.sleep(3)                                  # the workers are training
    assert len(session_processes(proc.pid)) >= 2
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip().splitlines() == [
        "python -m dlbasics.study: interrupted; no output was written"], err
    assert no_process_left(proc.pid), session_processes(proc.pid)
    assert not out.exists()


def test_process_control_a_signal_while_the_libraries_load_is_one_line(tmp_path):
    for argv in ([str(ROOT / "part2_fc.py")], ["-m", "dlbasics.study", "part2"]):
        proc = start([sys.executable, *argv, "--out-dir", str(tmp_path / "out")], cwd=ROOT)
        time.sleep(0.4)                            # inside the imports (torch takes longer than this)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "out").exists()


def test_process_control_a_killed_runs_staging_folder_is_named_in_one_line(tmp_path):
    """kill -9 leaves a run no time to remove its staging folder: the next run of the same script names it in
    one line (it may belong to a run still going, so it is left alone) and writes its own outputs as usual."""
    out = tmp_path / "out"
    left = out / ".staging-part1_loss_gradient-k1ll3d"
    left.mkdir(parents=True)
    (left / "part1_l2_loss.png").write_text("half written")
    proc = subprocess.run([sys.executable, str(ROOT / "part1_loss_gradient.py"), "--points", "5", "--out-dir",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"part1_loss_gradient.py: note: {left}: left by a run that did not "
                                                "finish, or made by one still running; delete it when no run is "
                                                "using it"]
    assert left.is_dir() and (out / "part1_numbers.json").is_file()


def test_process_control_verify_stopped_leaves_no_rerun_and_no_temporary_folder(tmp_path, quick_outputs):
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = start([sys.executable, "-m", "dlbasics.verify", "--against", str(quick_outputs[0])], cwd=ROOT,
                 env={"TMPDIR": str(temp)})
    end = time.monotonic() + 60
    while len(session_processes(proc.pid)) < 4 and time.monotonic() < end:    # its reruns have started
        time.sleep(0.2)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert no_process_left(proc.pid), session_processes(proc.pid)
    assert not list(temp.iterdir())


def test_process_control_workers_are_capped_at_the_cpus():
    assert parallel.worker_count(1000, 8) == min(8, cpu_count())
    assert parallel.worker_count(1000, 10**6) == cpu_count() <= os.cpu_count()
    assert parallel.worker_count(3, 1) == 1


def test_process_control_an_interrupted_build_changes_nothing(tmp_path):
    """Ctrl-C at a terminal signals the whole group: make figures' seven programs all stop, each removes
    its staged files, and the folder keeps exactly what it had; kill -TERM of the build alone does the same."""
    for sig, group in ((signal.SIGINT, True), (signal.SIGTERM, False)):
        out = tmp_path / sig.name
        out.mkdir()
        (out / "part2_summary.json").write_text("the previous build's")
        proc = start([sys.executable, "-m", "dlbasics.build", "--force", "--out-dir", str(out)], cwd=ROOT)
        end = time.monotonic() + 60
        while len(session_processes(proc.pid)) < 8 and time.monotonic() < end:   # the seven have started
            time.sleep(0.2)
        time.sleep(4)
        os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
        _, err = proc.communicate(timeout=90)
        assert proc.returncode == 128 + sig, err
        assert err.strip().splitlines()[-1] == "python -m dlbasics.build: interrupted; no output was written"
        assert no_process_left(proc.pid), session_processes(proc.pid)
        assert [p.name for p in out.iterdir()] == ["part2_summary.json"]
        assert (out / "part2_summary.json").read_text() == "the previous build's"


# ==== 2. the report pipeline ===============================================================================
def test_report_pipeline_make_orders_the_report_after_the_figures_even_with_j():
    proc = subprocess.run(["make", "-j4", "-n", "all"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert 0 <= text.index("dlbasics.build") < text.index("dlbasics.report")


def test_report_pipeline_an_interrupted_latex_run_keeps_the_previous_pdf(tmp_path, monkeypatch):
    (tmp_path / "report.tex").write_text("\\documentclass{article}\\begin{document}new\\end{document}\n")
    (tmp_path / "report.pdf").write_bytes(b"%PDF- the previous one")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt(signal.SIGINT)
    monkeypatch.setattr(pdf.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pdf.build_pdf(tmp_path, ["report"])
    assert (tmp_path / "report.pdf").read_bytes() == b"%PDF- the previous one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf", "report.tex"]
    monkeypatch.undo()
    pdf.build_pdf(tmp_path, ["report"])         # the next build starts from scratch and replaces it
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-" and (tmp_path / "report.pdf").stat().st_size > 100


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_report_pipeline_the_author_line_is_read_afresh_whatever_the_editor_saved(tmp_path, encoding):
    path = tmp_path / "author.txt"
    path.write_text("author: Zoë Étudiante\ncollaborators: none\npenn key: zoe\n", encoding=encoding)
    macros = author.author_macros(path)
    assert "\\newcommand{\\ReportAuthor}{Zoë Étudiante}" in macros
    assert author.read_author(path)["penn key"] == "zoe"
    assert "author not given" in author.author_macros(ROOT / "report" / "author.txt")      # the placeholder


def test_report_pipeline_a_missing_tool_is_one_line_naming_it_and_its_package(monkeypatch, capsys):
    monkeypatch.setattr(deps.shutil, "which", lambda cmd: None if cmd in ("latexmk", "pdftotext") else "/bin/x")
    monkeypatch.setattr(deps, "can_install", lambda: False)
    with pytest.raises(UserError, match=r"latexmk not found: install the Debian packages .*latexmk.*texlive-latex-base"):
        deps.require("latex")
    with pytest.raises(UserError, match=r"latexmk, pdftotext not found: .*poppler-utils"):
        deps.require("test")
    monkeypatch.setattr(deps.shutil, "which", lambda cmd: "/usr/bin/" + cmd)
    deps.require("test")                          # all there: nothing to do


def test_report_pipeline_apt_failing_is_one_line(monkeypatch):
    monkeypatch.setattr(deps.shutil, "which", lambda cmd: None if cmd == "pdftotext" else "/bin/x")
    monkeypatch.setattr(deps, "can_install", lambda: True)
    monkeypatch.setattr(deps.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 100))
    with pytest.raises(UserError, match=r"apt-get could not install poppler-utils \(see .*\.log\)"):
        deps.require("test")


def test_report_pipeline_an_unchanged_build_is_not_rerun(tmp_path, monkeypatch):
    """make test after make all must not rerun every program: the build is skipped while its inputs
    (sources, data contents, flags) are the same, and redone when one changes."""
    calls = []

    def fake_run_all(data_dir, out_dir, large=False, shown_as=None):
        calls.append(data_dir)
        return []
    monkeypatch.setattr(build, "run_all", fake_run_all)
    shutil.copytree(BUNDLED, tmp_path / "data")
    for _ in range(2):
        build.main(["--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "figures")])
    assert len(calls) == 1
    np.save(tmp_path / "data" / "line" / "line_labs.npy", 1 - np.load(BUNDLED / "line" / "line_labs.npy"))
    build.main(["--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "figures")])
    build.main(["--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "figures"), "--force"])
    assert len(calls) == 3


def _unreached_commands():
    out = background.scratch("unreached_outputs")
    cap = "--max-iters=2"
    scripts = [[sys.executable, str(ROOT / s), cap, "--no-figures", "--out-dir", str(out)] for s in SCRIPTS[1:]]
    studies = [[sys.executable, "-m", "dlbasics.study", s, "--quick", cap, "--workers", "1", "--no-progress",
                "--no-figures", "--out-dir", str(out)] for s in ("part2", "line", "detection")]
    part1 = [[sys.executable, str(ROOT / SCRIPTS[0]), "--points", "5", "--out-dir", str(out)]]
    return [(argv, ROOT) for argv in scripts + studies + part1]


background.define("unreached_outputs", _unreached_commands)


@pytest.fixture(scope="module")
def unreached_outputs():
    """Every part with a cap of 2 updates: no setting's median is a number anywhere."""
    for proc in background.wait("unreached_outputs"):
        assert proc.returncode == 0, proc.stderr
    return background.scratch("unreached_outputs")


def test_report_pipeline_the_sentences_hold_when_no_median_is_a_number(unreached_outputs):
    texts, _ = claims.build(unreached_outputs)
    for name, text in texts.items():
        assert "nan" not in text and "inf" not in text.replace("infinite", ""), (name, text)
    assert "cannot check the predictions" in texts["prediction check"]
    assert "no exponent can be fitted" in texts["lr scaling"]


# ==== 3. the grader's check checks what the report quotes ==================================================
def test_grader_check_names_every_hand_edit_and_accepts_the_same_files_elsewhere(tmp_path, quick_outputs, capsys,
                                                                                    monkeypatch):
    clean, edited = tmp_path / "clean", tmp_path / "edited"
    shutil.copytree(quick_outputs[0], clean)
    claims.main([str(clean)])                      # the report's inputs, as make report writes them
    shutil.copytree(clean, edited)
    study = json.loads((edited / "part2_study_summary.json").read_text())
    group = next(g for g in study["groups"] if isinstance(g["median"], (int, float)))
    group["median"], group["q3"], group["seeds"] = group["median"] + 1, 1, 99
    study["numbers"]["p2 lrs"] = "0.1, 0.5"
    (edited / "part2_study_summary.json").write_text(json.dumps(study))
    tex = (edited / "part2_study_numbers.tex").read_text()
    (edited / "part2_study_numbers.tex").write_text(tex.replace("\\newcommand{\\PTwoSeeds}{4}", "\\newcommand{\\PTwoSeeds}{40}"))
    sentences = (edited / "claims.tex").read_text()
    (edited / "claims.tex").write_text(sentences.replace("needs fewer", "needs far fewer", 1))
    elsewhere = tmp_path / "same files elsewhere"
    shutil.copytree(BUNDLED, elsewhere)
    rerun_all, done = verify.rerun_all, {}

    def rerun_once(plan, out_dir):                 # both folders ask for the same runs: one rerun serves both
        if repr(plan) not in done:
            done[repr(plan)] = rerun_all(plan, out_dir)
            shutil.copytree(out_dir, tmp_path / "rerun")
        else:
            shutil.copytree(tmp_path / "rerun", out_dir, dirs_exist_ok=True)
        return json.loads(json.dumps(done[repr(plan)]))
    monkeypatch.setattr(verify, "rerun_all", rerun_once)
    codes, outs = [], []
    for folder in (clean, edited):
        codes.append(verify.main(["--against", str(folder), "--data-dir", str(elsewhere)]))
        outs.append(capsys.readouterr().out)
    assert len(done) == 1
    ok_out, bad_out = outs
    assert codes[0] == 0, ok_out[-3000:]
    assert "DIFFERENCE" not in ok_out and " tables, macro and sentence files identical" in ok_out
    assert codes[1] == 1, bad_out[-3000:]
    differences = [line for line in bad_out.splitlines() if line.startswith("DIFFERENCE")]
    for fragment in (".median:", ".q3:", ".seeds: 99", "numbers.p2 lrs", "part2_study_numbers.tex",
                     "claims.tex" if "needs far fewer" in (edited / "claims.tex").read_text() else "numbers"):
        assert any(fragment in d for d in differences), (fragment, differences)


def test_grader_check_refuses_a_summary_without_its_runs_in_one_line(tmp_path, quick_outputs):
    summary = json.loads((quick_outputs[0] / "part3_line_summary.json").read_text())
    del summary["runs"]
    (tmp_path / "part3_line_summary.json").write_text(json.dumps(summary))
    with pytest.raises(UserError, match="part3_line_summary.json: expected its 'runs' section"):
        read(tmp_path / "part3_line_summary.json")
    assert_one_line_error(run_here(verify.main, "--against", tmp_path), "expected its 'runs' section")


# ==== 4. where outputs are staged ==========================================================================
def test_staging_happens_inside_the_out_folder_so_on_its_filesystem(tmp_path):
    with part2_fc.Outputs(tmp_path / "new" / "out") as out:
        assert out.dir.parent == tmp_path / "new" / "out"
        out.write("x.txt", "x")
    assert [p.name for p in (tmp_path / "new" / "out").iterdir()] == ["x.txt"]


def test_staging_a_full_disk_is_one_line_and_leaves_the_folder_as_it_was(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(part3_conv.plt.Figure, "savefig", full)
    with pytest.raises(SystemExit) as exc:
        part3_conv.run_main(part3_conv.main, ["--quick", "--out-dir", str(out)])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"--out-dir {out}: cannot write (No space left on device)")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_staging_a_new_out_folder_is_removed_again_when_the_run_fails(tmp_path, capsys):
    with pytest.raises(SystemExit):
        part3_conv.run_main(part3_conv.main, ["--data-dir", str(tmp_path / "nothing here"),
                                              "--out-dir", str(tmp_path / "a" / "b")])
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("given", ["loop", "loop/sub", "dangling", "dangling/sub"])
def test_staging_a_link_that_leads_nowhere_is_named_in_one_line(tmp_path, given):
    """An --out-dir (or a folder above it) that is a link to itself or to a missing path: the link named,
    not the file system's "File exists", and nothing made."""
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "dangling").symlink_to("missing/folder")
    proc = run_here(part2_fc.main, "--max-iters", "2", "--no-figures", "--out-dir", tmp_path / given)
    assert_one_line_error(proc, f"--out-dir {tmp_path / given}: {tmp_path / given.split('/')[0]} is a link that "
                                "leads nowhere")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "loop"]


# ==== 5. environments students use =========================================================================
@pytest.mark.parametrize("script", SCRIPTS)
def test_environment_a_notebooks_backend_is_ignored(script, tmp_path):
    proc = run_script(script, "--help", env=os.environ | INLINE)
    assert proc.returncode == 0, proc.stderr
    if script == "part1_loss_gradient.py":
        proc = run_script(script, "--points", "5", "--out-dir", tmp_path, env=os.environ | INLINE)
        assert proc.returncode == 0 and (tmp_path / "part1_l2_loss.png").is_file(), proc.stderr


def test_environment_a_notebooks_backend_is_ignored_by_the_studies(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dlbasics.study", "line", "--seeds", "1", "--max-iters", "3",
                           "--workers", "1", "--no-progress", "--out-dir", str(tmp_path)], cwd=ROOT,
                          env=os.environ | INLINE, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and (tmp_path / "part3_line_study_ecdf.png").is_file(), proc.stderr


def test_environment_a_reader_that_goes_away_does_not_stop_the_run(tmp_path):
    """`... | head -1`: the run goes on and writes its results, with no traceback."""
    proc = subprocess.run(f"{sys.executable} {ROOT / 'part2_fc.py'} --max-iters 50 --no-figures --out-dir '{tmp_path}' "
                          "| head -1",
                          shell=True, capture_output=True, text=True, timeout=300, executable="/bin/bash")
    assert proc.stdout.startswith("data: ") and "Traceback" not in proc.stderr and not proc.stderr.strip()
    assert (tmp_path / "part2_summary.json").is_file()


@pytest.mark.parametrize("name", ["My Courses/hw4", "it's $HOME `echo no` \"quoted\"", "cost$5 data"])
def test_environment_make_quotes_every_path(tmp_path, name):
    """A folder's name reaches the programs as it is: spaces, quotes, $ and backticks neither split it nor
    run anything."""
    folder = tmp_path / name
    shutil.copytree(BUNDLED, folder)
    proc = subprocess.run(["make", "-s", "check-data", f"DIR={folder}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "detection ok" in proc.stdout and str(folder) in proc.stdout, proc.stdout + proc.stderr
    dry = subprocess.run(["make", "-n", "figures", "study", "beyond", f"DATA_DIR={folder}"], cwd=ROOT,
                         capture_output=True, text=True)
    quoted = "'" + str(folder).replace("'", "'\\''") + "'"
    assert dry.stdout.count(f"--data-dir {quoted}") == 3, dry.stdout


def test_environment_the_readme_says_which_torch_pip_installs():
    text = " ".join((ROOT / "README.md").read_text().split())
    assert "CUDA build" in text and "--extra-index-url https://download.pytorch.org/whl/cpu" in text


# ==== 6. odd but real data =================================================================================
def test_odd_data_images_in_0_to_255_are_refused_with_the_fix(tmp_path, capsys):
    shutil.copytree(BUNDLED / "line", tmp_path / "line")
    np.save(tmp_path / "line" / "line_imgs.npy", (np.load(BUNDLED / "line" / "line_imgs.npy") * 255).astype(np.uint8))
    with pytest.raises(SystemExit) as exc:
        part3_conv.run_main(part3_conv.main, ["--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and "found 0..255; divide the images by 255" in err and len(err.splitlines()) == 1
    assert checkdata.main([str(tmp_path)]) == 2
    assert "line      PROBLEM" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_odd_data_checkdata_shows_the_pixel_range(capsys):
    assert checkdata.main([str(BUNDLED)]) == 0
    assert "pixels 0..1" in capsys.readouterr().out


def test_odd_data_a_matlab_v73_file_gets_the_command_that_resaves_it(tmp_path, capsys):
    shutil.copytree(BUNDLED / "random", tmp_path / "random")
    (tmp_path / "random" / "random_imgs.npy").unlink()
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Nov 30 2026 HDF5 schema 1.00 .".ljust(116)
    (tmp_path / "random" / "random_imgs.mat").write_bytes(header + b"\x00" * 8 + b"\x00\x02IM" + b"\x00" * 512)
    with pytest.raises(SystemExit):
        part2_fc.run_main(part2_fc.main, ["--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert "random_imgs.mat: a MATLAB v7.3 file, which scipy cannot read; re-save it in MATLAB with " \
           "save('random_imgs.mat', 'random_imgs', '-v7')" in err


# ==== the second hostile try's cases, by kind ==============================================================
MALFORMED = {  # how to break a summary -> what the one line names
    "nested": (lambda s: "[" * 100000 + "]" * 100000, "nested too deep"),
    "argv not flags": (lambda s: s | {"argv": [4]}, "flags in 'argv'"),
    "a row not a row": (lambda s: s | {"runs": s["runs"] | {"rows": [5]}}, "'runs.rows[0]'"),
    "a list as a setting": (lambda s: s | {"runs": s["runs"] | {"rows": [[["x"], *s["runs"]["rows"][0][1:]]]}},
                            "'runs.rows[0]'"),
    "a run not a run": (lambda s: s | {"single_runs": [1]}, "'single_runs[0]'"),
    "a curve point not a number": (lambda s: s | {"single_runs": [s["single_runs"][0] | {"curve_points": {
        "loss": {"0": "abc"}}}]}, "'single_runs[0]'"),
    "groups not a list": (lambda s: s | {"groups": "x"}, "'groups'"),
    "a digest not a string": (lambda s: s | {"data": s["data"] | {"sha256": {"a": ["a"]}}}, "'data.sha256'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_grader_check_every_malformed_summary_is_one_line(tmp_path, quick_outputs, case):
    make, fragment = MALFORMED[case]
    summary = json.loads((quick_outputs[0] / "part2_summary.json").read_text())
    broken = make(summary)
    (tmp_path / "part2_summary.json").write_text(broken if isinstance(broken, str) else json.dumps(broken))
    assert_one_line_error(run_here(verify.main, "--against", tmp_path), "part2_summary.json", fragment)


@pytest.mark.parametrize("name, edit", [
    ("part2_summary.json", lambda s: s["settings"].pop("max_iters")),
    ("part2_summary.json", lambda s: s.update(single_runs=[])),
    ("part2_study_summary.json", lambda s: s.pop("groups")),
    ("part3_line_summary.json", lambda s: s.update(numbers={})),
])
def test_report_pipeline_an_incomplete_summary_is_one_line(tmp_path, quick_outputs, name, edit, capsys):
    shutil.copytree(quick_outputs[0], tmp_path / "out")
    summary = json.loads((tmp_path / "out" / name).read_text())
    edit(summary)
    (tmp_path / "out" / name).write_text(json.dumps(summary))
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    with pytest.raises(SystemExit) as exc:
        from dlbasics.common.cli import run_main
        run_main(claims.main, [str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "rerun make figures" in err[0] or "expected" in err[0], err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before


def test_process_control_killing_a_study_outright_ends_its_workers(tmp_path):
    proc = start([sys.executable, "-m", "dlbasics.study", "line", "--seeds", "8", "--workers", "2", "--no-progress",
                  "--out-dir", str(tmp_path / "out")], cwd=ROOT)
    end = time.monotonic() + 60
    while len(session_processes(proc.pid)) < 3 and time.monotonic() < end:   # the workers are starting
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert no_process_left(proc.pid), session_processes(proc.pid)


def test_process_control_killing_verify_outright_ends_its_reruns(tmp_path, quick_outputs):
    """kill -9 of verify: its reruns end with it (the parent-death signal); its scratch folder, in the
    system's temporary folder, is left to the system."""
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = start([sys.executable, "-m", "dlbasics.verify", "--against", str(quick_outputs[0])], cwd=ROOT,
                 env={"TMPDIR": str(temp)})
    end = time.monotonic() + 60
    while len(session_processes(proc.pid)) < 4 and time.monotonic() < end:
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    assert no_process_left(proc.pid), session_processes(proc.pid)


def test_process_control_make_passes_signals_to_the_program_itself():
    """make sends SIGTERM to the process it started: each long step is the Python program itself (exec),
    not a shell around it that would swallow the signal (kill -TERM <make> then stops the build, which
    stops its seven programs; test_process_control_an_interrupted_build_changes_nothing covers that)."""
    dry = subprocess.run(["make", "-n", "figures", "report", "verify", "check-data", "submission"], cwd=ROOT,
                         capture_output=True, text=True)
    steps = [line for line in dry.stdout.splitlines() if "-m dlbasics." in line]
    assert len(steps) == 5 and all(line.startswith("exec ") for line in steps), steps


def test_process_control_a_signal_after_the_outputs_are_in_says_so(tmp_path):
    proc = start([sys.executable, str(ROOT / "part1_loss_gradient.py"), "--points", "5", "--out-dir", str(tmp_path)],
                 cwd=ROOT)
    wait_for_line(proc, "part 1: wrote")
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert (tmp_path / "part1_numbers.json").is_file()
    assert proc.returncode == 0 and not err or (proc.returncode == 129 and err.strip().splitlines() == [
        "part1_loss_gradient.py: interrupted after its outputs were written"]), (proc.returncode, err)


def test_process_control_a_worker_killed_from_outside_is_one_line(tmp_path):
    proc = start([sys.executable, "-m", "dlbasics.study", "line", "--seeds", "8", "--workers", "2", "--no-progress",
                  "--out-dir", str(tmp_path / "out")], cwd=ROOT)
    wait_for_line(proc, "training:")
    end = time.monotonic() + 60
    while len(session_processes(proc.pid)) < 3 and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(2)
    worker = next(p for p in session_processes(proc.pid) if p != proc.pid and "spawn_main" in
                  Path(f"/proc/{p}/cmdline").read_text(errors="replace"))
    os.kill(worker, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and err.strip().splitlines() == [
        "python -m dlbasics.study: error: a worker process died (killed from outside, or out of memory); nothing was "
        "written"], err
    assert not (tmp_path / "out").exists() and no_process_left(proc.pid)


def test_staging_a_full_disk_while_a_figure_is_saved_is_one_line(tmp_path, monkeypatch, capsys):
    real = part1_loss_gradient.plt.Figure.savefig

    def full(fig, path, **kwargs):
        if str(path).endswith(".pdf"):
            raise OSError(28, "No space left on device")
        return real(fig, path, **kwargs)
    monkeypatch.setattr(part1_loss_gradient.plt.Figure, "savefig", full)
    with pytest.raises(SystemExit) as exc:
        part1_loss_gradient.run_main(part1_loss_gradient.main, ["--points", "5", "--out-dir", str(tmp_path / "out")])
    assert exc.value.code == 2 and capsys.readouterr().err.strip().endswith("cannot write (No space left on device)")
    assert not (tmp_path / "out").exists()


def test_staging_the_report_names_a_killed_builds_folder(tmp_path, capsys):
    (tmp_path / "report.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
    stale = tmp_path / ".build-k1ll3d"
    stale.mkdir()
    pdf.build_pdf(tmp_path, ["report"])
    assert f"note: {stale}: left by a build that did not finish" in capsys.readouterr().err
    assert (tmp_path / "report.pdf").is_file()


def test_environment_a_full_or_closed_console_does_not_stop_the_run(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, str(ROOT / "part2_fc.py"), "--max-iters", "20", "--no-figures",
                               "--out-dir", str(tmp_path / "a")], stdout=full, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0 and not proc.stderr and (tmp_path / "a" / "part2_summary.json").is_file(), proc.stderr
    closed = subprocess.run(f"{sys.executable} -m dlbasics.study line --seeds 2 --twin-seeds 0 --control-seeds 0 "
                            f"--max-iters 100 --workers 2 --out-dir '{tmp_path / 'b'}' 2>&-", shell=True, cwd=ROOT, capture_output=True, text=True, executable="/bin/bash")
    assert closed.returncode == 0 and (tmp_path / "b" / "part3_line_study_summary.json").is_file()
    refused = subprocess.run(f"{sys.executable} {ROOT / 'part2_fc.py'} --lr -1 2>&-", shell=True,
                             executable="/bin/bash")
    assert refused.returncode == 2


def test_environment_a_console_that_cannot_show_a_character(tmp_path):
    folder = tmp_path / "fläche ünï"
    shutil.copytree(BUNDLED, folder)
    proc = subprocess.run([sys.executable, str(ROOT / "part2_fc.py"), "--max-iters", "20", "--no-figures",
                           "--data-dir", str(folder), "--out-dir", str(tmp_path / "out")], capture_output=True,
                          text=True, env=os.environ | {"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "fl\\xe4che" in proc.stdout


def test_environment_an_unwritable_home_adds_no_warning(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "part2_fc.py"), "--lr", "-1"], capture_output=True, text=True,
                          env=os.environ | {"HOME": "/proc/nonexistent", "MPLCONFIGDIR": "/proc/nonexistent"})
    assert_one_line_error(proc, "argument --lr")


def test_environment_a_script_run_through_a_link_names_itself(tmp_path):
    (tmp_path / "p2.py").symlink_to(ROOT / "part2_fc.py")
    proc = subprocess.run([sys.executable, str(tmp_path / "p2.py"), "--max-iters", "20", "--no-figures",
                           "--out-dir", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "part2_summary.json").read_text())["script"] == "part2_fc.py"


@pytest.mark.parametrize("content, expected", [
    ("author: Zoë Ångström\n".encode("cp1252"), "Zoë Ångström"),
    ("author: Zoë\n".encode("utf-16-be"), "Zoë"),
    ("author: Łukasz O’Brien – Jürgen\r\n".encode("utf-8"), "Łukasz O’Brien – Jürgen"),
])
def test_report_pipeline_author_files_from_any_editor(tmp_path, content, expected):
    (tmp_path / "author.txt").write_bytes(content)
    assert author.read_author(tmp_path / "author.txt")["author"] == expected


@pytest.mark.parametrize("name", ["王小明", "Đặng Thị Ngọc", "A \U0001F642", "nul\x00byte"])
def test_report_pipeline_an_author_the_fonts_cannot_print_is_one_line(tmp_path, name):
    (tmp_path / "author.txt").write_text(f"author: {name}\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"author.txt: the author line holds .* which the report's fonts cannot print"):
        author.read_author(tmp_path / "author.txt")


def test_odd_data_a_pipe_in_place_of_a_file_is_refused_at_once(tmp_path, capsys):
    shutil.copytree(BUNDLED / "random", tmp_path / "random")
    (tmp_path / "random" / "random_imgs.npy").unlink()
    os.mkfifo(tmp_path / "random" / "random_imgs.npy")
    with pytest.raises(SystemExit) as exc:
        part2_fc.run_main(part2_fc.main, ["--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")])
    assert exc.value.code == 2 and "random_imgs.npy: expected a regular file" in capsys.readouterr().err


def test_process_control_a_signal_a_library_turned_into_another_error_is_still_one_line(capsys):
    """A signal that lands inside an import torch makes late (torch.use_deterministic_algorithms loads its
    compiler then) reaches run_main as a RuntimeError raised from the KeyboardInterrupt: still the signal's
    one line and 128 + its number, no traceback."""
    def main(argv):
        try:
            part2_fc.stop(signal.SIGTERM, None)
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from err
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(main, [])
    assert leaving.value.code == 128 + signal.SIGTERM
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(": interrupted; no output was written"), lines


def test_staging_a_folder_in_the_way_of_one_output_leaves_every_file_as_it_was(tmp_path):
    """The outputs move in together or not at all: a folder where the second one goes is found before the
    first one replaces anything."""
    out = tmp_path / "out"
    (out / "b.csv").mkdir(parents=True)
    (out / "a.csv").write_text("old")
    with pytest.raises(UserError, match="a folder named b.csv is where that output goes"):
        with part2_fc.Outputs(out) as staged:
            staged.write("a.csv", "new")
            staged.write("b.csv", "new")
    assert (out / "a.csv").read_text() == "old" and sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]


@pytest.mark.parametrize("flag", ["--out-dir", "--data-dir"])
def test_environment_a_name_too_long_for_the_file_system_is_one_line(tmp_path, flag, capsys):
    args = ["--max-iters", "2", "--no-figures", "--out-dir", str(tmp_path / "out"), flag, str(tmp_path / ("a" * 300))]
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(part2_fc.main, args)
    err = capsys.readouterr().err.strip().splitlines()
    assert leaving.value.code == 2 and len(err) == 1 and "a" * 300 in err[0], err
    assert not (tmp_path / "out").exists()


def test_environment_a_disk_that_fills_up_inside_matplotlib_is_one_line(tmp_path, capsys, monkeypatch):
    """matplotlib's PDF writer turns a full disk into an AttributeError raised while handling the OSError:
    still the file system's one line, exit 2, and the new folder removed again."""
    def full(*args, **kwargs):
        try:
            raise OSError(28, "No space left on device")
        except OSError:
            raise AttributeError("'Stream' object has no attribute 'pos'")
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(part2_fc.main, ["--max-iters", "2", "--out-dir", str(tmp_path / "new" / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert leaving.value.code == 2 and len(err) == 1 and "No space left on device" in err[0], err
    assert not (tmp_path / "new").exists()


def test_process_control_a_second_signal_does_not_cut_the_clean_up_short(capsys):
    """The first signal stops the run; one that follows (Ctrl-C, then kill) must not interrupt the clean-up
    the first one started, nor change the exit code."""
    cleaned = []

    def main(argv):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            cleaned.append(True)
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(main, [])
    assert leaving.value.code == 128 + signal.SIGINT and cleaned
    assert capsys.readouterr().err.strip().endswith("interrupted; no output was written")


def test_staging_a_signal_while_the_outputs_move_in_is_answered_once_they_are_in(tmp_path, capsys, monkeypatch):
    replace, sent = os.replace, []

    def replace_then_signal(a, b):
        if not sent:
            sent.append(os.kill(os.getpid(), signal.SIGTERM))
        replace(a, b)
    monkeypatch.setattr(os, "replace", replace_then_signal)

    def main(argv):
        with part2_fc.Outputs(tmp_path / "out") as staged:
            staged.write("a.txt", "1")
            staged.write("b.txt", "2")
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(main, [])
    assert leaving.value.code == 128 + signal.SIGTERM
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt"]
    assert capsys.readouterr().err.strip().endswith("interrupted after its outputs were written")


def test_staging_a_signal_right_after_the_staging_folder_is_made_leaves_nothing(tmp_path, capsys, monkeypatch):
    mkdtemp = tempfile.mkdtemp

    def mkdtemp_then_signal(*args, **kwargs):
        path = mkdtemp(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return path
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp_then_signal)

    def main(argv):
        with part2_fc.Outputs(tmp_path / "new" / "out") as staged:
            staged.write("a.txt", "1")
    with pytest.raises(SystemExit) as leaving:
        part2_fc.run_main(main, [])
    assert leaving.value.code == 128 + signal.SIGTERM and not (tmp_path / "new").exists()
    assert capsys.readouterr().err.strip().endswith("interrupted; no output was written")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a stream every write to fails")
def test_environment_notes_and_signals_before_main_survive_an_unusable_error_stream(tmp_path):
    argv = [sys.executable, str(ROOT / "part2_fc.py"), "--max-iters", "2", "--no-figures", "--out-dir", str(tmp_path / "out")]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(argv, env=os.environ | {"OMP_NUM_THREADS": "0"}, stdout=subprocess.DEVNULL, stderr=full,
                              timeout=120)
        assert proc.returncode == 0 and (tmp_path / "out" / "part2_summary.json").is_file()
        proc = subprocess.Popen(argv[:-1] + [str(tmp_path / "out2")], stdout=subprocess.DEVNULL, stderr=full)
        time.sleep(0.4)                            # inside the imports
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM and not (tmp_path / "out2").exists()


def test_environment_a_torch_setting_torch_refuses_at_import_is_one_line(tmp_path):
    proc = run_script("part2_fc.py", "--max-iters", "2", "--out-dir", tmp_path / "out",
                      env=os.environ | {"TORCH_LOGS": "bogus"})
    assert_one_line_error(proc, "a library failed to load", "bogus")
    assert not (tmp_path / "out").exists()
