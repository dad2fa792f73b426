"""Which numbers can be reproduced at all: how much a run's iteration count moves when its start moves
by one or two ulps, and why.

A run is *rounding-sensitive* when its twin, the same run with every initial parameter scaled by
1 + 2^-52, ends at another iteration count or with another status. That factor moves each nonzero
parameter away from zero by one or two ulps of its own (a zero stays zero). Another CPU's kernels (ARM's exp, sigmoid and BLAS) differ from ours in the last bit,
so a sensitive run's count is not a property of the experiment: only its spread is.

The mechanism is measured along a few part 2 runs by the scripts' own loop (part2_fc.py's net,
initialisation and losses, torch.optim.SGD), stepping the run and its twin in lockstep:
  * ||theta_t - theta'_t||, whose growth rate per iteration, fitted while the two are still close, is
    a finite-time Lyapunov exponent lambda (e^lambda: how much a difference grows per step);
  * the Hessian of the training loss at points along the run (part 2 has 73 parameters: the whole
    matrix, with torch.func), whose top eigenvalue is the sharpness. Plain gradient descent multiplies
    a small difference along an eigenvector of eigenvalue h by 1 - lr h each step, so it stays bounded
    while every lr h lies in [0, 2] and grows once lr x sharpness > 2 (the edge of stability) or along
    a direction of negative curvature.
"""
import math
from dataclasses import replace

import numpy as np
import torch
from torch.func import functional_call, hessian

import part2_fc
from dlbasics.engine.records import REACHED
from dlbasics.study.stats import group_runs

ULP = 2.0**-52
CLOSE = 1e-6            # the twins are still close while ||delta|| < CLOSE ||theta||: the window of the fit


def twin_jobs(jobs, per_cell, ulps=1):
    """A twin of the first `per_cell` seeds of every cell (setting, lr, reduction) of `jobs`."""
    twins, taken = [], {}
    for job in sorted(jobs, key=lambda j: j.seed):
        cell = (job.setting, job.lr, job.reduction)
        if not job.perturb and taken.get(cell, 0) < per_cell:
            taken[cell] = taken.get(cell, 0) + 1
            twins.append(replace(job, record=False, perturb=ulps))
    return twins


def pairs(runs):
    """{(setting, lr, reduction): [(run, twin)]} for every run that has a twin."""
    originals = {(r.setting, r.lr, r.reduction, r.seed): r for r in runs if not r.perturb}
    out = {}
    for twin in (r for r in runs if r.perturb):
        out.setdefault((twin.setting, twin.lr, twin.reduction), []).append(
            (originals[(twin.setting, twin.lr, twin.reduction, twin.seed)], twin))
    return out


def moved(run, twin):
    return (run.iterations, run.status) != (twin.iterations, twin.status)


def summarise(cell_pairs):
    """One cell's sensitivity: how many twins, how many moved (count or status), how many changed status,
    and the median and largest |change in iterations| over the pairs where both reached 100 %."""
    both = [abs(r.iterations - t.iterations) for r, t in cell_pairs if r.status == t.status == REACHED]
    sensitive = sum(moved(r, t) for r, t in cell_pairs)
    return {"twins": len(cell_pairs), "sensitive": sensitive, "sensitive_pct": 100 * sensitive / len(cell_pairs),
            "status_changed": sum(r.status != t.status for r, t in cell_pairs),
            "median_abs_delta": float(np.median(both)) if both else math.nan,
            "max_abs_delta": int(max(both)) if both else 0}


def by_cell(runs):
    return {cell: summarise(ps) for cell, ps in pairs(runs).items()}


def rows(runs):
    """The twins as the summaries keep them: setting, lr, reduction, seed, iterations, status of the run,
    then of its twin."""
    return [[getattr(r.setting, "name", r.setting), r.lr, r.reduction, r.seed, r.iterations, r.status, t.iterations,
             t.status] for ps in pairs(runs).values() for r, t in ps]


def record(runs, cells):
    """The summary's section: every twin beside its run, and each cell's figures."""
    return {"columns": ["setting", "lr", "reduction", "seed", "iterations", "status", "twin iterations", "twin status"],
            "rows": rows(runs), "cells": [{"setting": getattr(s, "name", s), "lr": lr, "reduction": red} | c
                                          for (s, lr, red), c in cells.items()]}


def write_csv(out, name, cells):
    """cells: {(setting label, lr, reduction): summary} -> a CSV for people."""
    out.csv(name, ["setting", "reduction", "lr", "twins", "moved", "moved %", "status changed", "median |delta|",
                   "largest |delta|"],
            [[s, red, f"{lr:g}", c["twins"], c["sensitive"], f"{c['sensitive_pct']:.1f}", c["status_changed"],
              "" if math.isnan(c["median_abs_delta"]) else f"{c['median_abs_delta']:g}", c["max_abs_delta"]]
             for (s, lr, red), c in cells.items()])


