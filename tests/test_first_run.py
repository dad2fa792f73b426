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
from dlbasics.study.stats import fmt_median
from dlbasics.study.summary import read

BUNDLED = ROOT / "data"
TRAINING = {"part2_fc.py": ("random", "random_imgs.npy and random_labs.npy"),
            "part3_conv.py": ("line", "line_imgs.npy and line_labs.npy"),
            "part3_detection.py": ("detection", "detection_imgs.npy and detection_labs.npy and detection_width.npy")}


def data_copy(tmp_path, *names):
    for name in names:
        shutil.copytree(BUNDLED / name, tmp_path / "d" / name)
    return tmp_path / "d"


# ---- the data folder ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("script", sorted(TRAINING))
def test_no_data_folder_beside_an_unzipped_script_says_what_to_put_where(tmp_path, script):
    shutil.copy(ROOT / script, tmp_path / script)                     # as unzipped: no data/ beside it
    proc = subprocess.run([sys.executable, "-I", str(tmp_path / script), "--max-iters", "1", "--no-figures"],
                          cwd=tmp_path, capture_output=True, text=True)
    name, files = TRAINING[script]
    assert_one_line_error(proc, f"no data/ folder next to {script}", f"put the course's {files}",
                          f"in data/{name}/", "or give --data-dir")


def test_part1_takes_the_common_data_flag_and_says_it_needs_none(tmp_path):
    proc = run_script("part1_loss_gradient.py", "--data-dir", BUNDLED, "--points", "21", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"part 1: needs no data; --data-dir {BUNDLED} is not read" in proc.stdout


def test_matlab_height_width_n_order_gets_the_permute_hint(tmp_path):
    folder = tmp_path / "d" / "random"
    folder.mkdir(parents=True)
    images = np.load(BUNDLED / "random" / "random_imgs.npy").astype(float)
    scipy.io.savemat(folder / "random_imgs.mat", {"random_imgs": np.moveaxis(images, 0, -1)})      # 4 x 4 x 64
    shutil.copy(BUNDLED / "random" / "random_labs.npy", folder)
    for proc in (run_script("part2_fc.py", "--data-dir", tmp_path / "d", "--max-iters", "1", "--no-figures",
                            "--out-dir", tmp_path / "o"),
                 run_module("dlbasics.study", "part2", "--quick", "--data-dir", tmp_path / "d", "--out-dir", tmp_path / "o")):
        assert_one_line_error(proc, "random_imgs.mat: expected random images of shape (N, 4, 4), got (4, 4, 64)",
                              "64 = the number of labels", "permute(X, [3 1 2])")
    checked = run_module("dlbasics.checkdata", tmp_path / "d")
    assert checked.returncode == 2 and "permute(X, [3 1 2])" in checked.stderr


def test_two_different_files_for_one_array_are_refused_naming_both(tmp_path):
    folder = data_copy(tmp_path, "random")
    labels = np.load(folder / "random" / "random_labs.npy")
    scipy.io.savemat(folder / "random" / "random_labs.mat", {"random_labs": 1 - labels})
    proc = run_script("part2_fc.py", "--data-dir", folder, "--max-iters", "1", "--no-figures", "--out-dir", tmp_path / "o")
    assert_one_line_error(proc, f"{folder / 'random' / 'random_labs.npy'} and {folder / 'random' / 'random_labs.mat'}",
                          "two different files for the random labs", "or give --data-dir")
    assert not (tmp_path / "o").exists()
    scipy.io.savemat(folder / "random" / "random_labs.mat", {"random_labs": labels})    # the same labels: no doubt
    proc = run_script("part2_fc.py", "--data-dir", folder, "--max-iters", "1", "--no-figures", "--out-dir", tmp_path / "o")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_the_2017_name_beside_the_new_one_counts_as_a_second_file(tmp_path):
    folder = data_copy(tmp_path, "line")
    images = np.load(folder / "line" / "line_imgs.npy")
    np.save(folder / "p22_line_imgs.npy", images[::-1].copy())
    proc = run_script("part3_conv.py", "--data-dir", folder, "--max-iters", "1", "--no-figures", "--out-dir", tmp_path / "o")
    assert_one_line_error(proc, "line_imgs.npy and ", "p22_line_imgs.npy: two different files for the line imgs")


@pytest.mark.parametrize("labels, said", [("ones", "all 64 labels are 1"), ("single", "a single image")])
def test_data_on_which_100_percent_is_trivial_gets_one_note(tmp_path, labels, said):
    folder = data_copy(tmp_path, "random", "line", "detection")
    images = np.load(folder / "random" / "random_imgs.npy")
    if labels == "ones":
        np.save(folder / "random" / "random_labs.npy", np.ones(64))
    else:
        np.save(folder / "random" / "random_imgs.npy", images[:1])
        np.save(folder / "random" / "random_labs.npy", np.ones(1))
    proc = run_script("part2_fc.py", "--data-dir", folder, "--max-iters", "3", "--no-figures", "--out-dir", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    notes = proc.stderr.strip().splitlines()
    assert len(notes) == 1 and said in notes[0] and "trivial" in notes[0], proc.stderr
    checked = run_module("dlbasics.checkdata", folder)
    assert checked.returncode == 0 and said in checked.stderr and "random    ok" in checked.stdout


# ---- the environment ---------------------------------------------------------------------------------------
def test_kernel_settings_nobody_understands_are_replaced_in_one_line_each_and_the_real_ones_recorded(tmp_path):
    env = os.environ | {"ATEN_CPU_CAPABILITY": "garbage", "MKL_CBWR": "garbage", "OMP_NUM_THREADS": "abc"}
    proc = run_script("part2_fc.py", "--max-iters", "2", "--no-figures", "--out-dir", tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr
    for name in ("ATEN_CPU_CAPABILITY='garbage'", "MKL_CBWR='garbage'", "OMP_NUM_THREADS='abc'"):
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
@pytest.mark.parametrize("command", [("part2_fc.py", "--lr"), ("part3_conv.py", "--lr"), ("part3_detection.py", "--lr-reg"),
                                     ("-m", "part2", "--lr"), ("-m", "line", "--lr"), ("-m", "part2", "--lrs")])
def test_a_learning_rate_out_of_range_names_the_range(command, value):
    if command[0] == "-m":
        proc = run_module("dlbasics.study", command[1], f"{command[2]}={value}")
    else:
        proc = run_script(command[0], f"{command[1]}={value}")
    assert_one_line_error(proc, "expected a learning rate in [1e-12, 1e+06]", repr(value))


def test_workers_beyond_the_cpus_are_said_in_one_line(tmp_path):
    from dlbasics.common.cli import cpu_count
    proc = run_module("dlbasics.study", "line", "--seeds", "1", "--twin-seeds", "0", "--control-seeds", "0",
                      "--max-iters", "2", "--no-figures", "--no-progress", "--workers", "1000", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"note: --workers 1000: this process may use {cpu_count()} CPU" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


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
