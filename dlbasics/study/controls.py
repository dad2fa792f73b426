"""The controlled experiments behind the report's causes: each trains a script's experiment with one
thing changed, over the same seeds as the study's own runs, and compares seed by seed.

  part 2, L2 against CE       L2 at the learning rate divided by the L2/CE step factor measured along
                              seed --seed's L2 run: if L2 is slower only because its steps are smaller,
                              the gap to CE closes.
  part 2, sigmoid against ReLU  sigmoid units with the first layer's learning rate multiplied by the
                              ReLU/sigmoid slope factor measured along seed --seed's runs: if sigmoid
                              units are slower only because sigma' shrinks what reaches the first layer,
                              the gap to ReLU closes.
  part 3.1, architecture      part 2's kind of net (fully connected, one ReLU layer, cross-entropy) on
  against data                the line images: 256-4-1, and 256-28-1 with about the conv net's number
                              of parameters, from the handout's initialisation at the line net's lr.
  part 3.2, shared layers     the width head trained alone (the classifier never steps), against both
                              heads: does the classification's step help or hinder the width's?
"""
from dataclasses import dataclass

import numpy as np
import torch

import part2_fc
import part3_detection
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job
from dlbasics.study.stats import censored_values, sign_test
from dlbasics.study.tables import summarise_with_ci


@dataclass(frozen=True)
class Variant:
    """A script's setting trained with one thing changed (a control)."""
    base: object                # a part2_fc.Setting, or "line" / "detection"
    change: str                 # what changed, for people
    first_layer_lr: float = 1.0     # the first layer's learning rate as a multiple of the run's
    hidden: int = 0                 # > 0: part 2's kind of fully connected net with this many units
    width_only: bool = False        # the detection net's classifier never steps

    @property
    def name(self):
        return f"{getattr(self.base, 'name', self.base)}: {self.change}"


def experiment(variant, data, lr_reg=0.001, **training):
    """The engine's experiment for a control (module-level: worker processes build it)."""
    if variant.hidden:
        return experiments.part2(variant.base, data, hidden=variant.hidden)
    if variant.width_only:
        return experiments.detection("detection", data, lr_reg, width_only=True)
    return experiments.part2(variant.base, data, first_layer_lr=variant.first_layer_lr, **training)


# ---- which runs -----------------------------------------------------------------------------------------
def part2_variants(mech, activations, lr):
    """[(variant, its learning rate, the reference it is set against: (setting, lr))] from the factors
    measured along the recorded runs (the mechanism's numbers)."""
    out = []
    for act in activations:
        label = "sigmoid" if act == "sigmoid" else "ReLU"
        factor = mech[f"l2 factor {label} + L2"]
        out.append((Variant(part2_fc.Setting(act, "l2"), f"lr / {factor:.3g} (the L2/CE step factor)"), lr / factor,
                    (part2_fc.Setting(act, "ce"), lr), factor))
    if "relu" in activations and "sigmoid" in activations:
        for loss in ("l2", "ce"):
            ratio = mech[f"slope ReLU + {loss.upper()}"] / mech[f"slope sigmoid + {loss.upper()}"]
            out.append((Variant(part2_fc.Setting("sigmoid", loss), f"first layer's lr x {ratio:.3g} (the slope factor)",
                                first_layer_lr=ratio), lr, (part2_fc.Setting("relu", loss), lr), ratio))
    return out


def jobs(variants, seeds, reduction="mean", record_seed=None):
    return [Job(v, s, lr, reduction, record=(s == record_seed)) for v, lr, *_ in variants for s in seeds]


# ---- how they compare ------------------------------------------------------------------------------------
def compare(variant_runs, reference_runs, baseline_runs=None):
    """One control against its reference on the same seeds: both summaries, the ratio of medians and the
    paired sign test (how many seeds the control needs fewer iterations on, how many more); with the
    uncontrolled `baseline_runs`, the ratio before the change too."""
    by_seed = {r.seed: r for r in reference_runs}
    mine = [r for r in variant_runs if r.seed in by_seed]
    theirs = [by_seed[r.seed] for r in mine]
    fewer, more, p = sign_test(censored_values(mine), censored_values(theirs))
    out = {"seeds": len(mine), "control": summarise_with_ci(mine), "reference": summarise_with_ci(theirs),
           "fewer": fewer, "more": more, "p_value": p}
    out["ratio"] = ratio(out["control"]["median"], out["reference"]["median"])
    if baseline_runs is not None:                  # the same setting unchanged: did the change itself help?
        base = {r.seed: r for r in baseline_runs}
        unchanged = [base[r.seed] for r in mine]
        out["baseline"] = summarise_with_ci(unchanged)
        out["ratio_before"] = ratio(out["baseline"]["median"], out["reference"]["median"])
        out["fewer_than_before"], out["more_than_before"], out["p_before"] = sign_test(censored_values(mine),
                                                                                       censored_values(unchanged))
    return out


def ratio(a, b):
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else float("nan")


def largest_drop(curve):
    """The largest fall of an accuracy curve below its best value so far (0 if it never falls)."""
    curve = np.asarray(curve, dtype=float)
    return float(np.max(np.maximum.accumulate(curve) - curve)) if len(curve) else 0.0


def largest_fall(curve, after=0):
    """The largest fall of an accuracy curve below its best value so far, looking from iteration `after`
    on: {"fall", "at", "from", "to"} (shares of images, and the iteration where it is lowest); None if the
    curve ends before `after`."""
    curve = np.asarray(curve, dtype=float)[after:]
    if not len(curve):
        return None
    best = np.maximum.accumulate(curve)
    i = int(np.argmax(best - curve))
    return {"fall": float(best[i] - curve[i]), "at": after + i, "from": float(best[i]), "to": float(curve[i])}


def first_at(curve, share):
    """The first iteration at which an accuracy curve reaches `share` (None if never)."""
    hit = np.flatnonzero(np.asarray(curve) >= share - 1e-12)
    return int(hit[0]) if len(hit) else None


def head_steps(params, data, lr_cls, lr_reg):
    """At the detection net's parameters `params` (a state dict): the norm of each loss's step on the
    shared conv layers, lr x ||d loss / d shared parameters|| (mean losses), for the classifier's
    cross-entropy ("cls") and the width's L2 ("reg"); and, averaged over the images, the size of each
    per-image loss's derivative in its own output ("cls_slope": |sigmoid(z) - y|, "reg_slope": the L2's
    2 |r_hat - r|) and the width's error |r_hat - r| in pixels ("reg_error")."""
    net = part3_detection.DetectionNet().to(data.images.dtype)
    net.load_state_dict({k: v.to(data.images.dtype) for k, v in params.items()})
    logits, widths, _ = net(data.images)
    shared = [p for n, p in net.named_parameters() if n.startswith("conv")]
    steps = {"reg_error": float((widths.detach() - data.widths).abs().mean())}
    for name, per_image, output, lr in (("cls", part3_detection.cross_entropy(logits, data.labels), logits, lr_cls),
                                        ("reg", part3_detection.width_l2(widths, data.widths), widths, lr_reg)):
        grads = torch.autograd.grad(per_image.mean(), shared, retain_graph=True)
        steps[name] = lr * float(torch.sqrt(sum((g * g).sum() for g in grads)))
        slope, = torch.autograd.grad(per_image.sum(), output, retain_graph=True)     # each image's own derivative
        steps[f"{name}_slope"] = float(slope.abs().mean())
    return steps
