"""Exact convex programs that the theory predicts training converges to (solved with cvxpy).

- :func:`min_norm_classifier`: ``min ||w|| s.t. y_i (<w, x_i> + b) >= 1`` (Lemma 2.1, eq. 6), for
  the l1, l2, l-infinity and Fourier-l1 norms; its direction is the max-margin classifier;
- :func:`max_margin_classifier`: ``max_{||w|| <= 1} min_i y_i (<w, x_i> + b)`` (Lemma 2.1, eq. 5);
- :func:`margin`: the normalised margin ``min_i y_i (<w, x_i> + b) / ||w||`` of any classifier;
- :func:`relu_projection`: the nearest zero-loss weight of a single ReLU neuron (Theorem 5.1's w*);
- :func:`fourier_kkt_residual`: how far a predictor is from first-order stationarity of
  ``min ||F beta||_{2/L}`` under margin constraints (deep linear conv nets, where the problem is
  not convex and only stationarity can be checked);
- :func:`fourier_stationary_point`: a stationary point of that problem (exact for ``L <= 2``,
  iteratively reweighted l1 for ``L > 2``), the limit predicted for an ``L``-layer linear conv net;
- :func:`candidate_gap`, :func:`angle_ratio`, :func:`judge_limit`: how far apart the candidate
  limits are, and whether a trained direction is nearer the predicted one than the alternatives,
  by a margin (the check of section 5 of the implicit-bias chapter); data sets whose candidates
  are closer than :data:`MIN_CANDIDATE_GAP` are untestable, not judged.

Norm names are those of :data:`NORMS`; ``"fourier_l1"`` is ``||F w||_1`` with the unitary DFT of
:mod:`ibbook.fourier`; :mod:`ibbook.norms` evaluates them and names their duals.

Used by: implicit-bias theory chapter (SVM direction, ReLU projection, min ||F beta||_1),
attacks chapter (maximally robust = max margin = min dual norm).
"""
from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from scipy.optimize import nnls

from ibbook.norms import vector_norm
from ibbook.params import check_choice

NORMS = ("l1", "l2", "linf", "fourier_l1")
_SOLVER = "CLARABEL"


def cp_norm(w: cp.Variable, name: str, d: int):
    """The norm ``name`` (l1, l2, linf or fourier_l1) of a cvxpy expression of length ``d``."""
    if name == "fourier_l1":
        # |[F w]_k| = sqrt((C w)_k^2 + (S w)_k^2) / sqrt(d) with C, S the cosine and sine matrices
        k = np.arange(d)
        angle = 2 * np.pi * np.outer(k, k) / d
        C, S = np.cos(angle) / np.sqrt(d), np.sin(angle) / np.sqrt(d)
        return cp.sum(cp.norm(cp.vstack([C @ w, S @ w]), 2, axis=0))
    return cp.norm(w, {"l1": 1, "l2": 2, "linf": "inf"}[name])


