"""The Fourier-mask filter layer: parametrisations, filtering, the mask norm and the objectives.

Part of :mod:`ibbook.masks` (see its docstring for the whole picture). Source: 003 (Basile et al.
2024), section 3 (masks ``M`` in [0, 1] applied as ``Re(F^{-1}(M * F x))``); 000 (lecture), Fourier
masks (the ``exp_gap`` objective).
"""
from __future__ import annotations

import torch
from torch import nn

from ibbook.params import check_choice

PARAMETRISATIONS = ("full", "rfft")
OBJECTIVES = ("ce_l1", "exp_gap")
NORMS = (1, 2)
#: Adam's constants (torch's defaults, as in the sources).
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def mask_shape(image_shape, param: str = "full") -> tuple[int, int, int]:
    """Shape ``(C, H, W)`` (``"full"``) or ``(C, H, W//2+1)`` (``"rfft"``) of one image's mask."""
    check_choice("param", param, PARAMETRISATIONS)
    c, h, w = (int(v) for v in image_shape[-3:])
    return (c, h, w) if param == "full" else (c, h, w // 2 + 1)


def filter_images(x: torch.Tensor, m: torch.Tensor, param: str = "full") -> torch.Tensor:
    """``x_F = Re(F^{-1}(M * F x))`` for images ``x`` (N×C×H×W) and masks ``m`` (one per image, or
    one broadcast to all). ``param="rfft"``: ``m`` is the half spectrum and the filter is
    ``irfft2(m * rfft2(x))``."""
    check_choice("param", param, PARAMETRISATIONS)
    if param == "full":
        if m.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"a full mask of shape {tuple(m.shape)} does not fit images {tuple(x.shape)}")
        return torch.fft.ifft2(m * torch.fft.fft2(x)).real
    h, w = x.shape[-2:]
    if m.shape[-2:] != (h, w // 2 + 1):
        raise ValueError(f"an rfft mask of shape {tuple(m.shape)} does not fit images {tuple(x.shape)}; "
                         f"use (..., {h}, {w // 2 + 1})")
    return torch.fft.irfft2(m * torch.fft.rfft2(x), s=(h, w))


def flip_frequencies(m: torch.Tensor) -> torch.Tensor:
    """``M(-k)`` for a full mask in torch's FFT layout (index ``-k mod H``, ``-k mod W``)."""
    return torch.roll(torch.flip(m, dims=(-2, -1)), shifts=(1, 1), dims=(-2, -1))


def hermitian_part(m: torch.Tensor) -> torch.Tensor:
    """``(M(k) + M(-k)) / 2``: the part of a real full mask that acts on real images."""
    return 0.5 * (m + flip_frequencies(m))


def full_mask(m: torch.Tensor, width: int, param: str = "full") -> torch.Tensor:
    """The full ``H×W`` mask that filters like ``m``: ``m`` itself for ``"full"``; for ``"rfft"``
    its Hermitian extension ``M(ky, kx) = m(-ky, W - kx)`` for ``kx > W//2``."""
    check_choice("param", param, PARAMETRISATIONS)
    if param == "full":
        return m
    half = m.shape[-1]
    if half != width // 2 + 1:
        raise ValueError(f"an rfft mask with {half} columns does not fit width={width}; expected {width // 2 + 1}")
    n_mirror = width - half  # columns kx = half .. W-1 mirror kx' = W - kx = W-half .. 1
    mirror = flip_frequencies_rows(m[..., 1:1 + n_mirror]).flip(-1)
    return torch.cat([m, mirror], dim=-1)


def flip_frequencies_rows(m: torch.Tensor) -> torch.Tensor:
    """``m(-ky)`` along the row axis (index ``-ky mod H``)."""
    return torch.roll(torch.flip(m, dims=(-2,)), shifts=1, dims=-2)


def _norm_weights(h: int, w: int, param: str, device, dtype) -> torch.Tensor | None:
    """How often each stored entry occurs in the full mask (rfft: 1 for kx = 0 and W/2, else 2)."""
    if param == "full":
        return None
    wt = torch.full((h, w // 2 + 1), 2.0, device=device, dtype=dtype)
    wt[:, 0] = 1.0
    if w % 2 == 0:
        wt[:, -1] = 1.0
    return wt


def mask_norm(m: torch.Tensor, width: int, param: str = "full", p: int = 1) -> torch.Tensor:
    """``||M||_p`` of each mask's full (effective) version, so that ``lam`` means the same in both
    parametrisations; the first axis indexes masks."""
    check_choice("param", param, PARAMETRISATIONS)
    check_choice("p", p, NORMS)
    wt = _norm_weights(m.shape[-2], width, param, m.device, m.dtype)
    a = m.abs() ** p
    if wt is not None:
        a = a * wt
    s = a.flatten(1).sum(1)
    return s if p == 1 else s.sqrt()


def mask_objective(model: nn.Module, x: torch.Tensor, target: torch.Tensor, m: torch.Tensor, *,
                   objective: str = "ce_l1", param: str = "full", lam: float = 0.01, p: int = 1,
                   reference: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample ``(total, fit, penalty)`` for masks ``m`` of images ``x`` with labels ``target``.

    ``"ce_l1"``: ``fit = CE(model(x_F), target)``; ``"exp_gap"``: ``fit = exp[(CE(model(x_F)) -
    reference)^2]`` where ``reference`` is ``CE(model(x), target)`` on the unfiltered images.
    ``penalty = lam ||M||_p`` (:func:`mask_norm`). Nothing is averaged over the batch.
    """
    check_choice("objective", objective, OBJECTIVES)
    xf = filter_images(x, m, param)
    ce = nn.functional.cross_entropy(model(xf), target, reduction="none")
    if objective == "ce_l1":
        fit = ce
    else:
        if reference is None:
            raise ValueError("objective='exp_gap' needs reference (the loss on the unfiltered images)")
        fit = torch.exp((ce - reference) ** 2)
    pen = lam * mask_norm(m, x.shape[-1], param, p)
    return fit + pen, fit, pen
