"""Steepest descent on linear classifiers ``sign(<w, x>)`` with the exponential or logistic loss.

Steepest descent with respect to a norm ``||.||`` moves along
``-||g||_* argmax_{||v|| <= 1} <g, v>`` (Gunasekar et al. 2018, eq. 7), with ``g`` the gradient:

- ``"l2"``: gradient descent, ``-g``;
- ``"linf"``: sign gradient descent, ``-||g||_1 sign(g)``;
- ``"l1"``: coordinate descent on the coordinate of largest ``|g_j|``, ``-||g||_inf sign(g_j) e_j``.

Its iterates converge in direction to the max-margin classifier of that norm (Theorem 3.1).
``normalised=True`` divides each step by the current loss. For the exponential loss this is
gradient descent on ``log L``, computed stably with a log-sum-exp; multiplying a gradient field
by a positive function only re-times the continuous-time path, so small normalised steps follow
the same path as gradient flow, just much faster in the late, slow phase.

The second half runs gradient descent and gradient flow (an ODE solver) for a single ReLU neuron
``relu(<x, w>)`` with the square loss, batched over random instances: :func:`relu_neuron_loss`,
:func:`relu_neuron_grad`, :func:`relu_neuron_gd`, :func:`relu_neuron_flow`.

Used by: implicit-bias theory chapter (GD on separable data, one ReLU neuron), attacks chapter
(implicit robustness of steepest descent).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit, logsumexp

from ibbook.norms import DUALS, dual_maximiser, vector_norm
from ibbook.params import check_choice

LOSSES = ("exp", "logistic")
GEOMETRIES = ("l2", "linf", "l1")


def loss_and_grad(w: np.ndarray, Z: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """Mean loss over the rows of ``Z = y[:, None] * X`` and its gradient in ``w``."""
    check_choice("loss", loss, LOSSES)
    m = Z @ w
    if loss == "exp":
        e = np.exp(-m)
        return float(e.mean()), -(Z.T @ e) / len(m)
    return float(np.logaddexp(0.0, -m).mean()), -(Z.T @ expit(-m)) / len(m)


def log_exp_loss_grad(w: np.ndarray, Z: np.ndarray) -> tuple[float, np.ndarray]:
    """``log`` of the mean exponential loss and its gradient (= grad L / L), without overflow."""
    m = -(Z @ w)
    log_loss = float(logsumexp(m) - np.log(len(m)))
    p = np.exp(m - logsumexp(m))  # softmax weights of the points
    return log_loss, -(Z.T @ p)


def steepest_step(g: np.ndarray, geometry: str) -> np.ndarray:
    """The steepest-descent update direction ``-||g||_* argmax_{||v|| <= 1} <g, v>``."""
    check_choice("geometry", geometry, GEOMETRIES)
    if geometry == "l2":  # -||g||_2 * g / ||g||_2, without its round-off
        return -g
    return -vector_norm(g, DUALS[geometry]) * dual_maximiser(g, geometry)


@dataclass(frozen=True)
class Trajectory:
    """Iterates ``w`` (T×d) recorded at ``steps`` (T,), with the mean ``loss`` there (for
    ``normalised`` runs its log, which stays finite where the loss itself underflows)."""

    steps: np.ndarray
    w: np.ndarray
    loss: np.ndarray
    log_loss: bool


def record_points(steps: int, n_records: int) -> np.ndarray:
    """About ``n_records`` log-spaced step counts in [0, steps], always including 0 and ``steps``."""
    pts = np.unique(np.geomspace(1, steps, max(n_records - 1, 1)).astype(int))
    return np.unique(np.concatenate([[0], pts, [steps]]))


def steepest_descent(X, y, *, geometry: str = "l2", loss: str = "exp", lr: float = 0.1,
                     steps: int = 10_000, normalised: bool = False, w0=None,
                     n_records: int = 100) -> Trajectory:
    """Run steepest descent from ``w0`` (zeros by default) on a linear classifier.

    ``X`` (n×d), ``y`` in {-1, +1}. ``normalised`` steps need ``loss="exp"``.
    """
    check_choice("geometry", geometry, GEOMETRIES)
    check_choice("loss", loss, LOSSES)
    if normalised and loss != "exp":
        raise ValueError(f"normalised=True with loss={loss!r} is not accepted; use loss='exp'")
    if not lr > 0 or isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"lr={lr!r}, steps={steps!r} are not accepted; use lr > 0 and an integer steps >= 1")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Z = y[:, None] * X
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    keep = set(record_points(int(steps), n_records).tolist())
    rec_steps, rec_w, rec_loss = [], [], []
    for t in range(int(steps) + 1):
        value, g = log_exp_loss_grad(w, Z) if normalised else loss_and_grad(w, Z, loss)
        if t in keep:
            rec_steps.append(t)
            rec_w.append(w.copy())
            rec_loss.append(value)
        if t < steps:
            w = w + lr * steepest_step(g, geometry)
    return Trajectory(np.array(rec_steps), np.array(rec_w), np.array(rec_loss), log_loss=normalised)


def angle_to(w: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Angle in radians between each row of ``w`` (or a single vector) and ``reference``."""
    w = np.atleast_2d(w)
    cos = (w @ reference) / (np.linalg.norm(w, axis=1) * np.linalg.norm(reference) + 1e-300)
    return np.arccos(np.clip(cos, -1.0, 1.0))


