"""How the engine turns gradients into new parameters: plain gradient descent, or momentum.

The learning rate is applied last, to the gradient, exactly as torch.optim.SGD does, so that a huge
learning rate overflows (and diverges) where the reference does, not earlier.
"""


class GradientDescent:
    """theta <- theta - lr * g, the handout's optimiser."""

    def add_columns(self, batch, n):
        pass

    def keep_columns(self, batch, keep):
        pass

    def update(self, batch, grads):
        for k, g in grads.items():
            batch.params[k].addcmul_(g, batch.per_column(batch.lr, g), value=-1)
