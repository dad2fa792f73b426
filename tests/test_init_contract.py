"""The starting weights are a contract: seed k gives the same weights under every torch and NumPy release.

The scripts draw them from numpy.random.RandomState, whose stream NumPy has frozen. This test recomputes
the expected weights with its own few lines of NumPy (nothing of the scripts but the net under test), and
pins them with constants written here: the first weights in full and a SHA-256 of every parameter. If
anyone changes the stream, the order of the parameters or the truncation, this test fails; the numbers of
every run change with it, so such a change also regenerates dlbasics/expected_results.json and says why.
"""
import hashlib

import numpy as np
import pytest
import torch
from conftest import ROOT

import part2_fc
import part3_conv
import part3_detection

CONV = [("conv1.weight", (16, 1, 7, 7)), ("conv1.bias", (16,)), ("conv2.weight", (8, 16, 7, 7)), ("conv2.bias", (8,)),
        ("fc.weight", (1, 128)), ("fc.bias", (1,))]
NETS = {  # name -> (the script's net, its parameters in named_parameters() order, written out here)
    "FCNet sigmoid": (lambda: part2_fc.FCNet("sigmoid"),
                      [("fc1.weight", (4, 16)), ("fc1.bias", (4,)), ("fc2.weight", (1, 4)), ("fc2.bias", (1,))]),
    "FCNet relu": (lambda: part2_fc.FCNet("relu"),
                   [("fc1.weight", (4, 16)), ("fc1.bias", (4,)), ("fc2.weight", (1, 4)), ("fc2.bias", (1,))]),
    "ConvNet": (part3_conv.ConvNet, CONV),
    "DetectionNet": (part3_detection.DetectionNet, CONV + [("reg.weight", (1, 128)), ("reg.bias", (1,))]),
}
SEEDS = (0, 1, 7)
# The first three weights of every net for each seed (the stream's first draws, times 0.1), in full.
FIRST = {0: [0.1764052345967664, 0.040015720836722335, 0.09787379841057392],
         1: [0.16243453636632418, -0.06117564136500754, -0.052817175226345575],
         7: [0.16905257038003563, -0.04659373705408328, 0.0032820163678584403]}
# SHA-256 of every parameter as float64, little-endian, in named_parameters() order.
SHA256 = {
    ("FCNet", 0): "4afdef6117f4b578a96f9781f52ce0dd60cf3d1a5e6d77c37231cbb919370b96",
    ("FCNet", 1): "418412d3e621c6d263fa0324559e376f88f465e339ea00273d9008d4bddd07c2",
    ("FCNet", 7): "5111d92c7ef593219374935aee6cfecce2b94d6f99c5644f29f9b44874e9e8a0",
    ("ConvNet", 0): "6fbe9e530bb8cf047e89a6cfbbc6d97f63df5707b1f81773e8e70fdd58b54b8a",
    ("ConvNet", 1): "79ecfba288ea49204b5abc9ad313718d371d8190a71fd84170471cedefc97293",
    ("ConvNet", 7): "1aaecb000f0c6f5d7eedd52b26bd5b42fd94720efdef4cdddad14c2e59dc0aa6",
    ("DetectionNet", 0): "76deb83610eba792d33c93f23fd7048a4ad15986688710f4aa2054eb229e3bae",
    ("DetectionNet", 1): "6617680318eff86c1a1afce9b08ec764cd5313c04abdbd19149bbda0c7148c42",
    ("DetectionNet", 7): "f7697ef61dbc6f06fcf772dafed60cf2aad15173f4e77993c56c9425e016b620",
}


def handout_weights(shapes, seed, std=0.1):
    """The contract in NumPy: one RandomState(seed) for the whole net; each weight tensor in turn draws
    standard_normal(n) and redraws, in order, the entries beyond +-2 until none remains, times std;
    biases are 0.1 and draw nothing."""
    rng, out = np.random.RandomState(seed), []
    for name, shape in shapes:
        n = int(np.prod(shape))
        if name.endswith("bias"):
            out.append(np.full(n, 0.1))
            continue
        x = rng.standard_normal(n)
        while (np.abs(x) > 2).any():
            redraw = np.abs(x) > 2
            x[redraw] = rng.standard_normal(int(redraw.sum()))
        out.append(std * x)
    return out


def parameters(net):
    return [p.detach().numpy().ravel() for _, p in net.named_parameters()]


def sha256(arrays):
    return hashlib.sha256(b"".join(np.asarray(a, dtype="<f8").tobytes() for a in arrays)).hexdigest()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("net", NETS)
