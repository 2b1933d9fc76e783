"""pReLU networks (Min & Vidal, 2024) and the closed-form classifiers of their theory.

A pReLU neuron with weight ``w`` maps ``x`` to ``relu(<x, w>)^p / ||w||^(p-1)``; for ``p = 1`` it
is a ReLU neuron, and for every ``p`` the network ``f_p(x) = sum_j v_j relu(<x, w_j>)^p /
||w_j||^(p-1)`` is 2-homogeneous in its weights ``(w_j, v_j)``, like a shallow ReLU net.

- :class:`PReLULayer`, :class:`PReLUNet`: the layer and the shallow network (scalar or
  vector output), with :func:`small_init` for gradient-flow runs from a tiny initialisation;
- :func:`relu_teacher` (``F``, two ReLU neurons at ``mu_+`` and ``mu_-``) and
  :func:`prelu_teacher` (``F^(p)``, one pReLU neuron per cluster centre), both as
  :class:`PReLUNet` with fixed weights;
- :func:`attack_direction` (``d_0``, the unit vector along ``mu_+ - mu_-``),
  :func:`relu_teacher_radius` (the exact l2 distance of a point to ``F``'s decision boundary)
  and :func:`prelu_teacher_centre_radius` (the exact distance of a cluster centre to ``F^(p)``'s
  boundary), :func:`prelu_teacher_radius_bound` (a certified lower bound at any point, p >= 2);
- :func:`teacher_probes` and :func:`disagreement_probes` (probe points, and those where ``F``
  and ``F^(p)`` disagree), :func:`opposite_centre_directions` (toward the nearest centre of the
  other class);
- :func:`radius_along` (bisection for the smallest flip along one direction per point),
  :class:`TwoLogits` (a scalar classifier as logits ``(-f, f)``, for foolbox);
- :func:`fit_gradient_flow` (full-batch GD on the exponential or logistic loss, with a guard
  that halves the step on a loss increase, and neuron snapshots), :func:`flow_lr` (the step
  ``lr_per_k * K``) and :func:`neuron_alignment` (cosines of the neurons
  with the cluster centres);
- :func:`mnist_prelu` (registered as ``"prelu_mlp"``): the one-hidden-layer pReLU classifier
  of the MNIST experiment, mean-centring inside the model;
- :func:`run_intervals`: one interval record per run (K, alpha), for the verdicts.

Used by: pReLU chapter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ibbook.descent import record_points
from ibbook.models import register
from ibbook.params import check_choice

LOSSES = ("exp", "logistic")


def _check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not p >= 1:
        raise ValueError(f"p={p!r} is not accepted; use a number p >= 1")
    return float(p)


class PReLULayer(nn.Module):
    """``h`` pReLU neurons: ``x -> relu(x @ W.T)^p / ||w_j||^(p-1)`` (``W`` is h×d).

    ``normalize_input=True`` also divides by ``||x||^(p-1)``, which makes the layer
    1-homogeneous in ``x`` (Min & Vidal's MNIST code does this; the theory does not).

    Used by: pReLU chapter.
    """

    def __init__(self, d: int, width: int, p: float = 1.0, *, normalize_input: bool = False,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        for name, value in (("d", d), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}={value!r} is not accepted; use an integer >= 1")
        self.p = _check_p(p)
        self.normalize_input = bool(normalize_input)
        self.weight = nn.Parameter(torch.empty(width, d, dtype=dtype))
        nn.init.kaiming_uniform_(self.weight, a=0)  # He initialisation, as torch's default for ReLU

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.relu(x @ self.weight.T)
        if self.p == 1.0:
            return z
        # z * (z / scale)^(p-1): the ratio stays bounded, so nothing under- or overflows and a
        # zero weight or input gives 0 rather than 0 / 0
        tiny = torch.finfo(self.weight.dtype).tiny
        scale = self.weight.norm(dim=1).clamp_min(tiny)
        if self.normalize_input:
            scale = scale * x.norm(dim=1, keepdim=True).clamp_min(tiny)
        return z * (z / scale) ** (self.p - 1)


class PReLUNet(nn.Module):
    """``f_p(x) = sum_j v_j relu(<x, w_j>)^p / ||w_j||^(p-1)`` (+ optional output bias).

    ``out=1`` returns a vector of N scalars (the binary classifier ``sign f``); ``out > 1`` an
    N×out matrix of logits (``v_j`` vector-valued). ``center`` (a d-vector or image) is subtracted
    from the input first: a model that takes raw inputs (e.g. [0, 1] pixels). Inputs of more than
    two dimensions are flattened.

    Used by: pReLU chapter.
    """

    def __init__(self, d: int, width: int, p: float = 1.0, *, out: int = 1, bias: bool = False,
                 normalize_input: bool = False, center: torch.Tensor | None = None,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        if isinstance(out, bool) or not isinstance(out, (int, np.integer)) or out < 1:
            raise ValueError(f"out={out!r} is not accepted; use an integer >= 1")
        self.hidden = PReLULayer(d, width, p, normalize_input=normalize_input, dtype=dtype)
        self.v = nn.Linear(width, out, bias=bias, dtype=dtype)
        self.out = int(out)
        c = torch.zeros(d, dtype=dtype) if center is None else torch.as_tensor(center, dtype=dtype).reshape(-1)
        if c.numel() != d:
            raise ValueError(f"center with {c.numel()} entries is not accepted; give d={d} entries")
        self.register_buffer("center", c)

    @property
    def p(self) -> float:
        return self.hidden.p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1) - self.center
        y = self.v(self.hidden(x))
        return y[:, 0] if self.out == 1 else y


@torch.no_grad()
def small_init(net: PReLUNet, scale: float, *, seed: int = 0) -> PReLUNet:
    """Set ``w_j = scale * g_j / sqrt(d)`` (``g_j ~ N(0, I)``) and ``v_j = s_j ||w_j||`` with
    random signs ``s_j`` (a balanced start: ``|v_j| = ||w_j||``), in place; returns ``net``.

    Used by: pReLU chapter (gradient flow from a small initialisation).
    """
    if not scale > 0:
        raise ValueError(f"scale={scale!r} is not accepted; use scale > 0")
    if net.out != 1:
        raise ValueError(f"out={net.out} is not accepted; small_init is for scalar networks (out=1)")
    g = torch.Generator().manual_seed(seed)
    W = net.hidden.weight
    d = W.shape[1]
    W.copy_(scale * torch.randn(W.shape, generator=g, dtype=W.dtype) / np.sqrt(d))
    signs = torch.where(torch.rand(W.shape[0], generator=g) < 0.5, -1.0, 1.0).to(W.dtype)
    net.v.weight.copy_((signs * W.norm(dim=1))[None, :])
    return net


def _fixed_net(W: np.ndarray, v: np.ndarray, p: float) -> PReLUNet:
    W = torch.as_tensor(np.asarray(W, dtype=float))
    net = PReLUNet(W.shape[1], W.shape[0], p, dtype=torch.float64)
    with torch.no_grad():
        net.hidden.weight.copy_(W)
        net.v.weight.copy_(torch.as_tensor(np.asarray(v, dtype=float))[None, :])
    for par in net.parameters():
        par.requires_grad_(False)
    return net.eval()


def relu_teacher(mu_pos: np.ndarray, mu_neg: np.ndarray) -> PReLUNet:
    """``F(x) = relu(<x, mu_+>) - relu(<x, mu_->)``: a ReLU net with two neurons (float64).

    Used by: pReLU chapter.
    """
    return _fixed_net(np.stack([mu_pos, mu_neg]), np.array([1.0, -1.0]), 1.0)


def prelu_teacher(centres: np.ndarray, k_pos: int, p: float) -> PReLUNet:
    """``F^(p)(x) = sum_{k <= k_pos} relu(<x, mu_k>)^p - sum_{k > k_pos} relu(<x, mu_k>)^p``.

    ``centres`` is K×d with unit rows (so ``||mu_k||^(p-1) = 1``). Used by: pReLU chapter.
    """
    centres = np.asarray(centres, dtype=float)
    if not 1 <= k_pos < len(centres):
        raise ValueError(f"k_pos={k_pos!r} is not accepted; use 1 <= k_pos < K = {len(centres)}")
    v = np.where(np.arange(len(centres)) < k_pos, 1.0, -1.0)
    return _fixed_net(centres, v, _check_p(p))


def attack_direction(mu_pos: np.ndarray, mu_neg: np.ndarray) -> np.ndarray:
    """``d_0 = (mu_+ - mu_-) / ||mu_+ - mu_-||``; a positive point is attacked along ``-d_0``,
    a negative one along ``+d_0``. Used by: pReLU chapter."""
    d = np.asarray(mu_pos, dtype=float) - np.asarray(mu_neg, dtype=float)
    n = np.linalg.norm(d)
    if n == 0:
        raise ValueError("mu_pos == mu_neg is not accepted; the class averages must differ")
    return d / n


def relu_teacher_radius(X: np.ndarray, y: np.ndarray, mu_pos: np.ndarray, mu_neg: np.ndarray) -> np.ndarray:
    """Exact l2 distance of each point to the decision boundary of ``F`` (0 where misclassified).

    With ``u = <x, mu_+>``, ``v = <x, mu_->`` and ``mu_+ _|_ mu_-``, ``F`` says +1 exactly on
    ``{u > 0, u > v}``; its complement is the union of the half-spaces ``u <= 0`` and ``u <= v``,
    so the distance is ``min(u / ||mu_+||, (u - v) / ||mu_+ - mu_-||)``; symmetrically for -1.
    At a centre ``mu_k`` this is ``1 / sqrt(K)``, reached along ``d_0``. Used by: pReLU chapter.
    """
    X, y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(y, dtype=float)
    mu_pos, mu_neg = np.asarray(mu_pos, dtype=float), np.asarray(mu_neg, dtype=float)
    if abs(mu_pos @ mu_neg) > 1e-9 * np.linalg.norm(mu_pos) * np.linalg.norm(mu_neg):
        raise ValueError("mu_pos and mu_neg that are not orthogonal are not accepted (the formula needs it)")
    check_labels = set(np.unique(y).tolist()) <= {-1.0, 1.0}
    if not check_labels or len(y) != len(X):
        raise ValueError(f"labels {sorted(set(np.unique(y).tolist()))} are not accepted; use -1 and +1, one per row")
    u, v = X @ mu_pos, X @ mu_neg
    own, other = np.where(y > 0, u, v), np.where(y > 0, v, u)
    own_norm = np.where(y > 0, np.linalg.norm(mu_pos), np.linalg.norm(mu_neg))
    r = np.minimum(own / own_norm, (own - other) / np.linalg.norm(mu_pos - mu_neg))
    return np.maximum(r, 0.0)


def prelu_teacher_centre_radius(p: float, k_neg: int) -> float:
    """Exact l2 distance from a positive centre ``mu_k`` to the boundary of ``F^(p)``.

    Only the centre's own coordinate ``a`` (down from 1) and ``m`` negative coordinates ``b``
    (up from 0) can help; the cheapest flip sets them to ``a^p = m b^p`` and costs
    ``(1 - a)^2 + a^2 q`` with ``q = m^(1 - 2/p)``, least at ``a = 1 / (1 + q)``: distance
    ``sqrt(q / (1 + q))``. For ``p >= 2`` the best is ``m = 1`` (``sqrt(2) / 2``, the midpoint
    of two centres); for ``p < 2`` spreading over all ``k_neg`` negatives is cheaper.
    (Swap the roles for a negative centre.) Used by: pReLU chapter.
    """
    p = _check_p(p)
    if isinstance(k_neg, bool) or not isinstance(k_neg, (int, np.integer)) or k_neg < 1:
        raise ValueError(f"k_neg={k_neg!r} is not accepted; use an integer >= 1")
    m = 1 if p >= 2 else int(k_neg)
    q = m ** (1 - 2 / p)
    return float(np.sqrt(q / (1 + q)))


def prelu_teacher_radius_bound(X: np.ndarray, y: np.ndarray, centres: np.ndarray, k_pos: int,
                               p: float) -> np.ndarray:
    """A certified lower bound on the l2 distance of each point to the boundary of ``F^(p)``,
    ``p >= 2`` (Min & Vidal, poster, "Robust against O(1)-attack"); 0 where misclassified.

    Write ``c_k = <x, mu_k>`` (``centres`` K×d, orthonormal rows, the first ``k_pos`` positive),
    and for a positive point ``c* = max_{k <= k_pos} c_k`` and ``r = ||(c_k)_+ , k > k_pos||_2``.
    A perturbation of norm ``t`` moves the coordinates by at most ``t`` in l2; to flip the sign
    it must bring some ``sum_neg relu^p`` up to ``sum_pos relu^p >= relu(a*)^p``, and since
    ``||b||_p <= ||b||_2`` for ``p >= 2`` that needs ``||b_+||_2 >= relu(a*)``: it costs at least
    ``min_s (c* - s)^2 + (s - r)^2 = (c* - r)^2 / 2``. So the distance is at least
    ``max(c* - r, 0) / sqrt(2)`` (swap the roles for a negative point). At a centre this is
    ``sqrt(2) / 2``, the exact distance (:func:`prelu_teacher_centre_radius`), so the bound is
    tight there and certifies the theorem's radius at noisy points without an attack.

    ``X`` is n×d, ``y`` n labels in {-1, +1}; returns n distances (float64). ValueError names a
    ``p < 2``, labels other than ±1 or a bad ``k_pos``. Used by: pReLU chapter.
    """
    p = _check_p(p)
    if p < 2:
        raise ValueError(f"p={p!r} is not accepted; the bound needs p >= 2")
    X, y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(y, dtype=float)
    centres = np.asarray(centres, dtype=float)
    if not 1 <= k_pos < len(centres):
        raise ValueError(f"k_pos={k_pos!r} is not accepted; use 1 <= k_pos < K = {len(centres)}")
    if len(y) != len(X) or not set(np.unique(y).tolist()) <= {-1.0, 1.0}:
        raise ValueError(f"labels {sorted(set(np.unique(y).tolist()))} are not accepted; use -1 and +1, one per row")
    c = X @ centres.T
    pos, neg = c[:, :k_pos], c[:, k_pos:]
    own = np.where(y > 0, pos.max(1), neg.max(1))
    other = np.where(y > 0, np.linalg.norm(np.maximum(neg, 0), axis=1), np.linalg.norm(np.maximum(pos, 0), axis=1))
    return np.maximum(own - other, 0.0) / np.sqrt(2)


@torch.no_grad()
def teacher_probes(centres: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` probe points ``mu_k + r u`` (n×d): a random centre ``mu_k``, ``u`` a random unit
    vector in the span of the centres, ``r`` uniform in [0, 1]. Used by: pReLU chapter
    (Gradient flow from a small initialisation)."""
    centres = np.asarray(centres, dtype=float)
    k = rng.integers(0, len(centres), n)
    u = rng.standard_normal((n, len(centres))) @ centres
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return centres[k] + rng.uniform(0, 1, (n, 1)) * u


def disagreement_probes(centres: np.ndarray, k_pos: int, n: int, rng: np.random.Generator, *,
                        p: float = 3.0, batch: int = 4096, max_batches: int = 200
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Probe points (:func:`teacher_probes`) where the two candidate classifiers of Min & Vidal
    (poster, "Implicit bias") disagree: ``sign F != sign F^(p)``, both non-zero. Only there does
    a trained network's sign tell which of the two it learned (elsewhere both give the same
    answer). Draws batches until ``n`` are found; returns ``(P, s)`` with ``P`` (n×d) and ``s``
    (n,) the sign of ``F`` there (``F^(p)`` says ``-s``). ValueError when ``max_batches``
    batches give fewer than ``n`` (the two classifiers hardly ever disagree), naming the count
    found. Used by: pReLU chapter (Gradient flow from a small initialisation)."""
    centres = np.asarray(centres, dtype=float)
    F = relu_teacher(centres[:k_pos].sum(0), centres[k_pos:].sum(0))
    Fp = prelu_teacher(centres, k_pos, p)
    got, signs, found = [], [], 0
    for _ in range(max_batches):
        P = teacher_probes(centres, batch, rng)
        with torch.no_grad():
            a = np.sign(F(torch.as_tensor(P)).numpy())
            b = np.sign(Fp(torch.as_tensor(P)).numpy())
        keep = (a != b) & (a != 0) & (b != 0)
        got.append(P[keep])
        signs.append(a[keep])
        found += int(keep.sum())
        if found >= n:
            return np.concatenate(got)[:n], np.concatenate(signs)[:n]
    raise ValueError(f"n={n} disagreement probes were asked for, but {max_batches} batches of "
                     f"{batch} gave {found}; ask for fewer or allow more batches")


def opposite_centre_directions(X: np.ndarray, y: np.ndarray, centres: np.ndarray,
                               k_pos: int) -> np.ndarray:
    """Per point, the unit vector toward the opposite-class centre it is closest to (largest
    ``<x, mu_j>``): the way to the midpoint of two centres, where ``F^(p)``'s boundary is
    nearest a centre (distance sqrt(2)/2, :func:`prelu_teacher_centre_radius`). A line search
    along it (:func:`radius_along`) is an attack aimed at the pReLU classifier's weak spot.
    ``X`` n×d, ``y`` n labels in {-1, +1}; returns n×d. Used by: pReLU chapter (Robustness
    against K)."""
    X, y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(y, dtype=float)
    centres = np.asarray(centres, dtype=float)
    if len(y) != len(X) or not set(np.unique(y).tolist()) <= {-1.0, 1.0}:
        raise ValueError(f"labels {sorted(set(np.unique(y).tolist()))} are not accepted; use -1 and +1, one per row")
    c = X @ centres.T
    c[:, :k_pos][y > 0] = -np.inf  # a positive point heads for a negative centre
    c[:, k_pos:][y < 0] = -np.inf
    target = centres[c.argmax(1)]
    d = target - X
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def radius_along(f: nn.Module, X: np.ndarray, y: np.ndarray, directions: np.ndarray, *, t_max: float,
                 n_grid: int = 200, bisections: int = 40) -> np.ndarray:
    """Per point, the smallest ``t`` in ``[0, t_max]`` with ``sign f(x_i + t d_i) != y_i``.

    ``directions`` is one unit vector (d,) for all points or one per point (n×d); ``f`` maps
    (n, d) float64 to n scalars. A grid of ``n_grid`` steps finds the first flip, bisection
    refines it; ``inf`` where no flip happens up to ``t_max``, 0 where ``x_i`` is misclassified.
    Used by: pReLU chapter.
    """
    X = torch.as_tensor(np.atleast_2d(np.asarray(X, dtype=float)))
    y = torch.as_tensor(np.asarray(y, dtype=float))
    D = torch.as_tensor(np.broadcast_to(np.asarray(directions, dtype=float), X.shape).copy())
    if not t_max > 0:
        raise ValueError(f"t_max={t_max!r} is not accepted; use t_max > 0")

    def wrong(t: torch.Tensor) -> torch.Tensor:
        return torch.sign(f(X + t[:, None] * D)) != y

    ts = torch.linspace(0.0, t_max, n_grid + 1, dtype=torch.float64)
    first = torch.full((len(X),), -1, dtype=torch.long)
    for i, t in enumerate(ts):
        hit = wrong(t.expand(len(X))) & (first < 0)
        first[hit] = i
    out = torch.full((len(X),), float("inf"), dtype=torch.float64)
    out[first == 0] = 0.0
    sel = first > 0
    if sel.any():
        lo, hi = ts[first[sel] - 1].clone(), ts[first[sel]].clone()
        Xs, Ds, ys = X[sel], D[sel], y[sel]
        for _ in range(bisections):
            mid = (lo + hi) / 2
            bad = torch.sign(f(Xs + mid[:, None] * Ds)) != ys
            hi = torch.where(bad, mid, hi)
            lo = torch.where(bad, lo, mid)
        out[sel] = hi
    return out.numpy()


class TwoLogits(nn.Module):
    """A scalar classifier ``f`` as two logits ``(-f, f)`` (class 1 iff ``f > 0``), for foolbox.

    Used by: pReLU chapter."""

    def __init__(self, f: nn.Module):
        super().__init__()
        self.f = f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.f(x)
        return torch.stack([-g, g], dim=1)


@dataclass
class FlowHistory:
    """``steps`` at which the mean ``loss`` and the neurons ``W`` (h×d) and ``v`` (h,) were
    recorded; ``lr`` the step size in force at the end and ``halvings`` how often the guard of
    :func:`fit_gradient_flow` halved it (0: every step lowered the loss)."""

    steps: np.ndarray
    loss: np.ndarray
    W: list = field(default_factory=list)
    v: list = field(default_factory=list)
    lr: float = float("nan")
    halvings: int = 0


def flow_lr(K: int, lr_per_k: float) -> float:
    """The gradient-descent step for ``K`` clusters: ``lr_per_k * K``.

    From a small initialisation the neurons first turn while their norms barely change; that
    phase lasts a time proportional to ``K`` (each cluster holds a share ``1/K`` of the points,
    so the gradient on a neuron aligned with one centre is ``K`` times weaker), so a step that
    grows like ``K`` covers it in a number of steps independent of ``K``. The guard of
    :func:`fit_gradient_flow` catches a step that turns out too large later on.
    ValueError names a ``K`` that is not an integer >= 1 or an ``lr_per_k`` that is not > 0.
    Used by: pReLU chapter.
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K={K!r} is not accepted; use an integer >= 1")
    if not np.isfinite(lr_per_k) or not lr_per_k > 0:
        raise ValueError(f"lr_per_k={lr_per_k!r} is not accepted; use a finite number > 0")
    return float(lr_per_k * K)


def fit_gradient_flow(net: PReLUNet, X: np.ndarray, y: np.ndarray, *, steps: int, lr: float, loss: str = "exp",
                      n_records: int = 30, guard: bool = True) -> FlowHistory:
    """Full-batch gradient descent on the mean ``exp(-y f)`` or ``log(1 + exp(-y f))``: an Euler
    discretisation of gradient flow (Min & Vidal, poster, "Gradient flow with small
    initialization"). Trains ``net`` in place, in its own dtype, and records the loss and neurons
    at ``n_records`` log-spaced steps.

    ``X`` is n×d, ``y`` n labels in {-1, +1}. With ``guard`` (default), a step that raises the
    loss is undone and the step size halved (a step small enough always lowers the loss, so an
    increase means ``lr`` was too large for the current weights); gradient descent then never
    increases the loss. ValueError names a bad ``loss``, ``steps`` or ``lr``;
    FloatingPointError if the loss is not finite.

    Used by: pReLU chapter.
    """
    check_choice("loss", loss, LOSSES)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1 or not lr > 0:
        raise ValueError(f"steps={steps!r}, lr={lr!r} are not accepted; use an integer steps >= 1 and lr > 0")
    dtype = net.hidden.weight.dtype
    X, y = torch.as_tensor(np.asarray(X), dtype=dtype), torch.as_tensor(np.asarray(y), dtype=dtype)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X {tuple(X.shape)}, y {tuple(y.shape)} are not accepted; use X (n, d) and y (n,)")
    keep = set(record_points(steps, n_records).tolist())
    params = list(net.parameters())
    rec_steps, rec_loss, Ws, vs = [], [], [], []
    halvings, previous, saved = 0, None, None

    def objective() -> torch.Tensor:
        m = -y * net(X)
        return torch.exp(m).mean() if loss == "exp" else nn.functional.softplus(m).mean()

    t = 0
    value = objective()
    while True:
        if not torch.isfinite(value):
            raise FloatingPointError(f"gradient flow diverged at step {t}; lower lr={lr}")
        if guard and previous is not None and value.item() > previous:
            with torch.no_grad():  # undo the step and retry it with half the step size
                for par, old in zip(params, saved):
                    par.copy_(old)
            lr, halvings, t = lr / 2, halvings + 1, t - 1
            if halvings > 60:
                raise FloatingPointError(f"the step size was halved {halvings} times at step {t}; the loss "
                                         "cannot decrease (check the data and the initialisation)")
            value = objective()
        if t in keep and (not rec_steps or rec_steps[-1] != t):
            rec_steps.append(t)
            rec_loss.append(value.item())
            Ws.append(net.hidden.weight.detach().clone().numpy())
            vs.append(net.v.weight.detach()[0].clone().numpy())
        if t == steps:
            break
        for par in params:
            par.grad = None
        value.backward()
        previous = value.item()
        with torch.no_grad():
            if guard:
                saved = [par.detach().clone() for par in params]
            for par in params:
                par.add_(par.grad, alpha=-lr)
        t += 1
        value = objective()
    return FlowHistory(steps=np.array(rec_steps), loss=np.array(rec_loss), W=Ws, v=vs, lr=float(lr),
                       halvings=halvings)


@dataclass
class Alignment:
    """Neurons against the centres: ``cos_centres`` (h×K), ``cos_pos`` / ``cos_neg`` (h,) with
    ``mu_+ / ||mu_+||`` and ``mu_- / ||mu_-||``, and each neuron's share ``weight`` of
    ``sum_j |v_j| ||w_j||`` (the neurons that matter)."""

    cos_centres: np.ndarray
    cos_pos: np.ndarray
    cos_neg: np.ndarray
    weight: np.ndarray
    sign: np.ndarray

    def weighted(self, values: np.ndarray) -> float:
        """The ``weight``-average of a per-neuron quantity."""
        return float(np.sum(self.weight * values))


def neuron_alignment(W: np.ndarray, v: np.ndarray, centres: np.ndarray, k_pos: int) -> Alignment:
    """Cosines of each neuron ``w_j`` with every centre and with ``mu_+``, ``mu_-``.

    Used by: pReLU chapter."""
    W, v, centres = np.asarray(W, dtype=float), np.asarray(v, dtype=float), np.asarray(centres, dtype=float)
    if W.ndim != 2 or v.shape != (W.shape[0],) or centres.shape[1] != W.shape[1]:
        raise ValueError(f"W {W.shape}, v {v.shape}, centres {centres.shape} are not accepted; "
                         "use W (h, d), v (h,), centres (K, d)")
    nw = np.linalg.norm(W, axis=1)
    Wn = W / np.maximum(nw, 1e-300)[:, None]
    mp, mn = centres[:k_pos].sum(0), centres[k_pos:].sum(0)
    mass = np.abs(v) * nw
    return Alignment(cos_centres=Wn @ (centres / np.linalg.norm(centres, axis=1, keepdims=True)).T,
                     cos_pos=Wn @ mp / np.linalg.norm(mp), cos_neg=Wn @ mn / np.linalg.norm(mn),
                     weight=mass / mass.sum(), sign=np.sign(v))


def run_intervals(runs, value: str, lo: str, hi: str) -> list[dict]:
    """One ``{"K", "alpha", "estimate", "lo", "hi"}`` record per row of ``runs`` (a pandas
    DataFrame with columns ``K``, ``alpha`` and the three named ones), the form in which the
    verdicts (``protocol.interval_bound``) read a number measured per run with its interval.
    A missing column is a KeyError naming it and the columns there are.

    Used by: pReLU chapter, sections on the K sweep and the poster's K = 10."""
    missing = [c for c in ("K", "alpha", value, lo, hi) if c not in runs.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the runs; they have {list(runs.columns)}")
    return [{"K": int(r["K"]), "alpha": float(r["alpha"]), "estimate": float(r[value]),
             "lo": float(r[lo]), "hi": float(r[hi])} for _, r in runs.iterrows()]


@register("prelu_mlp")
def mnist_prelu(p: float = 1.0, width: int = 500, *, mean: torch.Tensor | None = None, n_classes: int = 10,
                d: int = 784, normalize_input: bool = True, bias: bool = True) -> PReLUNet:
    """The one-hidden-layer pReLU classifier of the MNIST experiment: subtract the mean digit
    ``mean``, then ``width`` pReLU neurons (He / Kaiming-uniform initialisation) and a linear
    output layer with ``n_classes`` logits. Inputs are [0, 1] images (any shape flattening to
    ``d``). ``normalize_input`` and ``bias`` default to what Min & Vidal's code does.

    Used by: pReLU chapter.
    """
    return PReLUNet(d, width, p, out=n_classes, bias=bias, normalize_input=normalize_input, center=mean)
