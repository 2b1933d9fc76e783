"""Fourier transforms and spectra, with one convention for the whole book.

The discrete Fourier transform is the *unitary* one of the lecture's Definition 3.3,
``[F w]_k = d^{-1/2} sum_n w_n exp(-2 pi i k n / d)``, so that ``||F w||_2 = ||w||_2`` and
``F^{-1} = F^*``. Norms of Fourier coefficients (``||F w||_1``, ``||F w||_2``) always use it.

Used by: implicit-bias theory chapter (spectra of activations, Fourier sparsity of linear
convolutional nets: :func:`fourier_sparsity`), attacks chapter (Fourier-l1 margin and the Fourier-l-infinity attack).
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
