"""The many-seed engine against the plain one-seed reference, and its own guarantees."""
import numpy as np
import pytest
import torch

from dlbasics.data import load_dataset
from dlbasics.engine import CENSORED, DIVERGED, REACHED, first_reached, train
from dlbasics.objectives import FCObjective, tree_sum0
from dlbasics.reference import train_reference
from conftest import ROOT

SEEDS = list(range(8))


@pytest.fixture(scope="module")
def random_data():
    torch.set_flush_denormal(True)
    return load_dataset("random", ROOT / "data")


def engine_run(data, act, loss, red, seeds, lr=0.1, max_iters=10000):
    obj = FCObjective(data.images, data.labels, act, loss)
    return train(obj, obj.init_state(seeds, lr, red), max_iters)


# Float32 rounding differs between the hand-written batched maths and torch's modules (summation
# order, fused ops): ~1e-7 per step. Gradient descent damps it, except where steps are large (the
# sum reduction multiplies them by 64) and ReLU kinks amplify it; there we allow 2 %.
TOL = {"mean": 1e-4, "sum": 2e-2}


@pytest.mark.parametrize("red", ["mean", "sum"])
@pytest.mark.parametrize("act,loss", [("sigmoid", "l2"), ("sigmoid", "ce"), ("relu", "l2"), ("relu", "ce")])
def test_engine_matches_reference(random_data, act, loss, red):
    max_iters = 3000
    res = engine_run(random_data, act, loss, red, SEEDS, max_iters=max_iters)
    for i, seed in enumerate(SEEDS):
        iters, status, curves = train_reference(loss, seed, random_data, 0.1, max_iters, red, act)
        assert (res.iterations[i], res.status[i]) == (iters, status), seed
        ref = np.array(curves["loss"])
        ours = res.curves["loss"][: iters + 1, i]
        assert np.max(np.abs(ours - ref) / (np.abs(ref) + 1e-3)) < TOL[red], seed
        assert np.array_equal(res.curves["acc"][: iters + 1, i], np.array(curves["acc"], dtype=np.float32))


def test_seed_k_of_a_batch_is_bit_identical_to_a_single_run(random_data):
    for act, loss in [("sigmoid", "l2"), ("relu", "ce")]:
        batch = engine_run(random_data, act, loss, "mean", list(range(12)), max_iters=1500)
        for k in (0, 5, 11):
            alone = engine_run(random_data, act, loss, "mean", [k], max_iters=1500)
            assert alone.iterations[0] == batch.iterations[k]
            n = alone.iterations[0] + 1
            assert np.array_equal(alone.curves["loss"][:n, 0], batch.curves["loss"][:n, k])


def test_tree_sum_matches_plain_sum():
    x = torch.rand(37, 5, dtype=torch.float64)
    assert torch.allclose(tree_sum0(x), x.sum(0), rtol=1e-12)


def test_tiny_lr_is_censored_not_counted(random_data):
    res = engine_run(random_data, "sigmoid", "l2", "mean", [0, 1], lr=1e-6, max_iters=200)
    assert list(res.status) == [CENSORED, CENSORED]
    assert list(res.iterations) == [200, 200]
    assert res.curves["loss"].shape == (201, 2)


def test_huge_lr_diverges_per_seed(random_data):
    obj = FCObjective(random_data.images, random_data.labels, "relu", "ce")
    state = obj.init_state([0, 1, 2], [0.1, 1e20, 0.1], ["mean", "sum", "mean"])  # only seed 1 explodes
    res = train(obj, state, 1000)
    assert res.status[1] == DIVERGED and res.iterations[1] == 1
    assert not np.isfinite(res.curves["loss"][1, 1])
    assert res.status[0] == REACHED and res.status[2] == REACHED   # the others went on
    assert train_reference("ce", 1, random_data, 1e20, 1000, "sum", "relu")[:2] == (1, DIVERGED)


def test_per_seed_stopping_freezes_parameters(random_data):
    res = engine_run(random_data, "relu", "ce", "mean", [0, 1], max_iters=2000)
    obj = FCObjective(random_data.images, random_data.labels, "relu", "ce")
    metrics, _ = obj.evaluate({k: v.clone() for k, v in res.final_state.items()})
    assert torch.all(metrics["acc"] == 1)                  # stopped exactly at the 100 % evaluation
    assert np.all(np.isnan(res.curves["acc"][res.iterations.max():, res.iterations.argmin()][1:]))


def test_first_reached():
    curve = np.array([[0.5, 1.0], [1.0, 1.0], [0.9, 1.0]])
    assert first_reached(curve).tolist() == [1, 0]
    assert first_reached(np.array([[0.1], [0.2]])).tolist() == [-1]
