"""The many-seed engine against each script's own plain loop, and the invariances it promises.

All in float64. Counts and statuses must be identical (no tolerance a different CPU could break),
and a run's numbers must not depend on which other runs share its batch (bit for bit). The curves
are checked against the scripts' loops only as a sanity check of the maths: the two round
differently, and a few thousand steps of the conv nets grow that to ~4e-9 at most (measured), while a
wrong gradient would be off by O(1).
"""
import background
import numpy as np
import pytest
import torch
from conftest import bundled, compute_loop, script_loop

import part2_fc
from dlbasics.engine import experiments
from dlbasics.engine.loop import CENSORED, DIVERGED, STUCK, Job, first_reached, train
from dlbasics.engine.sums import sum_samples

SEEDS = list(range(8))
RTOL = 1e-6
SETTING_NAMES = [s.name for s in part2_fc.SETTINGS]


def fc_runs(setting, jobs, max_iters=10000, width=None, **training):
    return train(experiments.part2(experiments.SETTINGS[setting], bundled("random"), **training), jobs, max_iters, width)


def fc_jobs(setting, seeds, lr=0.1, reductions=("mean",), record=False):
    return [Job(experiments.SETTINGS[setting], s, lr, red, record=record) for red in reductions for s in seeds]


@pytest.mark.parametrize("setting", SETTING_NAMES)
def test_fc_engine_matches_the_scripts_loop(setting):
    for run in fc_runs(setting, fc_jobs(setting, SEEDS, reductions=("mean", "sum"), record=True)):
        loop = script_loop(setting, run.seed, run.reduction)
        assert (run.iterations, run.status) == (loop.iterations, loop.status), (run.seed, run.reduction)
        assert np.array_equal(run.curves["acc"], loop.curves["acc"])
        assert np.allclose(run.curves["loss"], loop.curves["loss"], rtol=RTOL, atol=0)


def test_line_engine_matches_the_scripts_loop():
    jobs = [Job("line", s, 0.1, red, record=True) for red in ("mean", "sum") for s in range(4)]
    for run in train(experiments.line("line", bundled("line")), jobs, 10000, width=8):
        loop = script_loop("line", run.seed, run.reduction)
        assert (run.iterations, run.status) == (loop.iterations, loop.status), (run.seed, run.reduction)
        assert np.allclose(run.curves["loss"], loop.curves["loss"], rtol=RTOL, atol=0)


DETECTION_RUNS = [(0, "mean"), (1, "sum"), (2, "sum"), (3, "sum")]
# The script's loops these tests compare with take a while (detection seed 0 alone ~18 s): each set is
# computed in a process of its own from the start of the session (tests/background.py).
SEED0_CHECK = "test_the_scripts_loops_reproduce_the_expected_seed0_counts"        # test_verify.py asks too
background.define_references(
    "loops detection", [("detection", s, red, 0.1) for s, red in DETECTION_RUNS],
    lambda item: item.name in ("test_detection_engine_matches_the_scripts_loop",
                               f"{SEED0_CHECK}[study detection-detection-mean]"), long=True)
background.define_references(
    "loops fc", [(name, s, red, 0.1) for name in SETTING_NAMES for red in ("mean", "sum") for s in SEEDS],
    lambda item: item.name.startswith(("test_fc_engine_matches_the_scripts_loop[", f"{SEED0_CHECK}[study part2")))


def test_detection_engine_matches_the_scripts_loop():
    """Seed 0 (the single run) to its end, and three sum-reduced seeds (they die or diverge early)."""
    jobs = [Job("detection", s, 0.1, red, record=True) for s, red in DETECTION_RUNS]
    for run in train(experiments.detection("detection", bundled("detection")), jobs, 10000, width=8):
        loop = script_loop("detection", run.seed, run.reduction)
        assert (run.iterations, run.status) == (loop.iterations, loop.status), (run.seed, run.reduction)
        first = first_reached(np.array(loop.curves["cls_acc"])[:, None])[0]
        assert run.milestones["classification"] == (first if first >= 0 else None) == loop.milestones["classification"]
        if loop.status != DIVERGED:
            for key in ("cls_loss", "reg_loss"):
                assert np.allclose(run.curves[key], loop.curves[key], rtol=RTOL, atol=0), key


@pytest.mark.parametrize("setting", ["sigmoid-l2", "relu-ce"])
def test_fc_run_is_bit_identical_alone_in_a_study_or_any_width(setting):
    jobs = [j for lr in (0.1, 3.0) for j in fc_jobs(setting, range(6), lr, ("mean", "sum"), record=True)]
    study = fc_runs(setting, jobs, 1500)
    narrow = fc_runs(setting, jobs, 1500, width=5)                       # columns refilled as runs stop
    for k in (0, 5, 8, 14, 19, 23):                                       # every lr and reduction
        alone = fc_runs(setting, [jobs[k]], 1500)[0]
        for other in (study[k], narrow[k]):
            assert (alone.iterations, alone.status) == (other.iterations, other.status)
            assert all(np.array_equal(alone.curves[m], other.curves[m], equal_nan=True) for m in alone.curves), jobs[k]


def test_conv_run_is_bit_identical_alone_or_in_a_block():
    jobs = [Job("line", s, 0.1, "mean", record=True) for s in range(10)]
    block = train(experiments.line("line", bundled("line")), jobs, 300, width=8)
    alone = train(experiments.line("line", bundled("line")), [jobs[9]], 300, width=8)[0]
    assert alone.iterations == block[9].iterations
    assert np.array_equal(alone.curves["loss"], block[9].curves["loss"])


