"""The scripts' experiments as the many-seed engine trains them. Every piece comes from the script
that states it: the net and its initialisation, the per-image losses, what counts as correct, the dead
rule and when it applies, the order of mini-batches. Nothing is restated here; this only says which
output each loss reads and which accuracy stops a run.
"""
import torch

import part2_fc
import part3_conv
import part3_detection
from dlbasics.engine.convnet import ConvNet
from dlbasics.engine.fcnet import FCNet
from dlbasics.engine.loop import Experiment, Head
from dlbasics.engine.optim import GradientDescent
from dlbasics.engine.sampling import MiniBatches

SETTINGS = {s.name: s for s in part2_fc.SETTINGS}      # "sigmoid-l2" -> the Setting record (summaries)


def full(metric):
    """The done rule: `metric` at 100 % (the first evaluation with every image right)."""
    return lambda metrics: metrics[metric] == 1


def for_each_run(rule):
    """A script's rule for one net, applied to every run of a batch (their seed axis is last)."""
    return torch.vmap(rule, in_dims=-1)


def _training(labels, seed_dim, batch_size, order, momentum, weight_decay, layer_scale=None):
    batches = MiniBatches(labels, batch_size, order) if batch_size and batch_size < len(labels) else None
    return GradientDescent(momentum, weight_decay, seed_dim, layer_scale), batches


def part2(setting, data, init="handout", batch_size=None, order="shuffled", momentum=0.0, weight_decay=0.0,
          diagnostics=None, hidden=4, first_layer_lr=1.0):
    """part2_fc.py's run of `setting` (a part2_fc.Setting). diagnostics: (outputs, acts) of the recorded
    runs -> extra curves (dlbasics.study_part2). For the study's controls: `hidden` units, the first
    layer's learning rate as a multiple of the run's, and any dataset (the line images: 256 pixels)."""
    net = FCNet(data.images, setting.activation, init, hidden)
    optimizer, batches = _training(data.labels, net.seed_dim, batch_size, order, momentum, weight_decay,
                                   {"W": first_layer_lr} if first_layer_lr != 1 else None)
    dead = for_each_run(part2_fc.is_dead)
    return Experiment(net=net, heads=[Head("", "logit", data.labels, part2_fc.LOSSES[setting.loss], part2_fc.correct)],
                      done=full("acc"), stuck=(lambda acts: dead(acts["hidden"]))
                      if part2_fc.stops_when_dead(setting, data, momentum, weight_decay) else None,
                      optimizer=optimizer, batches=batches, record_grad_norms=diagnostics is not None,
                      diagnostics=diagnostics)


def line(setting, data, init="handout", batch_size=None, order="shuffled", momentum=0.0, weight_decay=0.0):
    """part3_conv.py's run (setting: "line")."""
    net = ConvNet(data.images, init=init)
    optimizer, batches = _training(data.labels, net.seed_dim, batch_size, order, momentum, weight_decay)
    dead = for_each_run(part3_conv.is_dead)
    return Experiment(net=net, heads=[Head("", "logit", data.labels, part3_conv.cross_entropy, part3_conv.correct)],
                      done=full("acc"), stuck=(lambda acts: dead({k: acts[k] for k in ("conv1", "conv2")}))
                      if part3_conv.stops_when_dead(data, momentum, weight_decay) else None,
                      optimizer=optimizer, batches=batches)


def detection(setting, data, lr_reg=0.001, width_only=False):
    """part3_detection.py's run (setting: "detection"): the classifier steps at the job's learning rate,
    the regressor at lr_reg; the run stops when every width is right, and records when every class
    first was. width_only (a control): the classifier is never stepped on, so the shared layers learn
    from the width's loss alone (the job's learning rate is then lr_reg's)."""
    net = ConvNet(data.images, regression=True)
    dead = for_each_run(part3_detection.is_dead)
    return Experiment(net=net, heads=[Head("cls", "logit", data.labels, part3_detection.cross_entropy,
                                           part3_detection.correct, trained=not width_only),
                                      Head("reg", "width", data.widths, part3_detection.width_l2,
                                           part3_detection.width_correct, lr=None if width_only else lr_reg)],
                      done=full("reg_acc"), stuck=(lambda acts: dead({k: acts[k] for k in ("conv1", "conv2")}))
                      if part3_detection.stops_when_dead(data) else None, milestones={"classification": full("cls_acc")})
