"""Vector norms, their duals and the vectors that attain the duality, in one place.

Names: ``"l1"``, ``"l2"``, ``"linf"`` and their Fourier versions ``"fourier_l1"``,
``"fourier_linf"`` (the norm of the unitary DFT, as in :mod:`ibbook.fourier`). The dual of
``||.||`` is ``||w||_* = sup_{||v|| <= 1} <w, v>``: l1 and linf are dual to each other, l2 to
itself, and Fourier-l1 to Fourier-linf. A max-margin classifier in one norm is the most robust
to perturbations bounded in its dual (Lemma 2.1), and steepest descent in one norm steps along
the maximiser of the dual pairing.

The supremum can also be computed without the closed forms of the duals, from the ball alone:
:func:`ball_projection` (Euclidean projection onto the l1, l2 or linf ball) and
:func:`ball_support` (projected gradient ascent of ``<w, u>`` over the ball), which the attacks
chapter uses to solve Lemma 2.1's problem (4) from its definition.

Used by: :mod:`ibbook.convex`, :mod:`ibbook.descent`, :mod:`ibbook.attacks`; implicit-bias
theory and attacks chapters.
"""
from __future__ import annotations

import numpy as np

from ibbook.params import check_choice

#: the plain l_p norms (the perturbation norms of the attacks chapter)
LP_NORMS = ("l2", "linf", "l1")
DUALS = {"l1": "linf", "l2": "l2", "linf": "l1", "fourier_l1": "fourier_linf", "fourier_linf": "fourier_l1"}
_ORD = {"l1": 1, "l2": 2, "linf": np.inf}


def dual_norm(name: str) -> str:
    """Name of the dual of the norm ``name``."""
    check_choice("norm", name, tuple(DUALS))
    return DUALS[name]


def vector_norm(v, name: str, axis: int = -1):
    """``||v||`` in the norm ``name`` along ``axis`` (a float for a single vector)."""
    check_choice("norm", name, tuple(DUALS))
    v = np.asarray(v, dtype=float)
    if name.startswith("fourier_"):
        v = np.abs(np.fft.fft(v, axis=axis, norm="ortho"))
        name = name.removeprefix("fourier_")
    out = np.linalg.norm(v, ord=_ORD[name], axis=axis)
    return float(out) if np.ndim(out) == 0 else out


def dual_maximiser(w, name: str) -> np.ndarray:
    """A vector ``v`` with ``||v|| = 1`` in ``name`` (an l_p norm) and ``<w, v> = ||w||_*``.

    l2: ``w / ||w||_2``; linf: ``sign(w)``; l1: ``sign(w_j) e_j`` at the largest ``|w_j|``.
    """
    check_choice("norm", name, LP_NORMS)
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"w of shape {w.shape} is not accepted; use a non-empty 1-D vector")
    if name == "l2":
        return w / np.linalg.norm(w)
    if name == "linf":
        return np.sign(w)
    v = np.zeros_like(w)
    j = int(np.argmax(np.abs(w)))
    v[j] = np.sign(w[j])
    return v


def ball_projection(v, name: str, radius: float = 1.0) -> np.ndarray:
    """The Euclidean projection of ``v`` onto the ball ``{u : ||u|| <= radius}`` of ``name``.

    ``v``: a (d,) vector, or (m, d) rows projected one by one; ``name``: an l_p norm of
    :data:`LP_NORMS`. l2: rescale; linf: clip each coordinate; l1: soft-threshold at the level
    that puts the result on the sphere (the sort-based algorithm of Duchi et al. 2008). Uses only
    the ball itself, never the dual norm: :func:`ball_support` builds the inner maximisation of
    Lemma 2.1's problem (4) on it. An empty ``v`` or ``radius <= 0`` is a ValueError.
    """
    check_choice("norm", name, LP_NORMS)
    if not radius > 0:
        raise ValueError(f"radius={radius!r} is not accepted; use radius > 0")
    v = np.asarray(v, dtype=float)
    if v.ndim not in (1, 2) or v.shape[-1] == 0:
        raise ValueError(f"v of shape {v.shape} is not accepted; use (d,) or (m, d) with d >= 1")
    rows = np.atleast_2d(v)
    if name == "linf":
        out = np.clip(rows, -radius, radius)
    elif name == "l2":
        size = np.linalg.norm(rows, axis=1, keepdims=True)
        out = rows * np.minimum(1.0, radius / np.maximum(size, 1e-300))
    else:
        a = np.abs(rows)
        srt = -np.sort(-a, axis=1)  # descending
        cums = np.cumsum(srt, axis=1) - radius
        k = np.arange(1, a.shape[1] + 1)
        last = np.sum(srt - cums / k > 0, axis=1)  # number of coordinates kept
        theta = np.maximum(cums[np.arange(len(a)), last - 1] / last, 0.0)
        inside = a.sum(axis=1) <= radius
        out = np.where(inside[:, None], rows, np.sign(rows) * np.maximum(a - theta[:, None], 0.0))
    return out if v.ndim == 2 else out[0]


def ball_support(w, name: str, *, max_steps: int = 200) -> tuple[np.ndarray, float]:
    """``(u, <w, u>)`` with ``u`` maximising ``<w, u>`` over the unit ball of ``name``, found by
    projected gradient ascent, ``u <- P(u + eta_k w)`` (:func:`ball_projection`) with the step
    ``eta_k`` doubling from ``1 / ||w||_2``.

    This is the inner maximisation of Lemma 2.1's problem (4) solved from the definition of the
    ball: it never evaluates the dual norm, although its value is ``||w||_*`` when it converges.
    For a linear objective every projected step that moves raises ``<w, u>`` (by at least
    ``||step||^2 / eta``), and ``u`` is optimal exactly when the step does not move it; the
    ascent stops at the first step that raises ``<w, u>`` by no more than rounding (relative
    ``1e-14``) and returns the iterate before it. ``w``: a non-empty (d,) vector; ``w = 0``
    gives ``(0, 0.0)``. A RuntimeError if ``<w, u>`` still rises after ``max_steps`` steps.
    """
    check_choice("norm", name, LP_NORMS)
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"w of shape {w.shape} is not accepted; use a non-empty 1-D vector")
    size = float(np.linalg.norm(w))
    u, value = np.zeros_like(w), 0.0
    if size == 0:
        return u, value
    eta = 1.0 / size
    for _ in range(max_steps):
        new = ball_projection(u + eta * w, name)
        new_value = float(w @ new)
        if new_value <= value + 1e-14 * abs(new_value):
            return u, value
        u, value, eta = new, new_value, 2 * eta
    raise RuntimeError(f"projected gradient ascent on the {name} ball still rises after {max_steps} steps")
