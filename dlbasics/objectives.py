"""Batched objectives for the engine: the maths of one experiment, for S seeds at once.

An objective has `seed_dim`, `loss_keys`, `init_state(...)`, `evaluate(state, need_step)`
-> (metrics, step), `update(state, step)`, `done(metrics)`, and `export(state)` -> the
nn.Module parameters stacked as (S, *shape). Per-seed settings live in the state beside the
weights: `lr` (and `lr_reg`) and `scale` (1/N for a mean-reduced loss, 1 for a sum).
"""
import torch
import torch.nn.functional as F
from torch.func import functional_call, vmap

from .models import ConvNet, FCNet, stacked_init


def tree_sum0(x):
    """Sum over axis 0 by a fixed pairwise tree of elementwise adds.

    torch's own reduction picks its accumulation order from the tensor's shape, so a seed's
    numbers would depend on how many seeds share the batch; elementwise adds do not.
    """
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        head = x[:half] + x[half:2 * half]
        if x.shape[0] % 2:
            head[0] += x[-1]
        x = head
    return x[0]


def per_seed_settings(n_seeds, lr, reduction, n_samples):
    """lr and reduction may be scalars or per-seed sequences; returns (lr, scale) as (S,) tensors."""
    lr = torch.as_tensor(lr, dtype=torch.float64).expand(n_seeds).clone()   # callers cast to the run dtype
    reductions = [reduction] * n_seeds if isinstance(reduction, str) else list(reduction)
    scale = torch.tensor([1.0 / n_samples if r == "mean" else 1.0 for r in reductions], dtype=torch.float64)
    return lr, scale


class FCObjective:
    """Handout part 2 (16 -> 4 -> 1), hand-laid-out so that every seed shares two GEMMs.

    Layout, seed axis last: W (17, 4, S) = fc1 weight with its bias as row 16, so the input
    gets a column of ones and the bias gradient comes out of the same GEMM; v (5, S) = fc2
    weight (rows 0-3) and bias (row 4). The hidden layer is (N, 4, S). Gradients are written
    out by hand (tested against the nn.Module reference); the lr is folded into dL/dz2 so the
    step costs no extra pass.
    """

    seed_dim = -1
    loss_keys = ("loss",)

    def __init__(self, images, labels, activation, loss):
        if activation not in ("sigmoid", "relu") or loss not in ("l2", "ce"):
            raise ValueError(f"unknown setting {activation}+{loss}")
        n = len(labels)
        self.x = torch.cat([images.reshape(n, -1), torch.ones(n, 1)], 1)   # (N, 17)
        self.xt = self.x.T.contiguous()                                      # (17, N)
        self.y = labels[:, None]                                             # (N, 1)
        self.y_bool = self.y > 0.5
        self.sign = 2 * self.y - 1                                           # +1 / -1
        self.activation, self.loss = activation, loss

    def init_state(self, seeds, lr, reduction):
        p = stacked_init(lambda: FCNet(self.activation), seeds)
        w = torch.cat([p["fc1.weight"], p["fc1.bias"][..., None]], 2)     # (S, 4, 17)
        v = torch.cat([p["fc2.weight"][:, 0], p["fc2.bias"]], 1)           # (S, 5)
        lr, scale = per_seed_settings(len(seeds), lr, reduction, len(self.y))
        dtype = self.x.dtype
        return {"W": w.permute(2, 1, 0).contiguous(), "v": v.T.contiguous(), "lr": lr.to(dtype), "scale": scale.to(dtype)}

    def export(self, state):
        w, v = state["W"], state["v"]
        return {"fc1.weight": w[:16].permute(2, 1, 0), "fc1.bias": w[16].T,
                "fc2.weight": v[:4].T[:, None, :], "fc2.bias": v[4][:, None]}

    def evaluate(self, state, need_step=True):
        w, v = state["W"], state["v"]
        n, s = len(self.y), v.shape[1]
        h = (self.x @ w.view(17, 4 * s)).view(n, 4, s)                      # (N, 4, S)
        h = h.sigmoid_() if self.activation == "sigmoid" else h.relu_()
        z = h[:, 0] * v[0]                                                      # (N, S) logits
        for j in range(1, 4):
            z.addcmul_(h[:, j], v[j])
        z.add_(v[4])
        out = torch.sigmoid(z)
        err = out - self.y
        per_sample = err * err if self.loss == "l2" else -F.logsigmoid(z * self.sign)
        # out > 0.5 exactly (0.5 - out is exact near 0.5); counts are integers, so any sum order is exact
        wrong = torch.signbit(0.5 - out).ne_(self.y_bool).sum(0, dtype=torch.float32)
        metrics = {"loss": tree_sum0(per_sample) * state["scale"], "acc": 1 - wrong / n}
        if not need_step:
            return metrics, {}
        factor = state["lr"] * state["scale"]                                   # (S,)
        if self.loss == "l2":                                                   # dL/dz = 2 err out (1 - out)
            dz = (1 - out).mul_(out).mul_(err).mul_(2 * factor)
        else:                                                                   # dL/dz = out - y
            dz = err.mul_(factor)
        g = h * dz[:, None, :]                                                  # (N, 4, S)
        gv = torch.cat([tree_sum0(g), tree_sum0(dz)[None]], 0)                 # (5, S)
        if self.activation == "sigmoid":                                        # sigma' = h - h^2
            dh = g.addcmul_(g, h, value=-1).mul_(v[:4])                         # g no longer needed
        else:
            dh = (dz[:, None, :] * v[:4]).masked_fill_(h == 0, 0.0)             # relu' = [z > 0]
        gw = (self.xt @ dh.view(n, 4 * s)).view(17, 4, s)
        return metrics, {"W": gw, "v": gv}

    @staticmethod
    def update(state, step):
        for k, delta in step.items():
            state[k].sub_(delta)

    @staticmethod
    def done(metrics):
        return metrics["acc"] == 1


