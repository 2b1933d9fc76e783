"""Classifiers of the Fourier-mask chapter, registered by name (take [0, 1] pixels).

- ``"resnet20"``: ResNet-20 for CIFAR-10 (He et al. 2016, section 4.2: three stages of three basic
  blocks with 16, 32 and 64 channels, parameter-free "option A" shortcuts: strided subsampling
  and zero-padded channels), about 0.27 M weights, as in Idelbayev's implementation used by
  Basile et al.;
- ``"cct7"``: Compact Convolutional Transformer CCT-7/3x1 (Hassani et al. 2021): one 3×3
  convolution + max-pool tokenizer, 7 pre-norm transformer layers (width 256, 4 heads, MLP ratio
  2, stochastic depth 0.1), learnt position embeddings and sequence pooling; about 3.7 M weights;
- ``"resnet18_imagenette"``: torchvision's ResNet-18 with a 10-class head (Imagenette);
- ``"vgg11_gray"``: torchvision's VGG11 (the variant with batch norm after every convolution,
  which trains from scratch in a few epochs where the plain one stays at chance) with a
  one-channel first layer and a 10-class head, for grayscale Imagenette as in the lecture.

Each constructor takes ``num_classes`` (10); the normalisation of the data set is put inside the
model with :class:`ibbook.models.Normalized`. No pretrained weights are used (none offline).

Used by: Fourier-mask chapter (:func:`ibbook.masks.classifier`; every model is trained at every
scale, at reduced size and resolution at the small one), intrinsic-dimension chapter.
"""
from __future__ import annotations

import torch
from torch import nn

from ibbook.models import Normalized, register
from ibbook.models.zoo import BasicBlock

CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: Luma (0.299 R + 0.587 G + 0.114 B) of the ImageNet statistics, for grayscale inputs.
GRAY_MEAN, GRAY_STD = (0.449,), (0.226,)


# ------------------------------------------------------------------------------------- ResNet-20

class ResNetCifar(nn.Module):
    """ResNet-(6n+2) for 32×32 images (n = 3 gives ResNet-20)."""

    def __init__(self, n: int = 3, num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                blocks.append(BasicBlock(c, width, stride if i == 0 else 1, shortcut="pad"))
                c = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu(self.bn(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


@register("resnet20")
def resnet20(num_classes: int = 10) -> nn.Module:
    """ResNet-20 for CIFAR-10 with the normalisation inside."""
    return Normalized(ResNetCifar(3, num_classes), CIFAR10_MEAN, CIFAR10_STD)


# ----------------------------------------------------------------------------------------- CCT-7

class _DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample with probability ``p`` (training)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand(x.shape[0], *([1] * (x.ndim - 1)), device=x.device) >= self.p).to(x.dtype)
        return x * keep / (1 - self.p)


class _TransformerLayer(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float, drop_path: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self.drop = _DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, h, h, need_weights=False)[0])
        return x + self.drop(self.mlp(self.norm2(x)))


class CCT(nn.Module):
    """Compact Convolutional Transformer: conv tokenizer, transformer encoder, sequence pooling."""

    def __init__(self, img_size: int = 32, in_channels: int = 3, num_classes: int = 10, dim: int = 256,
                 layers: int = 7, heads: int = 4, mlp_ratio: float = 2.0, conv_layers: int = 1,
                 kernel: int = 3, drop_path: float = 0.1):
        super().__init__()
        tok, c = [], in_channels
        for i in range(conv_layers):
            out = dim if i == conv_layers - 1 else 64
            tok += [nn.Conv2d(c, out, kernel, 1, kernel // 2, bias=False), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
            c = out
        self.tokenizer = nn.Sequential(*tok)
        n_tokens = (img_size // 2 ** conv_layers) ** 2
        self.pos = nn.Parameter(torch.zeros(1, n_tokens, dim))
        nn.init.trunc_normal_(self.pos, std=0.2)
        rates = torch.linspace(0, drop_path, layers).tolist()
        self.layers = nn.Sequential(*[_TransformerLayer(dim, heads, mlp_ratio, r) for r in rates])
        self.norm = nn.LayerNorm(dim)
        self.pool = nn.Linear(dim, 1)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.tokenizer(x).flatten(2).transpose(1, 2) + self.pos
        t = self.norm(self.layers(t))
        w = torch.softmax(self.pool(t), dim=1)  # sequence pooling: attention weights over tokens
        return self.fc((w * t).sum(1))


@register("cct7")
def cct7(num_classes: int = 10) -> nn.Module:
    """CCT-7/3x1 for 32×32 CIFAR-10 images, normalisation inside."""
    return Normalized(CCT(32, 3, num_classes), CIFAR10_MEAN, CIFAR10_STD)


# ------------------------------------------------------------------------------ Imagenette models

@register("resnet18_imagenette")
def resnet18_imagenette(num_classes: int = 10) -> nn.Module:
    """torchvision's ResNet-18 (random initialisation) with ImageNet normalisation inside."""
    import torchvision

    return Normalized(torchvision.models.resnet18(weights=None, num_classes=num_classes), IMAGENET_MEAN,
                      IMAGENET_STD)


@register("vgg11_gray")
def vgg11_gray(num_classes: int = 10) -> nn.Module:
    """torchvision's VGG11 with batch norm (``vgg11_bn``) for one-channel (grayscale) images
    (random initialisation)."""
    import torchvision

    net = torchvision.models.vgg11_bn(weights=None, num_classes=num_classes)
    first = net.features[0]
    net.features[0] = nn.Conv2d(1, first.out_channels, first.kernel_size, first.stride, first.padding)
    return Normalized(net, GRAY_MEAN, GRAY_STD)
