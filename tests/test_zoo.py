"""The CIFAR-10 model zoo: shapes, linearity, the Fourier identity of circular convolutions,
locally connected vs convolution, the initial-weight scale."""
import numpy as np
import pytest
import torch

from ibbook import models
from ibbook.models import zoo

SMALL = {"fc": {"width": 32}, "conv_full": {}, "conv_bounded": {}, "locally_connected": {"channels": 4},
         "shallow_resnet": {"width": 8}, "vgg19": {"width": 4}, "resnet18": {"width": 4},
         "vit": {"dim": 32, "depth": 2}, "mlp_mixer": {"dim": 32, "depth": 2}}
LINEAR = [("fc", {"width": 16, "depth": 2}), ("conv_full", {"depth": 2}),
          ("conv_bounded", {"depth": 2, "channels": 4, "kernel_size": 5}),
          ("locally_connected", {"channels": 4})]


def test_every_registered_model_maps_images_to_ten_logits():
    assert set(SMALL) <= set(models.REGISTRY)
    x = torch.rand(2, 3, 32, 32)
    for name in SMALL:
        torch.manual_seed(0)
        m = models.build_model(name, **SMALL[name])
        assert m(x).shape == (2, 10), name
        assert models.count_parameters(m) > 0


@pytest.mark.parametrize("name,kw", LINEAR)
def test_linear_models_are_affine_and_beta_is_their_input_gradient(name, kw):
    torch.manual_seed(1)
    m = models.build_model(name, **kw).eval()
    x, z = torch.rand(2, 1, 3, 32, 32)
    f0 = m(torch.zeros_like(x))
    with torch.no_grad():
        lhs = m(0.7 * x - 1.3 * z) - f0
        rhs = 0.7 * (m(x) - f0) - 1.3 * (m(z) - f0)
    assert torch.allclose(lhs, rhs, atol=1e-4)
    beta, b = zoo.linear_predictor(m)
    assert beta.shape == (10, 3, 32, 32)
    assert torch.allclose(torch.einsum("kchw,nchw->nk", beta, x) + b, m(x).detach(), atol=1e-4)


def test_relu_models_have_no_linear_predictor():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="not affine"):
        zoo.linear_predictor(models.build_model("conv_bounded", act="relu", channels=4))


@pytest.mark.parametrize("kw", [{"depth": 1}, {"depth": 3}, {"depth": 2, "channels": 1}])
def test_full_width_conv_beta_hat_is_the_product_of_the_layers_dfts(kw):
    torch.manual_seed(2)
    m = models.build_model("conv_full", **kw)
    beta, _ = zoo.linear_predictor(m)
    direct = np.fft.fft2(beta.double().numpy(), norm="ortho")
    via_layers = zoo.fourier_predictor(m).numpy()
    assert np.abs(direct - via_layers).max() < 1e-5 * np.abs(direct).max()
    if kw.get("channels") == 1:  # one hidden channel: |beta^| = |r^| * prod |T_l| / std, frequency by frequency
        net = m.net
        mags = np.abs(np.fft.fft2(net.readout.weight.detach().double().view(10, 1, 32, 32).numpy(), norm="ortho"))
        for layer in net.hidden:  # T_l is 1x1 per frequency, except the first: 1x3 (one per input channel)
            mags = mags * np.abs(layer.transfer().detach().numpy()[0])
        assert np.allclose(np.abs(via_layers), mags / m.std.numpy().reshape(1, 3, 1, 1), rtol=1e-4, atol=1e-9)


def test_bounded_width_conv_through_the_fft_equals_the_padded_convolution():
    torch.manual_seed(3)
    layer = zoo.CircularConv2d(2, 3, 5, image_size=8)
    x = torch.randn(4, 2, 8, 8)
    via_fft = torch.fft.ifft2(torch.einsum("oihw,nihw->nohw", layer.transfer(), torch.fft.fft2(x))).real
    assert torch.allclose(layer(x), via_fft + layer.bias.view(1, -1, 1, 1), atol=1e-5)
    # and the full-width layer follows the definition y[p] = sum_m g[m] x[p + m] (indices mod N)
    full = zoo.CircularConv2d(1, 1, 4, image_size=4, bias=False)
    x = torch.randn(1, 1, 4, 4)
    g = full.embedded().detach()[0, 0]
    want = torch.tensor([[sum(g[a, b] * x[0, 0, (i + a) % 4, (j + b) % 4] for a in range(4) for b in range(4))
                          for j in range(4)] for i in range(4)])
    assert torch.allclose(full(x)[0, 0], want, atol=1e-5)
    # the same filter embedded in a full-width layer gives the same map
    wide = zoo.CircularConv2d(2, 3, 8, image_size=8, bias=False)
    with torch.no_grad():
        wide.weight.copy_(torch.roll(layer.embedded(), shifts=(4, 4), dims=(-2, -1)))
    x = torch.randn(4, 2, 8, 8)
    assert torch.allclose(wide(x) + layer.bias.view(1, -1, 1, 1), layer(x), atol=1e-5)


def test_locally_connected_with_tied_weights_is_the_convolution():
    torch.manual_seed(4)
    conv = zoo.CircularConv2d(3, 5, 3, image_size=8)
    local = zoo.LocallyConnected2d(3, 5, 3, image_size=8)
    with torch.no_grad():
        local.weight.copy_(conv.weight.reshape(1, 5, -1).expand(64, -1, -1))
        local.bias.copy_(conv.bias.view(5, 1, 1).expand(-1, 8, 8))
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(local(x), conv(x), atol=1e-5)
    with torch.no_grad():  # untie one pixel's filter: only that output pixel changes
        local.weight[9] += 1.0
    diff = (local(x) - conv(x)).abs().sum(dim=(0, 1))
    assert diff[1, 1] > 1 and diff.sum() - diff[1, 1] < 1e-4


@pytest.mark.parametrize("name", ["fc", "conv_full", "conv_bounded", "locally_connected"])
def test_alpha_scales_the_initial_weights(name):
    kw = {"width": 16} if name == "fc" else {}
    torch.manual_seed(5)
    base = models.build_model(name, **kw)
    torch.manual_seed(5)
    big = models.build_model(name, alpha=10.0, **kw)
    for a, b in zip(base.parameters(), big.parameters()):
        assert torch.allclose(b, 10 * a)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="act='tanh' is not accepted"):
        models.build_model("conv_bounded", act="tanh")
    with pytest.raises(ValueError, match="kernel_size=4 is not accepted"):
        models.build_model("conv_bounded", kernel_size=4)
    with pytest.raises(ValueError, match="alpha=0 is not accepted"):
        models.build_model("fc", alpha=0, width=4)
    with pytest.raises(ValueError, match="depth=0 is not accepted"):
        models.build_model("conv_full", depth=0)
    with pytest.raises(ValueError, match="use a linear conv_full"):
        zoo.fourier_predictor(models.build_model("fc", width=4))