# One ReLU neuron with the square loss (Theorem 5.1), batched over instances.


def _batch(X, y, w):
    X, y, w = (np.asarray(a, dtype=float) for a in (X, y, w))
    if X.ndim == 2:
        X, y, w = X[None], y[None], w[None]
    if X.ndim != 3 or y.shape != X.shape[:2] or w.shape != (X.shape[0], X.shape[2]):
        raise ValueError(f"X {X.shape}, y {y.shape}, w {w.shape} are not accepted; use (B, n, d), (B, n), "
                         "(B, d) or the same without the batch axis")
    return X, y, w


def relu_neuron_loss(X, y, w) -> np.ndarray:
    """``0.5 sum_i (relu(<x_i, w>) - y_i)^2`` for each instance of a batch (shape (B,))."""
    X, y, w = _batch(X, y, w)
    z = np.einsum("bnd,bd->bn", X, w)
    return 0.5 * ((np.maximum(z, 0.0) - y) ** 2).sum(1)


def relu_neuron_grad(X, y, w) -> np.ndarray:
    """Gradient of :func:`relu_neuron_loss` (``relu'(0) = 0``), shape (B, d)."""
    X, y, w = _batch(X, y, w)
    z = np.einsum("bnd,bd->bn", X, w)
    return np.einsum("bnd,bn->bd", X, (np.maximum(z, 0.0) - y) * (z > 0))


def relu_neuron_gd(X, y, w0, *, lr: float, steps: int) -> np.ndarray:
    """``steps`` of gradient descent with step ``lr`` from ``w0`` on a batch of instances."""
    if not lr > 0 or isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"lr={lr!r}, steps={steps!r} are not accepted; use lr > 0 and an integer steps >= 1")
    X, y, w = _batch(X, y, w0)
    w = w.copy()
    for _ in range(int(steps)):
        w -= lr * relu_neuron_grad(X, y, w)
    return w


def relu_neuron_flow(X, y, w0, t_end: float, rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """Gradient flow ``dw/dt = -grad L(w)`` of one instance up to time ``t_end`` (scipy LSODA)."""
    X, y, w0 = _batch(X, y, w0)
    if X.shape[0] != 1:
        raise ValueError(f"a batch of {X.shape[0]} instances is not accepted; pass one instance")
    sol = solve_ivp(lambda t, v: -relu_neuron_grad(X, y, v[None])[0], (0.0, t_end), w0[0],
                    method="LSODA", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"gradient flow failed: {sol.message}")
    return sol.y[:, -1]
