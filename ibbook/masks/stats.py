"""Statistics of Fourier masks: predictions under a mask or its complement, radial and angular
profiles, mask-weighted mean radius.

Part of :mod:`ibbook.masks`. Source: 003 (Basile et al. 2024), sections 4-5 (figures of mask
profiles); 000 (lecture), Fourier masks (mask against complement).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .layer import filter_images


@torch.no_grad()
def masked_predict(model: nn.Module, x: torch.Tensor, full_masks: torch.Tensor, *, complement: bool = False,
                   batch_size: int = 256, device: torch.device | str = "cpu") -> torch.Tensor:
    """Logits of ``model`` on images filtered by their full masks (or by ``1 - M`` with
    ``complement=True``)."""
    device = torch.device(device)
    model = model.to(device).eval()
    out = []
    for i in range(0, len(x), batch_size):
        m = full_masks[i:i + batch_size].to(device)
        out.append(model(filter_images(x[i:i + batch_size].to(device), 1 - m if complement else m)).cpu())
    return torch.cat(out)


def centred(full_masks: torch.Tensor) -> torch.Tensor:
    """Masks with the zero frequency moved to the centre (for pictures)."""
    return torch.fft.fftshift(full_masks, dim=(-2, -1))


def _radius(h: int, w: int) -> torch.Tensor:
    ky = torch.fft.fftfreq(h) * h
    kx = torch.fft.fftfreq(w) * w
    return torch.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)


def radial_profile(full_masks: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean mask value in unit-wide frequency rings (``i - 0.5 <= |k| < i + 0.5``, cycles per
    image), averaged over masks and channels: ``(ring radius, mean value)`` for each mask
    (array N×R)."""
    h, w = full_masks.shape[-2:]
    ring = torch.round(_radius(h, w)).long().flatten()
    n_rings = int(ring.max()) + 1
    vals = full_masks.float().mean(1).flatten(1)  # N×(H*W), channel mean
    sums = torch.zeros(len(vals), n_rings).index_add_(1, ring, vals)
    counts = torch.bincount(ring, minlength=n_rings).float()
    return np.arange(n_rings), (sums / counts).numpy()


def mean_radius(full_masks: torch.Tensor) -> np.ndarray:
    """Mask-weighted mean radial frequency ``sum |k| M(k) / sum M(k)`` of each mask (cycles per image)."""
    h, w = full_masks.shape[-2:]
    r = _radius(h, w)
    m = full_masks.float().sum(1)
    return ((m * r).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1e-12)).numpy()


def _angle(h: int, w: int) -> torch.Tensor:
    """Angle of every frequency of a full mask (FFT layout) in degrees, folded to [0, 180), since
    ``M(k)`` and ``M(-k)`` act together; 0 is the horizontal frequency axis (``k_y = 0``)."""
    ky = (torch.fft.fftfreq(h) * h)[:, None].double()
    kx = (torch.fft.fftfreq(w) * w)[None, :].double()
    return torch.rad2deg(torch.atan2(ky, kx)).remainder(180.0)


def _check_bins(n_bins) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 2 or n_bins % 2:
        raise ValueError(f"n_bins={n_bins!r} is not accepted; use an even integer >= 2")


def angular_profile(full_masks: torch.Tensor, n_bins: int = 8, *,
                    isotropic: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Share of each mask's weight (channel mean, zero frequency left out) in ``n_bins`` sectors
    of ``180 / n_bins`` degrees, the first centred on the horizontal axis (so 0 and 90 degrees,
    the two frequency axes, sit in the middle of a sector): ``(sector centre in degrees,
    shares)``, shares N×n_bins summing to 1 per mask (0 for an all-zero mask).

    ``isotropic=True`` gives the same for the mask's ring average (every frequency replaced by
    the mean of its ring, :func:`radial_profile`): what a mask with the same radial profile and
    no preferred direction would give on this grid. Low frequencies are few and sit mostly on
    the axes, so the two must be compared, not the shares with ``1 / n_bins``.

    Used by: Fourier-mask chapter (angular distribution of the masks of natural, PGD-trained
    and augmented networks)."""
    _check_bins(n_bins)
    if full_masks.ndim != 4:
        raise ValueError(f"masks of shape {tuple(full_masks.shape)} are not accepted; use N×C×H×W full masks")
    h, w = full_masks.shape[-2:]
    vals = full_masks.double().mean(1)
    ring = torch.round(_radius(h, w)).long()
    if isotropic:
        sums = torch.zeros(len(vals), int(ring.max()) + 1, dtype=vals.dtype)
        sums.index_add_(1, ring.flatten(), vals.flatten(1))
        means = sums / torch.bincount(ring.flatten()).to(vals.dtype)
        vals = means[:, ring]
    width = 180.0 / n_bins
    sector = torch.floor((_angle(h, w) + width / 2) / width).long() % n_bins
    keep = _radius(h, w) > 0
    flat = vals.flatten(1)[:, keep.flatten()]
    out = torch.zeros(len(vals), n_bins, dtype=vals.dtype).index_add_(1, sector[keep], flat)
    out = out / out.sum(1, keepdim=True).clamp_min(1e-300)
    return np.arange(n_bins) * width, out.numpy()


def axis_share(full_masks: torch.Tensor, n_bins: int = 8, *, isotropic: bool = False) -> np.ndarray:
    """Share of each mask's weight (zero frequency left out) in the two sectors of
    :func:`angular_profile` centred on the frequency axes (0 and 90 degrees).

    Used by: Fourier-mask chapter (one number for how much the masks prefer the axes)."""
    _, shares = angular_profile(full_masks, n_bins, isotropic=isotropic)
    return shares[:, 0] + shares[:, n_bins // 2]
