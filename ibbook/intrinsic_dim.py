"""Intrinsic dimension (TwoNN) and the Id-based correlation test between two sets of features.

TwoNN (Facco et al. 2017) looks at each point's two nearest neighbours at distances
``r1 <= r2``. If the data lie on a ``d``-dimensional manifold with locally uniform density, the
ratio ``mu = r2 / r1`` has the Pareto law ``P(mu > m) = m^(-d)``, so ``-log(1 - F(mu))`` is a line
through the origin with slope ``d`` in ``log mu``. The estimate fits that slope to the empirical
distribution after discarding the largest ratios (``mu_fraction`` of them are kept; 0.9 is
dadapy's default), exactly as :meth:`dadapy.Data.compute_id_2NN` does.

The correlation test of Mascolo et al. asks whether two feature sets ``A`` and ``B`` (rows paired:
``a_i`` with ``b_i``) depend on each other: the Id of the concatenation ``[A, B]`` is compared with
the Ids of ``[A, B_pi]`` for random row permutations ``pi``, which keep both marginals and destroy
any dependence. A dependence lowers the Id, hence a one-sided test.

All ``n + 1`` estimates use the same points, so the fast path computes the squared distances
once per block: ``|[a_i, b_pi(i)] - [a_j, b_pi(j)]|^2 = D_A[i, j] + D_B[pi(i), pi(j)]``. Each
shuffle then costs a gather and a row-wise top-k on an ``N x N`` matrix instead of a kNN search
in ``dim A + dim B`` dimensions. Distances are float64 throughout, so the neighbours (and the
Id) are those of an exact search.

- :func:`two_nn_ratios`, :func:`two_nn_from_ratios`, :func:`two_nn_id`: exact TwoNN in torch;
- :func:`dadapy_two_nn`: the reference estimate through dadapy;
- :func:`shuffle_permutations`: the row permutations both implementations share;
- :func:`id_correlation_test` (fast) and :func:`id_correlation_test_dadapy` (the loop over
  dadapy that the paper ran), both returning an :class:`IdTest`.

Used by: intrinsic-dimension chapter, ``bench/bench_intrinsic_dim.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import norm as normal_dist

ALGORITHMS = ("base", "ml")


def _as_float64(x, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).to(torch.float64)
    if t.ndim != 2 or len(t) < 3:
        raise ValueError(f"{name} of shape {tuple(t.shape)} is not accepted; use a 2-D array of at least 3 points")
    return t.reshape(len(t), -1)


def _check_fraction(mu_fraction: float, algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} is not accepted; use one of {', '.join(map(repr, ALGORITHMS))}")
    if not 0 < mu_fraction <= 1:
        raise ValueError(f"mu_fraction={mu_fraction!r} is not accepted; use a number in (0, 1]")


def two_nn_from_ratios(mus: np.ndarray, mu_fraction: float = 0.9, algorithm: str = "base") -> float:
    """The TwoNN estimate from the ratios ``mu_i = r2 / r1`` (dadapy's formula, in closed form).

    ``"base"``: least-squares slope through the origin of ``-log(1 - i/N)`` against the sorted
    ``log mu`` (the ``N * mu_fraction`` smallest); ``"ml"``: ``(N - 1) / sum log mu``.
    """
    _check_fraction(mu_fraction, algorithm)
    log_mu = np.log(np.asarray(mus, dtype=np.float64))
    if not np.all(np.isfinite(log_mu)):
        raise ValueError("some points have a duplicate (first-neighbour distance 0); remove identical points first")
    n = len(log_mu)
    if algorithm == "ml" or math.isclose(mu_fraction, 1.0):
        return float((n - 1) / log_mu.sum())
    n_eff = int(n * mu_fraction)
    x = np.sort(log_mu)[:n_eff]
    y = -np.log(1 - np.arange(1, n_eff + 1) / n)
    return float(x @ y / (x @ x))


def _squared_distances(x: torch.Tensor) -> torch.Tensor:
    """All pairwise squared distances (float64, N x N) with ``inf`` on the diagonal.

    The rows are centred first (distances do not change), which keeps the round-off of the
    ``|x|^2 + |y|^2 - 2 <x, y>`` formula far below the neighbour distances."""
    xc = x - x.mean(0)
    sq = (xc * xc).sum(1)
    d = torch.addmm(sq[:, None] + sq[None, :], xc, xc.T, alpha=-2)
    return d.clamp_(min=0).fill_diagonal_(float("inf"))


def _ratios(d: torch.Tensor) -> np.ndarray:
    """``r2 / r1`` per row of a squared-distance matrix (diagonal ``inf``)."""
    two = d.topk(2, dim=1, largest=False).values
    return torch.sqrt(two[:, 1] / two[:, 0]).numpy()


def two_nn_ratios(x) -> np.ndarray:
    """``r2 / r1`` for every row of ``x`` (Euclidean distances, exact search in float64)."""
    return _ratios(_squared_distances(_as_float64(x, "x")))


def two_nn_id(x, mu_fraction: float = 0.9, algorithm: str = "base") -> float:
    """TwoNN intrinsic dimension of the rows of ``x`` (matches :func:`dadapy_two_nn`)."""
    return two_nn_from_ratios(two_nn_ratios(x), mu_fraction, algorithm)


def dadapy_two_nn(x, mu_fraction: float = 0.9, algorithm: str = "base") -> float:
    """dadapy's TwoNN estimate (``Data(x).compute_id_2NN(mu_fraction=...)``), the reference."""
    import contextlib
    import io

    from dadapy import Data

    _check_fraction(mu_fraction, algorithm)
    data = Data(coordinates=np.ascontiguousarray(np.asarray(x, dtype=np.float64)), maxk=3, verbose=False)
    with contextlib.redirect_stdout(io.StringIO()):  # dadapy prints when mu_fraction == 1
        return float(data.compute_id_2NN(mu_fraction=mu_fraction, algorithm=algorithm)[0])


def shuffle_permutations(n: int, n_shuffles: int, seed: int = 0) -> np.ndarray:
    """``n_shuffles`` random permutations of ``range(n)`` (rows of an int array), from ``seed``."""
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, (int, np.integer)) or n_shuffles < 2:
        raise ValueError(f"n_shuffles={n_shuffles!r} is not accepted; use an integer >= 2")
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(n_shuffles)])