def test_the_scripts_draw_the_contracted_weights(net, seed):
    make, shapes = NETS[net]
    module = make().double()
    assert [(k, tuple(p.shape)) for k, p in module.named_parameters()] == shapes
    got = parameters(part2_fc.init_weights(module, seed))
    want = handout_weights(shapes, seed)
    for (name, _), g, w in zip(shapes, got, want):
        np.testing.assert_array_equal(g, w, err_msg=f"{net} seed {seed} {name}")
    assert list(got[0][:3]) == FIRST[seed]
    assert sha256(got) == sha256(want) == SHA256[(net.split()[0], seed)]
    assert np.abs(np.concatenate(got)).max() <= 0.2 and not np.any(np.concatenate(got[0::2]) == 0)


def test_every_script_holds_the_same_init_block():
    for script in (part3_conv, part3_detection):
        for seed in SEEDS:
            a = parameters(script.init_weights(part3_conv.ConvNet().double(), seed))
            b = parameters(part2_fc.init_weights(part3_conv.ConvNet().double(), seed))
            assert sha256(a) == sha256(b) == SHA256[("ConvNet", seed)]


def test_the_summary_fingerprint_is_the_contract_sha():
    for script, net, name in ((part2_fc, part2_fc.FCNet(), "FCNet"), (part3_conv, part3_conv.ConvNet(), "ConvNet"),
                              (part3_detection, part3_detection.DetectionNet(), "DetectionNet")):
        assert script.fingerprint(script.init_weights(net.double(), 0)) == SHA256[(name, 0)]


def test_torch_generator_plays_no_part():
    torch.manual_seed(12345)
    torch.rand(1000)
    a = parameters(part2_fc.init_weights(part3_conv.ConvNet().double(), 7))
    torch.manual_seed(0)
    b = parameters(part2_fc.init_weights(part3_conv.ConvNet().double(), 7))
    assert sha256(a) == sha256(b) == SHA256[("ConvNet", 7)]


def test_float32_weights_are_the_float64_draws_rounded():
    got = parameters(part2_fc.init_weights(part2_fc.FCNet().float(), 1))
    want = handout_weights(NETS["FCNet relu"][1], 1)
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, w.astype(np.float32))


def test_other_schemes_draw_from_the_same_stream():
    shapes = NETS["FCNet relu"][1]
    net = part2_fc.init_weights(part2_fc.FCNet().double(), 3, "normal1")
    np.testing.assert_array_equal(np.concatenate(parameters(net)), np.concatenate(handout_weights(shapes, 3, std=1.0)))
    rng, want = np.random.RandomState(3), []
    for name, shape in shapes:                   # torch's rule: uniform(+-1/sqrt(fan_in)), biases too
        fan_in = {"fc1": 16, "fc2": 4}[name.split(".")[0]]
        want.append(rng.uniform(-fan_in ** -0.5, fan_in ** -0.5, int(np.prod(shape))))
    net = part2_fc.init_weights(part2_fc.FCNet().double(), 3, "default")
    np.testing.assert_array_equal(np.concatenate(parameters(net)), np.concatenate(want))
    zero = np.concatenate(parameters(part2_fc.init_weights(part2_fc.FCNet().double(), 3, "zero")))
    assert sorted(set(zero)) == [0.0, 0.1] and not parameters(part2_fc.init_weights(part2_fc.FCNet().double(), 3,
                                                                                      "zero-all"))[0].any()


def test_minibatch_orders_come_from_the_frozen_stream():
    labels = np.array([0.0, 1.0] * 8)
    for seed, epoch in ((0, 0), (7, 3), (2**32 - 1, 12)):
        want = np.random.RandomState([seed, epoch]).permutation(16)
        for script in (part2_fc, part3_conv):
            np.testing.assert_array_equal(script.epoch_order(seed, epoch, labels, "shuffled"), want)
    assert list(np.random.RandomState([0, 0]).permutation(16)[:4]) == [15, 2, 3, 11]


def test_no_run_draws_from_torchs_generator(tmp_path):
    """torch's generator is a stream no release promises to keep: the nets are built without torch's own
    initialisation (which draws from it and is thrown away), and nothing else in a run draws from it, so its
    state is the same before and after each training script's run."""
    before = torch.get_rng_state()
    for script in (part2_fc, part3_conv, part3_detection):
        script.main(["--max-iters", "3", "--no-figures", "--data-dir", str(ROOT / "data"), "--out-dir",
                     str(tmp_path / script.__name__)])
    assert torch.equal(before, torch.get_rng_state())
