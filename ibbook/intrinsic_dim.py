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
in ``dim A + dim B`` dimensions. The gather runs in float32 to pick a few candidate neighbours
per point, whose exact float64 distances then decide (rows where float32 round-off could change
the answer are redone in float64), so the neighbours and the Id are those of an exact search.

- :func:`two_nn_ratios`, :func:`two_nn_from_ratios`, :func:`two_nn_id`: exact TwoNN in torch;
- :func:`dadapy_two_nn`: the reference estimate through dadapy;
- :func:`shuffle_permutations`: the row permutations both implementations share;
- :func:`id_correlation_test` (fast) and :func:`id_correlation_test_dadapy` (the loop over
  dadapy that the paper ran), both returning an :class:`IdTest`;
- linear baselines: :func:`pearson_r2`, :func:`cosine_similarities`, :func:`canonical_correlation`;
- :func:`rejection_rate`: false-positive rate or power of the test over many drawn pairs;
- :func:`within_class_permutations`: shuffles that keep the class (a stronger null);
- :func:`swap_test`: whether one partner set is more tied to the first than another is (the
  two-network control of the masks).

Used by: intrinsic-dimension chapter, ``bench/bench_intrinsic_dim.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import norm as normal_dist

ALGORITHMS = ("base", "ml")
#: Candidate neighbours per point kept from the float32 pass of the shuffle test.
CANDIDATES = 4


#: Fewest ratios the TwoNN fit may keep (``int(N * mu_fraction)``): a slope needs two points.
MIN_KEPT = 2


def _as_float64(x, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.ascontiguousarray(x) if not isinstance(x, torch.Tensor) else x).to(torch.float64)
    if t.ndim != 2 or len(t) < 3:
        raise ValueError(f"{name} of shape {tuple(t.shape)} is not accepted; use a 2-D array of at least 3 points")
    bad = ~torch.isfinite(t)
    if bad.any():
        rows = torch.nonzero(bad.any(1)).flatten()[:5].tolist()
        raise ValueError(f"{name} holds {int(bad.sum())} non-finite values (nan or inf), in rows {rows}"
                         f"{' ...' if bad.any(1).sum() > 5 else ''}; TwoNN needs finite coordinates")
    return t.reshape(len(t), -1)


def duplicate_groups(x: torch.Tensor) -> np.ndarray:
    """A group label per row: equal labels for bit-identical rows (an exact test, no round-off)."""
    arr = np.ascontiguousarray(x.numpy() + 0.0)  # + 0.0 makes -0.0 equal to 0.0
    rows = arr.view(np.dtype((np.void, arr.dtype.itemsize * arr.shape[1]))).ravel()
    _, labels = np.unique(rows, return_inverse=True)
    return labels.ravel()


def _refuse_duplicates(labels: np.ndarray, what: str) -> None:
    counts = np.bincount(labels)
    if counts.max() > 1:
        rows = np.flatnonzero(labels == np.argmax(counts))[:4].tolist()
        raise ValueError(f"{what} holds duplicate points ({int((counts[counts > 1]).sum())} rows in "
                         f"{int((counts > 1).sum())} groups of identical rows, e.g. rows {rows}): their first-"
                         "neighbour distance is 0 and TwoNN is undefined; remove identical points first")


def _check_kept(n: int, mu_fraction: float) -> None:
    kept = int(n * mu_fraction)
    if kept < MIN_KEPT:
        raise ValueError(f"N·mu_fraction = {n}·{mu_fraction} = {n * mu_fraction:g} keeps {kept} ratios; the TwoNN "
                         f"fit needs at least {MIN_KEPT}: use more points or a larger mu_fraction")


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
    _check_kept(len(mus), mu_fraction)
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


def _ratios(d: torch.Tensor, x: torch.Tensor, chunk: int = 256) -> np.ndarray:
    """``r2 / r1`` per row: candidates from the squared-distance matrix ``d`` (diagonal ``inf``),
    then their distances computed directly from the differences of the rows of ``x``, so that
    near neighbours are not lost to the round-off of the Gram formula at any scale."""
    cand = d.topk(min(CANDIDATES, len(d) - 1), dim=1, largest=False).indices
    out = []
    for i in range(0, len(x), chunk):
        diff = x[i:i + chunk, None, :] - x[cand[i:i + chunk]]
        two = torch.sort((diff * diff).sum(-1), dim=1).values[:, :2]
        out.append(torch.sqrt(two[:, 1] / two[:, 0]))
    return torch.cat(out).numpy()


