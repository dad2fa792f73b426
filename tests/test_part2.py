"""part2_fc.py end to end, determinism, and its bad flags."""
import json

import pytest

from conftest import assert_one_line_error, run_script


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("p2")
    proc = run_script("part2_fc.py", "--quick", "--out-dir", out, "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_writes_every_output(quick_run):
    out, proc = quick_run
    names = {p.name for p in out.iterdir()}
    for act in ("sigmoid", "relu"):
        for loss in ("l2", "ce"):
            for what in ("loss", "accuracy"):
                assert {f"part2_{act}_{loss}_{what}.png", f"part2_{act}_{loss}_{what}.pdf"} <= names
    for stem in ("overlay", "study_ecdf", "lr_sweep_mean", "lr_sweep_sum"):
        assert {f"part2_{stem}.png", f"part2_{stem}.pdf"} <= names
    for f in ("seed_table.csv", "seed_table.tex", "study.csv", "study.tex", "curves.csv", "lr_sweep.csv",
              "summary.json", "numbers.tex"):
        assert f"part2_{f}" in names
    assert "data: random (bundled" in proc.stdout and "sorted by iterations" in proc.stdout
    summary = json.loads((out / "part2_summary.json").read_text())
    assert summary["settings"]["lr"] == 0.1 and summary["settings"]["max_iters"] == 2000
    assert summary["settings"]["data_origin"] == "bundled"
    assert set(summary["results"]["single_runs"]) == {f"{s} ({r})" for s in ("sigmoid + L2", "sigmoid + CE", "ReLU + L2",
                                                                  "ReLU + CE") for r in ("mean", "sum")}


def test_seed_table_is_sorted(quick_run):
    out, _ = quick_run
    rows = (out / "part2_seed_table.csv").read_text().splitlines()[1:]
    counts = [r.split(",")[2] for r in rows]
    numeric = [int(c) for c in counts if c.isdigit()]
    assert numeric == sorted(numeric)
    assert all(not c.isdigit() for c in counts[len(numeric):])      # censored / diverged last


def test_same_arguments_give_identical_metrics(quick_run, tmp_path):
    out, _ = quick_run
    proc = run_script("part2_fc.py", "--quick", "--out-dir", tmp_path, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    one, two = (json.loads((d / "part2_summary.json").read_text()) for d in (out, tmp_path))
    assert (one["settings"].pop("workers"), two["settings"].pop("workers")) == (2, 1)
    assert one == two                       # the worker count changes nothing else
    for name in ("part2_curves.csv", "part2_study.csv", "part2_lr_sweep.csv",
                 "part2_numbers.tex", "part2_seed_table.tex"):
        first = (out / name).read_text().replace(str(out), "OUT")
        assert first == (tmp_path / name).read_text().replace(str(tmp_path), "OUT"), name


@pytest.mark.parametrize("args, fragment", [
    (["--lr", "-1"], "argument --lr: expected a positive number, got '-1'"),
    (["--seeds", "0"], "argument --seeds: expected a positive integer, got '0'"),
    (["--activations", "tanh"], "argument --activations: unknown activation 'tanh'"),
    (["--reduction", "avg"], "argument --reduction: invalid choice: 'avg'"),
    (["--lrs", "0.1,x"], "argument --lrs: expected a positive number, got 'x'"),
])
def test_bad_flags(tmp_path, args, fragment):
    proc = run_script("part2_fc.py", "--quick", "--out-dir", tmp_path / "out", *args)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "out").exists()


def test_bad_data_dir(tmp_path):
    (tmp_path / "random").mkdir()
    (tmp_path / "random" / "random_imgs.npy").write_bytes(b"not numpy")
    (tmp_path / "random" / "random_labs.npy").write_bytes(b"not numpy")
    proc = run_script("part2_fc.py", "--quick", "--data-dir", tmp_path, "--out-dir", tmp_path / "out")
    assert_one_line_error(proc, "random/random_imgs.npy: cannot be read as a NumPy .npy file")
    assert not (tmp_path / "out").exists()
    proc = run_script("part2_fc.py", "--quick", "--data-dir", tmp_path / "nope", "--out-dir", tmp_path / "out")
    assert_one_line_error(proc, "--data-dir", "expected an existing folder")
