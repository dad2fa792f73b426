"""The many-seed engine against the plain one-seed reference, and the invariances it promises.

All in float64. Counts and statuses must be identical (no tolerance a different CPU could break),
and a run's numbers must not depend on which other runs share its batch (bit for bit). The curves
are checked against the reference only as a sanity check of the maths: the two round differently,
and a few thousand steps of the conv nets grow that to ~4e-9 at most (measured), while a wrong
gradient would be off by O(1).
"""
import numpy as np
import pytest
import torch

import part2_fc
import part3_conv
import part3_detection
import background
from conftest import ROOT, reference
from dlbasics.data import load_dataset
from dlbasics.engine import CENSORED, DIVERGED, STUCK, Job, first_reached, train
from dlbasics.sums import sum_samples
from dlbasics.reference import train_reference

SEEDS = list(range(8))
RTOL = 1e-6


@pytest.fixture(scope="module")
def random_data():
    return load_dataset("random", ROOT / "data")


@pytest.fixture(scope="module")
def line_data():
    return load_dataset("line", ROOT / "data")


@pytest.fixture(scope="module")
def detection_data():
    return load_dataset("detection", ROOT / "data")


def fc_runs(data, setting, jobs, max_iters=10000, width=None):
    return train(part2_fc.experiment(setting, data), jobs, max_iters, width)


@pytest.mark.parametrize("setting", part2_fc.SETTINGS)
def test_fc_engine_matches_reference(random_data, setting):
    activation, loss = setting.split("-")
    jobs = [Job(setting, s, 0.1, red, record=True) for red in ("mean", "sum") for s in SEEDS]
    for run in fc_runs(random_data, setting, jobs):
        iters, status, curves = reference(loss, run.seed, run.reduction, activation)
        assert (run.iterations, run.status) == (iters, status), (run.seed, run.reduction)
        assert np.array_equal(run.curves["acc"], curves["acc"])
        assert np.allclose(run.curves["loss"], curves["loss"], rtol=RTOL, atol=0)


def test_line_engine_matches_reference(line_data):
    jobs = [Job("line", s, 0.1, red, record=True) for red in ("mean", "sum") for s in range(4)]
    for run in train(part3_conv.experiment("line", line_data), jobs, 10000, width=8):
        iters, status, curves = reference("line", run.seed, run.reduction)
        assert (run.iterations, run.status) == (iters, status), (run.seed, run.reduction)
        assert np.allclose(run.curves["loss"], curves["loss"], rtol=RTOL, atol=0)


DETECTION_RUNS = [(0, "mean"), (1, "sum"), (2, "sum"), (3, "sum")]
# The plain references these tests compare with take a while (detection seed 0 alone ~25 s): each set
# is computed in a process of its own from the start of the session (tests/background.py).
SEED0_CHECK = "test_plain_reference_reproduces_the_expected_seed0_counts"        # test_verify.py asks too
background.define_references(
    "reference detection", [("detection", s, red, "relu", 0.1) for s, red in DETECTION_RUNS],
    lambda item: item.name in ("test_detection_engine_matches_reference",
                               f"{SEED0_CHECK}[part3_detection.py-detection-mean]"), long=True)
background.define_references(
    "reference fc", [(loss, s, red, act, 0.1) for act, loss in (x.split("-") for x in part2_fc.SETTINGS)
                     for red in ("mean", "sum") for s in SEEDS],
    lambda item: item.name.startswith(("test_fc_engine_matches_reference[", f"{SEED0_CHECK}[part2_fc.py")))


def test_detection_engine_matches_reference(detection_data):
    """Seed 0 (the single run) to its end, and three sum-reduced seeds (they die or diverge early)."""
    jobs = [Job("detection", s, 0.1, red, record=True) for s, red in DETECTION_RUNS]
    runs = train(part3_detection.experiment("detection", detection_data), jobs, 10000, width=8)
    for run in runs:
        iters, status, curves = reference("detection", run.seed, run.reduction)
        assert (run.iterations, run.status) == (iters, status), (run.seed, run.reduction)
        first = first_reached(np.array(curves["cls_acc"])[:, None])[0]
        assert run.milestones["classification"] == (first if first >= 0 else None)
        if status != DIVERGED:
            for key in ("cls_loss", "reg_loss"):
                assert np.allclose(run.curves[key], curves[key], rtol=RTOL, atol=0), key


