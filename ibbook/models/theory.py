"""Models the chapters train, each a small ``torch.nn.Module`` (float64 unless told otherwise).

Linear networks whose end-to-end predictor ``<beta, x>`` is what the theory talks about
(:meth:`beta` returns it):

- :class:`DeepLinearFC`: ``L`` fully connected linear layers (Gunasekar et al. 2018, Fig. a);
- :class:`CircularConvLinear`: ``L`` full-width circular convolutions, the last one read out
  by an inner product, so ``beta = w_1 * w_2 * ... * w_L`` (circular convolution) and
  ``F beta = d^{(L-1)/2} prod_l F w_l`` with the unitary DFT (Gunasekar et al. 2018, Fig. b).

:func:`linear_network` builds either family by name (section 5 of the implicit-bias chapter).

Non-linear networks:

- :class:`ShallowReLU`: one hidden ReLU layer ``f(x) = m^{-1/2} sum_j a_j relu(<w_j, x> + b_j)``
  with every weight drawn from ``N(0, init_scale^2)``; small ``init_scale`` is the rich regime,
  large the kernel regime (Woodworth et al. 2020). ``symmetric=True`` doubles each unit with the
  opposite output weight so that the network is exactly zero at initialisation;
- :class:`MLP`: a small fully connected classifier with ReLU activations.

Used by: implicit-bias theory chapter (all four), attacks chapter (linear conv nets, MLP).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {minimum}")
    return value


def _normal(shape, std: float, generator: torch.Generator) -> nn.Parameter:
    return nn.Parameter(torch.randn(*shape, generator=generator, dtype=torch.float64) * std)


class DeepLinearFC(nn.Module):
    """``f(x) = w_L^T W_{L-1} ... W_1 x`` with square ``d×d`` layers; weights ~ N(0, init_scale^2 / d)."""

    def __init__(self, d: int, depth: int, init_scale: float = 1.0, seed: int = 0):
        super().__init__()
        d, depth = _check_int("d", d, 1), _check_int("depth", depth, 1)
        g = torch.Generator().manual_seed(seed)
        std = init_scale / math.sqrt(d)
        self.hidden = nn.ParameterList([_normal((d, d), std, g) for _ in range(depth - 1)])
        self.readout = _normal((d,), std, g)

    def beta(self) -> torch.Tensor:
        """End-to-end predictor: ``W_1^T ... W_{L-1}^T w_L``."""
        b = self.readout
        for W in reversed(self.hidden):
            b = W.T @ b
        return b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for W in self.hidden:
            h = h @ W.T
        return h @ self.readout


class CircularConvLinear(nn.Module):
    """``L`` full-width circular convolution layers (filters of length ``d``); weights ~ N(0, init_scale^2 / d)."""

    def __init__(self, d: int, depth: int, init_scale: float = 1.0, seed: int = 0):
        super().__init__()
        d, depth = _check_int("d", d, 1), _check_int("depth", depth, 1)
        g = torch.Generator().manual_seed(seed)
        self.filters = _normal((depth, d), init_scale / math.sqrt(d), g)

    def beta(self) -> torch.Tensor:
        """End-to-end predictor: the circular convolution of all filters (computed by FFT)."""
        d = self.filters.shape[1]
        return torch.fft.irfft(torch.fft.rfft(self.filters, dim=1).prod(dim=0), n=d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.beta()


#: The linear network families of :func:`linear_network`.
LINEAR_KINDS = ("FC", "conv")


def linear_network(kind: str, d: int, depth: int, init_scale: float = 1.0, seed: int = 0) -> nn.Module:
    """A depth-``depth`` linear network on ``d`` inputs: ``kind="FC"`` is :class:`DeepLinearFC`,
    ``"conv"`` is :class:`CircularConvLinear` (both expose ``beta()``, shape (d,)). Raises
    ``ValueError`` for another kind or a bad size."""
    if kind not in LINEAR_KINDS:
        raise ValueError(f"kind={kind!r} is not accepted; use one of {', '.join(map(repr, LINEAR_KINDS))}")
    cls = DeepLinearFC if kind == "FC" else CircularConvLinear
    return cls(d, depth, init_scale=init_scale, seed=seed)


class ShallowReLU(nn.Module):
    """One hidden ReLU layer of ``width`` units on ``in_dim`` inputs, scalar output."""

    def __init__(self, in_dim: int, width: int, init_scale: float = 1.0, symmetric: bool = True, seed: int = 0):
        super().__init__()
        in_dim, width = _check_int("in_dim", in_dim, 1), _check_int("width", width, 2 if symmetric else 1)
        if symmetric and width % 2:
            raise ValueError(f"width={width} is not accepted with symmetric=True; use an even width")
        g = torch.Generator().manual_seed(seed)
        half = width // 2 if symmetric else width
        w, b, a = (torch.randn(*s, generator=g, dtype=torch.float64) * init_scale
                   for s in ((half, in_dim), (half,), (half,)))
        if symmetric:
            w, b, a = torch.cat([w, w]), torch.cat([b, b]), torch.cat([a, -a])
        self.w, self.b, self.a = nn.Parameter(w), nn.Parameter(b), nn.Parameter(a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(len(x), -1).to(self.w.dtype)
        return torch.relu(x @ self.w.T + self.b) @ self.a / math.sqrt(len(self.a))


class MLP(nn.Module):
    """``in_dim -> hidden... -> out_dim`` with ReLU between layers (PyTorch's default init)."""

    def __init__(self, in_dim: int, hidden: tuple[int, ...], out_dim: int, seed: int = 0,
                 dtype: torch.dtype = torch.float64):
        super().__init__()
        torch.manual_seed(seed)
        sizes = (in_dim, *hidden, out_dim)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(_check_int("layer size", a, 1), _check_int("layer size", b, 1), dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
