"""Beyond the handout: other initialisations, mini-batch SGD in a seeded order, momentum and weight
decay. The engine against the scripts' own loops on every new path (identical counts, float64), the
optimiser against torch.optim.SGD, and the facts the study's report section rests on."""
import sys

import background
import numpy as np
import pytest
import torch
from conftest import ROOT, bundled, compute_loop

import part2_fc
from dlbasics.engine import experiments
from dlbasics.engine.loop import Job, train
from dlbasics.engine.optim import GradientDescent
from dlbasics.engine.sampling import MiniBatches
from dlbasics.study import beyond

EDITION_2017 = {"momentum": 0.99, "weight_decay": 5e-4}
FLAGS = {"batch_size": "--batch-size", "order": "--order", "init": "--init", "momentum": "--momentum",
         "weight_decay": "--weight-decay"}


def flags(training):
    """The scripts' own flags for a training dict (momentum needs --optimizer momentum)."""
    return [f"{FLAGS[k]}={v}" for k, v in training.items()] + (["--optimizer=momentum"] if "momentum" in training else [])
FC_CASES = [("relu-ce", {"batch_size": 8, "order": "negatives-first"}),
            ("relu-l2", {"batch_size": 1, "order": "shuffled"}),
            ("sigmoid-ce", {"batch_size": 8, "order": "shuffled"}),
            ("relu-l2", EDITION_2017),
            ("sigmoid-l2", {"batch_size": 8, "order": "shuffled"} | EDITION_2017),
            ("relu-ce", {"init": "zero"}), ("relu-ce", {"init": "zero-all"}),
            ("sigmoid-ce", {"init": "zero-all"}), ("relu-l2", {"init": "default"}),
            ("sigmoid-ce", {"init": "normal1"})]


@pytest.mark.parametrize("setting, training", FC_CASES, ids=[f"{s}-{'-'.join(map(str, t.values()))}"
                                                              for s, t in FC_CASES])
def test_fc_engine_matches_the_scripts_loop_on_the_new_paths(setting, training):
    s = experiments.SETTINGS[setting]
    runs = train(experiments.part2(s, bundled("random"), **training), [Job(s, seed, 0.1) for seed in (0, 1)], 1500)
    for run in runs:
        loop = compute_loop(setting, run.seed, "mean", 0.1, 1500, flags(training))
        assert (run.iterations, run.status) == (loop.iterations, loop.status), run.seed


def test_line_engine_matches_the_scripts_loop_in_the_2017_edition():
    run, = train(experiments.line("line", bundled("line"), **EDITION_2017), [Job("line", 0, 0.01)], 1000, width=8)
    loop = compute_loop("line", 0, "mean", 0.01, 1000, ["--edition=2017"])
    assert (run.iterations, run.status) == (loop.iterations, loop.status)


def test_momentum_and_weight_decay_follow_torch_sgd():
    """Three runs with their own learning rates and buffers, against torch.optim.SGD one at a time."""
    gen = torch.Generator().manual_seed(0)
    lrs = torch.tensor([0.1, 0.01, 1.0], dtype=torch.float64)
    start = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    grads = [torch.randn(5, 3, generator=gen, dtype=torch.float64) for _ in range(40)]

    params, opt = {"w": start.clone()}, GradientDescent(**EDITION_2017, seed_dim=-1)
    opt.start()
    opt.add_columns(params, 3)
    for g in grads:
        opt.update(params, {"w": g.clone()}, lrs)
    for col in range(3):
        p = start[:, col].clone().requires_grad_(True)
        sgd = torch.optim.SGD([p], lr=float(lrs[col]), **EDITION_2017)
        for g in grads:
            p.grad = g[:, col].clone()
            sgd.step()
        torch.testing.assert_close(params["w"][:, col], p.detach(), rtol=1e-13, atol=0)


