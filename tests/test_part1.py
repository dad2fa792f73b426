"""Part 1: closed-form gradients against float64 autograd, and the script end to end."""
import json

import numpy as np
import pytest
import torch

import part1_loss_gradient as p1
from conftest import assert_one_line_error, run_script


def autograd_dw(loss_of_z, w, b):
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64)
    loss_of_z(wt * p1.X + bt).sum().backward()
    return wt.grad.numpy()


@pytest.mark.parametrize("y", [0.5, 0.0, 0.9])
def test_gradients_match_autograd_over_the_grid(y):
    axis = np.linspace(-6, 6, 121)
    w, b = np.meshgrid(axis, axis)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    checks = {
        "l2 sigmoid": (lambda z: (torch.sigmoid(z) - y) ** 2, p1.grad_l2_sigmoid),
        "ce sigmoid": (lambda z: bce(z, torch.full_like(z, y), reduction="none"), p1.grad_ce_sigmoid),
        "l2 relu": (lambda z: (torch.relu(z) - y) ** 2, p1.grad_l2_relu),
    }
    for name, (loss_of_z, closed_form) in checks.items():
        diff = np.abs(autograd_dw(loss_of_z, w, b) - closed_form(w, b, y)).max()
        assert diff < 1e-10, (name, diff)


def test_losses_match_torch():
    axis = np.linspace(-6, 6, 61)
    w, b = np.meshgrid(axis, axis)
    z = torch.tensor(w + b, dtype=torch.float64)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.full_like(z, 0.5), reduction="none")
    assert np.abs(p1.cross_entropy(w, b, 0.5) - ce.numpy()).max() < 1e-12
    assert np.abs(p1.l2_loss(p1.sigmoid_output(w, b), 0.5) - ((torch.sigmoid(z) - 0.5) ** 2).numpy()).max() < 1e-12


def test_l2_gradient_vanishes_where_cross_entropy_does_not():
    numbers = p1.grid_numbers(*np.meshgrid(np.linspace(-6, 6, 121), np.linspace(-6, 6, 121)), 0.5, 6.0)
    assert numbers["l2_flat_pct"] > 10 * numbers["ce_flat_pct"]
    assert numbers["ce_min_abs_grad_far"] >= 0.4        # CE keeps pushing where the output is wrong


@pytest.mark.slow
def test_end_to_end(tmp_path):
    proc = run_script("part1_loss_gradient.py", "--out-dir", tmp_path / "out", "--points", 31)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    for stem in ("sigmoid_output", "l2_loss", "l2_grad", "ce_loss", "ce_grad", "relu_output",
                 "relu_l2_loss", "relu_l2_grad", "gradient_slices"):
        assert {f"part1_{stem}.png", f"part1_{stem}.pdf"} <= names
    numbers = json.loads((tmp_path / "out" / "part1_numbers.json").read_text())
    assert numbers["points"] == 31 and numbers["extent"] == 6.0
    assert "\\newcommand{\\POneLTwoFlatPct}" in (tmp_path / "out" / "part1_numbers.tex").read_text()


@pytest.mark.parametrize("args, fragment", [
    (["--extent", "-1"], "--extent: expected a positive number"),
    (["--points", "1"], "--points: expected at least 3"),
    (["--target", "2"], "--target: expected a value in [0, 1]"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_flags(tmp_path, args, fragment):
    proc = run_script("part1_loss_gradient.py", "--out-dir", tmp_path / "out", *args)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "out").exists()


def test_unwritable_out_dir(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for target, fragment in ((blocker, "expected a folder, found a file"),
                             (blocker / "sub", "cannot create a folder under the file")):
        proc = run_script("part1_loss_gradient.py", "--out-dir", target)
        assert_one_line_error(proc, f"--out-dir {target}", fragment)
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]
