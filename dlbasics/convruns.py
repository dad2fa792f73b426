"""Running the part 3 conv nets for many seeds: fixed-size blocks, both cores inside each step.

The conv kernels round differently at different batch sizes (not positions), so every run is
made in a block of exactly BLOCK seeds, padded with copies when short, and without compaction
(engine.train(compact=False)). Seed k therefore gives the same bits alone (--seeds 1) or
inside any study, for a given --threads. Blocks run one after the other; the conv kernels
split each step over the threads, which here beats separate processes (measured: 2 threads on
a block of 8 run 2.3x faster than 1, two 1-thread processes 1.1x).
"""
from dataclasses import dataclass

import numpy as np
import torch

from . import plots
from .engine import first_reached, train
from .models import ConvNet
from .objectives import ConvObjective
from .outputs import write_text
from .parallel import map_jobs

BLOCK = 4


@dataclass
class SeedRun:
    seed: int
    reduction: str
    iterations: int
    status: str
    curves: dict          # metric -> (iterations + 1,) array
    params: dict          # ConvNet parameter name -> tensor, at the stop

    def first(self, metric):
        """First iteration at which `metric` was 1 (100 %), or -1."""
        return int(first_reached(self.curves[metric][:, None])[0])


def _run_block(job):
    data, cfgs, lr, lr_reg, max_iters, record = job
    obj = ConvObjective(data.images, data.labels, data.widths)
    state = obj.init_state([s for s, _ in cfgs], lr, [r for _, r in cfgs], lr_reg)
    return train(obj, state, max_iters, record=record, compact=False), obj.names


def run_seeds(data, cfgs, lr, lr_reg, max_iters, record, threads):
    """[SeedRun] for each (seed, reduction) in `cfgs`, computed in blocks of BLOCK."""
    blocks = [cfgs[i:i + BLOCK] for i in range(0, len(cfgs), BLOCK)]
    padded = [b + [b[0]] * (BLOCK - len(b)) for b in blocks]
    results = map_jobs(_run_block, [(data, b, lr, lr_reg, max_iters, record) for b in padded], 1, threads)
    runs = []
    for block, (res, names) in zip(blocks, results):
        for pos, (seed, red) in enumerate(block):
            last = int(res.iterations[pos])
            runs.append(SeedRun(seed, red, last, str(res.status[pos]),
                                {k: v[: last + 1, pos] for k, v in res.curves.items()},
                                {k: res.final_state[k][pos] for k in names}))
    return runs


def feature_maps(params, images, regression):
    """Second conv layer's ReLU outputs (N, 8, 4, 4) of the net with `params`."""
    net = ConvNet(regression_head=regression)
    net.load_state_dict(params)
    with torch.no_grad():
        h1 = torch.relu(net.conv1(images.unsqueeze(1)))
        return torch.relu(net.conv2(h1)).numpy()


def relative_change(params, seed, regression, name):
    """||final - initial|| / ||initial|| of parameter `name` for the run of `seed`."""
    from .models import init_
    initial = dict(init_(ConvNet(regression), seed).named_parameters())[name].detach()
    return float((params[name].to(initial.dtype) - initial).norm() / initial.norm())


def n_parameters(regression):
    return sum(p.numel() for p in ConvNet(regression).parameters())


def one_per_class(data):
    """Index of the first sample of each class: {0: i, 1: j}."""
    labels = data.labels.numpy()
    return {c: int(np.flatnonzero(labels == c)[0]) for c in (0, 1)}


def learned_pictures(run, data, seed, out, name, row_label, when, samples, extra=""):
    """The filter grid and the second-layer feature maps of `run`, each with its caption.

    Writes part3_<name>_filters / _feature_maps (.png, .pdf, _caption.tex); row_label(c, i) names
    class c's sample i. Returns the captions, {"filters": text, "feature_maps": text}.
    """
    net = f"{name} net"
    plots.plot_filters(run.params["conv1.weight"].numpy(),
                       f"{net.capitalize()}, seed {seed}: first-layer 7x7 filters after training", out,
                       f"part3_{name}_filters")
    picks = one_per_class(data)
    idx = [picks[0], picks[1]]
    maps = feature_maps(run.params, data.images[idx], regression=data.widths is not None)
    plots.plot_feature_maps(data.images[idx].numpy(), maps, [row_label(c, i) for c, i in zip((0, 1), idx)],
                            f"{net.capitalize()}, seed {seed}: second-layer feature maps (8 x 4 x 4)", out,
                            f"part3_{name}_feature_maps")
    captions = {
        "filters": f"The 16 first-layer $7\\times7$ filters of the {net} (seed {seed}) {when}; red positive, "
                   "blue negative, one colour scale centred on 0.",
        "feature_maps": f"Second-layer feature maps of the {net} (seed {seed}) for {samples} (samples "
                        f"{idx[0]} and {idx[1]}): the input, then the 8 ReLU maps of size $4\\times4$ on one "
                        f"colour scale.{extra}"}
    for key, text in captions.items():
        write_text(out / f"part3_{name}_{key}_caption.tex", text + "\n")
    return captions
