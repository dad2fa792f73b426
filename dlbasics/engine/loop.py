"""The many-seed training engine: many independent runs of one experiment, trained as one computation.

The experiment comes from a script (dlbasics/engine/experiments.py builds it from the script's net, losses
and rules); the engine knows three things only: the update cap, that a non-finite loss ends a run
(DIVERGED), and the rules it is handed. Each iteration it
  1. evaluates every active run at its current parameters (metrics, and the step),
  2. records curves and milestones of the runs that keep them,
  3. stops a run whose loss is not finite (diverged), whose `done` rule holds (reached), whose
     `stuck` rule holds (provably unable ever to get there: a dead net), or that has made
     `max_iters` updates (censored),
  4. moves every other run one step (the optimiser applies each run's learning rate).
So "iterations" = the updates made before the evaluation that stopped the run, as in the scripts'
own loops. A stopped run leaves the batch at once and, while jobs are waiting, a new one takes its
place (each column keeps its own iteration count), so no slot ever computes for a finished run.
"""
from dataclasses import dataclass, field

import numpy as np
import torch

from dlbasics.engine.batch import Batch
from dlbasics.engine.optim import GradientDescent
from dlbasics.engine.records import CENSORED, DIVERGED, REACHED, STUCK, Job, Run  # noqa: F401  (the engine's vocabulary)
from dlbasics.engine.sums import sum_samples


@dataclass
class Head:
    """One output of the net, a script's per-image loss on it, and what counts as correct."""
    name: str                   # metric prefix: "" gives "loss" / "acc", "cls" gives "cls_loss" / "cls_acc"
    output: str                 # key in the net's outputs
    target: torch.Tensor        # (N,)
    loss: object                # the script's (output, target) -> per-image loss, elementwise
    correct: object             # the script's (output, target) -> bool, elementwise
    lr: float | None = None     # None: the job's learning rate
    trained: bool = True        # False: evaluated but never stepped on (a control: the other head alone)

    def key(self, metric):
        return f"{self.name}_{metric}" if self.name else metric


@dataclass
class Experiment:
    """Everything a run is made of, taken from its script."""
    net: object                 # forward(params) -> (outputs, cache); backward(params, cache, d_out) -> grads
    heads: list
    done: object                # metrics -> (S,) bool
    stuck: object = None        # cache["acts"] -> (S,) bool, or None
    milestones: dict = field(default_factory=dict)   # name -> rule(metrics) -> (S,) bool
    optimizer: object = None    # a GradientDescent (default: plain steps)
    batches: object = None      # a sampling.MiniBatches (mini-batch SGD), or None: every step uses all images
    record_grad_norms: bool = False
    diagnostics: object = None  # (outputs, acts) of the recorded runs -> {name: (R,)}: extra curves

    def __post_init__(self):
        self.optimizer = self.optimizer or GradientDescent(seed_dim=self.net.seed_dim)


def train(experiment, jobs, max_iters, width=None, progress=None):
    """Train every job to its end; return one Run per job, in job order.

    width: how many runs compute side by side (default: all jobs at once).
    progress: optional object with advance(n_finished) and running(n_active).
    """
    batch = Batch(experiment, list(jobs), max_iters, width or len(jobs))
    while batch.active():
        metrics, grads, cache = evaluate(experiment, batch)
        batch.record(metrics, grads, cache)
        finished = batch.stop(metrics, cache)
        if finished:
            grads = {k: g.index_select(batch.dim, batch.kept) for k, g in grads.items()}
            if progress:
                progress.advance(finished)
        if batch.active():
            experiment.optimizer.update(batch.params, grads, batch.lr)
            batch.advance()
        batch.refill()
        if progress:
            progress.running(batch.size)
    return batch.runs()


def per_image(loss, output, target):
    """The script's per-image loss values (N, S) and their derivatives in the output. Each value depends
    on its own output only, so autograd's gradient of their sum is exactly each one's derivative."""
    output = output.detach().requires_grad_()
    with torch.enable_grad():
        value = loss(output, target.expand_as(output))
        slope, = torch.autograd.grad(value.sum(), output)
    return value.detach(), slope


def evaluate(experiment, batch):
    """Metrics of every active run, each (S,), and the gradient of every run's (weighted) loss."""
    outputs, cache = experiment.net.forward(batch.params)
    metrics, d_out = {}, {}
    n = len(experiment.heads[0].target)
    step_weights = batch.step_weights()        # (N, S) for a mini-batch step, else None
    for head, target, weight in zip(experiment.heads, batch.targets, batch.head_weight):
        value, d_value = per_image(head.loss, outputs[head.output], target)
        metrics[head.key("loss")] = sum_samples(value) * batch.scale
        metrics[head.key("acc")] = head.correct(outputs[head.output], target).sum(0) / n
        if not head.trained:
            d_out[head.output] = torch.zeros_like(d_value)
        elif step_weights is None:
            d_out[head.output] = d_value * weight
        else:                                  # only the images of each run's batch, weighted 1/B or 1
            d_out[head.output] = d_value * (step_weights if head.lr is None else step_weights * (head.lr / batch.lr))
    cache["outputs"] = outputs
    return metrics, experiment.net.backward(batch.params, cache, d_out), cache


def layer_off(acts):
    """(S,) True where a ReLU layer's output `acts` (..., S) is 0 for every sample and unit: a dead layer."""
    return acts.amax(dim=tuple(range(acts.ndim - 1))) == 0


def first_reached(curve, target=1.0):
    """(S,) first iteration at which `curve` (T, S) reaches `target`; -1 where it never does."""
    hit = np.asarray(curve) >= target
    return np.where(hit.any(0), hit.argmax(0), -1)
