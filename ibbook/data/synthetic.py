"""Synthetic data sets that several chapters share, returned as NumPy arrays (float64).

- :func:`separable_gaussians`: Gaussian inputs labelled by a random linear teacher, with a margin
  (implicit-bias theory chapter, attacks chapter: GD on separable data, Faghri et al.'s setting);
- :func:`orthogonal_clusters`: a balanced mixture of Gaussians around orthonormal centres, some
  clusters positive and some negative, noise ``alpha / sqrt(d)`` per coordinate (pReLU chapter,
  after Min & Vidal);
- :func:`spiral`: a noisy planar spiral whose two coordinates are strongly but non-linearly
  dependent (intrinsic-dimension chapter, after Basile et al.'s Table 1 and Fig. 4).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {minimum}")
    return int(value)


def _check_nonneg(name: str, value) -> float:
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}={value!r} is not accepted; use a finite number >= 0")
    return float(value)


@dataclass(frozen=True)
class Separable:
    """Linearly separable data: inputs ``X`` (n×d), labels ``y`` in {-1, +1}, unit teacher ``w``."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray


def separable_gaussians(n: int, d: int, *, margin: float = 0.0, seed: int = 0) -> Separable:
    """``n`` points in ``d`` dimensions that the unit vector ``w`` separates with margin ≥ ``margin``.

    Draw ``z ~ N(0, I_d)``, label ``y = sign(<z, w>)`` and move each point ``margin`` further
    from the hyperplane along ``y w``: ``x = z + margin * y * w``, so ``y <x, w> = |<z, w>| + margin``.
    With ``margin = 0`` the inputs are exactly Gaussian. The teacher ``w`` is uniform on the sphere.
    """
    n, d = _check_positive_int("n", n), _check_positive_int("d", d)
    margin = _check_nonneg("margin", margin)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    z = rng.standard_normal((n, d))
    s = z @ w
    y = np.where(s >= 0, 1.0, -1.0)
    return Separable(X=z + margin * y[:, None] * w[None, :], y=y, w=w)


@dataclass(frozen=True)
class Clusters:
    """Mixture data: ``X`` (n×d), labels ``y`` in {-1, +1}, cluster index ``k`` of each row,
    orthonormal ``centres`` (K×d; the first ``k_pos`` are positive), class sums ``mu_pos``, ``mu_neg``."""

    X: np.ndarray
    y: np.ndarray
    k: np.ndarray
    centres: np.ndarray
    mu_pos: np.ndarray
    mu_neg: np.ndarray


def orthogonal_clusters(n: int, d: int, k_pos: int, k_neg: int, *, alpha: float = 0.1,
                        seed: int = 0) -> Clusters:
    """A balanced mixture of ``K = k_pos + k_neg`` Gaussians ``N(mu_k, (alpha^2 / d) I_d)``.

    The noise has standard deviation ``alpha / sqrt(d)`` per coordinate, so its norm is about
    ``alpha`` whatever ``d``: the scaling of Min & Vidal's code, under which their bounds
    (e.g. ``exp(-C d / (alpha^2 K))``) improve with ``d``. (The poster writes ``alpha^2 I``;
    with that, the noise along any centre would not shrink with ``d``.) The centres
    ``mu_1..mu_K`` are orthonormal (a random K-frame from a QR decomposition, so ``d >= K``);
    clusters ``1..k_pos`` carry label +1, the others -1. Rows are spread over the clusters as
    evenly as possible (counts differ by at most one). ``mu_pos``/``mu_neg`` are the sums of the
    positive/negative centres, as in Min & Vidal (poster, "Data").

    Returns :class:`Clusters` with ``X`` (n×d, float64). ValueError names a bad ``n``, ``d``,
    ``k_pos``, ``k_neg`` (integers >= 1, ``d >= k_pos + k_neg``) or ``alpha`` (finite, >= 0).
    """
    n, d = _check_positive_int("n", n), _check_positive_int("d", d)
    k_pos, k_neg = _check_positive_int("k_pos", k_pos), _check_positive_int("k_neg", k_neg)
    alpha = _check_nonneg("alpha", alpha)
    K = k_pos + k_neg
    if d < K:
        raise ValueError(f"d={d} is not accepted: {K} orthonormal centres need d >= k_pos + k_neg = {K}")
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d, K)))
    centres = (q * np.sign(np.diag(r))).T  # K×d, rows orthonormal
    k = rng.permutation(np.arange(n) % K)
    X = centres[k] + (alpha / np.sqrt(d)) * rng.standard_normal((n, d))
    y = np.where(k < k_pos, 1.0, -1.0)
    return Clusters(X=X, y=y, k=k, centres=centres, mu_pos=centres[:k_pos].sum(0), mu_neg=centres[k_pos:].sum(0))


def spiral(n: int, *, turns: float = 3.0, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    """``n`` points (n×2) on an Archimedean spiral ``r = t``, ``t`` uniform on ``[0, 2 pi turns]``.

    The radius is rescaled to at most 1 and Gaussian noise of standard deviation ``noise`` is
    added to both coordinates. The two coordinates are almost linearly uncorrelated (R² near 0)
    while the data lie near a curve (intrinsic dimension about 1).
    """
    n = _check_positive_int("n", n)
    noise = _check_nonneg("noise", noise)
    if not np.isfinite(turns) or turns <= 0:
        raise ValueError(f"turns={turns!r} is not accepted; use a positive number")
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.0, 2 * np.pi * turns, n)
    r = t / (2 * np.pi * turns)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1) + noise * rng.standard_normal((n, 2))
