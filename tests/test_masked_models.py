"""Classifiers of the Fourier-mask chapter (ibbook.models.masked): sizes, shapes, inputs."""
import pytest
import torch

from ibbook import masks, models
from ibbook.models import masked


@pytest.mark.parametrize("name, shape, n_params", [
    ("resnet20", (2, 3, 32, 32), 269_722),       # He et al. 2016: 0.27 M
    ("cct7", (2, 3, 32, 32), 3_765_515),         # Hassani et al. 2021, CCT-7/3x1: 3.76 M
    ("resnet18_imagenette", (2, 3, 64, 64), 11_181_642),
    ("vgg11_gray", (2, 1, 32, 32), 128_811_658),  # VGG11 with batch norm
])
def test_models_build_with_the_published_sizes_and_give_ten_logits(name, shape, n_params):
    torch.manual_seed(0)
    net = models.build_model(name).eval()
    assert models.count_parameters(net) == n_params
    with torch.no_grad():
        assert net(torch.rand(*shape)).shape == (2, 10)
    assert isinstance(net, models.Normalized)


def test_resnet20_has_nineteen_convolutions_and_parameter_free_shortcuts():
    net = masked.ResNetCifar(3)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 19  # + the linear head = 20 weighted layers
    block = net.blocks[3]  # first block of the 32-channel stage
    x = torch.rand(1, 16, 8, 8)
    sc = block.skip(x)
    assert sc.shape == (1, 32, 4, 4) and torch.equal(sc[:, 8:24], x[:, :, ::2, ::2]) and sc[:, :8].abs().sum() == 0


def test_cct_tokenizer_gives_256_tokens_for_cifar():
    net = masked.CCT(32)
    assert net.pos.shape == (1, 256, 256) and len(net.layers) == 7


def test_vgg11_gray_takes_one_channel_only():
    net = models.build_model("vgg11_gray").eval()
    with pytest.raises(RuntimeError):
        net(torch.rand(1, 3, 32, 32))


def test_classifier_rejects_unknown_names():
    with pytest.raises(ValueError, match="model='resnet56' is not accepted"):
        masks.classifier("resnet56", n_train=10, epochs=1)
