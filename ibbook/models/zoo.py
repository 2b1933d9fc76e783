"""The CIFAR-10 architectures whose implicit Fourier bias the book compares (32×32 inputs, 10 classes).

Every constructor is registered by name (see :func:`ibbook.models.build_model`) and returns a
:class:`~ibbook.models.Normalized` model that takes pixels in ``[0, 1]``:

- ``"fc"``: fully connected, ``depth`` hidden layers of ``width`` units;
- ``"conv_full"``: full-width *circular* convolutions (kernel as large as the image, computed by
  FFT; the model of Gunasekar et al. 2018 lifted to 2-D images with ``channels`` channels);
- ``"conv_bounded"``: circular ``kernel_size``×``kernel_size`` convolutions (the bounded-width
  filters of Ortega Caro et al. 2020, Lemma 1);
- ``"locally_connected"``: like ``"conv_bounded"`` but with untied weights (one filter per pixel);
- ``"shallow_resnet"``: a stem convolution and residual blocks at full resolution;
- ``"vgg19"`` and ``"resnet18"``: the usual CIFAR adaptations (3×3 stem, no max-pool in ResNet),
  with a ``width`` (64 in the originals) to make CPU runs affordable;
- ``"vit"``: a small vision transformer (4×4 patches); ``"mlp_mixer"``: an MLP-Mixer.

The first four take ``act="linear" | "relu"`` and an initial-weight scale ``alpha`` (every
weight and bias of the default initialisation multiplied by ``alpha``). All their hidden layers
keep the image size, and a linear read-out maps the last hidden layer to the logits.

Building blocks: :class:`CircularConv2d` (one layer; :meth:`CircularConv2d.transfer` is its
per-frequency matrix), :class:`LocallyConnected2d`, :class:`HiddenStack`. For models that are
affine in their input, :func:`linear_predictor` returns the exact end-to-end predictor ``beta``
(one image per class) and :func:`fourier_predictor` computes its unitary DFT as the product of
the layers' DFTs, the 2-D, multi-channel form of Gunasekar et al.'s identity.

Used by: Fourier-bias chapter (all), learning-dynamics chapter (``conv_bounded``, ``resnet18``).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ibbook.models import Normalized, register
from ibbook.params import check_choice

#: CIFAR-10 training-set pixel statistics (per channel), the default input normalisation.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
ACTIVATIONS = ("linear", "relu")


def _int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {low}")
    return value


def _alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"alpha={alpha!r} is not accepted; use a positive initial-weight scale")
    return float(alpha)


class CircularConv2d(nn.Module):
    """Circular (periodic) convolution of ``in_ch`` to ``out_ch`` channels with a
    ``kernel_size``×``kernel_size`` filter on ``image_size``×``image_size`` images.

    The filter is anchored at its centre ``c = kernel_size // 2``:
    ``y[o, p] = b[o] + sum_{i, u} w[o, i, u] x[i, (p + u - c) mod N]`` (cross-correlation, as
    ``nn.Conv2d``). Odd kernels smaller than the image run as a circularly padded ``conv2d``; a
    kernel of the image's size (full width) runs through the FFT. Initialisation as
    ``nn.Conv2d``: uniform in ``±1/sqrt(in_ch * kernel_size**2)``.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, image_size: int = 32, bias: bool = True):
        super().__init__()
        self.in_ch, self.out_ch = _int("in_ch", in_ch, 1), _int("out_ch", out_ch, 1)
        self.image_size = _int("image_size", image_size, 2)
        self.kernel_size = _int("kernel_size", kernel_size, 1)
        if kernel_size > image_size or (kernel_size < image_size and kernel_size % 2 == 0):
            raise ValueError(f"kernel_size={kernel_size!r} is not accepted; use an odd size below "
                             f"image_size={image_size} or image_size itself (full width)")
        bound = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.weight = nn.Parameter(torch.empty(out_ch, in_ch, kernel_size, kernel_size).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_ch).uniform_(-bound, bound)) if bias else None

    @property
    def full_width(self) -> bool:
        return self.kernel_size == self.image_size

    def embedded(self) -> torch.Tensor:
        """The filter as an ``N×N`` periodic image ``g`` with ``y[p] = sum_m g[m] x[p + m]``."""
        n, k = self.image_size, self.kernel_size
        g = self.weight.new_zeros(self.out_ch, self.in_ch, n, n)
        g[..., :k, :k] = self.weight
        return torch.roll(g, shifts=(-(k // 2), -(k // 2)), dims=(-2, -1))

    def transfer(self) -> torch.Tensor:
        """``T`` (out×in×N×N, complex) with ``fft2(y)[o, k] = sum_i T[o, i, k] fft2(x)[i, k]`` (bias aside)."""
        return torch.fft.fft2(self.embedded()).conj().resolve_conj()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.full_width:
            n = self.image_size
            t = self.transfer()[..., : n // 2 + 1]  # real signals: half the spectrum suffices
            xf = torch.fft.rfft2(x)
            if self.in_ch * self.out_ch <= 16:
                yf = (t.unsqueeze(0) * xf.unsqueeze(1)).sum(2)
            else:  # one (batch × in) @ (in × out) product per frequency
                h, w = xf.shape[-2:]
                yf = torch.bmm(xf.permute(2, 3, 0, 1).reshape(h * w, len(x), self.in_ch),
                               t.permute(2, 3, 1, 0).reshape(h * w, self.in_ch, self.out_ch))
                yf = yf.view(h, w, len(x), self.out_ch).permute(2, 3, 0, 1)
            y = torch.fft.irfft2(yf, s=(n, n))
        else:
            c = self.kernel_size // 2
            y = F.conv2d(F.pad(x, (c, c, c, c), mode="circular"), self.weight)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)


class LocallyConnected2d(nn.Module):
    """A :class:`CircularConv2d` whose filter differs at every output pixel (untied weights).

    ``weight`` has shape ``(N*N, out_ch, in_ch * k * k)``: one ``conv2d``-shaped filter per pixel
    (row-major), and the bias one value per output channel and pixel. With the same filter at
    every pixel it computes exactly the circular convolution.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, image_size: int = 32, bias: bool = True):
        super().__init__()
        self.in_ch, self.out_ch = _int("in_ch", in_ch, 1), _int("out_ch", out_ch, 1)
        self.image_size = _int("image_size", image_size, 2)
        self.kernel_size = _int("kernel_size", kernel_size, 1)
        if kernel_size % 2 == 0 or kernel_size > image_size:
            raise ValueError(f"kernel_size={kernel_size!r} is not accepted; use an odd size up to {image_size}")
        fan_in = in_ch * kernel_size ** 2
        bound = 1 / math.sqrt(fan_in)
        self.weight = nn.Parameter(torch.empty(image_size ** 2, out_ch, fan_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_ch, image_size, image_size).uniform_(-bound, bound)) \
            if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, n = self.kernel_size // 2, self.image_size
        cols = F.unfold(F.pad(x, (c, c, c, c), mode="circular"), self.kernel_size)  # (B, fan_in, N*N)
        y = torch.einsum("bfp,pof->bop", cols, self.weight).reshape(len(x), self.out_ch, n, n)
        return y if self.bias is None else y + self.bias


class HiddenStack(nn.Module):
    """``readout(flatten(act(layer_L(... act(layer_1(x))))))``: the shallow and deep models of the
    Fourier-bias comparison; ``act`` is ``"linear"`` (identity) or ``"relu"``."""

    def __init__(self, layers: Sequence[nn.Module], readout: nn.Linear, act: str, flatten_first: bool = False):
        super().__init__()
        self.act = check_choice("act", act, ACTIVATIONS)
        self.hidden = nn.ModuleList(layers)
        self.readout = readout
        self.flatten_first = flatten_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.flatten_first:
            x = x.flatten(1)
        for layer in self.hidden:
            x = layer(x)
            if self.act == "relu":
                x = torch.relu(x)
        return self.readout(x.flatten(1))


def _finish(net: nn.Module, alpha: float, mean, std) -> Normalized:
    alpha = _alpha(alpha)
    if alpha != 1.0:
        with torch.no_grad():
            for p in net.parameters():
                p.mul_(alpha)
    return Normalized(net, mean, std)


@register("fc")
def fc(depth: int = 1, width: int = 2700, act: str = "linear", alpha: float = 1.0, num_classes: int = 10,
       image_size: int = 32, in_channels: int = 3, mean=CIFAR10_MEAN, std=CIFAR10_STD) -> Normalized:
    """Fully connected: ``depth`` hidden layers of ``width`` units (the sources use 2700)."""
    _int("depth", depth, 1), _int("width", width, 1)
    sizes = [in_channels * image_size ** 2] + [width] * depth
    layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    return _finish(HiddenStack(layers, nn.Linear(width, num_classes), act, flatten_first=True), alpha, mean, std)


def _conv_stack(kind: str, depth: int, channels: int, kernel_size: int, act: str, alpha: float,
                num_classes: int, image_size: int, in_channels: int, mean, std) -> Normalized:
    _int("depth", depth, 1), _int("channels", channels, 1)
    layer = {"conv": CircularConv2d, "local": LocallyConnected2d}[kind]
    chans = [in_channels] + [channels] * depth
    layers = [layer(a, b, kernel_size, image_size) for a, b in zip(chans[:-1], chans[1:])]
    readout = nn.Linear(channels * image_size ** 2, num_classes)
    return _finish(HiddenStack(layers, readout, act), alpha, mean, std)


@register("conv_full")
def conv_full(depth: int = 1, channels: int = 3, act: str = "linear", alpha: float = 1.0, num_classes: int = 10,
              image_size: int = 32, in_channels: int = 3, mean=CIFAR10_MEAN, std=CIFAR10_STD) -> Normalized:
    """``depth`` full-width circular convolutions of ``channels`` channels, then a linear read-out."""
    return _conv_stack("conv", depth, channels, image_size, act, alpha, num_classes, image_size, in_channels,
                       mean, std)


@register("conv_bounded")
def conv_bounded(depth: int = 1, channels: int = 3, kernel_size: int = 3, act: str = "linear", alpha: float = 1.0,
                 num_classes: int = 10, image_size: int = 32, in_channels: int = 3, mean=CIFAR10_MEAN,
                 std=CIFAR10_STD) -> Normalized:
    """``depth`` circular ``kernel_size``×``kernel_size`` convolutions, then a linear read-out
    (``kernel_size == image_size`` gives the full-width model)."""
    return _conv_stack("conv", depth, channels, kernel_size, act, alpha, num_classes, image_size, in_channels,
                       mean, std)


@register("locally_connected")
def locally_connected(depth: int = 1, channels: int = 32, kernel_size: int = 3, act: str = "linear",
                      alpha: float = 1.0, num_classes: int = 10, image_size: int = 32, in_channels: int = 3,
                      mean=CIFAR10_MEAN, std=CIFAR10_STD) -> Normalized:
    """``depth`` locally connected layers (untied ``kernel_size``×``kernel_size`` filters), then a read-out."""
    return _conv_stack("local", depth, channels, kernel_size, act, alpha, num_classes, image_size, in_channels,
                       mean, std)


class PadShortcut(nn.Module):
    """The parameter-free skip of the CIFAR ResNets (He et al.'s option A): subsample by ``stride``
    and pad the new channels with zeros."""

    def __init__(self, stride: int, pad: int):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        return nn.functional.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with batch norm and a skip connection. When the shape changes the skip
    is a 1×1 projection (``shortcut="projection"``, ResNet-18 here) or :class:`PadShortcut`
    (``shortcut="pad"``, ResNet-20 of the masks chapter)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, shortcut: str = "projection"):
        super().__init__()
        if shortcut not in ("projection", "pad"):
            raise ValueError(f"shortcut={shortcut!r} is not accepted; use 'projection' or 'pad'")
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        if stride == 1 and in_ch == out_ch:
            self.skip = nn.Identity()
        elif shortcut == "pad":
            self.skip = PadShortcut(stride, out_ch - in_ch)
        else:
            self.skip = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.skip(x))


class ResNet(nn.Module):
    """3×3 stem, stages of :class:`BasicBlock` (the first at stride 1, the others at stride 2),
    global average pooling and a linear read-out."""

    def __init__(self, blocks: Sequence[int], width: int, num_classes: int, in_channels: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        layers, ch = [], width
        for stage, n in enumerate(blocks):
            out = width * 2 ** stage
            for b in range(n):
                layers.append(BasicBlock(ch, out, 2 if stage > 0 and b == 0 else 1))
                ch = out
        self.layers = nn.Sequential(*layers)
        self.readout = nn.Linear(ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.layers(self.stem(x)).mean(dim=(2, 3)))


@register("shallow_resnet")
def shallow_resnet(width: int = 32, blocks: int = 1, num_classes: int = 10, in_channels: int = 3,
                   mean=CIFAR10_MEAN, std=CIFAR10_STD) -> Normalized:
    """A stem and ``blocks`` residual blocks, all at full resolution with ``width`` channels."""
    net = ResNet([_int("blocks", blocks, 1)], _int("width", width, 1), num_classes, in_channels)
    return Normalized(net, mean, std)


@register("resnet18")
def resnet18(width: int = 64, num_classes: int = 10, in_channels: int = 3, mean=CIFAR10_MEAN,
             std=CIFAR10_STD) -> Normalized:
    """ResNet-18 for 32×32 images (3×3 stem, no max-pool; stages of width ×1, 2, 4, 8)."""
    return Normalized(ResNet([2, 2, 2, 2], _int("width", width, 1), num_classes, in_channels), mean, std)


VGG19_PLAN = (1, 1, "M", 2, 2, "M", 4, 4, 4, 4, "M", 8, 8, 8, 8, "M", 8, 8, 8, 8, "M")


@register("vgg19")
def vgg19(width: int = 64, num_classes: int = 10, in_channels: int = 3, mean=CIFAR10_MEAN,
          std=CIFAR10_STD) -> Normalized:
    """VGG-19 with batch norm for 32×32 images: 16 3×3 convolutions (``width`` × 1, 2, 4, 8, 8
    channels), five max-pools down to 1×1, one linear read-out."""
    _int("width", width, 1)
    layers: list[nn.Module] = []
    ch = in_channels
    for item in VGG19_PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(ch, width * item, 3, padding=1, bias=False), nn.BatchNorm2d(width * item), nn.ReLU()]
            ch = width * item
    return Normalized(nn.Sequential(*layers, nn.Flatten(), nn.Linear(ch, num_classes)), mean, std)


class Patches(nn.Module):
    """Non-overlapping ``patch``×``patch`` patches, each mapped linearly to ``dim`` features: (B, tokens, dim)."""

    def __init__(self, in_channels: int, dim: int, patch: int):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention (plain matrix products, no fused kernels)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim!r} is not accepted with heads={heads!r}; use a multiple of heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        return self.out((att @ v).transpose(1, 2).reshape(b, t, d))


def _mlp(dim: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class ViT(nn.Module):
    """Patch embedding with learned positions, pre-norm transformer blocks, mean-pooled tokens."""

    def __init__(self, image_size: int, patch: int, dim: int, depth: int, heads: int, mlp_ratio: int,
                 num_classes: int, in_channels: int):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"patch={patch!r} is not accepted; use a divisor of image_size={image_size}")
        self.patches = Patches(in_channels, dim, patch)
        self.pos = nn.Parameter(0.02 * torch.randn(1, (image_size // patch) ** 2, dim))
        self.blocks = nn.ModuleList(nn.ModuleList([nn.LayerNorm(dim), Attention(dim, heads), nn.LayerNorm(dim),
                                                   _mlp(dim, mlp_ratio * dim)]) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.readout = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.patches(x) + self.pos
        for n1, att, n2, mlp in self.blocks:
            h = h + att(n1(h))
            h = h + mlp(n2(h))
        return self.readout(self.norm(h).mean(1))


@register("vit")
def vit(patch: int = 4, dim: int = 128, depth: int = 4, heads: int = 4, mlp_ratio: int = 2, num_classes: int = 10,
        image_size: int = 32, in_channels: int = 3, mean=CIFAR10_MEAN, std=CIFAR10_STD) -> Normalized:
    """A small vision transformer on ``patch``×``patch`` patches."""
    for name, v in (("patch", patch), ("dim", dim), ("depth", depth), ("heads", heads), ("mlp_ratio", mlp_ratio)):
        _int(name, v, 1)
    return Normalized(ViT(image_size, patch, dim, depth, heads, mlp_ratio, num_classes, in_channels), mean, std)


class Mixer(nn.Module):
    """MLP-Mixer: patch embedding, then blocks that mix across tokens and across channels."""

    def __init__(self, image_size: int, patch: int, dim: int, depth: int, token_hidden: int, channel_hidden: int,
                 num_classes: int, in_channels: int):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"patch={patch!r} is not accepted; use a divisor of image_size={image_size}")
        tokens = (image_size // patch) ** 2
        self.patches = Patches(in_channels, dim, patch)
        self.blocks = nn.ModuleList(nn.ModuleList([nn.LayerNorm(dim), _mlp(tokens, token_hidden), nn.LayerNorm(dim),
                                                   _mlp(dim, channel_hidden)]) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.readout = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.patches(x)
        for n1, tok, n2, chan in self.blocks:
            h = h + tok(n1(h).transpose(1, 2)).transpose(1, 2)
            h = h + chan(n2(h))
        return self.readout(self.norm(h).mean(1))


@register("mlp_mixer")
def mlp_mixer(patch: int = 4, dim: int = 128, depth: int = 4, token_hidden: int = 64, channel_hidden: int = 256,
              num_classes: int = 10, image_size: int = 32, in_channels: int = 3, mean=CIFAR10_MEAN,
              std=CIFAR10_STD) -> Normalized:
    """A small MLP-Mixer on ``patch``×``patch`` patches."""
    for name, v in (("patch", patch), ("dim", dim), ("depth", depth), ("token_hidden", token_hidden),
                    ("channel_hidden", channel_hidden)):
        _int(name, v, 1)
    return Normalized(Mixer(image_size, patch, dim, depth, token_hidden, channel_hidden, num_classes, in_channels),
                      mean, std)


# ------------------------------------------------------------------ end-to-end predictors of affine models

def linear_predictor(model: nn.Module, shape: Sequence[int] = (3, 32, 32)) -> tuple[torch.Tensor, torch.Tensor]:
    """``(beta, b)`` of a model that is affine in its input, ``logits = <beta_c, x> + b_c``:
    ``beta`` (classes×C×H×W) is the input gradient of each logit (constant for an affine model),
    ``b`` the logits of the zero image. Raises ``ValueError`` when the model is not affine
    (checked on two random images)."""
    model = model.eval()
    dev = next(model.parameters()).device
    zero = torch.zeros(1, *shape, device=dev)
    with torch.enable_grad():
        beta = torch.autograd.functional.jacobian(lambda z: model(z)[0], zero)[:, 0].detach()
    with torch.no_grad():
        b = model(zero)[0]
        x = torch.rand(2, *shape, generator=torch.Generator().manual_seed(0)).to(dev)
        pred = torch.einsum("kchw,nchw->nk", beta, x) + b
        got = model(x)
    if not torch.allclose(pred, got, rtol=1e-3, atol=1e-4 * (1 + got.abs().max().item())):
        raise ValueError("model is not accepted: it is not affine in its input (use act='linear')")
    return beta.cpu(), b.cpu()


def fourier_predictor(model: Normalized) -> torch.Tensor:
    """Unitary 2-D DFT of ``beta`` (classes×C×N×N, complex) of a linear ``conv_full`` /
    ``conv_bounded`` model, computed from the layers alone: with ``T_l(k)`` each layer's
    :meth:`~CircularConv2d.transfer` matrix and ``r_c`` the read-out row of class ``c`` as an image,
    ``F beta_c(k) = T_1(k)^H ... T_L(k)^H F r_c(k)`` per frequency ``k``, divided by the
    normalisation's per-channel std."""
    net = model.net
    if not isinstance(net, HiddenStack) or net.act != "linear" or \
            not all(isinstance(layer, CircularConv2d) for layer in net.hidden):
        raise ValueError("model is not accepted; use a linear conv_full or conv_bounded model")
    n = net.hidden[0].image_size
    with torch.no_grad():
        r = net.readout.weight.view(net.readout.out_features, -1, n, n).to(torch.float64)
        spec = torch.fft.fft2(r, norm="ortho")  # (classes, C_L, N, N)
        for layer in reversed(net.hidden):
            t = layer.transfer().to(torch.complex128)  # (out, in, N, N)
            spec = torch.einsum("oihw,cohw->cihw", t.conj(), spec)
        return (spec / model.std.view(1, -1, 1, 1).to(torch.float64)).cpu()


# ------------------------------------------------------------------ zero initial output (alpha sweeps)

class ZeroOutput(nn.Module):
    """``f(x) = (g_a(x) - g_b(x)) / sqrt(2)`` with ``g_b`` an exact copy of ``g_a`` at construction:
    the output is exactly zero at initialisation whatever the weight scale, while the two halves
    train independently (the antisymmetric initialisation of Chizat et al. 2019 and Woodworth et
    al. 2020). Scaling the initial weights by ``alpha`` then changes the regime of training (small:
    rich, large: kernel), not the random function the network starts from. Input and output as
    ``g_a``'s (images in [0, 1] -> logits)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        import copy

        self.a = model
        self.b = copy.deepcopy(model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.a(x) - self.b(x)) / math.sqrt(2.0)


def zero_output(model: nn.Module) -> ZeroOutput:
    """Wrap ``model`` (e.g. ``conv_bounded(alpha=10)``) in :class:`ZeroOutput`: zero output at
    initialisation, twice the parameters. ``ValueError`` for something that is not a module.

    Used by: Fourier-bias chapter (initial weight scale alpha, Ortega Caro et al. 2020 Fig. 11)."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={type(model).__name__} is not accepted; give a torch.nn.Module")
    return ZeroOutput(model)
