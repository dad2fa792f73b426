"""The batched nets written out as matrices, against the nn.Modules and autograd, in float64."""
import pytest
import torch
from conftest import ROOT

from dlbasics.common.data import load_dataset
from dlbasics.engine.convnet import ConvNet
from dlbasics.engine.fcnet import FCNet

SEEDS = [0, 3, 7]
TOL = 1e-12      # float64: both sides agree to ~1e-15; a wrong term would be off by O(1)


def module_grads(module, params, x, losses):
    """Autograd through the plain nn.Module: {name: grad} of sum(losses(outputs))."""
    module.load_state_dict(params)
    for p in module.parameters():
        p.grad = None
    sum(losses(module(x))).backward()
    return {k: p.grad for k, p in module.named_parameters()}


def check(net, data, outputs_of, losses):
    """Forward outputs and hand-derived gradients of `net` against autograd, seed by seed."""
    params = net.init(SEEDS)
    outputs, cache = net.forward(params)
    d_out = {k: torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
             for k, out in outputs.items()}
    grads = net.backward(params, cache, d_out)
    for col, seed in enumerate(SEEDS):
        module = net.module()
        state = net.export(params, col)
        mod_grads = module_grads(module, state, data.images,
                                 lambda out: [(o * d_out[k][:, col]).sum() for k, o in outputs_of(out).items()])
        for k, out in outputs_of(module(data.images)).items():
            assert torch.allclose(outputs[k][:, col], out, rtol=0, atol=TOL), k
        ours = net.export({k: g for k, g in grads.items()}, col)
        for name, g in mod_grads.items():
            assert torch.allclose(ours[name], g, rtol=0, atol=TOL * max(1.0, g.abs().max().item())), (seed, name)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("init", ["handout", "normal1", "default"])
def test_fc_forward_and_backward_match_autograd(activation, init):
    data = load_dataset("random", ROOT / "data")
    net = FCNet(data.images, activation, init=init)
    check(net, data, lambda out: {"logit": out[0]}, None)


@pytest.mark.parametrize("regression", [False, True])
def test_conv_forward_and_backward_match_autograd(regression):
    data = load_dataset("detection" if regression else "line", ROOT / "data")
    net = ConvNet(data.images, regression)
    check(net, data, (lambda out: {"logit": out[0], "width": out[1]}) if regression else
          (lambda out: {"logit": out[0]}), None)


def test_conv_feature_maps_are_the_modules_own():
    data = load_dataset("line", ROOT / "data")
    net = ConvNet(data.images)
    params = net.init([4])
    _, cache = net.forward(params)
    module = net.module()
    module.load_state_dict(net.export(params, 0))
    with torch.no_grad():
        h1 = torch.relu(module.conv1(data.images[:, None]))
        f = torch.relu(module.conv2(h1))
    assert torch.allclose(cache["acts"]["conv1"][..., 0], h1, atol=TOL)
    assert torch.allclose(cache["acts"]["conv2"][..., 0], f, atol=TOL)
    in_feature_order = f.transpose(2, 3).reshape(len(f), 128)          # (o, j, i), see convnet.py
    assert torch.allclose(cache["acts"]["features"][..., 0], in_feature_order, atol=TOL)


def test_init_is_the_modules_init():
    data = load_dataset("random", ROOT / "data")
    net = FCNet(data.images, "relu")
    params = net.init([5, 2])
    from part2_fc import init_weights
    for col, seed in enumerate([5, 2]):
        expected = init_weights(net.module(), seed).state_dict()
        got = net.export(params, col)
        assert all(torch.equal(got[k], expected[k]) for k in expected)
