"""Mini-batches: which images each update of a run sees, for mini-batch SGD.

An epoch presents every image once, in an order drawn from a generator seeded with (run seed,
epoch), so seed k sees the same batches in the engine, in the reference and in any study:
  shuffled         a fresh random permutation each epoch;
  negatives-first  every label-0 image (in random order) before any label-1 image (in random order).
Update t of a run uses batch t mod ceil(N / B) of epoch t // ceil(N / B): consecutive slices of B
images, the last one shorter when B does not divide N. The loss of a step is the mean (or the sum)
over its batch; every run is still judged on all N images after every update.
"""
import math

import numpy as np
import torch

ORDERS = ("shuffled", "negatives-first")


def epoch_order(seed, epoch, labels, order):
    """(N,) the image indices in the order epoch `epoch` of seed `seed` presents them."""
    rng = np.random.default_rng([int(seed), int(epoch)])
    if order == "shuffled":
        return rng.permutation(len(labels))
    if order == "negatives-first":
        labels = np.asarray(labels)
        return np.concatenate([rng.permutation(np.flatnonzero(labels == c)) for c in (0, 1)])
    raise ValueError(f"unknown order {order!r}")


class MiniBatches:
    """Batches of `batch_size` images of a dataset with labels `labels` (N,), in the given order."""

    def __init__(self, labels, batch_size, order="shuffled"):
        self.labels = np.asarray(labels).round().astype(np.int64)
        self.n, self.size, self.order = len(self.labels), int(batch_size), order
        self.steps = math.ceil(self.n / self.size)             # updates per epoch
        self.start()                                             # _ranks[run]: its images' ranks in
                                                                 # epoch _epoch[run] (-1: none yet)

    def indices(self, seed, t):
        """The images update t of seed `seed` uses (for the plain reference)."""
        k = t % self.steps
        return epoch_order(seed, t // self.steps, self.labels, self.order)[k * self.size:(k + 1) * self.size]

    def start(self):
        """Forget the cached orders (a new set of runs begins)."""
        self._ranks, self._epoch = np.zeros((0, self.n), np.int64), np.zeros(0, np.int64)

    def weights(self, runs, seeds, steps, mean, dtype):
        """(N, S): image n's weight in the step loss of column s: 1/|batch| (mean[s]) or 1 (sum) for the
        images of its batch at update steps[s], 0 for the others. runs: (S,) distinct run numbers
        (a run's order is cached under its number, recomputed when it enters a new epoch); seeds,
        steps: (S,) int arrays."""
        steps, epochs = np.asarray(steps), np.asarray(steps) // self.steps
        if runs.max() >= len(self._epoch):
            grow = max(int(runs.max()) + 1 - len(self._epoch), len(self._epoch))
            self._ranks = np.concatenate([self._ranks, np.zeros((grow, self.n), np.int64)])
            self._epoch = np.concatenate([self._epoch, np.full(grow, -1, np.int64)])
        for k in np.flatnonzero(self._epoch[runs] != epochs):
            self._ranks[runs[k], epoch_order(seeds[k], epochs[k], self.labels, self.order)] = np.arange(self.n)
            self._epoch[runs[k]] = epochs[k]
        ranks = self._ranks[runs].T                                                  # (N, S)
        first = (steps % self.steps) * self.size
        last = np.minimum(first + self.size, self.n)
        inside = (ranks >= first) & (ranks < last)
        return torch.from_numpy(inside * np.where(mean, 1.0 / (last - first), 1.0)).to(dtype)
