"""How the engine turns gradients into new parameters: plain gradient descent, or SGD with momentum
and weight decay, each run with its own learning rate and its own momentum buffer.

The update is torch.optim.SGD's (dampening 0, no Nesterov), step for step:
    g   <- g + weight_decay * theta          (weight decay, on biases too, as torch does)
    buf <- momentum * buf + g                (buf starts at 0, so the first step has buf = g)
    theta <- theta - lr * buf                (buf = g when momentum is 0)
The learning rate is applied last, as torch does, so that a huge learning rate overflows (and
diverges) where the reference does, not earlier.
"""
import torch


class GradientDescent:
    """theta <- theta - lr * g, the handout's optimiser; with momentum / weight_decay, torch's SGD."""

    def __init__(self, momentum=0.0, weight_decay=0.0):
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.buffers = None

    @property
    def plain(self):
        """True for the handout's optimiser: a run's step depends only on its current gradient."""
        return self.momentum == 0 and self.weight_decay == 0

    def start(self):
        self.buffers = None

    def add_columns(self, batch, n):
        """Zero momentum buffers for the n runs just appended to the batch."""
        if self.momentum == 0:
            return
        fresh = {k: torch.zeros_like(v.narrow(batch.dim, v.shape[batch.dim] - n, n)) for k, v in batch.params.items()}
        self.buffers = fresh if self.buffers is None else \
            {k: torch.cat([self.buffers[k], fresh[k]], batch.dim) for k in fresh}

    def keep_columns(self, batch, keep):
        if self.buffers is not None:
            self.buffers = batch.take(self.buffers, keep)

    def update(self, batch, grads):
        for k, g in grads.items():
            p = batch.params[k]
            if self.weight_decay:
                g = g.add(p, alpha=self.weight_decay)
            if self.momentum:
                g = self.buffers[k].mul_(self.momentum).add_(g)
            p.addcmul_(g, batch.per_column(batch.lr, g), value=-1)
