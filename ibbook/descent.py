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
:func:`relu_neuron_grad`, :func:`relu_neuron_gd`, :func:`relu_neuron_flow`. For Theorem 5.1 of
the lecture (Vardi and Shamir 2021): :func:`relu_neuron_gd_watched` also follows the distance to a
zero-loss weight along the run (the proof's invariant: it never increases),
:func:`distance_increase` measures the same along a recorded path, and :func:`relu_fan_instance`
builds the instances on which the theorem's factor 2 is nearly reached (:func:`fan_ratio_limit`,
:func:`fan_ratio_supremum`); :func:`vee_instance` with :func:`neuron_flow_path` is the negative
control, an activation outside the theorem's hypothesis on which the ratio exceeds 2.

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


def relu_neuron_flow_path(X, y, w0, t_end: float, rtol: float = 1e-10,
                          atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Gradient flow ``dw/dt = -grad L(w)`` of one instance (``X`` (n, d), ``y`` (n,), ``w0`` (d,))
    up to time ``t_end`` by scipy's LSODA (stiff-capable): the solver's times (T,) and the weights
    there (T, d), from ``w0`` at time 0 to the end. Raises ``ValueError`` on a batch of several
    instances and ``RuntimeError`` when the solver fails."""
    X, y, w0 = _batch(X, y, w0)
    if X.shape[0] != 1:
        raise ValueError(f"a batch of {X.shape[0]} instances is not accepted; pass one instance")
    sol = solve_ivp(lambda t, v: -relu_neuron_grad(X, y, v[None])[0], (0.0, t_end), w0[0],
                    method="LSODA", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"gradient flow failed: {sol.message}")
    return sol.t, sol.y.T


def relu_neuron_flow(X, y, w0, t_end: float, rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """Gradient flow ``dw/dt = -grad L(w)`` of one instance up to time ``t_end`` (scipy LSODA):
    the weight at ``t_end``, shape (d,). See :func:`relu_neuron_flow_path`."""
    return relu_neuron_flow_path(X, y, w0, t_end, rtol, atol)[1][-1]


# Theorem 5.1: the proof's invariant, and the instances on which its factor 2 is nearly reached.

#: Relative round-off allowed when checking that a distance never increases: a step may show an
#: increase of ``||w_t - w*||`` up to this fraction of the starting distance (float64 arithmetic on
#: weights of size ~1 leaves ~1e-16); anything larger breaks the invariant of Theorem 5.1's proof.
DIST_ROUND_OFF = 1e-12


@dataclass(frozen=True)
class WatchedRun:
    """Gradient descent on a batch of ReLU neurons, watched against reference weights ``w_ref``.

    ``w`` (B, d): the last iterate; ``dist0`` (B,): ``||w_0 - w_ref||``; ``max_increase`` (B,):
    the largest one-step increase of ``||w_t - w_ref||`` over the run divided by ``dist0``
    (negative when the distance decreased at every step); ``fixed_active`` (B,): whether the
    points with ``<x_i, w_t> > 0`` were exactly those with ``y_i > 0`` at every step, first and
    last included (then the run is plain least squares on the positive points).
    """

    w: np.ndarray
    dist0: np.ndarray
    max_increase: np.ndarray
    fixed_active: np.ndarray


def relu_neuron_gd_watched(X, y, w0, w_ref, *, lr: float, steps: int) -> WatchedRun:
    """:func:`relu_neuron_gd` (the same iterates, bit for bit) that also follows, at every step,
    the distance of ``w_t`` to ``w_ref`` (B, d) and which points are active.

    Section 2 of the implicit-bias chapter (Theorem 5.1): with ``w_ref`` a zero-loss weight, the
    proof shows ``<grad L(w), w - w_ref> >= ||r||^2`` (``r`` the residuals of the active points), so
    a step ``lr <= 2 / ||X||_2^2`` never increases the distance; ``max_increase`` above
    :data:`DIST_ROUND_OFF` breaks that invariant. Shapes as in :func:`relu_neuron_loss`; raises
    ``ValueError`` on a bad ``lr``, ``steps`` or shapes.
    """
    if not lr > 0 or isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"lr={lr!r}, steps={steps!r} are not accepted; use lr > 0 and an integer steps >= 1")
    X, y, w = _batch(X, y, w0)
    w_ref = np.asarray(w_ref, dtype=float)
    if w_ref.size != w.size:
        raise ValueError(f"w_ref of shape {w_ref.shape} is not accepted; use the shape of w0 {w.shape}")
    w_ref = w_ref.reshape(w.shape)
    w = w.copy()
    positive = y > 0
    dist0 = np.linalg.norm(w - w_ref, axis=1)
    prev, worst = dist0.copy(), np.full(len(w), -np.inf)
    fixed = np.ones(len(w), dtype=bool)
    for _ in range(int(steps)):
        z = np.einsum("bnd,bd->bn", X, w)
        fixed &= ((z > 0) == positive).all(1)
        w -= lr * np.einsum("bnd,bn->bd", X, (np.maximum(z, 0.0) - y) * (z > 0))
        dist = np.linalg.norm(w - w_ref, axis=1)
        worst = np.maximum(worst, dist - prev)
        prev = dist
    fixed &= ((np.einsum("bnd,bd->bn", X, w) > 0) == positive).all(1)
    return WatchedRun(w=w, dist0=dist0, max_increase=worst / dist0, fixed_active=fixed)


def distance_increase(path, w_ref) -> float:
    """Largest increase of ``||w_t - w_ref||`` between consecutive rows of ``path`` (T, d), divided
    by the first distance: <= :data:`DIST_ROUND_OFF` when the distance never increases (Theorem
    5.1's invariant), positive when it does. Raises ``ValueError`` on fewer than two rows or a
    path starting at ``w_ref``."""
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or len(path) < 2:
        raise ValueError(f"a path of shape {path.shape} is not accepted; use (T, d) with T >= 2")
    dist = np.linalg.norm(path - np.asarray(w_ref, dtype=float), axis=1)
    if dist[0] == 0:
        raise ValueError("a path starting at w_ref is not accepted; the increase is relative to the first distance")
    return float(np.diff(dist).max() / dist[0])


@dataclass(frozen=True)
class FanInstance:
    """One ReLU-neuron instance of :func:`relu_fan_instance`: data ``X`` (m+1, 3), targets ``y``
    (m+1,), start ``w0`` (3,), the nearest zero-loss weight ``w_star`` (3,), and a time ``t_end``
    by which gradient flow has settled."""

    X: np.ndarray
    y: np.ndarray
    w0: np.ndarray
    w_star: np.ndarray
    t_end: float
    gap: float = 0.05


def relu_fan_instance(m: int, scale_step: float = 0.01, gap: float = 0.05) -> FanInstance:
    """An instance on which gradient flow ends nearly twice as far as the nearest zero-loss weight.

    Theorem 5.1's bound ``||w(inf) - w(0)|| <= 2 ||w* - w(0)||`` is the triangle inequality after
    the invariant "``||w(t) - w*||`` never increases"; it is tight only if the flow circles
    ``w*`` at a constant distance and ends opposite ``w(0)``. This builds such a flow in the plane
    ``w_3 = 1``: ``x_0 = e_3`` with ``y_0 = 1`` (its residual is 0 from the start and stays 0), and
    ``m`` points with ``y_k = 0`` whose lines ``<x_k, w> = 0`` fan out around ``w* = e_3`` at the
    angles ``theta_k = k Delta``, ``Delta = (pi - gap) / m``:
    ``x_k = scale_step^((k-1)/2) (sin theta_k, -cos theta_k, 0)``. From ``w0 = (1, 0, 1)`` every
    fan point is active; with ``scale_step << 1`` the k-th acts ``1 / scale_step`` times more
    slowly than the one before, so the flow projects ``w`` on the lines one after the other, each
    projection turning it by ``Delta`` about ``w*`` and shrinking its distance by ``cos Delta``.
    It ends at the angle ``pi - gap`` (the zero-loss cone is ``[pi - gap, pi + Delta]``), at the
    distance ``cos(Delta)^m`` from ``w*``, and :func:`fan_ratio_limit` gives the ratio, which tends
    to ``2 cos(gap / 2)`` as ``m`` grows (:func:`fan_ratio_supremum`; 2 only as ``gap -> 0``). ``w*`` is ``e_3``: both edges of the cone are more than 90 degrees from
    ``w0``'s angle 0. Raises ``ValueError`` unless ``m >= 2``, ``0 < scale_step <= 1`` and
    ``0 < gap < pi / 2``.
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise ValueError(f"m={m!r} is not accepted; use an integer m >= 2")
    if not 0 < scale_step <= 1 or not 0 < gap < np.pi / 2:
        raise ValueError(f"scale_step={scale_step!r}, gap={gap!r} are not accepted; use 0 < scale_step <= 1 "
                         "and 0 < gap < pi / 2")
    theta = (np.pi - gap) / m * np.arange(1, m + 1)
    size = scale_step ** (np.arange(m) / 2)
    fan = np.stack([np.sin(theta), -np.cos(theta), np.zeros(m)], axis=1) * size[:, None]
    X = np.vstack([[0.0, 0.0, 1.0], fan])
    y = np.zeros(m + 1)
    y[0] = 1.0
    return FanInstance(X=X, y=y, w0=np.array([1.0, 0.0, 1.0]), w_star=np.array([0.0, 0.0, 1.0]),
                       t_end=1e3 / scale_step ** (m - 1), gap=float(gap))


def fan_ratio_limit(m: int, gap: float = 0.05) -> float:
    """``||w(inf) - w(0)|| / ||w* - w(0)||`` on :func:`relu_fan_instance` in the limit
    ``scale_step -> 0`` (one projection after the other): ``|1 + c e^{-i gap}|`` with
    ``c = cos((pi - gap) / m)^m``; increasing in ``m`` towards :func:`fan_ratio_supremum`, below 2."""
    c = np.cos((np.pi - gap) / m) ** m
    return float(np.sqrt(1 + c ** 2 + 2 * c * np.cos(gap)))


def fan_ratio_supremum(gap: float = 0.05) -> float:
    """``lim_{m -> inf}`` :func:`fan_ratio_limit` ``(m, gap)`` ``= |1 + e^{-i gap}| = 2 cos(gap / 2)``
    (``cos((pi - gap) / m)^m -> 1``): the most the fan instances with this ``gap`` can show, below 2
    for every ``gap > 0`` and tending to 2 only as ``gap -> 0``. Raises ``ValueError`` unless
    ``0 < gap < pi / 2``."""
    if not 0 < gap < np.pi / 2:
        raise ValueError(f"gap={gap!r} is not accepted; use 0 < gap < pi / 2")
    return float(2 * np.cos(gap / 2))


# A negative control for Theorem 5.1: a non-monotone activation, outside the theorem's hypothesis.


def vee(u, slope: float = 10.0) -> np.ndarray:
    """``max(u, -slope u)``: V-shaped, decreasing for ``u < 0``, so it violates Theorem 5.1's
    hypothesis that the activation is non-decreasing (``slope > 0``)."""
    return np.maximum(u, -slope * np.asarray(u, dtype=float))


def vee_grad(u, slope: float = 10.0) -> np.ndarray:
    """Derivative of :func:`vee` (1 for ``u > 0``, ``-slope`` for ``u < 0``, 0 at 0)."""
    u = np.asarray(u, dtype=float)
    return np.where(u > 0, 1.0, np.where(u < 0, -slope, 0.0))


def neuron_flow_path(X, y, w0, t_end: float, activation, derivative, rtol: float = 1e-10,
                     atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Gradient flow of ``0.5 sum_i (activation(<x_i, w>) - y_i)^2`` for one neuron with any
    activation (``derivative`` its derivative), by scipy's LSODA as in
    :func:`relu_neuron_flow_path`: the solver's times (T,) and weights (T, d). ``X`` (n, d), ``y``
    (n,), ``w0`` (d,). Raises ``ValueError`` on bad shapes, ``RuntimeError`` when the solver fails."""
    X, y, w0 = (np.asarray(a, dtype=float) for a in (X, y, w0))
    if X.ndim != 2 or y.shape != (X.shape[0],) or w0.shape != (X.shape[1],):
        raise ValueError(f"X {X.shape}, y {y.shape}, w0 {w0.shape} are not accepted; use (n, d), (n,), (d,)")

    def grad(_, w):
        z = X @ w
        return -X.T @ ((activation(z) - y) * derivative(z))
    sol = solve_ivp(grad, (0.0, t_end), w0, method="LSODA", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"gradient flow failed: {sol.message}")
    return sol.t, sol.y.T


@dataclass(frozen=True)
class VeeInstance:
    """:func:`vee_instance`: one point ``X`` (1, 2) with target ``y`` (1,), start ``w0``, the
    nearest zero-loss weight ``w_star``, the end ``w_end`` the flow tends to, ``t_end`` (the flow
    is within ``1e-12`` of ``w_end`` by then) and the activation's ``slope``."""

    X: np.ndarray
    y: np.ndarray
    w0: np.ndarray
    w_star: np.ndarray
    w_end: np.ndarray
    t_end: float
    slope: float


def vee_instance(slope: float = 10.0, start: float = 0.01) -> VeeInstance:
    """A neuron with the non-monotone activation :func:`vee` on which gradient flow ends
    ``(1 - start) / (start + 1 / slope)`` times as far as the nearest zero-loss weight (9 by
    default): the negative control of Theorem 5.1's check, whose hypothesis (a non-decreasing
    activation) it violates.

    One point ``x = e_1`` with target 1: the zero-loss set is ``{w_1 = 1} U {w_1 = -1 / slope}``.
    From ``w0 = (start, 0.5)`` (just right of the activation's minimum at 0) the loss decreases
    only to the right, so the flow ``dw_1/dt = 1 - w_1`` runs to ``w_1 = 1``, away from the nearer
    zero-loss weight ``w* = (-1 / slope, 0.5)``, and its distance to ``w*`` grows: the proof's
    invariant fails too. Raises ``ValueError`` unless ``slope > 0`` and ``0 < start < 1``."""
    if not slope > 0 or not 0 < start < 1:
        raise ValueError(f"slope={slope!r}, start={start!r} are not accepted; use slope > 0 and 0 < start < 1")
    return VeeInstance(X=np.array([[1.0, 0.0]]), y=np.array([1.0]), w0=np.array([start, 0.5]),
                       w_star=np.array([-1.0 / slope, 0.5]), w_end=np.array([1.0, 0.5]),
                       t_end=float(np.log(1e12)), slope=float(slope))
