"""Fourier transforms and spectra, with one convention for the whole book.

The discrete Fourier transform is the *unitary* one of the lecture's Definition 3.3,
``[F w]_k = d^{-1/2} sum_n w_n exp(-2 pi i k n / d)``, so that ``||F w||_2 = ||w||_2`` and
``F^{-1} = F^*``. Norms of Fourier coefficients (``||F w||_1``, ``||F w||_2``) always use it.

Images (the last two axes ``H, W``): :func:`centred_spectrum` (``|F x|`` with the zero
frequency in the centre), :func:`radial_energy` and :func:`angular_energy` (how the spectral
energy spreads over radius and orientation), :func:`mean_radial_frequency` and
:func:`image_fourier_norm`; :func:`average_spectrum` (the mean ``|F x|`` over a batch),
:func:`energy_above` (the share of energy beyond a radius) and :func:`spectral_support` (how many
coefficients hold most of the energy, for the Fourier uncertainty principle).

Used by: implicit-bias theory chapter (spectra of activations, Fourier sparsity of linear
convolutional nets: :func:`fourier_sparsity`), attacks chapter (Fourier-l1 margin and the Fourier-l-infinity attack),
Fourier-bias chapter (the image spectra of predictors and adversarial perturbations).
"""
from __future__ import annotations

import numpy as np

from ibbook.params import check_choice

FOURIER_NORMS = (1, 2, np.inf)


def dft_matrix(d: int) -> np.ndarray:
    """The unitary DFT matrix ``F`` (d×d, complex): ``F @ w == fourier_coefficients(w)``."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d={d!r} is not accepted; use an integer >= 1")
    k = np.arange(d)
    return np.exp(-2j * np.pi * np.outer(k, k) / d) / np.sqrt(d)


def fourier_coefficients(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unitary DFT of ``x`` along ``axis`` (complex array of the same shape)."""
    return np.fft.fft(np.asarray(x), axis=axis, norm="ortho")


def fourier_norm(x: np.ndarray, p=1, axis: int = -1) -> np.ndarray:
    """``||F x||_p`` along ``axis`` for ``p`` in 1, 2, inf (moduli of the complex coefficients)."""
    check_choice("p", p, FOURIER_NORMS)
    return np.linalg.norm(np.abs(fourier_coefficients(x, axis=axis)), ord=p, axis=axis)