def two_nn_ratios(x) -> np.ndarray:
    """``r2 / r1`` for every row of ``x`` (Euclidean distances, exact search in float64).

    Raises ValueError for non-finite coordinates and for duplicate rows (found exactly, whatever
    their scale)."""
    x = _as_float64(x, "x")
    _refuse_duplicates(duplicate_groups(x), "x")
    return _ratios(_squared_distances(x), x - x.mean(0))


def two_nn_id(x, mu_fraction: float = 0.9, algorithm: str = "base") -> float:
    """TwoNN intrinsic dimension of the rows of ``x`` (matches :func:`dadapy_two_nn`).

    Raises ValueError for non-finite or duplicate points and when ``N * mu_fraction`` keeps fewer
    than :data:`MIN_KEPT` ratios."""
    _check_fraction(mu_fraction, algorithm)
    _check_kept(len(x), mu_fraction)
    return two_nn_from_ratios(two_nn_ratios(x), mu_fraction, algorithm)


def dadapy_two_nn(x, mu_fraction: float = 0.9, algorithm: str = "base") -> float:
    """dadapy's TwoNN estimate (``Data(x).compute_id_2NN(mu_fraction=...)``), the reference."""
    import contextlib
    import io
    import warnings

    from tqdm import TqdmWarning

    with warnings.catch_warnings():  # dadapy imports tqdm.auto, which warns in Jupyter without ipywidgets
        warnings.simplefilter("ignore", TqdmWarning)
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

    def __repr__(self) -> str:
        return (f"IdTest(N={self.n_points}, Id={self.id:.3f}, shuffled Id {self.shuffled_mean:.3f} ± "
                f"{self.shuffled_std:.3f} (sample std over {len(self.shuffled)} shuffles), Z={self.z:.2f}, "
                f"p={self.p_value:.2g}, permutation p={self.p_permutation:.2g}, mu_fraction={self.mu_fraction})")


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
    _check_kept(len(a), mu_fraction)
    perms = shuffle_permutations(len(a), n_shuffles, seed) if permutations is None else np.asarray(permutations)
    ga, gb = duplicate_groups(a), duplicate_groups(b)
    for pi in [None, *perms] if ga.max() < len(a) - 1 and gb.max() < len(b) - 1 else []:
        pair = ga * (gb.max() + 1) + (gb if pi is None else gb[np.asarray(pi)])
        _refuse_duplicates(np.unique(pair, return_inverse=True)[1], "[a, b]" if pi is None else "[a, b] shuffled")
    da, db = _squared_distances(a), _squared_distances(b)  # diagonals inf, and inf + inf = inf
    # One common scale for the float32 pass, so that its range fits whatever the data's units.
    scale = max(float(da[torch.isfinite(da)].max()), float(db[torch.isfinite(db)].max()), 1e-300)
    da32, db32 = (da / scale).float(), (db / scale).float()
    ac, bc = (a - a.mean(0)).numpy(), (b - b.mean(0)).numpy()
    sqa, sqb = (ac * ac).sum(1), (bc * bc).sum(1)
    # Gathers go through numpy: its take is several times faster than torch's advanced indexing.
    da_n, db_n, db32_n = da.numpy(), db.numpy(), db32.numpy()
    rows = np.arange(len(a))[:, None]

    def one(pi: np.ndarray | None) -> float:
        # Candidates from a float32 pass (half the memory traffic of the N x N gather), then the
        # exact float64 distances of the candidates decide.
        d32 = db32.clone() if pi is None else torch.from_numpy(db32_n.take(pi, 0).take(pi, 1))
        v32, cand = d32.add_(da32).topk(CANDIDATES, dim=1, largest=False)
        cand, v_last = cand.numpy(), v32[:, -1].double().numpy() * scale
        pr, pc = (rows, cand) if pi is None else (pi[:, None], pi[cand])
        exact = np.sort(da_n[rows, cand] + db_n[pr, pc], axis=1)
        # A point outside the candidates has a float32 distance >= the last candidate's, hence an
        # exact one >= that value up to float32 round-off; rows where that could still beat the
        # exact second distance are redone exactly in float64.
        for i in np.flatnonzero(exact[:, 1] > v_last * (1 - 1e-5)):
            full = da_n[i] + (db_n[i] if pi is None else db_n[pi[i]].take(pi))
            exact[i, :2] = np.partition(full, 1)[:2]
        # Where the Gram formula's round-off (about 1e-16 of the squared norms) could decide the
        # nearest neighbour, the row is redone from the differences themselves.
        bi = rows[:, 0] if pi is None else pi
        for i in np.flatnonzero(exact[:, 0] < 1e-9 * (sqa + sqb[bi] + sqa.mean() + sqb.mean())):
            full = ((ac - ac[i]) ** 2).sum(1) + ((bc[bi] - bc[bi[i]]) ** 2).sum(1)
            full[i] = np.inf
            exact[i, :2] = np.partition(full, 1)[:2]
        return two_nn_from_ratios(np.sqrt(exact[:, 1] / exact[:, 0]), mu_fraction)

    original = one(None)
    shuffled = np.array([one(np.asarray(p)) for p in tqdm(perms, disable=not progress, desc="shuffles")])
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