@pytest.mark.parametrize("setting", ["sigmoid-l2", "relu-ce"])
def test_fc_run_is_bit_identical_alone_in_a_study_or_any_width(random_data, setting):
    jobs = [Job(setting, s, lr, red, record=True) for lr in (0.1, 3.0) for red in ("mean", "sum") for s in range(6)]
    study = fc_runs(random_data, setting, jobs, 1500)
    narrow = fc_runs(random_data, setting, jobs, 1500, width=5)          # columns refilled as runs stop
    for k in (0, 5, 8, 14, 19, 23):                                       # every lr and reduction
        alone = fc_runs(random_data, setting, [jobs[k]], 1500)[0]
        for other in (study[k], narrow[k]):
            assert (alone.iterations, alone.status) == (other.iterations, other.status)
            assert all(np.array_equal(alone.curves[m], other.curves[m], equal_nan=True) for m in alone.curves), jobs[k]


def test_conv_run_is_bit_identical_alone_or_in_a_block(line_data):
    jobs = [Job("line", s, 0.1, "mean", record=True) for s in range(10)]
    block = train(part3_conv.experiment("line", line_data), jobs, 300, width=8)
    alone = train(part3_conv.experiment("line", line_data), [jobs[9]], 300, width=8)[0]
    assert alone.iterations == block[9].iterations
    assert np.array_equal(alone.curves["loss"], block[9].curves["loss"])


def test_stopped_run_keeps_the_parameters_of_its_stop(random_data):
    """Two runs share a batch; the first to stop must keep exactly the parameters it had at its stop
    while the other goes on: a solo run capped at that iteration ends with the same weights."""
    jobs = [Job("relu-ce", s, 0.1, "mean", record=True) for s in (0, 1)]
    runs = fc_runs(random_data, "relu-ce", jobs)
    first, second = sorted(runs, key=lambda r: r.iterations)
    assert first.iterations < second.iterations
    capped = fc_runs(random_data, "relu-ce", [Job("relu-ce", first.seed, 0.1, "mean", record=True)],
                     max_iters=first.iterations)[0]
    assert all(torch.equal(first.params[k], capped.params[k]) for k in first.params)
    assert len(first.curves["loss"]) == first.iterations + 1


def test_dead_runs_never_recover(random_data):
    """Every sum-reduced ReLU + CE run the engine calls dead, run on by the reference without the rule,
    stays short of 100 %: from its death on, every image gets the same prediction (only the output
    bias still moves), so the accuracy is one of the two class shares."""
    runs = fc_runs(random_data, "relu-ce", [Job("relu-ce", s, 0.1, "sum") for s in range(4)])
    dead = [r for r in runs if r.status == STUCK]
    assert dead, "expected dead nets among sum-reduced ReLU + CE runs"
    zeros, ones = random_data.class_counts
    for run in dead[:2]:
        iters, status, curves = train_reference("ce", run.seed, random_data, 0.1, 2000, "sum", "relu",
                                                stop_dead=False)
        assert (iters, status) == (2000, CENSORED)
        assert set(curves["acc"][run.iterations:]) <= {zeros / len(random_data), ones / len(random_data)}


@pytest.mark.parametrize("setting, lr, status", [("sigmoid-l2", 1e-9, CENSORED), ("relu-ce", 1e300, DIVERGED),
                                                 ("sigmoid-ce", 1e300, CENSORED), ("relu-ce", 1e20, STUCK)])
def test_extreme_learning_rates_end_as_in_the_reference(random_data, setting, lr, status):
    activation, loss = setting.split("-")
    jobs = [Job(setting, 1, lr, "sum"), Job(setting, 2, 0.1, "mean")]      # the other run goes on as usual
    runs = fc_runs(random_data, setting, jobs, max_iters=300)
    assert runs[0].status == status
    assert (runs[0].iterations, runs[0].status) == train_reference(loss, 1, random_data, lr, 300, "sum", activation)[:2]
    assert (runs[1].iterations, runs[1].status) == train_reference(loss, 2, random_data, 0.1, 300, "mean",
                                                                   activation)[:2]


def test_sum_samples_is_a_sum():
    x = torch.rand(37, 5, dtype=torch.float64)
    assert torch.allclose(sum_samples(x), x.sum(0), rtol=1e-12)


def test_first_reached():
    curve = np.array([[0.5, 1.0], [1.0, 1.0], [0.9, 1.0]])
    assert first_reached(curve).tolist() == [1, 0]
    assert first_reached(np.array([[0.1], [0.2]])).tolist() == [-1]
