"""The plain reference: one nn.Module, one torch.optim.SGD per loss, one seed at a time.

Deliberately obvious, and independent of the engine's maths (torch's own losses and autograd):
the tests and the benchmarks use it as ground truth.
"""
import numpy as np
import torch
import torch.nn.functional as F

from .engine import CENSORED, DIVERGED, REACHED
from .models import ConvNet, FCNet, init_


def _losses(model, kind, x, y, width, reduction):
    """{loss name: (value, lr key)} and metrics for one forward pass."""
    out = model(x)
    if kind in ("l2", "ce"):
        prob = torch.sigmoid(out)
        loss = F.mse_loss(prob, y, reduction=reduction) if kind == "l2" else \
            F.binary_cross_entropy_with_logits(out, y, reduction=reduction)
        return {"cls": loss}, {"loss": loss.item(), "acc": ((prob > 0.5) == (y > 0.5)).float().mean().item()}
    logits, pred = out
    ce = F.binary_cross_entropy_with_logits(logits, y, reduction=reduction)
    l2 = F.mse_loss(pred, width, reduction=reduction)
    acc = ((torch.sigmoid(logits) > 0.5) == (y > 0.5)).float().mean().item()
    return {"cls": ce, "reg": l2}, {"cls_loss": ce.item(), "cls_acc": acc, "reg_loss": l2.item(),
                                     "reg_acc": ((pred - width).abs() < 0.5).float().mean().item()}


def train_reference(kind, seed, data, lr, max_iters, reduction="mean", activation="sigmoid", lr_reg=0.0):
    """kind: 'l2' / 'ce' (FC net), 'line' (conv net, CE) or 'detection' (conv net + width head).

    Returns (iterations, status, curves) like one column of the engine's Result.
    """
    model = init_(FCNet(activation) if kind in ("l2", "ce") else ConvNet(kind == "detection"), seed)
    model.to(data.images.dtype)          # float64 data -> a float64 run (tests compare exactly)
    if kind == "line":
        kind = "ce_conv"
    params = dict(model.named_parameters())
    opts = {"cls": torch.optim.SGD([p for n, p in params.items() if not n.startswith("reg.")], lr=lr)}
    if kind == "detection":
        opts["reg"] = torch.optim.SGD([p for n, p in params.items() if not n.startswith("fc.")], lr=lr_reg)
    done_key = "reg_acc" if kind == "detection" else "acc"
    x, y, width = data.images, data.labels, data.widths
    curves = {}
    for t in range(max_iters + 1):
        losses, metrics = _losses(model, "ce" if kind == "ce_conv" else kind, x, y, width, reduction)
        for k, value in metrics.items():
            curves.setdefault(k, []).append(value)
        if not all(np.isfinite(v.item()) for v in losses.values()):
            return t, DIVERGED, curves
        if metrics[done_key] == 1:
            return t, REACHED, curves
        if t == max_iters:
            return t, CENSORED, curves
        # each loss takes its own plain GD step, both from the same parameters
        grads = {name: torch.autograd.grad(loss, opts[name].param_groups[0]["params"], allow_unused=True,
                                           retain_graph=True)
                 for name, loss in losses.items()}
        for name, opt in opts.items():
            opt.zero_grad()
            for p, g in zip(opt.param_groups[0]["params"], grads[name]):
                p.grad = g
            opt.step()