def main_runs(runs):
    """The runs without their twins (what the statistics are made of)."""
    return [r for r in runs if not r.perturb]


# ---- the mechanism, along a few part 2 runs ---------------------------------------------------------------
def _flat(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def trace(setting, seed, lr, reduction, data, max_iters, points=120):
    """The run of `seed` and its twin in lockstep, by part2_fc.py's own loop (the same operations in
    the same order), until the run stops: its count is the script's count. Returns ||theta - theta'|| at every iteration, the Hessian's extreme eigenvalues at
    ~`points` iterations, how the run ended, the fitted growth rate and the lr x sharpness figures."""
    nets = [part2_fc.init_weights(part2_fc.FCNet(setting.activation).to(data.images.dtype), seed) for _ in range(2)]
    with torch.no_grad():
        for p in nets[1].parameters():
            p.mul_(1 + ULP)
    sgds = [torch.optim.SGD(n.parameters(), lr=lr) for n in nets]
    per_image, reduce = part2_fc.LOSSES[setting.loss], torch.mean if reduction == "mean" else torch.sum
    dies = part2_fc.stops_when_dead(setting, data, 0, 0)
    distance, thetas, status = [], [], None
    for t in range(max_iters + 1):
        distance.append(float((_flat(nets[0]) - _flat(nets[1])).norm()))
        thetas.append(_flat(nets[0]))
        for k, (net, sgd) in enumerate(zip(nets, sgds)):
            logits, hidden = net(data.images)
            loss = reduce(per_image(logits, data.labels))
            if k == 0:                         # the run's own rule: it stops where the script's loop stops
                accuracy = part2_fc.correct(logits, data.labels).double().mean()
                status = ("diverged" if not torch.isfinite(loss) else "reached" if accuracy == 1 else
                          "stuck" if dies and part2_fc.is_dead(hidden) else "censored" if t == max_iters else None)
            sgd.zero_grad()
            loss.backward()
        if status:
            break
        for sgd in sgds:
            sgd.step()
    last = len(thetas) - 1                     # half the points evenly spaced, half on a log scale
    at = np.unique(np.concatenate([np.linspace(0, last, points // 2), np.geomspace(1, max(last, 1), points // 2),
                                   [0]]).round().astype(int))
    curvature = np.array([eigen_extremes(nets[0], thetas[t], data, per_image, reduce) for t in at])   # (P, 2)
    tr = {"setting": setting.name, "seed": seed, "lr": lr, "reduction": reduction, "iterations": len(thetas) - 1,
          "status": status, "distance": np.array(distance), "norm": float(thetas[0].norm()), "at": at,
          "bottom": curvature[:, 0], "top": curvature[:, 1], "final_distance": distance[-1] / float(thetas[0].norm())}
    return tr | growth(distance, float(thetas[0].norm())) | edge(tr)


def eigen_extremes(net, theta, data, per_image, reduce):
    """The smallest and the largest eigenvalue of the training loss's Hessian at parameters theta."""
    shapes = [(n, p.shape, p.numel()) for n, p in net.named_parameters()]

    def loss(flat):
        params, i = {}, 0
        for name, shape, size in shapes:
            params[name] = flat[i:i + size].view(shape)
            i += size
        logits, _ = functional_call(net, params, (data.images,))
        return reduce(per_image(logits, data.labels))
    values = torch.linalg.eigvalsh(hessian(loss)(theta.clone()))
    return float(values[0]), float(values[-1])


def growth(distance, norm):
    """The finite-time Lyapunov exponent: the least-squares slope of ln ||delta_t|| per iteration, from the
    start to the first iteration where the twins are CLOSE x ||theta|| apart (the linear picture holds
    while they are closer), or to the stop."""
    d = np.asarray(distance)
    apart = np.flatnonzero(d >= CLOSE * norm)
    t = np.arange(apart[0] + 1 if len(apart) else len(d))
    t = t[d[t] > 0]
    if len(t) < 3:
        return {"lyapunov": math.nan, "fit_until": int(t[-1]) if len(t) else 0}
    return {"lyapunov": float(np.polyfit(t, np.log(d[t]), 1)[0]), "fit_until": int(t[-1])}


def edge(tr):
    """lr x sharpness along a traced run: its median and largest value and the share of the sampled
    iterations beyond 2 (the edge of stability); the largest lr x |negative curvature|; and the growth per
    step that the linear picture predicts, ln max_i |1 - lr h_i| averaged over the sampled iterations."""
    scaled, low = tr["lr"] * tr["top"], tr["lr"] * tr["bottom"]
    return {"median_lr_sharpness": float(np.median(scaled)), "max_lr_sharpness": float(scaled.max()),
            "beyond_two_pct": 100 * float(np.mean(scaled > 2)), "max_lr_negative": float(max(0.0, -low.min())),
            "predicted_growth": float(np.mean(np.log(np.maximum(np.abs(1 - scaled), np.abs(1 - low)))))}


def groups_of(runs):
    return group_runs(main_runs(runs))
