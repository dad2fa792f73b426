"""The engine's bookkeeping: which job each column of the batch holds, and what each run recorded."""
from collections import deque

import numpy as np
import torch

from dlbasics.engine.records import CENSORED, DIVERGED, REACHED, STUCK, Run
from dlbasics.engine.sums import sum_samples


class Trace:
    """The recorded runs' metric rows, one chunk per iteration (the runs' job numbers and their rows),
    regrouped per run at the end: no per-run work while training, however many runs record."""

    def __init__(self):
        self.keys, self.chunks = None, []

    def append(self, jobs, keys, rows):
        self.keys = self.keys or keys
        self.chunks.append((jobs, rows))

    def curves(self, n_jobs):
        """{job: {metric: (iterations + 1,) array}} for every job that recorded."""
        if not self.chunks:
            return {}
        jobs = np.concatenate([c[0] for c in self.chunks])
        rows = np.concatenate([c[1] for c in self.chunks])
        order = np.argsort(jobs, kind="stable")                 # keeps each run's rows in time order
        jobs, rows = jobs[order], rows[order]
        bounds = np.searchsorted(jobs, np.arange(n_jobs + 1))
        return {j: {k: rows[bounds[j]:bounds[j + 1], i].copy() for i, k in enumerate(self.keys)}
                for j in range(n_jobs) if bounds[j + 1] > bounds[j]}


