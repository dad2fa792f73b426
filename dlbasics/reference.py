"""The plain reference: one nn.Module, torch's own losses, autograd and torch.optim.SGD, one seed at a time.

Deliberately obvious and independent of the engine's hand-written maths: the tests, `make verify`'s
check of its expected file, and the benchmarks use it as ground truth. Same conventions as the
engine: evaluate, stop (diverged / reached / dead / cap), else step; prediction = logit > 0, which
is sigmoid(logit) > 1/2.
"""
import math

import torch
import torch.nn.functional as F

from .engine import CENSORED, DIVERGED, REACHED, STUCK
from .models import ConvNet, FCNet, init_
from .sampling import MiniBatches


def _metrics(model, kind, x, y, width, reduction):
    """{loss name: loss tensor} and the float metrics of one full-batch forward pass."""
    out = model(x)
    if kind in ("l2", "ce"):
        loss = F.mse_loss(torch.sigmoid(out), y, reduction=reduction) if kind == "l2" else \
            F.binary_cross_entropy_with_logits(out, y, reduction=reduction)
        return {"cls": loss}, {"loss": loss.item(), "acc": ((out > 0) == (y > 0.5)).double().mean().item()}
    logits, pred = out if kind == "detection" else (out, None)
    ce = F.binary_cross_entropy_with_logits(logits, y, reduction=reduction)
    acc = ((logits > 0) == (y > 0.5)).double().mean().item()
    if kind == "line":
        return {"cls": ce}, {"loss": ce.item(), "acc": acc}
    l2 = F.mse_loss(pred, width, reduction=reduction)
    return {"cls": ce, "reg": l2}, {"cls_loss": ce.item(), "cls_acc": acc, "reg_loss": l2.item(),
                                     "reg_acc": ((pred - width).abs() < 0.5).double().mean().item()}


def _watch_layers(model):
    """Keep the latest output of each hidden layer's linear map (before its ReLU) in a dict."""
    seen = {}
    layers = [model.fc1] if isinstance(model, FCNet) else [model.conv1, model.conv2]
    for i, layer in enumerate(layers):
        layer.register_forward_hook(lambda module, inputs, output, i=i: seen.__setitem__(i, output.detach()))
    return seen


def _dead(seen, data):
    """A whole ReLU layer is 0 for every sample (its pre-activations are all <= 0), so all samples
    share one prediction for good, and one shared prediction cannot be enough for these data."""
    if not any(bool((out <= 0).all()) for out in seen.values()):
        return False
    if data.widths is not None:
        return bool(data.widths.max() - data.widths.min() >= 1)
    return bool(data.labels.min() != data.labels.max())


def train_reference(kind, seed, data, lr, max_iters, reduction="mean", activation="relu", lr_reg=0.0,
                    init="handout", stop_dead=True, batch_size=None, order="shuffled", momentum=0.0,
                    weight_decay=0.0):
    """kind: 'l2' / 'ce' (FC net), 'line' (conv net, CE) or 'detection' (conv net + width head).

    batch_size: mini-batch SGD over batches drawn as sampling.MiniBatches(labels, batch_size, order)
    draws them (None: every step uses all images); momentum, weight_decay: torch.optim.SGD's. The
    dead rule applies only to plain gradient descent (momentum and weight decay move a dead net).

    Returns (iterations, status, curves) with curves {metric: [value per evaluation]}.
    """
    model = FCNet(activation) if kind in ("l2", "ce") else ConvNet(kind == "detection")
    model = init_(model.to(data.images.dtype), seed, init)
    params = dict(model.named_parameters())
    sgd = dict(momentum=momentum, weight_decay=weight_decay)
    opts = {"cls": torch.optim.SGD([p for n, p in params.items() if not n.startswith("reg.")], lr=lr, **sgd)}
    if kind == "detection":
        opts["reg"] = torch.optim.SGD([p for n, p in params.items() if not n.startswith("fc.")], lr=lr_reg, **sgd)
    done_key = "reg_acc" if kind == "detection" else "acc"
    dead_possible = stop_dead and (kind != "l2" and kind != "ce" or activation == "relu") and \
        momentum == 0 and weight_decay == 0
    batches = MiniBatches(data.labels, batch_size, order) if batch_size and batch_size < len(data) else None
    seen = _watch_layers(model)
    curves = {}
    for t in range(max_iters + 1):
        losses, metrics = _metrics(model, kind, data.images, data.labels, data.widths, reduction)
        dead = dead_possible and _dead(seen, data)            # from this full-batch pass
        for k, value in metrics.items():
            curves.setdefault(k, []).append(value)
        if not all(math.isfinite(v.item()) for v in losses.values()):
            return t, DIVERGED, curves
        if metrics[done_key] == 1:
            return t, REACHED, curves
        if dead:
            return t, STUCK, curves
        if t == max_iters:
            return t, CENSORED, curves
        if batches is not None:                  # the step's loss: the same losses on this step's batch
            idx = torch.from_numpy(batches.indices(seed, t))
            losses, _ = _metrics(model, kind, data.images[idx], data.labels[idx],
                                 None if data.widths is None else data.widths[idx], reduction)
        # each loss takes its own gradient step, both from the same parameters
        grads = {name: torch.autograd.grad(loss, opts[name].param_groups[0]["params"], retain_graph=True)
                 for name, loss in losses.items()}
        for name, opt in opts.items():
            for p, g in zip(opt.param_groups[0]["params"], grads[name]):
                p.grad = g
            opt.step()
