"""Mini-batches for the engine: the images each update of each run sees, in the order the scripts use.

An epoch presents every image once, in the order `epoch_order(seed, epoch, labels, order)` of the
scripts (part2_fc.py and part3_conv.py hold the same copy): seed k sees the same batches in a script's
own loop, in the engine and in any study. Update t of a run uses slice t mod ceil(N / B) of epoch
t // ceil(N / B); every run is still judged on all N images after every update.
"""
import math

import numpy as np
import torch

from part2_fc import epoch_order


class MiniBatches:
    """Batches of `batch_size` images of a dataset with labels `labels` (N,), in the given order."""

    def __init__(self, labels, batch_size, order="shuffled"):
        self.labels = np.asarray(labels)
        self.n, self.size, self.order = len(self.labels), int(batch_size), order
        self.steps = math.ceil(self.n / self.size)             # updates per epoch
        self.start()

    def start(self):
        """Forget the cached orders (a new set of runs begins): _ranks[run] holds its images' ranks in
        epoch _epoch[run] (-1: none yet)."""
        self._ranks, self._epoch = np.zeros((0, self.n), np.int64), np.zeros(0, np.int64)

    def weights(self, runs, seeds, steps, mean, dtype):
        """(N, S): image n's weight in the step loss of column s: 1/|batch| (mean[s]) or 1 (sum) for the
        images of its batch at update steps[s], 0 for the others. runs: (S,) distinct run numbers (a
        run's order is cached under its number, recomputed when it enters a new epoch); seeds, steps:
        (S,) int arrays."""
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