class ConvObjective:
    """Handout part 3 (line, and detection with `regression=True`), via torch.func.

    The seeds' parameters are stacked (S, *shape) and one vmap over functional_call of the same
    ConvNet the reference uses computes every seed's forward; one backward of
    sum_s (lr_cls * L_cls + lr_reg * L_reg) gives each seed its own two-learning-rate step.
    """

    seed_dim = 0

    def __init__(self, images, labels, widths=None):
        self.x = images                                      # (N, 16, 16)
        self.y = labels[:, None]                             # (N, 1)
        self.width = None if widths is None else widths[:, None]
        self.regression = widths is not None
        self.net = ConvNet(regression_head=self.regression).to(images.dtype)
        self.loss_keys = ("cls_loss", "reg_loss") if self.regression else ("loss",)
        self.names = [k for k, _ in self.net.named_parameters()]
        self._forward = vmap(lambda p, x: functional_call(self.net, p, (x,), {"return_features": True}),
                             in_dims=(0, None))
        # A net whose 128 features are 0 for every sample gets exactly zero gradient in all but the
        # output biases, so all samples keep one shared prediction forever. That can only be 100 %
        # right if every label is the same (or, for widths, all lie within a 1-wide window).
        if self.regression:
            self.dead_is_hopeless = bool(widths.max() - widths.min() >= 1)
        else:
            self.dead_is_hopeless = bool(labels.min() != labels.max())

    def init_state(self, seeds, lr, reduction, lr_reg=0.0):
        state = stacked_init(lambda: ConvNet(self.regression), seeds)
        state["lr"], state["scale"] = per_seed_settings(len(seeds), lr, reduction, len(self.y))
        state["lr_reg"] = torch.as_tensor(lr_reg, dtype=torch.float64).expand(len(seeds)).clone()
        return {k: v.to(self.x.dtype) for k, v in state.items()}   # float64 data -> float64 run

    def export(self, state):
        return {k: state[k] for k in self.names}

    def evaluate(self, state, need_step=True):
        params = {k: state[k].detach().requires_grad_(need_step) for k in self.names}
        with torch.set_grad_enabled(need_step):
            out, features = self._forward(params, self.x)                   # features: (S, N, 128)
            logits = (out[0] if self.regression else out).T                  # (N, S)
            ce = F.binary_cross_entropy_with_logits(logits, self.y.expand_as(logits), reduction="none")
            cls_loss = ce.sum(0) * state["scale"]
            acc = ((torch.sigmoid(logits) > 0.5) == (self.y > 0.5)).sum(0) / len(self.y)
            total = (state["lr"] * cls_loss).sum()
            metrics = {"loss": cls_loss, "acc": acc}
            if self.regression:
                pred = out[1].T                                               # (N, S) widths
                reg_loss = ((pred - self.width) ** 2).sum(0) * state["scale"]
                reg_acc = ((pred - self.width).abs() < 0.5).sum(0) / len(self.y)
                total = total + (state["lr_reg"] * reg_loss).sum()
                metrics = {"cls_loss": cls_loss, "cls_acc": acc, "reg_loss": reg_loss, "reg_acc": reg_acc}
        metrics = {k: m.detach() for k, m in metrics.items()}
        metrics["stuck"] = (features.detach() == 0).flatten(1).all(1) & self.dead_is_hopeless
        if not need_step:
            return metrics, {}
        grads = torch.autograd.grad(total, list(params.values()))
        return metrics, dict(zip(self.names, grads))

    @staticmethod
    def update(state, step):
        with torch.no_grad():
            for k, delta in step.items():
                state[k].sub_(delta)

    def done(self, metrics):
        return metrics["reg_acc" if self.regression else "acc"] == 1
