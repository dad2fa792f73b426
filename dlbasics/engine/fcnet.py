"""The part 2 net (handout Figure 3) for S seeds at once, written out as matrices.

    A = X W              X: (N, P + 1) = the P pixels (16) and a 1;  W: (P + 1, H, S) = fc1 weight, bias last
    h = act(A)           (N, H, S) hidden units
    z = sum_j h_j v_j + v_H                      v: (H + 1, S) = fc2 weight (rows 0..H-1) and bias
    outputs: {"logit": z}  (N, S)

Every seed shares the two GEMMs with X, and the bias gradients come out of the same GEMMs. The
backward is derived by hand (tests/test_nets.py checks it against autograd in float64):

    dv_j = sum_n h_nj dz_n,   dv_H = sum_n dz_n,   dA = act'(A) * dz v_j,   dW = X^T dA
    sigmoid'(A) = h (1 - h);  relu'(A) = [h > 0]  (0 at the kink, as torch's ReLU)

The seed axis is last in every tensor (`seed_dim = -1`). The net itself, its activations and its
initialisation are part2_fc.py's: this is a batched copy of that nn.Module.
"""
import torch
from torch import nn

import part2_fc
from dlbasics.engine.sums import sum_samples

relu_backward = torch.ops.aten.threshold_backward   # grad where the ReLU's output > 0, else 0


def _sigmoid_backward(dh, h):
    return torch.ops.aten.sigmoid_backward(dh, h)      # dh * h * (1 - h), one pass


def _relu_backward(dh, h):
    return relu_backward(dh, h, 0.0)


# the script's activation module -> (in place on the fresh GEMM output, its derivative from the output)
ACTIVATIONS = {nn.Sigmoid: (torch.sigmoid_, _sigmoid_backward), nn.ReLU: (torch.relu_, _relu_backward)}


class FCNet:
    """Batched 16 -> H -> 1 net over the images of one dataset."""

    seed_dim = -1

    def __init__(self, images, activation, init="handout", hidden=4):
        n = len(images)
        self.x = torch.cat([images.reshape(n, -1), images.new_ones(n, 1)], 1)     # (N, P + 1)
        self.xt = self.x.T.contiguous()                                             # (P + 1, N)
        self.activation, self.init_scheme, self.hidden, self.inputs = activation, init, hidden, self.x.shape[1]
        self.act, self.act_backward = ACTIVATIONS[type(self.module().act)]
        self._init_cache = {}

    def module(self):
        """The script's nn.Module, which this net is a batched copy of."""
        return part2_fc.FCNet(self.activation, self.inputs - 1, self.hidden).to(self.x.dtype)

    def init(self, seeds):
        """{"W": (P + 1, H, S), "v": (H + 1, S)}: exactly the parameters init_weights gives the nn.Module."""
        cols = [self._init_one(int(s)) for s in seeds]
        return {"W": torch.stack([c[0] for c in cols], -1), "v": torch.stack([c[1] for c in cols], -1)}

    def _init_one(self, seed):
        if seed not in self._init_cache:
            p = dict(part2_fc.init_weights(self.module(), seed, self.init_scheme).named_parameters())
            w = torch.cat([p["fc1.weight"].T, p["fc1.bias"][None]], 0).detach()    # (P + 1, H)
            v = torch.cat([p["fc2.weight"][0], p["fc2.bias"]]).detach()              # (H + 1,)
            self._init_cache[seed] = (w, v)
        return self._init_cache[seed]

    def export(self, params, col):
        """The nn.Module state dict of column `col`."""
        w, v = params["W"][..., col], params["v"][..., col]
        return {"fc1.weight": w[:-1].T.clone(), "fc1.bias": w[-1].clone(),
                "fc2.weight": v[None, :-1].clone(), "fc2.bias": v[-1:].clone()}

    def forward(self, params):
        """({"logit": (N, S)}, cache); cache["acts"]["hidden"] is the (N, H, S) hidden layer."""
        w, v = params["W"], params["v"]
        n, s = len(self.x), v.shape[-1]
        h = self.act((self.x @ w.reshape(self.inputs, -1)).view(n, self.hidden, s))   # (N, H, S)
        z = torch.addcmul(v[-1], h[:, 0], v[0])                                  # (N, S) logits, summed
        for j in range(1, self.hidden):                                          # in a fixed order
            z.addcmul_(h[:, j], v[j])
        return {"logit": z}, {"acts": {"hidden": h}}

    def backward(self, params, cache, d_out):
        """Gradients of every parameter, given d(loss)/d(logit) (N, S)."""
        v, h, dz = params["v"], cache["acts"]["hidden"], d_out["logit"]
        n, s = dz.shape
        dv = torch.cat([sum_samples(h * dz[:, None]), sum_samples(dz)[None]], 0)  # (H + 1, S)
        da = self.act_backward(dz[:, None] * v[:-1], h)                          # (N, H, S)
        dw = (self.xt @ da.view(n, -1)).view(self.inputs, self.hidden, s)
        return {"W": dw, "v": dv}
