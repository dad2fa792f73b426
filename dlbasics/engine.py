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
    dim = objective.seed_dim
    n_seeds = next(iter(state.values())).shape[dim]
    active = torch.arange(n_seeds)                          # original index of each position
    iterations = np.full(n_seeds, max_iters, dtype=np.int64)
    status = np.full(n_seeds, CENSORED, dtype=object)
    record_cols = torch.arange(n_seeds) if record_cols is None else torch.as_tensor(record_cols)
    slot = torch.full((n_seeds,), -1, dtype=torch.long)
    slot[record_cols] = torch.arange(len(record_cols))
    rec = (slot >= 0).nonzero().squeeze(1)                  # active positions that are recorded
    fast = len(record_cols) == n_seeds and torch.equal(record_cols, torch.arange(n_seeds))
    curves = {k: torch.full((max_iters + 1, len(record_cols)), float("nan"), dtype=torch.float64) for k in record}
    final = {k: v.clone() for k, v in state.items()}
    current = {k: v.clone() for k, v in state.items()}
    # disable=None: tqdm stays silent when stderr is not a terminal (logs, CI, make)
    bar = tqdm(total=max_iters, desc=desc, disable=None if progress else True, leave=False, mininterval=0.5)
    alive = torch.ones(n_seeds, dtype=torch.bool)
    last_t = 0
    for t in range(max_iters + 1):
        last_t = t
        metrics, step = objective.evaluate(current, need_step=t < max_iters)
        for k in record:
            if fast:
                curves[k][t] = metrics[k]
            elif len(rec):
                curves[k][t].index_copy_(0, slot[rec], metrics[k][rec].to(torch.float64))
        diverged = ~torch.isfinite(metrics[objective.loss_keys[0]])
        for k in objective.loss_keys[1:]:
            diverged |= ~torch.isfinite(metrics[k])
        done = objective.done(metrics) & ~diverged
        stuck = metrics["stuck"] & ~done & ~diverged if "stuck" in metrics else torch.zeros_like(done)
        stop = diverged | done | stuck
        if t == max_iters:
            stop[:] = True
        if not compact:
            stop &= alive
        if stop.any():
            idx = stop.nonzero().squeeze(1)
            _record_stops(idx, active, current, final, dim, iterations, status, diverged | 2 * stuck, done, t)
            if compact:
                keep = (~stop).nonzero().squeeze(1)
                active, slot = active[keep], slot[keep]
                current, step = _take(current, dim, keep), _take(step, dim, keep)
            else:
                alive &= ~stop
                slot = torch.where(alive, slot, -1)
                for v in current.values():     # keep NaN/inf of diverged seeds out of shared kernels
                    v.index_fill_(dim, (stop & diverged).nonzero().squeeze(1), 0.0)
            rec, fast = (slot >= 0).nonzero().squeeze(1), False
            if len(active) == 0 or not alive.any():
                break
        if not compact:
            for k in step:
                step[k].index_fill_(dim, (~alive).nonzero().squeeze(1), 0.0)
        objective.update(current, step)
        if progress and t % 50 == 0:
            bar.update(min(50, max_iters - bar.n))
            bar.set_postfix(active=len(active))
    bar.close()
    curves = {k: v[: last_t + 1].double().numpy() for k, v in curves.items()}
    return Result(iterations, status, curves, final)


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
