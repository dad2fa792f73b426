"""The handout's networks as plain nn.Modules, and the seeded initialisation they all share.

Each forward returns logits (pre-sigmoid); the sigmoid and the losses live in the objectives.
"""
import torch
from torch import nn

INIT_STD = 0.1
INIT_BIAS = 0.1


class FCNet(nn.Module):
    """Handout Figure 3: 16 -> fully connected 4 -> activation -> fully connected 1 (-> sigmoid)."""

    def __init__(self, activation="sigmoid"):
        super().__init__()
        self.fc1 = nn.Linear(16, 4)
        self.act = {"sigmoid": nn.Sigmoid(), "relu": nn.ReLU()}[activation]
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x):                       # x: (N, 4, 4)
        return self.fc2(self.act(self.fc1(x.flatten(1)))).squeeze(-1)   # (N,) logits


class ConvNet(nn.Module):
    """Handout Figure 4: conv 7x7 (1->16), ReLU, conv 7x7 (16->8), ReLU, flatten 128, fc 1."""

    def __init__(self, regression_head=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 7)
        self.conv2 = nn.Conv2d(16, 8, 7)
        self.fc = nn.Linear(128, 1)
        self.reg = nn.Linear(128, 1) if regression_head else None

    def features(self, x):                      # x: (N, 16, 16) -> (N, 128)
        h1 = torch.relu(self.conv1(x.unsqueeze(1)))          # (N, 16, 10, 10)
        return torch.relu(self.conv2(h1)).flatten(1)         # (N, 8 * 4 * 4)

    def forward(self, x, return_features=False):
        f = self.features(x)
        logits = self.fc(f).squeeze(-1)
        out = logits if self.reg is None else (logits, self.reg(f).squeeze(-1))
        return (out, f) if return_features else out


def init_(module, seed):
    """Seeded handout init: weights ~ normal(0, 0.1) truncated at +-2 std, biases 0.1.

    Draws from a private generator in parameter order, so seed k gives the same net whether it is
    built alone or as one of many.
    """
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name.endswith("bias"):
                param.fill_(INIT_BIAS)
            else:
                nn.init.trunc_normal_(param, 0.0, INIT_STD, -2 * INIT_STD, 2 * INIT_STD, generator=gen)
    return module


def stacked_init(make_module, seeds):
    """{parameter name: (S, *shape)} for the given seeds, via torch.func.stack_module_state."""
    modules = [init_(make_module(), s) for s in seeds]
    params, _ = torch.func.stack_module_state(modules)
    return {k: v.detach() for k, v in params.items()}
