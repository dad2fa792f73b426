"""Part 1: closed-form gradients against float64 autograd, and the script end to end."""
import numpy as np
import pytest
import torch

import part1_loss_gradient as p1


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


def test_narrow_extent_reports_no_far_points():
    axis = np.linspace(-1, 1, 21)
    numbers = p1.grid_numbers(*np.meshgrid(axis, axis), 0.5, 1.0)
    assert numbers["far_pct"] == 0 and numbers["ce_min_abs_grad_far"] is None


@pytest.mark.parametrize("y", [0.5, 0.0, 0.9])
def test_curvature_is_the_hessian_eigenvalue(y):
    """Closed-form curvature against torch.func.hessian of the loss in (w, b), float64."""
    axis = np.linspace(-6, 6, 25)
    w, b = np.meshgrid(axis, axis)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    losses = {p1.curvature_l2_sigmoid: lambda z: (torch.sigmoid(z) - y) ** 2,
              p1.curvature_ce_sigmoid: lambda z: bce(z, torch.full_like(z, y))}
    for closed_form, loss_of_z in losses.items():
        def loss(wb):
            return loss_of_z(wb[0] * p1.X + wb[1])
        hessians = torch.func.vmap(torch.func.hessian(loss))(
            torch.tensor(np.stack([w.ravel(), b.ravel()], 1), dtype=torch.float64))
        eig = torch.linalg.eigvalsh(hessians)                      # (points, 2), ascending
        nonzero = torch.where(eig[:, 0].abs() > eig[:, 1].abs(), eig[:, 0], eig[:, 1]).numpy()
        assert np.allclose(nonzero, closed_form(w, b, y).ravel(), atol=1e-12)
        assert np.all(np.abs(eig.numpy()).min(1) < 1e-12)          # the other eigenvalue is 0