def test_minibatches_cover_every_image_once_per_epoch_in_the_seeded_order():
    labels = bundled("random").labels
    batches = MiniBatches(labels, 8, "negatives-first")
    for seed in (0, 7):
        for epoch in (0, 3):
            seen = np.concatenate([part2_fc.batch_indices(seed, epoch * batches.steps + k, labels, 8, "negatives-first")
                                   for k in range(batches.steps)])
            assert sorted(seen) == list(range(len(labels)))
            assert list(seen) == list(part2_fc.epoch_order(seed, epoch, labels, "negatives-first"))
            n0 = int((labels == 0).sum())
            assert (labels[seen[:n0]] == 0).all() and (labels[seen[n0:]] == 1).all()
        weights = batches.weights(np.array([0, 1]), np.array([seed, seed]), [0, 8], [True, False], torch.float64)
        assert weights[:, 0].sum() == 1 and (weights[:, 1] > 0).sum() == 8 and weights[:, 1].max() == 1
    assert list(part2_fc.epoch_order(0, 0, labels, "shuffled")) != list(part2_fc.epoch_order(0, 1, labels, "shuffled"))


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("training", [{}, {"batch_size": 8, "order": "shuffled"}])
def test_zero_weights_keep_the_hidden_units_identical(activation, training):
    """With zero weights every hidden unit gets the same gradient, so the units stay copies of each
    other to the last bit (the net acts as 16-1-1); from the handout's init they differ."""
    data = bundled("random")
    setting = experiments.SETTINGS[f"{activation}-ce"]
    for init, identical in (("zero", True), ("handout", False)):
        runs = train(experiments.part2(setting, data, init=init, **training),
                     [Job(setting, s, 0.1, record=True) for s in (0, 1)], 300)
        for run in runs:
            w = torch.cat([run.params["fc1.weight"], run.params["fc1.bias"][:, None]], 1)
            v = run.params["fc2.weight"][0]
            assert run.iterations > 0
            assert bool((w == w[:1]).all() and (v == v[0]).all()) == identical, (init, run.seed)


def dead_share_at_end(setting, batch, order, lr, seeds):
    data = bundled("random")
    setting = experiments.SETTINGS[setting]
    runs = train(experiments.part2(setting, data, batch_size=batch, order=order, diagnostics=beyond.dead_units),
                 [Job(setting, s, lr, record=True) for s in range(seeds)], 2000)
    return float(np.mean([r.curves["dead_units"][-1] for r in runs]))


def test_negatives_first_kills_more_relu_units_where_the_batch_averages():
    """Over the study's seeds at lr 1: with batches of 8, a shuffled batch mixes both classes, while
    six all-negative batches in a row push every ReLU below zero; most ReLU + CE nets die."""
    seeds = beyond.parse_args([]).seeds
    first = dead_share_at_end("relu-ce", 8, "negatives-first", 1.0, seeds)
    shuffled = dead_share_at_end("relu-ce", 8, "shuffled", 1.0, seeds)
    assert first > 0.5 > shuffled, (first, shuffled)


def _tiny_study_command():
    return [([sys.executable, "-m", "dlbasics.study.beyond", "--seeds", "3", "--line-seeds", "1", "--max-iters", "400",
              "--line-max-iters", "40", "--workers", "1", "--no-progress", "--out-dir",
              str(background.scratch("tiny_study"))], ROOT)]


background.define("tiny_study", _tiny_study_command)


@pytest.fixture(scope="module")
def tiny_study():
    """The study's script end to end on a tiny budget."""
    proc, = background.wait("tiny_study")
    assert proc.returncode == 0, proc.stderr
    from dlbasics.study.summary import read
    out = background.scratch("tiny_study")
    return out, read(out / "beyond_summary.json")


def test_study_writes_its_outputs(tiny_study):
    out, _ = tiny_study
    for stem in ("beyond_init", "beyond_order", "beyond_dead_units", "beyond_edition"):
        assert (out / f"{stem}.png").is_file() and (out / f"{stem}.pdf").is_file()
    for table in ("beyond_init.tex", "beyond_order.tex", "beyond_edition.tex", "beyond_numbers.tex"):
        assert "\\begin" in (out / table).read_text() or "newcommand" in (out / table).read_text()


