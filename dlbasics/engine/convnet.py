"""The part 3 conv net (handout Figure 4) for S seeds at once, written out as matrices.

    conv1  A1 = W1 U + b1        U: (49, 100 N) every 7x7 patch of every image, shared by all seeds;
                                 W1: (16 S, 49) every seed's 16 filters -> one GEMM for all seeds
    h1 = relu(A1)                per seed (1600, N), rows ordered (y, c, x) over the 10x10x16 maps
    conv2  A2[i] = B h1[rows of y = i..i+6] + b2     for each of the 4 output rows i
                                 B: (32, 1120) per seed, the band B[(o, j), (a, c, x)] = W2[o, c, a, x - j]
                                 (0 <= x - j < 7): conv2 along x as a banded matrix, along y by slicing
    f = relu(A2)                 (S, 128, N) features, ordered (o, j, i)
    z = v f + c                  the logit, and with a regression head also r = u f + d (the width)

The band is 70 % non-zero (a full 1600-column matrix would be 49 %), and every product is a
batched GEMM over seeds. The backward is derived by hand (tests/test_nets.py checks it against
autograd in float64):

    dv = f dz,  dA2 = relu'(A2) (v dz + u dr),  dB = sum_i dA2[i] h1[i]^T,  dW2 = dB summed over j,
    dh1[i] += B^T dA2[i],  dA1 = relu'(A1) dh1,  dW1 = dA1 U^T,  biases: sums of dA.

The seed axis is first in parameters (`seed_dim = 0`); outputs and acts are views with it last. The
nets themselves and their initialisation are the scripts': part3_conv.ConvNet, and
part3_detection.DetectionNet with `regression`.
"""
import torch

import part3_conv
import part3_detection
from dlbasics.engine.sums import sum_samples

relu_backward = torch.ops.aten.threshold_backward   # grad where the ReLU's output > 0, else 0
NAMES = {"w1": "conv1.weight", "b1": "conv1.bias", "w2": "conv2.weight", "b2": "conv2.bias",
         "v": "fc.weight", "c": "fc.bias", "u": "reg.weight", "d": "reg.bias"}