@dataclass
class IdTest:
    """Result of the Id correlation test: the Id of the paired data, the Ids after each shuffle,
    ``z = (id - mean) / std`` (sample std), its one-sided p-value ``Phi(z)``, and the permutation
    p-value ``(1 + #{shuffled Id <= id}) / (n_shuffles + 1)``."""

    id: float
    shuffled: np.ndarray = field(repr=False)
    n_points: int
    mu_fraction: float

    @property
    def shuffled_mean(self) -> float:
        return float(np.mean(self.shuffled))

    @property
    def shuffled_std(self) -> float:
        return float(np.std(self.shuffled, ddof=1))

    @property
    def z(self) -> float:
        return (self.id - self.shuffled_mean) / self.shuffled_std

    @property
    def p_value(self) -> float:
        """One-sided Z-test: probability of an Id this low under independence."""
        return float(normal_dist.cdf(self.z))

    @property
    def p_permutation(self) -> float:
        return float((1 + np.sum(self.shuffled <= self.id)) / (len(self.shuffled) + 1))


def _paired(a, b) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = _as_float64(a, "a"), _as_float64(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a has {len(a)} rows and b {len(b)}; the test pairs row i of a with row i of b")
    return a, b


def id_correlation_test(a, b, *, n_shuffles: int = 50, seed: int = 0, mu_fraction: float = 0.9,
                        permutations: np.ndarray | None = None, progress: bool = False) -> IdTest:
    """The Id correlation test between paired rows of ``a`` and ``b``, computed fast (see module doc).

    ``permutations`` (rows of row indices) override ``n_shuffles`` / ``seed``; pass the same ones to
    :func:`id_correlation_test_dadapy` to compare the two implementations shuffle by shuffle.
    """
    from tqdm import tqdm

    a, b = _paired(a, b)
    _check_fraction(mu_fraction, "base")
    perms = shuffle_permutations(len(a), n_shuffles, seed) if permutations is None else np.asarray(permutations)
    da, db = _squared_distances(a), _squared_distances(b)  # diagonals inf, and inf + inf = inf

    def one(pi: torch.Tensor | None) -> float:
        d = db.clone() if pi is None else db[pi[:, None], pi[None, :]]
        return two_nn_from_ratios(_ratios(d.add_(da)), mu_fraction)

    original = one(None)
    shuffled = np.array([one(torch.as_tensor(p)) for p in tqdm(perms, disable=not progress, desc="shuffles")])
    return IdTest(id=original, shuffled=shuffled, n_points=len(a), mu_fraction=mu_fraction)


def id_correlation_test_dadapy(a, b, *, n_shuffles: int = 50, seed: int = 0, mu_fraction: float = 0.9,
                               permutations: np.ndarray | None = None, progress: bool = False) -> IdTest:
    """The same test as :func:`id_correlation_test`, one dadapy TwoNN estimate per shuffle (the reference)."""
    from tqdm import tqdm

    a, b = _paired(a, b)
    perms = shuffle_permutations(len(a), n_shuffles, seed) if permutations is None else np.asarray(permutations)
    a, b = a.numpy(), b.numpy()
    original = dadapy_two_nn(np.hstack([a, b]), mu_fraction)
    shuffled = np.array([dadapy_two_nn(np.hstack([a, b[p]]), mu_fraction)
                         for p in tqdm(perms, disable=not progress, desc="shuffles (dadapy)")])
    return IdTest(id=original, shuffled=shuffled, n_points=len(a), mu_fraction=mu_fraction)
