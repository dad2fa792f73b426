"""A grader's first run explains itself, and every small fault of one kind is handled in every program
where it can arise: the data folder, the data files' layout, the settings of the environment, the range
of a learning rate, what a median says, and the console's encoding."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import ROOT, assert_one_line_error, run_module, run_script

import part2_fc
import part3_conv
import part3_detection
from dlbasics import checkdata
from dlbasics.common.cli import UserError, cpu_count
from dlbasics.report import claims, provenance
from dlbasics.study import run as study
from dlbasics.study.stats import fmt_median
from dlbasics.study.summary import read

BUNDLED = ROOT / "data"
TRAINING = {"part2_fc.py": ("random", "random_imgs.npy and random_labs.npy"),
            "part3_conv.py": ("line", "line_imgs.npy and line_labs.npy"),
            "part3_detection.py": ("detection", "detection_imgs.npy and detection_labs.npy and detection_width.npy")}
MODULES = {"part2_fc.py": part2_fc, "part3_conv.py": part3_conv, "part3_detection.py": part3_detection}


def data_copy(tmp_path, *names):
    for name in names:
        shutil.copytree(BUNDLED / name, tmp_path / "d" / name)
    return tmp_path / "d"


# ---- the data folder ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("script", sorted(TRAINING))
def test_no_data_folder_beside_a_script_says_what_to_put_where(script, monkeypatch):
    module = MODULES[script]
    monkeypatch.setattr(module, "HERE", Path("/nonexistent/unzipped"))
    name, files = TRAINING[script]
    with pytest.raises(module.UserError) as err:
        module.load_dataset(name, None)
    text = str(err.value)
    for fragment in (f"no data/ folder next to {script}", f"put the course's {files}", f"in data/{name}/",
                     "or give --data-dir"):
        assert fragment in text, text


def test_the_unzipped_script_alone_says_it_in_one_line(tmp_path):
    shutil.copy(ROOT / "part2_fc.py", tmp_path / "part2_fc.py")             # as unzipped: no data/ beside it
    proc = subprocess.run([sys.executable, "-I", str(tmp_path / "part2_fc.py"), "--max-iters", "1", "--no-figures"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert_one_line_error(proc, "error: no data/ folder next to part2_fc.py", "random_imgs.npy and random_labs.npy")


def test_part1_takes_the_common_data_flag_and_says_it_needs_none(tmp_path):
    proc = run_script("part1_loss_gradient.py", "--data-dir", BUNDLED, "--points", "21", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"part 1: needs no data; --data-dir {BUNDLED} is not read" in proc.stdout


def test_matlab_height_width_n_order_gets_the_permute_hint(tmp_path, capsys):
    folder = tmp_path / "d" / "random"
    folder.mkdir(parents=True)
    images = np.load(BUNDLED / "random" / "random_imgs.npy").astype(float)
    scipy.io.savemat(folder / "random_imgs.mat", {"random_imgs": np.moveaxis(images, 0, -1)})      # 4 x 4 x 64
    shutil.copy(BUNDLED / "random" / "random_labs.npy", folder)
    with pytest.raises(part2_fc.UserError) as err:             # the loader of every script and study
        part2_fc.load_dataset("random", tmp_path / "d")
    for fragment in ("random_imgs.mat: expected random images of shape (N, 4, 4), got (4, 4, 64)",
                     "64 = the number of labels", "permute(X, [3 1 2])"):
        assert fragment in str(err.value)
    assert checkdata.main([str(tmp_path / "d")]) == 2
    assert "permute(X, [3 1 2])" in capsys.readouterr().err


def test_two_different_files_for_one_array_are_refused_naming_both(tmp_path):
    folder = data_copy(tmp_path, "random")
    labels = np.load(folder / "random" / "random_labs.npy")
    scipy.io.savemat(folder / "random" / "random_labs.mat", {"random_labs": 1 - labels})
    with pytest.raises(part2_fc.UserError) as err:
        part2_fc.load_dataset("random", folder)
    assert str(err.value).startswith(f"{folder / 'random' / 'random_labs.npy'} and {folder / 'random' / 'random_labs.mat'}"
                                     ": two different files for the random labs"), err.value
    scipy.io.savemat(folder / "random" / "random_labs.mat", {"random_labs": labels})    # the same labels: no doubt
    assert part2_fc.load_dataset("random", folder).files == {"random/random_labs.npy": provenance.sha256(
        folder / "random" / "random_labs.npy"), "random/random_imgs.npy": provenance.sha256(folder / "random" / "random_imgs.npy")}


def test_the_2017_name_beside_the_new_one_counts_as_a_second_file(tmp_path):
    folder = data_copy(tmp_path, "line")
    np.save(folder / "p22_line_imgs.npy", np.load(folder / "line" / "line_imgs.npy")[::-1].copy())
    with pytest.raises(part3_conv.UserError) as err:
        part3_conv.load_dataset("line", folder)
    assert "line_imgs.npy and " in str(err.value) and "p22_line_imgs.npy: two different files for the line imgs" in str(err.value)


@pytest.mark.parametrize("labels, said", [("ones", "all 64 labels are 1"), ("single", "a single image")])
def test_data_on_which_100_percent_is_trivial_gets_one_note(tmp_path, labels, said, capsys):
    folder = data_copy(tmp_path, "random", "line", "detection")
    images = np.load(folder / "random" / "random_imgs.npy")
    if labels == "ones":
        np.save(folder / "random" / "random_labs.npy", np.ones(64))
    else:
        np.save(folder / "random" / "random_imgs.npy", images[:1])
        np.save(folder / "random" / "random_labs.npy", np.ones(1))
    part2_fc.load_dataset("random", folder)
    notes = capsys.readouterr().err.strip().splitlines()
    assert len(notes) == 1 and said in notes[0] and "trivial" in notes[0], notes
    assert checkdata.main([str(folder)]) == 0
    shown = capsys.readouterr()
    assert said in shown.err and "random    ok" in shown.out


# ---- the environment ---------------------------------------------------------------------------------------
FOREIGN = "vsx" if part2_fc.X86 else "avx512"       # a kernel path of another kind of CPU than this one


@pytest.mark.parametrize("settings", [{"ATEN_CPU_CAPABILITY": "garbage", "MKL_CBWR": "garbage", "OMP_NUM_THREADS": "abc"},
                                      {"ATEN_CPU_CAPABILITY": FOREIGN, "MKL_CBWR": "avx9",
                                       "OMP_NUM_THREADS": "99999999999999999999"}], ids=["garbage", "out of range"])
def test_kernel_settings_nobody_understands_are_replaced_in_one_line_each_and_the_real_ones_recorded(tmp_path, settings):
    proc = run_script("part2_fc.py", "--max-iters", "2", "--no-figures", "--out-dir", tmp_path, env=os.environ | settings)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr
    for name in (f"{k}={v!r}" for k, v in settings.items()):
        assert any(name in line and "is not a setting it knows" in line for line in lines), (name, lines)
    assert "Warning" not in proc.stderr and "libgomp" not in proc.stderr
    versions = json.loads((tmp_path / "part2_summary.json").read_text())["versions"]
    x86 = part2_fc.X86
    assert versions["ATEN_CPU_CAPABILITY"] == ("avx2" if x86 else "")
    assert versions["MKL_CBWR"] == ("AVX2,STRICT" if x86 else "")
    if x86:
        assert versions["cpu_capability"].lower() == "avx2"          # the kernels torch ran


def test_an_empty_kernel_setting_is_said_and_replaced_also_by_the_package(tmp_path):
    env = os.environ | {"ATEN_CPU_CAPABILITY": ""}
    proc = run_module("dlbasics.checkdata", BUNDLED, env=env)
    assert proc.returncode == 0
    assert proc.stderr.count("ATEN_CPU_CAPABILITY='' is not a setting it knows") == 1, proc.stderr


def test_checkdata_prints_every_line_on_a_console_that_cannot_show_the_path(tmp_path):
    folder = tmp_path / "données"
    shutil.copytree(BUNDLED, folder)
    proc = run_module("dlbasics.checkdata", folder, env=os.environ | {"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines() if " ok: " in line] == ["random", "line", "detection"]
    assert proc.stdout.count("donn\\xe9es") == 7                      # every file's path, escaped


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_checkdata_with_a_full_error_stream_still_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "dlbasics.checkdata", str(tmp_path / "empty")], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=full)
    assert proc.returncode == 2


# ---- flags -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e-320", "1e308"])
@pytest.mark.parametrize("parse, flag", [(part2_fc.parse_args, "--lr"), (part3_conv.parse_args, "--lr"),
                                         (part3_detection.parse_args, "--lr-cls"), (part3_detection.parse_args, "--lr-reg"),
                                         (lambda argv: study.parse_args(["part2", *argv]), "--lr"),
                                         (lambda argv: study.parse_args(["part2", *argv]), "--lrs"),
                                         (lambda argv: study.parse_args(["line", *argv]), "--lr"),
                                         (lambda argv: study.parse_args(["detection", *argv]), "--lr-reg")])
def test_a_learning_rate_out_of_range_names_the_range(parse, flag, value, capsys):
    with pytest.raises(SystemExit) as exc:
        parse([f"{flag}={value}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1, err
    assert f"argument {flag}: expected a learning rate in [1e-12, 1e+06], got {value!r}" in err[0]


def test_workers_beyond_the_cpus_are_said_in_one_line(capsys):
    args = study.parse_args(["line", "--workers", "1000"])
    assert args.workers == 1000                   # the pool starts at most one per CPU (parallel.worker_count)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"note: --workers 1000: this process may use {cpu_count()} CPU" in err[0], err
    study.parse_args(["line", "--workers", str(cpu_count())])
    assert capsys.readouterr().err == ""


# ---- what a median says ------------------------------------------------------------------------------------
def runs_ending(*statuses):
    return [part2_fc.Run("relu-ce", 0.1, "sum", i, 5, s, {}) for i, s in enumerate(statuses)]


@pytest.mark.parametrize("statuses, said", [
    (("stuck",) * 5, "dead"), (("diverged",) * 3, "diverged"), (("censored",) * 2, "beyond the cap"),
    (("stuck", "stuck", "diverged"), "no median (2 dead, 1 diverged of 3)"),
    (("reached", "stuck", "censored"), "no median (1 beyond the cap, 1 dead of 3)")])
def test_a_scripts_median_over_runs_that_never_reached_says_how_they_ended(statuses, said):
    assert part2_fc.median(runs_ending(*statuses)) == said


@pytest.mark.parametrize("pcts, said", [
    ((0, 0, 100), "no median (100 % dead)"), ((0, 100, 0), "no median (100 % diverged)"),
    ((0, 0, 0), "median >300"), ((40, 0, 60), "no median (60 % dead)"),
    ((20, 30, 0), "no median (30 % diverged, 50 % beyond the cap 300)")])
def test_a_studys_console_median_says_dead_or_diverged_not_beyond_the_cap(pcts, said):
    reached, diverged, stuck = pcts
    summary = {"median": float("inf"), "reached_pct": reached, "diverged_pct": diverged, "stuck_pct": stuck}
    assert fmt_median(summary, 300) == said
    assert fmt_median(summary | {"median": 12.5}, 300) == "median 12.5"


def test_a_study_whose_runs_all_die_says_so_on_the_console(tmp_path):
    proc = run_module("dlbasics.study", "line", "--seeds", "2", "--twin-seeds", "0", "--control-seeds", "0",
                      "--lr", "1e6", "--max-iters", "30", "--no-figures", "--no-progress", "--workers", "1",
                      "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = read(tmp_path / "part3_line_study_summary.json", "study line")       # "inf" read back as a float
    ended = {g["reduction"]: g for g in summary["groups"]}
    line = next(x for x in proc.stdout.splitlines() if x.startswith("study line: mean"))
    for red, g in ended.items():
        assert f"{red}: {fmt_median(g, 30)}" in line
        if g["reached_pct"] == 0 and g["stuck_pct"] + g["diverged_pct"] == 100:
            assert ">30" not in line.split(f"{red}:")[1].split(";")[0], line


# ---- the report on a study run with other flags ------------------------------------------------------------
def test_a_study_without_the_sigmoid_runs_is_one_line_that_says_so(tmp_path, quick_outputs, capsys):
    """As `python -m dlbasics.study part2 --activations relu` leaves it: no glob, no KeyError, the reason."""
    shutil.copytree(quick_outputs[0], tmp_path / "out")
    path = tmp_path / "out" / "part2_study_summary.json"
    summary = json.loads(path.read_text())
    summary["groups"] = [g for g in summary["groups"] if not g["setting"].startswith("sigmoid")]
    summary["argv"] = [a for a in summary["argv"] if not a.startswith("--activations")] + ["--activations=relu"]
    path.write_text(json.dumps(summary))
    with pytest.raises(UserError) as err:
        claims.write_report_inputs(tmp_path / "out", ROOT / "report" / "author.txt")
    text = str(err.value)
    assert text.startswith(f"{path}: no sigmoid + L2 runs under the mean loss at lr 0.1 in it (it ran "
                           "--activations=relu)"), text
    assert "rerun make figures" in text and "*" not in text and "KeyError" not in text


def test_a_label_row_is_read_alike_from_npy_and_mat(tmp_path):
    """MATLAB saves a vector as a 1 x N row; the same row saved with NumPy is read the same way, not refused."""
    images, labels = (np.load(ROOT / "data" / "random" / f"random_{a}.npy") for a in ("imgs", "labs"))
    for kind in ("npy", "mat"):
        folder = tmp_path / kind / "random"
        folder.mkdir(parents=True)
        np.save(folder / "random_imgs.npy", images)
        if kind == "npy":
            np.save(folder / "random_labs.npy", labels.reshape(1, -1))
        else:
            scipy.io.savemat(folder / "random_labs.mat", {"random_labs": labels.reshape(1, -1)})
        data = part2_fc.load_dataset("random", folder.parent)
        assert np.array_equal(data.labels.numpy(), labels.reshape(-1).astype(np.float64)), kind