def test_stopped_run_keeps_the_parameters_of_its_stop():
    """Two runs share a batch; the first to stop must keep exactly the parameters it had at its stop
    while the other goes on: a solo run capped at that iteration ends with the same weights."""
    runs = fc_runs("relu-ce", fc_jobs("relu-ce", (0, 1), record=True))
    first, second = sorted(runs, key=lambda r: r.iterations)
    assert first.iterations < second.iterations
    capped = fc_runs("relu-ce", fc_jobs("relu-ce", (first.seed,), record=True), max_iters=first.iterations)[0]
    assert all(torch.equal(first.params[k], capped.params[k]) for k in first.params)
    assert len(first.curves["loss"]) == first.iterations + 1


def test_dead_runs_never_recover(monkeypatch):
    """Every sum-reduced ReLU + CE run the engine calls dead, run on by the script's loop with the rule
    switched off, stays short of 100 %: from its death on, every image gets the same prediction (only
    the output bias still moves), so the accuracy is one of the two class shares."""
    runs = fc_runs("relu-ce", fc_jobs("relu-ce", range(4), reductions=("sum",)))
    dead = [r for r in runs if r.status == STUCK]
    assert dead, "expected dead nets among sum-reduced ReLU + CE runs"
    data = bundled("random")
    zeros, ones = data.class_counts
    monkeypatch.setattr(part2_fc, "stops_when_dead", lambda *args: False)
    for run in dead[:2]:
        loop = compute_loop("relu-ce", run.seed, "sum", 0.1, 2000)
        assert (loop.iterations, loop.status) == (2000, CENSORED)
        assert set(loop.curves["acc"][run.iterations:]) <= {zeros / len(data), ones / len(data)}


@pytest.mark.parametrize("setting, lr, status", [("sigmoid-l2", 1e-9, CENSORED), ("sigmoid-ce", 1e6, CENSORED),
                                                 ("relu-ce", 1e6, STUCK)])      # the ends of --lr's range
def test_extreme_learning_rates_end_as_in_the_scripts_loop(setting, lr, status):
    jobs = [Job(experiments.SETTINGS[setting], 1, lr, "sum"), Job(experiments.SETTINGS[setting], 2, 0.1, "mean")]
    runs = fc_runs(setting, jobs, max_iters=300)                       # the other run goes on as usual
    assert runs[0].status == status
    for run, (lr_, red) in zip(runs, ((lr, "sum"), (0.1, "mean"))):
        loop = compute_loop(setting, run.seed, red, lr_, 300)
        assert (run.iterations, run.status) == (loop.iterations, loop.status)


def test_sum_samples_is_a_sum():
    x = torch.rand(37, 5, dtype=torch.float64)
    assert torch.allclose(sum_samples(x), x.sum(0), rtol=1e-12)


def test_first_reached():
    curve = np.array([[0.5, 1.0], [1.0, 1.0], [0.9, 1.0]])
    assert first_reached(curve).tolist() == [1, 0]
    assert first_reached(np.array([[0.1], [0.2]])).tolist() == [-1]


def test_the_medians_interval_is_exact_with_its_true_coverage():
    """Order statistics x_(j)..x_(n+1-j), the largest j whose coverage 1 - 2 P(B < j), B ~ Bin(n, 1/2),
    stays at least 95 %: recomputed here by brute force over j."""
    from math import comb

    from dlbasics.study.stats import median_ci

    def coverage(n, j):
        return 1 - 2 * sum(comb(n, i) for i in range(j)) / 2 ** n
    for n in (1, 5, 6, 8, 32, 200, 1000):
        values = np.arange(n, dtype=float) * 3 + 1           # distinct, sorted: x_(k) = 3 (k - 1) + 1
        low, high, cov = median_ci(values)
        best = max((j for j in range(1, (n + 1) // 2 + 1) if coverage(n, j) >= 0.95), default=1)
        assert (low, high) == (values[best - 1], values[n - best]), n
        assert abs(cov - coverage(n, best)) < 1e-12, n
    assert median_ci(np.arange(8.0))[2] == 1 - 2 / 2 ** 8          # 8 seeds: the whole range, 99.2 %
    low, high, _ = median_ci([1.0, 2.0, 3.0, np.inf, np.inf, np.inf, np.inf, 4.0])
    assert low == 1.0 and high == np.inf                             # runs beyond the cap sort last


def test_an_interval_of_zero_width_is_marked_and_its_ties_counted():
    from dlbasics.study.tables import fmt_ci, tie_note
    tied = {"ci_low": 25.0, "ci_high": 25.0, "seeds": 1000, "median_ties": 412}
    assert fmt_ci(tied, 10000, tex=True) == "25$^*$" and fmt_ci(tied, 10000) == "25"
    note, = tie_note([("sigmoid + L2 (sum)", tied)])
    assert "412 of the 1000 seeds of sigmoid + L2 (sum) end at exactly 25" in note
    beyond = {"ci_low": np.inf, "ci_high": np.inf, "seeds": 8, "median_ties": 0}
    assert fmt_ci(beyond, 10000, tex=True) == "$>$10\\,000" and tie_note([("x", beyond)]) == []
