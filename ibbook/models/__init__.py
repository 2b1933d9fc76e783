"""Networks the chapters train, one submodule per family, plus a registry of named image models.

- :mod:`ibbook.models.theory`: the small float64 models of the theory chapters (deep linear FC
  and circular-convolution nets with their end-to-end ``beta()``, shallow ReLU nets, an MLP);
- :mod:`ibbook.models.zoo`: the CIFAR-10 architectures whose Fourier bias the Fourier-bias and
  learning-dynamics chapters compare (FC, full-width / bounded-width / locally connected
  convolutions, ResNets, VGG, ViT, MLP-Mixer);
- :mod:`ibbook.models.masked`: the classifiers of the Fourier-mask chapters (ResNet-20, CCT-7,
  ResNet-18 and VGG11 for Imagenette).

Image models take inputs in ``[0, 1]`` (:class:`Normalized` puts a data set's mean / std
normalisation inside the model), so that attacks work in pixel units with bounds ``(0, 1)``.
:func:`build_model` makes any registered image model by name and :func:`count_parameters`
counts its trainable weights.

Used by: every chapter that trains a network.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .theory import MLP, CircularConvLinear, DeepLinearFC, ShallowReLU

#: name -> constructor of every registered image model (filled by the submodules' ``@register``).
REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: make a model constructor available to :func:`build_model` under ``name``."""
    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in REGISTRY:
            raise ValueError(f"model name {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn
    return deco


def build_model(name: str, **kwargs) -> nn.Module:
    """The registered image model ``name`` built with ``kwargs``; unknown names list the accepted ones."""
    if name not in REGISTRY:
        raise ValueError(f"model {name!r} is not accepted; use one of {', '.join(map(repr, sorted(REGISTRY)))}")
    return REGISTRY[name](**kwargs)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class Normalized(nn.Module):
    """``net((x - mean) / std)`` with per-channel ``mean`` and ``std``: a model that takes [0, 1] pixels."""

    def __init__(self, net: nn.Module, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"mean={tuple(mean)!r}, std={tuple(std)!r} are not accepted; use one positive "
                             "std per channel and as many means")
        self.net = net
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


from . import masked, zoo  # noqa: E402  (the submodules register their models)

__all__ = ["DeepLinearFC", "CircularConvLinear", "ShallowReLU", "MLP", "REGISTRY", "register", "build_model",
           "count_parameters", "Normalized", "zoo", "masked"]
