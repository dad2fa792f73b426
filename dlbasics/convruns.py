"""The part 3 conv nets: how many runs share a batch, and pictures of what a trained net learned.

Runs go through the engine BLOCK at a time: the per-seed matrices of a block of 8 stay in cache, a
finished run's column is refilled at once, and each worker process computes on one thread (two
single-threaded processes beat one process with two threads here, and keep every run's bits
independent of the thread count).
"""
import numpy as np
import torch

from . import pictures
from .convnet import ConvNet
from .models import init_
from .outputs import write_text

BLOCK = 8


def feature_maps(params, images, regression):
    """Second-layer ReLU maps (N, 8, 4, 4) of the net with nn.Module state `params`, computed by the
    engine's own forward pass."""
    net = ConvNet(images, regression)
    _, cache = net.forward(net.load([params]))
    return cache["acts"]["conv2"][..., 0].numpy()


def relative_change(params, seed, regression, name, init="handout"):
    """||final - initial|| / ||initial|| of parameter `name` for the run of `seed`."""
    initial = init_(ConvNet(torch.zeros(1, 16, 16, dtype=torch.float64), regression).module(), seed, init)
    initial = initial.state_dict()[name]
    size = initial.norm()
    return float((params[name].to(initial.dtype) - initial).norm() / size) if size > 0 else float("inf")


def picture_samples(data):
    """The first sample of each class present: [(class, index)]."""
    labels = data.labels.numpy()
    return [(c, int(np.flatnonzero(labels == c)[0])) for c in (0, 1) if (labels == c).any()]


def learned_pictures(run, data, out, name, row_label, when, extra=""):
    """The filter grid and the second-layer feature maps of `run`, with their captions.

    The maps are shown for the first image of each class and averaged over each class. Writes
    part3_<name>_filters / _feature_maps (.png, .pdf, _caption.tex); row_label(c, i) names class c's
    image i. Returns the captions and the number of maps that are 0 for every image.
    """
    net = f"{name} net"
    pictures.plot_filters(run.params["conv1.weight"].numpy(), f"{net.capitalize()}, seed {run.seed}: 7x7 filters",
                          out, f"part3_{name}_filters")
    maps = feature_maps(run.params, data.images, regression=data.widths is not None)      # (N, 8, 4, 4)
    labels = data.labels.numpy()
    picks = picture_samples(data)
    rows = [(row_label(c, i), data.images[i].numpy(), maps[i]) for c, i in picks]
    rows += [(f"mean of the\n{int((labels == c).sum())} label-{c}\nimages", None, maps[labels == c].mean(0))
             for c, _ in picks]
    pictures.plot_feature_maps(rows, out, f"part3_{name}_feature_maps",
                               f"{net.capitalize()}, seed {run.seed}: second-layer maps (8 x 4 x 4)")
    silent = int(sum(maps[:, c].max() == 0 for c in range(maps.shape[1])))
    which = " and ".join(f"image {i} (label {c})" for c, i in picks)
    captions = {
        "filters": f"The 16 first-layer $7\\times7$ filters of the {net} (seed {run.seed}) {when}; red positive, "
                   "blue negative, one colour scale centred on 0.",
        "feature_maps": f"Second-layer feature maps of the {net} (seed {run.seed}) {when}: for {which}, then "
                        f"averaged over each class, all on one colour scale. {silent} of the 8 maps "
                        f"{'is' if silent == 1 else 'are'} 0 for every one of the {len(labels)} images.{extra}"}
    for key, text in captions.items():
        write_text(out / f"part3_{name}_{key}_caption.tex", text + "\n")
    return captions, silent


def data_samples(data, out, name, caption_of, title):
    """Four images of each class present (the data section's figure)."""
    labels = data.labels.numpy()
    idx = [i for c in (0, 1) for i in np.flatnonzero(labels == c)[:4]]
    pictures.plot_samples([data.images[i].numpy() for i in idx], [caption_of(i) for i in idx], out,
                          f"part3_{name}_data", title)
