"""Vector norms, their duals and the vectors that attain the duality, in one place.

Names: ``"l1"``, ``"l2"``, ``"linf"`` and their Fourier versions ``"fourier_l1"``,
``"fourier_linf"`` (the norm of the unitary DFT, as in :mod:`ibbook.fourier`). The dual of
``||.||`` is ``||w||_* = sup_{||v|| <= 1} <w, v>``: l1 and linf are dual to each other, l2 to
itself, and Fourier-l1 to Fourier-linf. A max-margin classifier in one norm is the most robust
to perturbations bounded in its dual (Lemma 2.1), and steepest descent in one norm steps along
the maximiser of the dual pairing.

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