def subset_tests(a, b, sizes, *, n_subsets: int = 10, n_shuffles: int = 50, seed: int = 0) -> dict[int, list[IdTest]]:
    """The Id correlation test on ``n_subsets`` random subsets of the paired rows for each size in
    ``sizes`` (a size equal to the number of rows gives one test on all of them): how Z and p grow
    with the number of pairs, the power curve of Basile et al.'s Table 2 read from the data.

    Subsets of one size are drawn without replacement and independently across sizes; subset ``k``
    of size ``n`` shuffles with seed ``seed + 1000 * n + k``. Raises ValueError naming a size
    below 3 or above the number of pairs. Source: 003 (Basile et al. 2024), section 4, Table 2.
    """
    a, b = _paired(a, b)
    rng = np.random.default_rng(seed)
    out: dict[int, list[IdTest]] = {}
    for n in sizes:
        if not 3 <= int(n) <= len(a):
            raise ValueError(f"subset size {n} is not accepted; use 3 .. {len(a)} (the number of pairs)")
        reps = 1 if int(n) == len(a) else n_subsets
        rows = [np.sort(rng.choice(len(a), int(n), replace=False)) for _ in range(reps)]
        out[int(n)] = [id_correlation_test(a[r], b[r], n_shuffles=n_shuffles, seed=seed + 1000 * int(n) + k)
                       for k, r in enumerate(rows)]
    return out


def within_class_permutations(labels, n_shuffles: int, seed: int = 0) -> np.ndarray:
    """``n_shuffles`` row permutations that move each row only among the rows of its own label:
    the shuffled pairing of the Id test with the class kept, a stronger null when both feature
    sets depend on the class (rows of an int array). A label held by one row keeps that row in
    place; fewer than 2 shuffles is a ValueError."""
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, (int, np.integer)) or n_shuffles < 2:
        raise ValueError(f"n_shuffles={n_shuffles!r} is not accepted; use an integer >= 2")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed + 1)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    perms = np.tile(np.arange(len(labels)), (n_shuffles, 1))
    for p in perms:
        for g in groups:
            p[g] = rng.permutation(g)
    return perms


