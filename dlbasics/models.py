"""The handout's networks as plain nn.Modules, and the seeded initialisations they share.

These are the definitions the plain reference trains and the pictures are checked against; the
engine trains the same nets written out as matrices (fcnet.py, convnet.py), starting from exactly
the parameters `init_` gives these modules. Each forward returns logits (before the sigmoid).
"""
import math

import torch
from torch import nn

INIT_STD = 0.1
INIT_BIAS = 0.1
INITS = {
    "handout": "weights ~ normal(0, 0.1) truncated at +-2 std (redrawn beyond), biases 0.1",
    "zero": "all weights 0, biases 0.1 (every hidden unit starts identical)",
    "zero-all": "all weights and biases 0",
    "normal1": "weights ~ normal(0, 1) truncated at +-2 std, biases 0.1",
    "default": "torch's nn.Linear / nn.Conv2d default: weights and biases ~ uniform(+-1/sqrt(fan_in))",
}


class FCNet(nn.Module):
    """Handout Figure 3: 16 -> fully connected 4 -> activation -> fully connected 1 (-> sigmoid)."""

    def __init__(self, activation="sigmoid", hidden=4):
        super().__init__()
        self.fc1 = nn.Linear(16, hidden)
        self.act = {"sigmoid": nn.Sigmoid(), "relu": nn.ReLU()}[activation]
        self.fc2 = nn.Linear(hidden, 1)

    def hidden(self, x):                        # x: (N, 4, 4) -> (N, hidden)
        return self.act(self.fc1(x.flatten(1)))

    def forward(self, x):
        return self.fc2(self.hidden(x)).squeeze(-1)   # (N,) logits


class ConvNet(nn.Module):
    """Handout Figure 4: conv 7x7 (1->16), ReLU, conv 7x7 (16->8), ReLU, flatten 128, fc 1.

    With `regression_head`, a second linear unit on the same 128 features predicts the width.
    """

    def __init__(self, regression_head=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 7)
        self.conv2 = nn.Conv2d(16, 8, 7)
        self.fc = nn.Linear(128, 1)
        self.reg = nn.Linear(128, 1) if regression_head else None

    def features(self, x):                      # x: (N, 16, 16) -> (N, 128)
        h1 = torch.relu(self.conv1(x.unsqueeze(1)))          # (N, 16, 10, 10)
        return torch.relu(self.conv2(h1)).flatten(1)         # (N, 8 * 4 * 4)

    def forward(self, x):
        f = self.features(x)
        logits = self.fc(f).squeeze(-1)
        return logits if self.reg is None else (logits, self.reg(f).squeeze(-1))


def init_(module, seed, scheme="handout"):
    """Initialise `module` in place from a private generator seeded with `seed` (see INITS).

    Draws in parameter order, so seed k gives the same net whether it is built alone or as one of
    many, in every setting (a paired comparison).
    """
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for name, param in module.named_parameters():
            if scheme == "default":
                fan_in = math.prod(module.get_parameter(name.rsplit(".", 1)[0] + ".weight").shape[1:])
                bound = 1 / math.sqrt(fan_in)
                nn.init.uniform_(param, -bound, bound, generator=gen)
            elif scheme == "zero-all":
                param.zero_()
            elif name.endswith("bias"):
                param.fill_(INIT_BIAS)
            elif scheme == "zero":
                param.zero_()
            else:
                std = INIT_STD if scheme == "handout" else 1.0
                nn.init.trunc_normal_(param, 0.0, std, -2 * std, 2 * std, generator=gen)
    return module


def n_parameters(module):
    return sum(p.numel() for p in module.parameters())