def _check_data(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X of shape {X.shape} and y of shape {y.shape} are not accepted; use X (n, d) and y (n,)")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"labels {sorted(set(y.tolist()))} are not accepted; use labels in {{-1, +1}}")
    return X, y


def _solve(problem: cp.Problem, what: str) -> None:
    problem.solve(solver=_SOLVER)
    if problem.status != cp.OPTIMAL:
        raise RuntimeError(f"{what}: the solver returned status {problem.status!r}; "
                           "is the data linearly separable?")


@dataclass(frozen=True)
class Classifier:
    """A linear classifier ``sign(<w, x> + b)`` with ``||w|| = 1`` in ``norm`` and its ``margin``
    (the normalised margin on the data it was fitted to)."""

    w: np.ndarray
    b: float
    margin: float
    norm: str


def min_norm_classifier(X, y, norm: str = "l2", bias: bool = False) -> Classifier:
    """Solve ``min ||w|| s.t. y_i (<w, x_i> + b) >= 1`` (b = 0 unless ``bias``).

    The solution ``w_min`` has margin ``1 / ||w_min||``; it is returned rescaled to unit norm.
    """
    check_choice("norm", norm, NORMS)
    X, y = _check_data(X, y)
    w = cp.Variable(X.shape[1])
    b = cp.Variable() if bias else 0.0
    problem = cp.Problem(cp.Minimize(cp_norm(w, norm, X.shape[1])),
                         [cp.multiply(y, X @ w + b) >= 1])
    _solve(problem, f"min-{norm} classifier")
    size = problem.value
    return Classifier(w=w.value / size, b=float(b.value / size) if bias else 0.0,
                      margin=1.0 / size, norm=norm)


def max_margin_classifier(X, y, norm: str = "l2", bias: bool = False) -> Classifier:
    """Solve ``max t s.t. y_i (<w, x_i> + b) >= t, ||w|| <= 1`` (Lemma 2.1, eq. 5)."""
    check_choice("norm", norm, NORMS)
    X, y = _check_data(X, y)
    w, t = cp.Variable(X.shape[1]), cp.Variable()
    b = cp.Variable() if bias else 0.0
    problem = cp.Problem(cp.Maximize(t), [cp.multiply(y, X @ w + b) >= t,
                                          cp_norm(w, norm, X.shape[1]) <= 1])
    _solve(problem, f"max-{norm}-margin classifier")
    if t.value <= 0:
        raise RuntimeError(f"max-{norm}-margin classifier: best margin {t.value:.3g} <= 0; the data are not separable")
    return Classifier(w=w.value, b=float(b.value) if bias else 0.0, margin=float(t.value), norm=norm)


def margin(w: np.ndarray, X, y, norm: str = "l2", b: float = 0.0) -> float:
    """Normalised margin ``min_i y_i (<w, x_i> + b) / ||w||`` (negative if a point is misclassified)."""
    X, y = _check_data(X, y)
    return float(np.min(y * (X @ w + b)) / vector_norm(w, norm))


@dataclass(frozen=True)
class Projection:
    """Theorem 5.1's ``w*``: the zero-loss weight nearest to ``w0`` and its distance ``dist``."""

    w: np.ndarray
    dist: float


def relu_projection(X, y, w0) -> Projection:
    """Project ``w0`` onto the zero-loss set of a ReLU neuron with square loss.

    ``relu(<x_i, w>) = y_i`` for all i is the convex set ``{<x_i, w> = y_i if y_i > 0,
    <x_i, w> <= 0 if y_i = 0}``; this returns ``argmin ||w - w0||`` over it. Each row is divided
    by its norm first (the set is unchanged), so that rows of very different sizes (as in
    :func:`ibbook.descent.relu_fan_instance`) are all held to the solver's tolerance.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w0 = np.asarray(w0, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or w0.shape != (X.shape[1],):
        raise ValueError(f"X {X.shape}, y {y.shape}, w0 {w0.shape} are not accepted; use (n, d), (n,), (d,)")
    if np.any(y < 0):
        raise ValueError(f"targets {y[y < 0][:3]} are not accepted; a ReLU neuron only outputs values >= 0")
    size = np.linalg.norm(X, axis=1)
    size[size == 0] = 1.0
    X, y = X / size[:, None], y / size
    w = cp.Variable(X.shape[1])
    pos = y > 0
    constraints = []
    if pos.any():
        constraints.append(X[pos] @ w == y[pos])
    if (~pos).any():
        constraints.append(X[~pos] @ w <= 0)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(w - w0)), constraints)
    _solve(problem, "ReLU projection")
    return Projection(w=w.value, dist=float(np.linalg.norm(w.value - w0)))


def fourier_kkt_residual(beta, X, y, depth: int, support_tol: float = 1e-2,
                         margin_tol: float = 1e-2) -> float:
    """Relative residual of the first-order (KKT) conditions of
    ``min ||F beta||_{2/L}^{2/L} s.t. y_n <x_n, beta> >= 1`` at (a rescaling of) ``beta``.

    With ``p = 2 / L`` and the unitary DFT, stationarity on the support ``K`` of ``F beta`` asks for
    multipliers ``alpha_n >= 0`` on the support vectors with
    ``[F sum_n alpha_n y_n x_n]_k = p |b_k|^{p - 2} b_k`` for ``k`` in ``K``, ``b = F beta``.
    ``beta`` is rescaled to minimum margin 1; support vectors are the points with margin below
    ``1 + margin_tol``; ``K`` holds the frequencies with ``|b_k| >= support_tol max |b|``. The best
    ``alpha >= 0`` is found by non-negative least squares; returns ``||residual|| / ||target||``.
    """
    beta = np.asarray(beta, dtype=float)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth={depth!r} is not accepted; use an integer >= 1")
    m = y * (X @ beta)
    if m.min() <= 0:
        raise ValueError("beta is not accepted: it misclassifies a training point")
    beta = beta / m.min()
    m = m / m.min()
    p = 2.0 / depth
    b = np.fft.fft(beta, norm="ortho")
    K = np.abs(b) >= support_tol * np.abs(b).max()
    target = p * np.abs(b[K]) ** (p - 2) * b[K]
    S = m <= 1 + margin_tol
    A = np.fft.fft((y[S, None] * X[S]), axis=1, norm="ortho")[:, K].T  # |K| x |S|
    A_real = np.vstack([A.real, A.imag])
    t_real = np.concatenate([target.real, target.imag])
    _, res = nnls(A_real, t_real)
    return float(res / np.linalg.norm(t_real))


def fourier_stationary_point(X, y, depth: int, *, iters: int = 300, tol: float = 1e-11) -> np.ndarray:
    """A first-order stationary point of ``min ||F beta||_{2/L} s.t. y_n <x_n, beta> >= 1``
    (lecture, Theorem 3.2; Gunasekar et al. 2018): the direction an ``L = depth``-layer linear
    convolutional network is predicted to converge to. Returns ``beta`` (d,), minimum margin 1.

    ``depth = 1``: ``min ||beta||_2`` (the unitary DFT keeps the l2 norm); ``depth = 2``: the convex
    ``min ||F beta||_1``, both exact. ``depth >= 3`` (``p = 2 / depth < 1``, not convex):
    iteratively reweighted l1 (Candes, Wakin and Boyd 2008), started from the ``depth = 2``
    solution: each round solves ``min sum_k c_k |[F beta]_k|`` under the constraints with
    ``c_k = (|b_k| + eps max|b|)^(p - 1)``, ``b`` the previous spectrum, halving ``eps`` down to
    ``1e-12``; it stops when ``beta`` changes by less than ``tol`` (relative). A fixed point with
    ``eps -> 0`` meets the KKT conditions of :func:`fourier_kkt_residual`. Raises ``ValueError``
    on bad shapes, labels or depth and ``RuntimeError`` when the data are not separable.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth={depth!r} is not accepted; use an integer >= 1")
    X, y = _check_data(X, y)
    if depth == 1:
        c = min_norm_classifier(X, y, "l2")
        return c.w / c.margin
    start = min_norm_classifier(X, y, "fourier_l1")
    beta = start.w / start.margin
    if depth == 2:
        return beta
    p = 2.0 / depth
    d = X.shape[1]
    k = np.arange(d)
    angle = 2 * np.pi * np.outer(k, k) / d
    C, S = np.cos(angle) / np.sqrt(d), np.sin(angle) / np.sqrt(d)
    w = cp.Variable(d)
    weight = cp.Parameter(d, nonneg=True)
    modulus = cp.norm(cp.vstack([C @ w, S @ w]), 2, axis=0)  # |[F w]_k|
    problem = cp.Problem(cp.Minimize(weight @ modulus), [cp.multiply(y, X @ w) >= 1])
    eps = 0.1
    for _ in range(iters):
        b = np.abs(np.fft.fft(beta, norm="ortho"))
        weight.value = (b + eps * b.max()) ** (p - 1)
        _solve(problem, f"reweighted l1 step for depth {depth}")
        change = np.linalg.norm(w.value - beta) / np.linalg.norm(beta)
        beta = w.value
        if eps <= 1e-12 and change < tol:
            break
        eps = max(eps / 2, 1e-12)
    return beta / np.min(y * (X @ beta))


#: :func:`angle_ratio` below this: the direction is nearer the right candidate than every wrong one.
SEPARATION = 0.5

#: Smallest angle (radians) between the predicted candidate limit and every other candidate for
#: :func:`angle_ratio` to judge a data set; a fixed constant, not tuned per data set or run. Why
#: 0.05 rad (3 degrees): a pass asks for an angle below ``SEPARATION * gap`` to the predicted
#: candidate, and the slowest trained directions (depth-2 conv nets) still move by 0.01 to 0.04 rad
#: between half and all of the training run, so below a few hundredths of a radian a failure
#: would measure the training length rather than the limit; far below it the candidates are one
#: point (all constraints active in d dimensions: the gap is 0 up to solver tolerance and the
#: ratio 0 / 0). Such data sets are reported as untestable and counted, never judged.
MIN_CANDIDATE_GAP = 0.05


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def _check_candidates(candidates, right) -> None:
    if right not in candidates or len(candidates) < 2:
        raise ValueError(f"right={right!r} with candidates {list(candidates)} is not accepted; name one of "
                         "at least two candidates")


def candidate_gap(candidates, right) -> float:
    """The smallest angle (radians) between the candidate ``right`` and every other candidate:
    how far apart the predictions are that :func:`angle_ratio` must tell apart. ``candidates``
    maps names to predictors (d,) (only directions count). Cheap: compute it before training or
    judging, and compare it with :data:`MIN_CANDIDATE_GAP`. Raises ``ValueError`` when ``right``
    is not a candidate or there is no other one."""
    _check_candidates(candidates, right)
    ref = np.asarray(candidates[right], dtype=float)
    return min(_angle(ref, np.asarray(v, dtype=float)) for k, v in candidates.items() if k != right)


def angle_ratio(beta, candidates, right, min_gap: float = MIN_CANDIDATE_GAP) -> float:
    """``angle(beta, right) / min over the wrong candidates of angle(right, wrong)``.

    ``candidates`` maps names (any keys, e.g. the depth L) to predictors (d,) (only their
    directions count); ``right`` names the one theory predicts. Below :data:`SEPARATION` = 1/2,
    ``beta`` lies in a cone around the right candidate that holds no wrong one, and is nearer the
    right one than each wrong one by the triangle inequality for angles
    (``angle(beta, wrong) >= angle(right, wrong) - angle(beta, right)``). The right candidate
    scores 0, a wrong candidate at least 1.

    The denominator is :func:`candidate_gap`; when it is below ``min_gap`` (default
    :data:`MIN_CANDIDATE_GAP`; zero when the candidates coincide) the candidates cannot be told
    apart and a ``ValueError`` naming the gap is raised instead of a ratio (a zero gap is refused
    even with ``min_gap=0``). Also ``ValueError`` when ``right`` is not a candidate or there is no
    other one. :func:`judge_limit` reports such data sets as untestable.
    """
    gap = candidate_gap(candidates, right)
    if not gap > 0 or gap < min_gap:
        raise ValueError(f"the candidates coincide or nearly: the smallest angle between {right!r} and another candidate "
                         f"is {gap!r} rad, below min_gap={min_gap!r}; the data set cannot tell them apart")
    return _angle(np.asarray(beta, dtype=float), np.asarray(candidates[right], dtype=float)) / gap


@dataclass(frozen=True)
class LimitCheck:
    """:func:`judge_limit`'s verdict on one trained direction: ``gap`` (:func:`candidate_gap`),
    ``testable`` (``gap >= min_gap``), ``angle`` to the predicted candidate (radians) and
    ``ratio`` (:func:`angle_ratio`; NaN when not testable)."""

    gap: float
    testable: bool
    angle: float
    ratio: float


def judge_limit(beta, candidates, right, min_gap: float = MIN_CANDIDATE_GAP) -> LimitCheck:
    """The separation of the candidates first (:func:`candidate_gap`), then, only when it reaches
    ``min_gap``, the :func:`angle_ratio` of ``beta``; an untestable data set gets ``ratio = NaN``
    and ``testable = False`` (count these; never pass or fail them)."""
    gap = candidate_gap(candidates, right)
    angle = _angle(np.asarray(beta, dtype=float), np.asarray(candidates[right], dtype=float))
    testable = bool(gap > 0 and gap >= min_gap)
    ratio = angle_ratio(beta, candidates, right, min_gap) if testable else float("nan")
    return LimitCheck(gap=gap, testable=testable, angle=angle, ratio=ratio)