def swap_test(e, a, b, *, n_swaps: int = 500, seed: int = 0, mu_fraction: float = 0.9) -> dict:
    """Is ``a`` more tied to ``e`` than ``b`` is? Rows are paired by image: ``e`` (essential masks
    of network A), ``a`` (A's adversarial masks) and ``b`` (a twin network B's adversarial masks
    of the same images). Under the null that A's and B's masks are exchangeable partners of
    ``e``, swapping ``a_i`` and ``b_i`` for a random half of the images changes nothing; the test
    compares ``Id([e, a])`` with the Ids of ``n_swaps`` such mixes (each image swapped with
    probability 1/2). Returns the two Ids ``id_a``, ``id_b`` (``[e, b]``), the mixes' mean and
    sample std, ``z = (id_a - mean) / std`` and the permutation p-value ``(1 + #{mix <= id_a}) /
    (n_swaps + 1)`` (one-sided: a lower Id is a stronger tie).

    Distances: ``|[e_i, m_i] - [e_j, m_j]|^2 = D_e[i, j] + D_m[i, j]`` with ``D_m`` read from the
    A-A, B-B and A-B blocks (float64, rows centred together). Shapes: N x d_e, N x d, N x d; a
    mismatch or fewer than 20 rows is a ValueError. Source: issue 21's two-network control of
    003 (Basile et al. 2024), section 4; the test is ours."""
    e, a, b = _as_float64(e, "e"), _as_float64(a, "a"), _as_float64(b, "b")
    if not len(e) == len(a) == len(b) or a.shape[1] != b.shape[1] or len(e) < 20:
        raise ValueError(f"e {tuple(e.shape)}, a {tuple(a.shape)} and b {tuple(b.shape)} are not accepted; "
                         "give at least 20 rows each, a and b of the same width")
    n = len(e)
    d_e = _squared_distances(e).numpy()
    ab = torch.cat([a, b]) - torch.cat([a, b]).mean(0)
    sq = (ab * ab).sum(1)
    d_ab = torch.addmm(sq[:, None] + sq[None, :], ab, ab.T, alpha=-2).clamp_(min=0).numpy()
    rows = np.arange(n)

    def id_of(swap: np.ndarray) -> float:
        k = rows + n * swap  # row of each image's partner in [a; b]
        d = d_e + d_ab[np.ix_(k, k)]
        two = np.partition(d, 1, axis=1)[:, :2]  # the diagonal is inf through d_e
        return two_nn_from_ratios(np.sqrt(two[:, 1] / two[:, 0]), mu_fraction)

    rng = np.random.default_rng(seed)
    mixes = np.array([id_of(rng.integers(0, 2, n)) for _ in range(n_swaps)])
    id_a, id_b = id_of(np.zeros(n, dtype=int)), id_of(np.ones(n, dtype=int))
    std = float(np.std(mixes, ddof=1))
    return {"id_a": id_a, "id_b": id_b, "swap_mean": float(mixes.mean()), "swap_std": std,
            "z": (id_a - float(mixes.mean())) / std, "p_permutation": float((1 + np.sum(mixes <= id_a)) / (n_swaps + 1)),
            "n_swaps": n_swaps, "n": n}


# ------------------------------------------------------------------------------- linear baselines

def pearson_r2(x, y) -> float:
    """Squared Pearson correlation of two 1-D samples (the paper's R^2 for the spiral)."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if len(x) != len(y) or len(x) < 3:
        raise ValueError(f"x has {len(x)} and y {len(y)} values; give the same number, at least 3")
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def cosine_similarities(a, b) -> np.ndarray:
    """Cosine similarity of each row of ``a`` with the same row of ``b`` (the paper's linear baseline)."""
    a, b = _paired(a, b)
    return torch.nn.functional.cosine_similarity(a, b, dim=1).numpy()


def canonical_correlation(a, b, n_components: int = 10) -> float:
    """Largest canonical correlation between ``a`` and ``b`` after reducing each to its first
    ``n_components`` principal components (so that it stays below 1 when features outnumber points)."""
    a, b = _paired(a, b)
    if isinstance(n_components, bool) or not isinstance(n_components, int) or not 1 <= n_components < len(a):
        raise ValueError(f"n_components={n_components!r} is not accepted; use an integer from 1 to {len(a) - 1}")

    def basis(x: torch.Tensor) -> torch.Tensor:
        u, _, _ = torch.linalg.svd(x - x.mean(0), full_matrices=False)
        return u[:, :n_components]  # orthonormal basis of the leading principal scores

    return float(torch.linalg.svdvals(basis(a).T @ basis(b))[0].clamp(max=1))


# ------------------------------------------------------------------------------------ calibration

def rejection_rate(make_pair, n_pairs: int, *, alpha: float = 0.05, n_shuffles: int = 20, seed: int = 0,
                   mu_fraction: float = 0.9, progress: bool = False) -> tuple[float, np.ndarray]:
    """How often the one-sided Z-test rejects independence at level ``alpha``.

    ``make_pair(rng)`` draws one pair ``(a, b)`` of paired data sets; it is called ``n_pairs``
    times with generators spawned from ``seed``. Returns the rejection rate and all ``z`` values.
    With independent pairs the rate is the false-positive rate (it should be about ``alpha``);
    with dependent pairs it is the power.
    """
    from tqdm import tqdm

    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r} is not accepted; use a level in (0, 1)")
    z_crit = normal_dist.ppf(alpha)
    rngs = np.random.default_rng(seed).spawn(n_pairs)
    z = np.array([id_correlation_test(*make_pair(rng), n_shuffles=n_shuffles, seed=int(rng.integers(2**31)),
                                      mu_fraction=mu_fraction).z
                  for rng in tqdm(rngs, disable=not progress, desc="pairs")])
    return float(np.mean(z < z_crit)), z