def test_study_claims_follow_its_runs(tiny_study):
    """The section's generated sentences against the runs in the summary, recomputed here."""
    _, s = tiny_study
    cols = s["runs"]["columns"]
    rows = [dict(zip(cols, r)) for r in s["runs"]["rows"]]
    numbers = s["numbers"]

    def runs(question, net, setting, variant, lr=0.1):
        return [r for r in rows if r["setting"] == f"{question}: {net} {setting} {variant} lr {lr:g}"]

    def median(rs):
        values = sorted(r["iterations"] if r["status"] == "reached" else np.inf for r in rs)
        return float(np.median(values)) if np.isfinite(np.median(values)) else np.inf

    # every seed of the zero init is the same run (nothing random in it)
    for setting in beyond.FC:
        zero = runs("init", "fc", setting, "zero")
        assert len({(r["iterations"], r["status"]) for r in zero}) == 1
    assert "every seed trained the very same net" in numbers["beyond claim zero"]
    # all-zero ReLU nets are dead at their first evaluation
    for setting in ("relu-ce", "relu-l2"):
        assert all(r["status"] == "stuck" and r["iterations"] == 0 for r in runs("init", "fc", setting, "zero-all"))
    # the two editions' rankings, from the medians (a tie keeps the settings' order)
    for v in ("2019", "2017"):
        med = {sname: median(runs("edition", "fc", sname, v)) for sname in beyond.FC}
        finite = [sname for sname in beyond.FC if np.isfinite(med[sname])]
        ranked = sorted(finite, key=lambda sname: med[sname])
        meds = [med[x] for x in ranked]
        text = numbers[f"beyond order {v}"]
        if ranked and len(set(meds)) == len(meds):
            assert text.split(", then ")[0] == " $<$ ".join(beyond.LABEL[x] for x in ranked)
        beyond_cap = [beyond.LABEL[x] for x in beyond.FC if x not in finite]
        assert all(label in text.split("then ")[-1] for label in beyond_cap), text
        assert ("beyond the cap" in text) == bool(beyond_cap)
    same = numbers["beyond order 2017"] == numbers["beyond order 2019"]
    assert numbers["beyond claim edition order"] == ("the same order" if same else "a different order")


def test_order_claims_need_the_seeds_to_tell_the_orders_apart():
    """'more than' only on a distinguishable sign test over the paired seeds, never on a raw gap."""
    assert beyond.compared_paired({"more": 30, "fewer": 1, "p": 1e-8}) == "more than"
    assert beyond.compared_paired({"more": 1, "fewer": 30, "p": 1e-8}) == "fewer than"
    assert beyond.compared_paired({"more": 6, "fewer": 4, "p": 0.75}) == "about as many as"
    assert beyond.compared_paired({"more": 0, "fewer": 0, "p": 1.0}) == "as many as"
    fewer, more, p = beyond.sign_test([0.25, 0.5, 0.0, 0.75], [0.0, 0.0, 0.0, 0.25])
    assert (fewer, more) == (0, 3) and p == pytest.approx(0.25)        # 2 * (1/2)^3


def test_edition_speed_never_turns_a_censored_median_into_a_number():
    st = lambda median, cap: {"median": median, "cap": cap}  # noqa: E731
    text = beyond.edition_speed({"sigmoid-l2": (st(np.inf, 10000), st(602, 1000)),
                                 "relu-ce": (st(888, 10000), st(723, 1000)),
                                 "relu-l2": (st(500, 10000), st(np.inf, 1000))})
    assert text.startswith("the 2017 training needed fewer updates by median in 2 of the 3 settings")
    assert "sigmoid + L2 more than 16.6" in text and "ReLU + CE 1.2" in text and "ReLU + L2 less than 0.5" in text
