"""How the engine turns gradients into new parameters: plain gradient descent, or SGD with momentum
and weight decay, each run (a column along `seed_dim`) with its own learning rate and momentum buffer.

The update is torch.optim.SGD's (dampening 0, no Nesterov), step for step:
    g   <- g + weight_decay * theta          (weight decay, on biases too, as torch does)
    buf <- momentum * buf + g                (buf starts at 0, so the first step has buf = g)
    theta <- theta - lr * buf                (buf = g when momentum is 0)
The learning rate is applied last, as torch does, so that a huge learning rate overflows (and
diverges) where the scripts' loops do, not earlier.
"""
import torch


class GradientDescent:
    """theta <- theta - lr * g, the handout's optimiser; with momentum / weight_decay, torch's SGD."""

    def __init__(self, momentum=0.0, weight_decay=0.0, seed_dim=-1, layer_scale=None):
        self.momentum, self.weight_decay, self.dim = float(momentum), float(weight_decay), seed_dim
        self.layer_scale = dict(layer_scale or {})     # parameter name -> its learning rate's multiple (controls)
        self.buffers = None

    @property
    def plain(self):
        """True for the handout's optimiser: a run's step depends only on its current gradient."""
        return self.momentum == 0 and self.weight_decay == 0

    def start(self):
        self.buffers = None

    def add_columns(self, params, n):
        """Zero momentum buffers for the last n columns of `params` (runs just added)."""
        if self.momentum == 0:
            return
        fresh = {k: torch.zeros_like(v.narrow(self.dim, v.shape[self.dim] - n, n)) for k, v in params.items()}
        self.buffers = fresh if self.buffers is None else \
            {k: torch.cat([self.buffers[k], fresh[k]], self.dim) for k in fresh}

    def keep_columns(self, keep):
        """Drop the buffers of every column not in `keep` (a LongTensor of positions)."""
        if self.buffers is not None:
            self.buffers = {k: v.index_select(self.dim, keep) for k, v in self.buffers.items()}

    def update(self, params, grads, lr):
        """One step of every column in place; lr: (S,) each column's learning rate."""
        for k, g in grads.items():
            p = params[k]
            if self.weight_decay:
                g = g.add(p, alpha=self.weight_decay)
            if self.momentum:
                g = self.buffers[k].mul_(self.momentum).add_(g)
            shape = [1] * g.ndim
            shape[self.dim] = -1
            p.addcmul_(g, (lr * self.layer_scale[k] if k in self.layer_scale else lr).view(shape), value=-1)
