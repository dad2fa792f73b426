"""How the engine turns a step into new parameters: plain gradient descent, or momentum.

The nets' backward already folds each run's learning rate (and loss scale) into its step s = lr * g.
"""
import torch


class GradientDescent:
    """theta <- theta - lr * g, the handout's optimiser."""

    def add_columns(self, batch, n):
        pass

    def keep_columns(self, batch, keep):
        pass

    def update(self, batch, step):
        for k, s in step.items():
            batch.params[k].sub_(s)