def amplitude_spectrum(signal: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided amplitude spectrum of a real signal sampled every ``dt``.

    Returns ``(freq, amp)``: frequencies in cycles per unit of the sampling variable and
    amplitudes scaled so that ``A cos(2 pi f t)`` sampled over a whole number of periods shows a
    peak of height ``A`` at ``f`` (and a constant ``c`` shows ``c`` at 0).
    """
    signal = np.asarray(signal, dtype=float)
    if signal.ndim != 1 or signal.size < 2:
        raise ValueError(f"signal of shape {signal.shape} is not accepted; use a 1-D array of >= 2 samples")
    if not dt > 0:
        raise ValueError(f"dt={dt!r} is not accepted; use a positive sampling step")
    n = signal.size
    amp = np.abs(np.fft.rfft(signal)) / n
    amp[1:] *= 2
    if n % 2 == 0:  # the Nyquist bin has no mirror image
        amp[-1] /= 2
    return np.fft.rfftfreq(n, d=dt), amp


def fourier_sparsity(beta, top: int = 1) -> float:
    """Fraction of the energy ``||F beta||_2^2`` held by the ``top`` largest Fourier coefficients
    (complex-conjugate pairs of a real signal count separately)."""
    p = np.sort(np.abs(np.fft.fft(np.asarray(beta, dtype=float))) ** 2)[::-1]
    return float(p[:top].sum() / p.sum())


# Images: 2-D spectra over the last two axes (H, W), with the same unitary convention.


def _image_array(x) -> np.ndarray:
    arr = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if arr.ndim < 2 or min(arr.shape[-2:]) < 2:
        raise ValueError(f"an image array of shape {arr.shape} is not accepted; use (..., H, W) with H, W >= 2")
    return arr.astype(float, copy=False)


def centred_spectrum(x) -> np.ndarray:
    """``|F x|`` over the last two axes (unitary 2-D DFT), zero frequency moved to the centre
    (index ``(H // 2, W // 2)``), as in the sources' spectrum figures."""
    arr = _image_array(x)
    return np.abs(np.fft.fftshift(np.fft.fft2(arr, norm="ortho"), axes=(-2, -1)))


def frequency_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Radius ``k_r`` (in cycles per image) and angle ``k_phi`` (degrees in [0, 180)) of every
    bin of a centred ``h×w`` spectrum. Angles are folded to a half-turn because the spectrum of
    a real image is point-symmetric, ``|x^(k)| = |x^(-k)|``."""
    ky = np.fft.fftshift(np.fft.fftfreq(h) * h)[:, None]
    kx = np.fft.fftshift(np.fft.fftfreq(w) * w)[None, :]
    radius = np.hypot(ky, kx)
    angle = np.degrees(np.arctan2(ky, kx)) % 180.0
    return radius, angle


def _energy(x) -> np.ndarray:
    """Spectral energy ``|x^|^2`` summed over every leading axis (channels, inputs): (H, W)."""
    spec = centred_spectrum(x) ** 2
    return spec.reshape(-1, *spec.shape[-2:]).sum(0)


def radial_energy(x) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of spectral energy over the radius ``k_r``, in unit-wide rings.

    Returns ``(radius, fraction)``: ring ``i`` holds the bins with ``i - 0.5 <= k_r < i + 0.5``,
    and the fractions sum to 1. Energy is pooled over all leading axes (channels, a batch of
    perturbations), which gives the *average* spectrum's distribution.
    """
    energy = _energy(x)
    radius, _ = frequency_grid(*energy.shape)
    ring = np.rint(radius).astype(int)
    total = np.bincount(ring.ravel(), weights=energy.ravel())
    return np.arange(len(total)), total / total.sum()


def angular_energy(x, n_bins: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of spectral energy over the angle ``k_phi`` in ``n_bins`` sectors of
    ``180 / n_bins`` degrees (the zero frequency, which has no angle, is left out).

    Returns ``(sector centre in degrees, fraction)``; the fractions sum to 1.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins={n_bins!r} is not accepted; use an integer >= 1")
    energy = _energy(x)
    radius, angle = frequency_grid(*energy.shape)
    keep = radius > 0
    width = 180.0 / n_bins
    sector = np.minimum((angle[keep] // width).astype(int), n_bins - 1)
    total = np.bincount(sector, weights=energy[keep], minlength=n_bins)
    return (np.arange(n_bins) + 0.5) * width, total / total.sum()


def mean_radial_frequency(x) -> float:
    """Energy-weighted mean of ``k_r`` (cycles per image): one number for "how high-frequency"."""
    energy = _energy(x)
    radius, _ = frequency_grid(*energy.shape)
    return float((radius * energy).sum() / energy.sum())


def image_fourier_norm(x, p=1, image_dims: int = 3) -> np.ndarray:
    """``||x^||_p`` of each image, an image being the last ``image_dims`` axes (3: C×H×W, 2: H×W);
    the 2-D unitary DFT is taken over the last two. For ``p = 2`` this equals ``||x||_2``."""
    check_choice("p", p, FOURIER_NORMS)
    check_choice("image_dims", image_dims, (2, 3))
    spec = centred_spectrum(x)
    if spec.ndim < image_dims:
        raise ValueError(f"an array of shape {spec.shape} is not accepted with image_dims={image_dims}")
    flat = spec.reshape(*spec.shape[:spec.ndim - image_dims], -1)
    return np.linalg.norm(flat, ord=p, axis=-1)


def average_spectrum(x) -> np.ndarray:
    """Mean of :func:`centred_spectrum` over every leading axis (inputs, channels): one ``H×W`` map.

    Used by: Fourier-bias chapter (average spectra of perturbations over inputs)."""
    spec = centred_spectrum(x)
    return spec.reshape(-1, *spec.shape[-2:]).mean(0)


def energy_above(x, cutoff: float) -> float:
    """Share of the spectral energy (pooled over leading axes) at radius ``k_r > cutoff``
    (cycles per image): a one-number "how much high frequency".

    Used by: Fourier-bias chapter (kernel-size and depth sweeps)."""
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.integer, np.floating)) or cutoff < 0:
        raise ValueError(f"cutoff={cutoff!r} is not accepted; use a radius >= 0")
    energy = _energy(x)
    radius, _ = frequency_grid(*energy.shape)
    return float(energy[radius > cutoff].sum() / energy.sum())


def spectral_support(x, energy: float = 0.9) -> int:
    """Smallest number of 2-D DFT coefficients (of the last two axes, pooled over the others)
    that together hold the share ``energy`` of ``||F x||_2^2``; with ``energy=1`` (up to 1e-12
    relative) the number of non-zero coefficients. A spectrum concentrated on one frequency
    pair gives 2, white noise nearly ``energy * H * W``.

    Used by: Fourier-bias chapter (the Fourier uncertainty principle for bounded-width filters)."""
    if not 0 < energy <= 1:
        raise ValueError(f"energy={energy!r} is not accepted; use a share in (0, 1]")
    e = np.sort(_energy(x).ravel())[::-1]
    cum = np.cumsum(e) / e.sum()
    return int(min(np.searchsorted(cum, energy - 1e-12) + 1, e.size))