class Batch:
    """Up to `width` runs side by side; finished ones leave, waiting ones take their places."""

    def __init__(self, experiment, jobs, max_iters, width):
        self.exp, self.jobs, self.max_iters, self.width = experiment, jobs, max_iters, width
        self.net, self.dim = experiment.net, experiment.net.seed_dim
        self.kept = None
        self.queue = deque(range(len(jobs)))
        self.targets = [h.target[:, None] for h in experiment.heads]                  # (N, 1) each
        self.cols, self.t = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        self.params, self.outcome = None, {}
        self.first = {name: np.full(len(jobs), -1) for name in experiment.milestones}
        self.trace = Trace()
        self.recorded = np.array([j.record for j in jobs], dtype=bool)
        self.seeds = np.array([j.seed for j in jobs], dtype=np.int64)
        self.mean = np.array([j.reduction == "mean" for j in jobs])
        experiment.optimizer.start()
        if experiment.batches is not None:
            experiment.batches.start()
        self.refill()

    # ---- the columns ----------------------------------------------------------------------
    @property
    def size(self):
        return len(self.cols)

    def active(self):
        return self.size > 0

    def refill(self):
        """Start waiting jobs in the free columns (at iteration 0)."""
        new = [self.queue.popleft() for _ in range(min(self.width - self.size, len(self.queue)))]
        if not new:
            return
        fresh = self.net.init([self.jobs[j].seed for j in new])
        dtype = next(iter(fresh.values())).dtype
        ulps = [self.jobs[j].perturb for j in new]
        if any(ulps):                          # a perturbed twin: every initial parameter times 1 + k 2^-52
            factor = 1 + torch.tensor(ulps, dtype=dtype) * 2.0**-52
            fresh = {k: v * factor.view([-1 if d == v.ndim + self.dim or d == self.dim else 1 for d in range(v.ndim)])
                     for k, v in fresh.items()}
        self.params = fresh if self.params is None else \
            {k: torch.cat([v, fresh[k]], self.dim) for k, v in self.params.items()}
        self.exp.optimizer.add_columns(self.params, len(new))
        self.cols, self.t = np.concatenate([self.cols, new]), np.concatenate([self.t, np.zeros(len(new), np.int64)])
        jobs = [self.jobs[j] for j in self.cols]
        self.scale = torch.tensor([1.0 / len(self.targets[0]) if j.reduction == "mean" else 1.0 for j in jobs],
                                  dtype=dtype)
        self.lr = torch.tensor([j.lr for j in jobs], dtype=dtype)
        # each head's loss enters the gradient with weight scale * (its lr / the run's lr): one backward
        # then gives the gradient whose plain step lr * g is the handout's step(s)
        self.head_weight = [self.scale if h.lr is None else self.scale * (h.lr / self.lr) for h in self.exp.heads]

    def take(self, tensors, keep):
        """The columns `keep` (a LongTensor of positions) of every tensor in a dict."""
        return {k: v.index_select(self.dim, keep) for k, v in tensors.items()}

    def remove(self, stop):
        """Drop the columns where `stop` (numpy bool) holds; return the kept positions."""
        keep = torch.from_numpy(np.flatnonzero(~stop))
        self.params = self.take(self.params, keep)
        self.exp.optimizer.keep_columns(keep)
        self.cols, self.t = self.cols[~stop], self.t[~stop]
        self.scale, self.lr = self.scale[keep], self.lr[keep]
        self.head_weight = [v[keep] for v in self.head_weight]
        return keep

    def step_weights(self):
        """(N, S) weights of each image in each run's next step (mini-batch SGD), or None (full batch)."""
        if self.exp.batches is None:
            return None
        return self.exp.batches.weights(self.cols, self.seeds[self.cols], self.t, self.mean[self.cols], self.scale.dtype)

    def advance(self):
        self.t += 1

    # ---- what happens to each run -----------------------------------------------------------
    def record(self, metrics, grads, cache):
        """Append this iteration's metrics (gradient norms, diagnostics) to the curves of recorded runs."""
        rec = np.flatnonzero(self.recorded[self.cols])
        if not len(rec):
            return
        pos = torch.tensor(rec)
        values = {k: metrics[k][pos] for k in metrics}
        if self.exp.record_grad_norms:
            for k, g in grads.items():                     # ||gradient||, summed in a fixed order
                x = g.index_select(self.dim, pos).movedim(self.dim, -1).reshape(-1, len(rec))
                values[f"grad_norm_{k}"] = sum_samples(x * x).sqrt()
        if self.exp.diagnostics:
            def mine(t):                                   # outputs and acts carry the seed axis last
                return t.index_select(t.ndim - 1, pos)
            values |= self.exp.diagnostics({k: mine(v) for k, v in cache["outputs"].items()},
                                           {k: mine(v) for k, v in cache["acts"].items()})
        keys = sorted(values)
        self.trace.append(self.cols[rec], keys, torch.stack([values[k].to(torch.float64) for k in keys], 1).numpy())

    def stop(self, metrics, cache):
        """Stop the runs that are done, diverged, stuck or at the cap; return how many stopped."""
        diverged = np.zeros(self.size, dtype=bool)
        for head in self.exp.heads:
            diverged |= ~np.isfinite(metrics[head.key("loss")].numpy())
        done = self.exp.done(metrics).numpy() & ~diverged
        stuck = self.exp.stuck(cache["acts"]).numpy() & ~done & ~diverged if self.exp.stuck else done & False
        for name, rule in self.exp.milestones.items():
            fresh = rule(metrics).numpy() & ~diverged & (self.first[name][self.cols] < 0)
            self.first[name][self.cols[fresh]] = self.t[fresh]
        stop = diverged | done | stuck | (self.t >= self.max_iters)
        if not stop.any():
            return 0
        status = np.where(diverged, DIVERGED, np.where(done, REACHED, np.where(stuck, STUCK, CENSORED)))
        for p in np.flatnonzero(stop):
            job = self.cols[p]
            params = self.net.export(self.params, p) if self.jobs[job].record else None
            self.outcome[job] = (int(self.t[p]), str(status[p]), params)
        self.kept = self.remove(stop)
        return int(stop.sum())

    def runs(self):
        out, curves = [], self.trace.curves(len(self.jobs))
        for i, job in enumerate(self.jobs):
            iterations, status, params = self.outcome[i]
            milestones = {name: (int(first[i]) if first[i] >= 0 else None) for name, first in self.first.items()}
            out.append(Run(job.setting, job.lr, job.reduction, job.seed, iterations, status, milestones,
                           curves.get(i, {}), params, job.perturb))
        return out
