"""Every bad input gets one line naming the file or flag, exit code 2, and nothing written.

Checked in-process through each script's own main(argv) and run_main (they turn errors into
SystemExit), and a sample of them again on copies of the scripts run alone (python -I, in a folder
with nothing of ours); the Ctrl-C test runs the real script in a subprocess.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, assert_one_line_error, run_module

import part1_loss_gradient
import part2_fc
import part3_conv
import part3_detection
from dlbasics import checkdata
from dlbasics.common import cli
from dlbasics.common.cli import UserError
from dlbasics.common.data import load_dataset
from dlbasics.report import claims
from dlbasics.study import run as study

BUNDLED = ROOT / "data"
MAINS = {"part1": part1_loss_gradient.main, "part2": part2_fc.main, "line": part3_conv.main,
         "detection": part3_detection.main, "study": study.main}
RUN_MAIN = {part1_loss_gradient.main: part1_loss_gradient.run_main, part2_fc.main: part2_fc.run_main,
            part3_conv.main: part3_conv.run_main, part3_detection.main: part3_detection.run_main}


def run_main(main, argv):
    """main(argv) as its script (or the package, for its modules) runs it."""
    RUN_MAIN.get(main, cli.run_main)(main, argv)


def error_of(main, argv, capsys):
    """(exit code, the stderr lines) of main(argv) run as the scripts run it."""
    with pytest.raises(SystemExit) as exc:
        run_main(main, [str(a) for a in argv])
    return exc.value.code, capsys.readouterr().err.strip().splitlines()


def assert_refused(main, argv, capsys, *fragments, out=None):
    code, lines = error_of(main, argv, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    if out is not None:
        assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


def copy_dataset(name, dst):
    shutil.copytree(BUNDLED / name, dst / name)
    return dst


# ---- flags ----------------------------------------------------------------------------------------
BAD_FLAGS = [
    ("part1", ["--extent", "-1"], "argument --extent: expected a half-width in [0.001, 1000]"),
    ("part1", ["--extent", "1e-300"], "argument --extent: expected a half-width in [0.001, 1000]"),
    ("part1", ["--extent", "1e308"], "argument --extent: expected a half-width in [0.001, 1000]"),
    ("part1", ["--points", "1"], "argument --points: expected an integer in [3, 2001]"),
    ("part1", ["--points", "100000"], "argument --points: expected an integer in [3, 2001], got '100000'"),
    ("part1", ["--target", "2"], "argument --target: expected a value in [0, 1]"),
    ("part1", ["--bogus"], "unrecognized arguments: --bogus"),
    ("part2", ["--seed", "-1"], "argument --seed: expected an integer in [0, 4294967295], got '-1'"),
    ("part2", ["--seed", "9223372036854775808"], "argument --seed: expected an integer in [0, 4294967295]"),
    ("part2", ["--seeds", "1000000000"], "argument --seeds: expected an integer in [1, 1000000]"),
    ("part2", ["--max-iters", "1000000000"], "argument --max-iters: expected an integer in [1, 1000000]"),
    ("part2", ["--lr", "-1"], "argument --lr: expected a learning rate in [1e-12, 1e+06], got '-1'"),
    ("part2", ["--lr", "nan"], "argument --lr: expected a learning rate in [1e-12, 1e+06], got 'nan'"),
    ("part2", ["--seeds", "0"], "argument --seeds: expected an integer in [1, 1000000], got '0'"),
    ("part2", ["--reduction", "avg"], "argument --reduction: invalid choice: 'avg'"),
    ("part2", ["--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
    ("part2", ["--momentum", "0.5"], "argument --momentum: needs --optimizer momentum"),
    ("part2", ["--order", "shuffled"], "argument --order: needs --batch-size"),
    ("line", ["--max-iters", "1000000000"], "argument --max-iters: expected an integer in [1, 1000000]"),
    ("line", ["--batch-size", "0"], "argument --batch-size: expected a positive integer, got '0'"),
    ("detection", ["--lr-reg", "0"], "argument --lr-reg: expected a learning rate in [1e-12, 1e+06]"),
    ("detection", ["--seeds", "-3"], "argument --seeds: expected an integer in [1, 1000000]"),
    ("study", ["part2", "--seeds", "1000000000"], "--seeds: a study of"),
    ("study", ["part2", "--max-iters", "1000000000"], "--max-iters: the curves of"),
    ("study", ["part2", "--activations", "tanh"], "argument --activations: unknown activation 'tanh'"),
    ("study", ["part2", "--lrs", "0.1,x"], "argument --lrs: expected a learning rate in [1e-12, 1e+06], got 'x'"),
    ("study", ["line", "--seeds", "1000000000"], "--seeds: a study of"),
    ("study", ["nonsense"], "argument STUDY: invalid choice: 'nonsense'"),
]


@pytest.mark.parametrize("script, argv, fragment", BAD_FLAGS, ids=[f"{s}{' '.join(a)}" for s, a, _ in BAD_FLAGS])
def test_bad_flags(tmp_path, capsys, script, argv, fragment):
    out = tmp_path / "out"
    assert_refused(MAINS[script], [*argv, "--out-dir", out], capsys, fragment, out=out)


@pytest.mark.parametrize("script", sorted(set(MAINS) - {"study"}))
def test_empty_out_dir_is_refused(capsys, script):
    assert_refused(MAINS[script], ["--out-dir", ""], capsys, "argument --out-dir: expected a folder path")


def test_unwritable_out_dir(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert_refused(part1_loss_gradient.main, ["--out-dir", blocker], capsys, f"--out-dir {blocker}",
                   "expected a folder, found a file")
    assert_refused(part1_loss_gradient.main, ["--out-dir", blocker / "sub"], capsys,
                   "cannot create a folder under the file")
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_quick_keeps_explicit_values():
    assert part2_fc.parse_args(["--quick", "--max-iters", "123"]).max_iters == 123
    assert part3_conv.parse_args(["--quick"]).max_iters == 300
    args = study.parse_args(["part2", "--quick", "--seeds", "7", "--max-iters", "123"])
    assert (args.seeds, args.max_iters) == (7, 123)
    assert (study.parse_args(["part2", "--quick"]).seeds, study.parse_args(["line", "--quick", "--seeds", "5"]).seeds) \
        == (4, 5)


# ---- data files -----------------------------------------------------------------------------------
def write_line(folder, imgs=None, labs=None):
    (folder / "line").mkdir(exist_ok=True)
    np.save(folder / "line" / "line_imgs.npy", np.load(BUNDLED / "line" / "line_imgs.npy") if imgs is None else imgs)
    np.save(folder / "line" / "line_labs.npy", np.load(BUNDLED / "line" / "line_labs.npy") if labs is None else labs)
    return folder


BAD_LINE = {  # how to break a copy of the line data -> fragment of the message
    "wrong size": (lambda d: write_line(d, imgs=np.zeros((64, 8, 8))), "shape (N, 16, 16), got (64, 8, 8)"),
    "not square": (lambda d: write_line(d, imgs=np.zeros((64, 16, 15))), "got (64, 16, 15)"),
    "count mismatch": (lambda d: write_line(d, labs=np.zeros(63)), "to match the 64 images, got (63,)"),
    "nan": (lambda d: write_line(d, imgs=np.full((64, 16, 16), np.nan)), "finite values"),
    "huge pixels": (lambda d: write_line(d, imgs=np.full((64, 16, 16), 1e39)), "pixel values in [-1, 1]"),
    "labels 0/1": (lambda d: write_line(d, labs=np.full(64, 2.0)), "labels in {0, 1}, found 2.0"),
    "text dtype": (lambda d: write_line(d, labs=np.array(["a"] * 64)), "numeric array"),
    "random bytes": (lambda d: (write_line(d), (d / "line" / "line_imgs.npy").write_bytes(os.urandom(300))),
                     "line_imgs.npy: not a NumPy .npy file (no .npy header)"),
    "giant header": (lambda d: (write_line(d), np.lib.format.open_memmap(
        d / "line" / "line_imgs.npy", mode="w+", dtype=np.uint8, shape=(10**6, 16, 16))), "at most 100000 images"),
    "missing": (lambda d: (write_line(d), (d / "line" / "line_labs.npy").unlink()), "line_labs.npy: file not found"),
    "folder at the name": (lambda d: (write_line(d), (d / "line" / "line_labs.npy").unlink(),
                                      (d / "line" / "line_labs.npy").mkdir()), "expected a file, found a folder"),
    "dangling link": (lambda d: (write_line(d), (d / "line" / "line_labs.npy").unlink(),
                                 (d / "line" / "line_labs.npy").symlink_to(d / "gone.npy")),
                      "line/line_labs.npy: a link that leads nowhere"),
    "link loop": (lambda d: (write_line(d), (d / "line" / "line_labs.npy").unlink(),
                             (d / "line" / "line_labs.npy").symlink_to(d / "line" / "line_labs.npy")),
                  "line/line_labs.npy: a link that leads nowhere"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINE))
def test_bad_line_data(tmp_path, capsys, case):
    breaker, fragment = BAD_LINE[case]
    breaker(tmp_path)
    out = tmp_path / "out"
    assert_refused(part3_conv.main, ["--quick", "--data-dir", tmp_path, "--out-dir", out], capsys, fragment, out=out)


@pytest.mark.parametrize("case", ["wrong size", "random bytes", "missing", "dangling link"])
def test_bad_data_is_refused_by_the_script_run_alone(tmp_path, case):
    """The same refusals from a copy of the script with nothing of ours beside it (python -I)."""
    breaker, fragment = BAD_LINE[case]
    breaker(tmp_path)
    shutil.copy(ROOT / "part3_conv.py", tmp_path)
    proc = subprocess.run([sys.executable, "-I", "part3_conv.py", "--quick", "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "figures").exists()


@pytest.mark.parametrize("widths, fragment", [(np.full(64, 1e9), "found 1e+09"), (np.full(64, 1e30), "found 1e+30"),
                                              (np.zeros(64), "found 0")])
def test_bad_widths(tmp_path, capsys, widths, fragment):
    copy_dataset("detection", tmp_path)
    np.save(tmp_path / "detection" / "detection_width.npy", widths)
    with pytest.raises(UserError, match=re.escape("expected half-widths in (0, 16] pixels, " + fragment)):
        load_dataset("detection", tmp_path)
    assert checkdata.main([str(tmp_path)]) == 2
    assert "PROBLEM" in capsys.readouterr().err


def test_big_endian_npy_is_read(tmp_path):
    copy_dataset("random", tmp_path)
    imgs = np.load(BUNDLED / "random" / "random_imgs.npy")
    np.save(tmp_path / "random" / "random_imgs.npy", imgs.astype(">f8"))
    assert np.array_equal(load_dataset("random", tmp_path).images.numpy(), imgs)


def test_data_dir_problems(tmp_path, capsys, monkeypatch):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert_refused(part2_fc.main, ["--quick", "--data-dir", loop], capsys, f"--data-dir {loop}",
                   "expected an existing folder")
    copy_dataset("random", tmp_path)
    real_exists = type(tmp_path).exists

    def locked(path, *args, **kwargs):        # a folder that cannot be entered (root ignores chmod)
        if path.parent.name == "random":
            raise PermissionError(13, "Permission denied")
        return real_exists(path, *args, **kwargs)
    monkeypatch.setattr(type(tmp_path), "exists", locked)
    assert_refused(part2_fc.main, ["--quick", "--data-dir", tmp_path], capsys, "random_imgs.npy: cannot be inspected",
                   "Permission denied")


def test_checkdata_reports_on_stderr(tmp_path, capsys):
    assert checkdata.main([str(BUNDLED)]) == 0
    assert "detection ok" in capsys.readouterr().out
    write_line(tmp_path, imgs=np.zeros((64, 8, 8)))
    assert checkdata.main([str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "line      PROBLEM" in captured.err and "got (64, 8, 8)" in captured.err
    with pytest.raises(UserError):
        checkdata.main([str(tmp_path / "nope")])          # run_main: one line, exit 2 (test_first_run)
    proc = run_module("dlbasics.checkdata", tmp_path / "nope")
    assert proc.returncode == 2
    captured = proc
    assert f"DIR {tmp_path / 'nope'}: expected an existing folder" in captured.stderr
    assert "--data-dir" not in captured.stderr and captured.stdout == ""


def test_corrupt_summary_is_refused_by_the_report_step(tmp_path, capsys):
    for name in ("part1_numbers.json", "part2_summary.json", "part2_study_summary.json", "part3_line_summary.json",
                 "part3_line_study_summary.json", "part3_detection_summary.json", "part3_detection_study_summary.json"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "part2_summary.json").write_text("{not json")
    assert_refused(claims.main, [tmp_path], capsys, "part2_summary.json", "expected a summary written by the scripts")
    assert not [p for p in tmp_path.iterdir() if not p.name.endswith(".json")]
    (tmp_path / "part3_line_summary.json").unlink()
    assert_refused(claims.main, [tmp_path], capsys, "part3_line_summary.json is missing")


# ---- writing ---------------------------------------------------------------------------------------
def test_a_failed_move_leaves_the_out_folder_as_it_was(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")

    def refuse(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(part3_conv.os, "replace", refuse)
    assert_refused(part3_conv.main, ["--quick", "--out-dir", out], capsys, f"--out-dir {out}",
                   "No space left on device")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_ctrl_c_leaves_the_out_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = subprocess.Popen([sys.executable, str(ROOT / "part2_fc.py"), "--out-dir", str(out), "--seeds", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})
    assert proc.stdout.readline().startswith("data: ")      # the data are loaded: training starts
    time.sleep(2)                                   # well inside the training
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["part2_fc.py: interrupted; no output was written"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]          # no staging folder left either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---- legal but unusual data --------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["one class", "one sample"])
def test_one_class_or_one_sample_trains_and_draws(tmp_path, case):
    for name in ("line", "detection"):
        copy_dataset(name, tmp_path)
        stem = tmp_path / name / name
        imgs, labs = np.load(f"{stem}_imgs.npy"), np.load(f"{stem}_labs.npy")
        keep = np.flatnonzero(labs == labs[0]) if case == "one class" else [0]
        np.save(f"{stem}_imgs.npy", imgs[keep])
        np.save(f"{stem}_labs.npy", labs[keep])
        if name == "detection":
            np.save(tmp_path / name / "detection_width.npy", np.load(tmp_path / name / "detection_width.npy")[keep])
    for main, stem, extra in ((part3_conv.main, "part3_line", []), (part3_detection.main, "part3_detection", []),
                              (study.main, "part3_line_study", ["line"]),
                              (study.main, "part3_detection_study", ["detection"])):
        out = tmp_path / f"out_{stem}"
        with _no_exit():
            run_main(main, [*extra, "--seeds", "1", "--max-iters", "30", "--data-dir", str(tmp_path), "--out-dir", str(out)]
                     + (["--no-progress", "--workers", "1"] if extra else []))
        assert (out / f"{stem}_summary.json").is_file()
        assert extra or (out / f"{stem}_feature_maps.png").is_file()


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is SystemExit:
            raise AssertionError(f"the script refused legal data (exit {value.code})")
        return False