class ConvNet:
    """Batched conv net over the 16x16 images of one dataset; `regression` adds the width head."""

    seed_dim = 0

    def __init__(self, images, regression=False, init="handout"):
        n = len(images)
        patches = images.unfold(1, 7, 1).unfold(2, 7, 1)                    # (N, y, x, a, b)
        self.u = patches.permute(3, 4, 1, 2, 0).reshape(49, 100 * n).contiguous()   # (49, (y, x, n))
        self.ut = self.u.T.contiguous()
        self.n, self.regression, self.init_scheme = n, regression, init
        self.heads = ("v", "u") if regression else ("v",)
        self._init_cache, self._band_buffer = {}, None

    def module(self):
        """The script's nn.Module, which this net is a batched copy of."""
        return (part3_detection.DetectionNet() if self.regression else part3_conv.ConvNet()).to(self.u.dtype)

    def init(self, seeds):
        cols = [self._init_one(int(s)) for s in seeds]
        return {k: torch.stack([c[k] for c in cols]) for k in cols[0]}

    def _init_one(self, seed):
        if seed not in self._init_cache:
            module = part3_conv.init_weights(self.module(), seed, self.init_scheme).state_dict()
            self._init_cache[seed] = {k: self._squeeze(k, module[name]) for k, name in NAMES.items()
                                      if name in module}
        return self._init_cache[seed]

    @staticmethod
    def _squeeze(key, value):
        """nn.Module shape -> per-seed shape here: conv1 (16, 7, 7), heads (128,), head biases ()."""
        return value[:, 0] if key == "w1" else value[0] if key in ("v", "c", "u", "d") else value

    def load(self, states):
        """Parameters for a batch of nn.Module state dicts (the inverse of `export`)."""
        return {k: torch.stack([self._squeeze(k, s[name].to(self.u.dtype)) for s in states])
                for k, name in NAMES.items() if name in states[0]}

    def export(self, params, col):
        """The nn.Module state dict of seed column `col`."""
        out = {}
        for k, v in params.items():
            v = v[col].clone()
            out[NAMES[k]] = v[:, None] if k == "w1" else v[None] if k in ("v", "c", "u", "d") else v
        return out

    def forward(self, params):
        s, n = params["w1"].shape[0], self.n
        a1 = (params["w1"].view(16 * s, 49) @ self.u).view(s, 16, 100 * n).add_(params["b1"][:, :, None])
        h1 = a1.view(s, 16, 10, 10 * n).permute(0, 2, 1, 3).relu().reshape(s, 1600, n)   # rows (y, c, x)
        band = self._band(params["w2"])                                                   # (S, 32, 1120)
        a2 = torch.stack([torch.bmm(band, h1[:, 160 * i:160 * i + 1120]) for i in range(4)], 2)
        f = a2.view(s, 8, 16, n).add_(params["b2"][:, :, None, None]).relu_().view(s, 128, n)
        outputs = {"logit": self._head(params["v"], params["c"], f)}
        if self.regression:
            outputs["width"] = self._head(params["u"], params["d"], f)
        acts = {"conv1": h1.view(s, 10, 16, 10, n).permute(4, 2, 1, 3, 0),        # (N, 16, 10, 10, S)
                "conv2": f.view(s, 8, 4, 4, n).permute(4, 1, 3, 2, 0),            # (N, 8, 4, 4, S)
                "features": f.permute(2, 1, 0)}                                    # (N, 128, S)
        return outputs, {"acts": acts, "h1": h1, "band": band, "f": f}

    def _band(self, w2):
        """(S, 32, 1120): B[(o, j), (a, c, x)] = w2[o, c, a, x - j]. Its zeros never change, so the buffer
        is kept and only the four diagonals are rewritten."""
        s = w2.shape[0]
        if self._band_buffer is None or self._band_buffer.shape[0] != s:
            self._band_buffer = w2.new_zeros(s, 8, 4, 7, 16, 10)                # (S, o, j, a, c, x)
        band = self._band_buffer
        kernel = w2.permute(0, 1, 3, 2, 4)                                        # (S, o, a, c, b)
        for j in range(4):
            band[:, :, j, :, :, j:j + 7] = kernel
        return band.view(s, 32, 1120)

    @staticmethod
    def _feature_order(w):
        """(S, 128) head weights in nn.Linear order (o, i, j) -> the features' order (o, j, i), and back."""
        return w.view(-1, 8, 4, 4).transpose(2, 3).reshape(-1, 1, 128)

    def _head(self, w, b, f):
        """(N, S) outputs b + w . f; summed over the 128 features in a fixed order (see sums.py)."""
        products = self._feature_order(w).view(-1, 128, 1) * f                  # (S, 128, N)
        return (sum_samples(products.transpose(0, 1)) + b[:, None]).T

    def backward(self, params, cache, d_out):
        h1, band, f = cache["h1"], cache["band"], cache["f"]
        s, n = h1.shape[0], self.n
        grads, d_f = {}, 0
        for key, (w, b, out) in {"v": ("v", "c", "logit"), "u": ("u", "d", "width")}.items():
            if key not in self.heads:
                continue
            d = d_out[out].T.contiguous()                                               # (S, N)
            grads[w] = self._feature_order((f * d[:, None, :]).sum(2)).view(s, 128)   # back to (o, i, j)
            grads[b] = d.sum(1)
            d_f = d_f + self._feature_order(params[w]).view(s, 128, 1) * d[:, None, :]
        d_a2 = relu_backward(d_f, f, 0.0)                                               # (S, 128, N)
        grads["b2"] = d_a2.view(s, 8, 16 * n).sum(2)
        d_a2 = d_a2.view(s, 32, 4, n)
        d_band = torch.bmm(d_a2[:, :, 0], h1[:, :1120].transpose(1, 2))
        for i in range(1, 4):
            d_band.baddbmm_(d_a2[:, :, i], h1[:, 160 * i:160 * i + 1120].transpose(1, 2))
        d_band = d_band.view(s, 8, 4, 7, 16, 10)
        d_w2 = d_band[:, :, 0, :, :, 0:7].clone()
        for j in range(1, 4):
            d_w2 += d_band[:, :, j, :, :, j:j + 7]
        grads["w2"] = d_w2.permute(0, 1, 3, 2, 4)
        d_h1 = h1.new_zeros(s, 1600, n)
        for i in range(4):
            d_h1[:, 160 * i:160 * i + 1120].baddbmm_(band.transpose(1, 2), d_a2[:, :, i])
        d_a1 = relu_backward(d_h1, h1, 0.0).view(s, 10, 16, 10 * n).permute(0, 2, 1, 3).reshape(16 * s, -1)
        grads["b1"] = d_a1.sum(1).view(s, 16)
        grads["w1"] = (d_a1 @ self.ut).view(s, 16, 7, 7)
        return grads
