"""The many-seed training engine: S independently seeded copies trained as one computation.

An *objective* (see objectives.py) holds the data and the maths; its state is a dict of tensors
that all carry the seed axis at `objective.seed_dim` (weights and per-seed settings such as the
learning rate alike). Each iteration t the engine
  1. evaluates every active seed at its current parameters (metrics + the lr-scaled step),
  2. records the metrics in the curves,
  3. stops a seed that is done (reached: its `done` test holds; diverged: a loss is NaN/inf),
  4. moves the remaining seeds one plain gradient-descent step.
So "iterations to 100 %" is the number of updates made before the first evaluation at 100 %
(0 if the initial net is already perfect). A seed still running after `max_iters` updates is
evaluated once more and, if not done, *censored* at max_iters. An objective may also report a
seed as "stuck" (a metric of that name): provably unable ever to reach its goal, e.g. a conv
net whose ReLUs are all dead. It stops there with status STUCK and counts as censored in every
statistic. Stopped seeds are dropped from the batch, so the work shrinks as seeds finish.
"""
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

REACHED, CENSORED, DIVERGED, STUCK = "reached", "censored", "diverged", "stuck"


@dataclass
class Result:
    iterations: np.ndarray      # (S,) updates made when the seed stopped (max_iters if censored)
    status: np.ndarray          # (S,) REACHED / CENSORED / DIVERGED
    curves: dict                # metric -> (T + 1, S) float64, NaN after the seed stopped
    final_state: dict           # the objective's state when each seed stopped

    def reached(self):
        return self.status == REACHED


def _take(state, dim, index):
    return {k: v.index_select(dim, index) for k, v in state.items()}


def train(objective, state, max_iters, record=("loss", "acc"), record_cols=None, progress=False,
          desc="training", compact=True):
    """Train every seed in `state` until done, diverged or censored; return a Result.

    Curves of the metrics in `record` are kept for the columns `record_cols` (default: all),
    in that order, so a large study need not hold every seed's curve.
    compact=False keeps stopped seeds in the batch, frozen (their step is zeroed), for
    objectives whose kernels round differently at different batch sizes: a seed's numbers then
    depend only on the batch size, never on when its neighbours stop.
    """
    batch = _Batch(objective, state, max_iters, record, record_cols, compact)
    # disable=None: tqdm stays silent when stderr is not a terminal (logs, CI, make)
    bar = tqdm(total=max_iters, desc=desc, disable=None if progress else True, leave=False, mininterval=0.5)
    for t in range(max_iters + 1):
        metrics, step = objective.evaluate(batch.current, need_step=t < max_iters)
        batch.record(t, metrics)
        step = batch.stop_finished(t, metrics, step)
        if batch.empty():
            break
        objective.update(batch.current, step)
        if progress and t % 50 == 0:
            bar.update(min(50, max_iters - bar.n))
            bar.set_postfix(active=int(batch.alive.sum()))
    bar.close()
    return batch.result()


class _Batch:
    """The seeds still training: their state, where each one's curve goes, what has stopped."""

    def __init__(self, objective, state, max_iters, record, record_cols, compact):
        self.objective, self.max_iters, self.compact = objective, max_iters, compact
        self.dim = objective.seed_dim
        n = next(iter(state.values())).shape[self.dim]
        self.active = torch.arange(n)                      # original index of each position
        self.alive = torch.ones(n, dtype=torch.bool)       # only shrinks when compact=False
        self.iterations = np.full(n, max_iters, dtype=np.int64)
        self.status = np.full(n, CENSORED, dtype=object)
        cols = torch.arange(n) if record_cols is None else torch.as_tensor(record_cols)
        self.slot = torch.full((n,), -1, dtype=torch.long)  # curve column of each position, or -1
        self.slot[cols] = torch.arange(len(cols))
        self.fast = len(cols) == n and torch.equal(cols, torch.arange(n))
        self.rec = (self.slot >= 0).nonzero().squeeze(1)    # positions whose curve is kept
        self.curves = {k: torch.full((max_iters + 1, len(cols)), float("nan"), dtype=torch.float64)
                       for k in record}
        self.final = {k: v.clone() for k, v in state.items()}
        self.current = {k: v.clone() for k, v in state.items()}
        self.last_t = 0

    def record(self, t, metrics):
        self.last_t = t
        for k, curve in self.curves.items():
            if self.fast:
                curve[t] = metrics[k]
            elif len(self.rec):
                curve[t].index_copy_(0, self.slot[self.rec], metrics[k][self.rec].to(torch.float64))

    def stop_finished(self, t, metrics, step):
        """Stop the seeds that are done, diverged or stuck (all of them at the cap); return the step."""
        diverged = torch.zeros_like(self.alive)
        for k in self.objective.loss_keys:
            diverged |= ~torch.isfinite(metrics[k])
        done = self.objective.done(metrics) & ~diverged
        stuck = metrics["stuck"] & ~done & ~diverged if "stuck" in metrics else torch.zeros_like(done)
        stop = (diverged | done | stuck | (t == self.max_iters)) & self.alive
        if stop.any():
            idx = stop.nonzero().squeeze(1)
            _record_stops(idx, self.active, self.current, self.final, self.dim, self.iterations,
                          self.status, diverged | 2 * stuck, done, t)
            self.fast = False
            if self.compact:
                keep = (~stop).nonzero().squeeze(1)
                self.active, self.slot, self.alive = self.active[keep], self.slot[keep], self.alive[keep]
                self.current, step = _take(self.current, self.dim, keep), _take(step, self.dim, keep)
            else:
                self.alive &= ~stop
                self.slot = torch.where(self.alive, self.slot, -1)
                for v in self.current.values():   # keep NaN/inf of diverged seeds out of shared kernels
                    v.index_fill_(self.dim, (stop & diverged).nonzero().squeeze(1), 0.0)
            self.rec = (self.slot >= 0).nonzero().squeeze(1)
        if not self.compact:
            for k in step:
                step[k].index_fill_(self.dim, (~self.alive).nonzero().squeeze(1), 0.0)
        return step

    def empty(self):
        return not self.alive.any()

    def result(self):
        curves = {k: v[: self.last_t + 1].numpy() for k, v in self.curves.items()}
        return Result(self.iterations, self.status, curves, self.final)


def _record_stops(idx, active, current, final, dim, iterations, status, failed, done, t):
    """Write iteration, status and final parameters of the seeds at positions `idx`.

    failed: 0 = not failed, 1 = diverged, 2 = stuck (as integers, one per position).
    """
    cols = active[idx].numpy()
    iterations[cols] = t
    code = failed[idx].numpy()
    status[cols] = np.where(code == 1, DIVERGED, np.where(code == 2, STUCK,
                                                            np.where(done[idx].numpy(), REACHED, CENSORED)))
    for k, v in current.items():
        final[k].index_copy_(dim, active[idx], v.index_select(dim, idx))


def first_reached(curve, target=1.0):
    """(S,) first iteration at which `curve` (T, S) reaches `target`; -1 where it never does."""
    hit = curve >= target
    return np.where(hit.any(0), hit.argmax(0), -1)
