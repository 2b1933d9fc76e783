"""The experiments of the Fourier-bias chapter as functions: spectra of predictors and
perturbations per image, the baselines they are compared with, rank trends over a sweep, and the
linear models trained to convergence beside the exact solutions theory predicts.

Sources: Ortega Caro et al. 2020 (``001``: Tables 1-2, section 3.3, Figs. 4, 8, 11) and Caro et al.
2024 (``002``: kernel size, depth, ViT / MLP-Mixer). The verdict of each claim is computed from the
numbers recorded here by the checks of :mod:`ibbook.sources.s001` (one place for the rule).

Per image (arrays ``(N, C, H, W)``; pixels in [0, 1], so a perturbation is in pixel units):

- :func:`spectral_stats`: ``||v^||_1 / ||v^||_2`` (1 = one coefficient, ``sqrt(C H W)`` = flat)
  and the mean radial frequency ``k_r`` (cycles per image) of each image;
- :func:`white_noise`: Gaussian noise of a given shape, the baseline of a spectrum with no
  structure (its ratio is about ``sqrt(pi C H W / 4)``, its ``k_r`` about 12.2 at 32×32);
- :func:`radial_tv`: total-variation distance between the radial energy distributions of two
  sets of images ("spreads like").

Sweeps: :func:`rank_trend` (Spearman correlation between a setting, e.g. the kernel size, and a
per-model value, in the chapter the change trained - untrained of each model; models marked as
excluded are left out with their reason).

Predictors: :func:`moved_share` (``||beta - beta_init|| / ||beta||``: how much of ``beta``
training put there); the chapter measures ``beta`` statistics on the learned part
``beta - beta_init``.

Linear theory (section 3.3 of 001, after Gunasekar et al. 2018): :class:`CircularConv2dLinear`
(``L`` full-width 2-D circular convolutions, one hidden channel), :func:`two_class_subset`,
:func:`fourier_group_l1_classifier` (the exact minimum-norm classifier for the group Fourier-l1
norm ``sum_k ||beta^(:, k)||_2``, the implicit bias of the two-layer convolution),
:func:`train_to_convergence` (normalised GD on the exponential loss until it is below a target).

torch and cvxpy are imported inside the functions that need them, so :mod:`ibbook.sources` can
import the statistics of this module cheaply.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ibbook import fourier

#: Radius (cycles per image) above which energy counts as "high frequency" in the tables.
HIGH_CUTOFF = 8


def _images(v, name: str = "v") -> np.ndarray:
    arr = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
    if arr.ndim != 4 or min(arr.shape[-2:]) < 2:
        raise ValueError(f"{name} of shape {arr.shape} is not accepted; use (N, C, H, W) with H, W >= 2")
    return arr.astype(float, copy=False)


def mean_radial_frequency_each(v) -> np.ndarray:
    """Energy-weighted mean radius ``k_r`` (cycles per image) of each image of ``v`` (N, C, H, W),
    channels pooled: shape (N,). An all-zero image is a ValueError (it has no spectrum)."""
    arr = _images(v)
    energy = (fourier.centred_spectrum(arr) ** 2).sum(1)  # (N, H, W)
    radius, _ = fourier.frequency_grid(*energy.shape[-2:])
    tot = energy.sum((1, 2))
    if np.any(tot == 0):
        raise ValueError(f"images {np.flatnonzero(tot == 0).tolist()} are all zero; a spectrum needs a non-zero image")
    return (energy * radius).sum((1, 2)) / tot


def spectral_stats(v) -> dict[str, np.ndarray]:
    """Per image of ``v`` (N, C, H, W): ``ratio`` = ``||v^||_1 / ||v^||_2`` (unitary 2-D DFT of each
    channel, norms over all coefficients of the image), ``kr`` = mean radial frequency, ``l2`` =
    ``||v||_2`` (pixel units) and ``high`` = share of energy above :data:`HIGH_CUTOFF`; each (N,)."""
    arr = _images(v)
    l2 = fourier.image_fourier_norm(arr, 2)
    l1 = fourier.image_fourier_norm(arr, 1)
    if np.any(l2 == 0):
        raise ValueError(f"images {np.flatnonzero(l2 == 0).tolist()} are all zero; a spectrum needs a non-zero image")
    high = np.array([fourier.energy_above(a, HIGH_CUTOFF) for a in arr])
    return {"ratio": l1 / l2, "kr": mean_radial_frequency_each(arr), "l2": l2, "high": high}


def white_noise(shape: Sequence[int], seed: int) -> np.ndarray:
    """Standard Gaussian noise of ``shape`` (N, C, H, W) from ``numpy.random.default_rng(seed)``:
    the spectrum with no structure, against which a perturbation's spectrum is read."""
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"shape={tuple(shape)!r} is not accepted; use (N, C, H, W) with positive sizes")
    return np.random.default_rng(seed).standard_normal(tuple(shape))


def radial_tv(a, b) -> float:
    """Total-variation distance (0 to 1) between the radial energy distributions
    (:func:`ibbook.fourier.radial_energy`, pooled over images and channels) of ``a`` and ``b``."""
    ea, eb = fourier.radial_energy(_images(a, "a"))[1], fourier.radial_energy(_images(b, "b"))[1]
    if ea.shape != eb.shape:
        raise ValueError(f"a and b have {len(ea)} and {len(eb)} rings; give images of the same size")
    return float(0.5 * np.abs(ea - eb).sum())


def rank_trend(settings: Sequence[float], values: Sequence[float],
               excluded: Mapping[int, str] | None = None) -> dict:
    """Spearman rank correlation between ``settings`` (e.g. kernel sizes) and ``values`` (one per
    model), leaving out the positions in ``excluded`` (index -> reason). Returns ``{"rho", "n",
    "kept", "excluded"}``; ``rho`` is NaN when fewer than 3 models remain (no trend to rank).
    ``ValueError`` when the lengths differ."""
    from scipy.stats import spearmanr

    settings, values = list(settings), list(values)
    if len(settings) != len(values):
        raise ValueError(f"{len(settings)} settings and {len(values)} values are not accepted; give one value per setting")
    excluded = dict(excluded or {})
    keep = [i for i in range(len(settings)) if i not in excluded]
    rho = float("nan")
    if len(keep) >= 3:
        rho = float(spearmanr([settings[i] for i in keep], [values[i] for i in keep]).statistic)
    return {"rho": rho, "n": len(keep), "kept": [settings[i] for i in keep],
            "excluded": {str(settings[i]): why for i, why in excluded.items()}}


# --- linear theory: two-class data, the 2-D circular linear net, exact solutions -----------------

def two_class_subset(x, y, classes: tuple[int, int], n: int, size: int, seed: int):
    """``n`` images (``n // 2`` per class, drawn with ``seed``) of the two ``classes`` of ``(x, y)``
    (x: N×C×32×32 in [0, 1]), average-pooled to ``size``×``size`` and centred by their own mean
    image. Returns ``(X (n, C, size, size) float64 numpy, labels in {-1, +1})``; class
    ``classes[1]`` is +1. ``ValueError`` for a size that does not divide the image or too few
    images of a class."""
    import torch

    h = x.shape[-1]
    if not (isinstance(size, int) and 1 < size <= h and h % size == 0):
        raise ValueError(f"size={size!r} is not accepted; use a divisor of the image size {h} above 1")
    if n < 2 or n % 2:
        raise ValueError(f"n={n!r} is not accepted; use an even number >= 2")
    rng = np.random.default_rng(seed)
    idx = []
    for c in classes:
        pool = np.flatnonzero(np.asarray(y) == c)
        if len(pool) < n // 2:
            raise ValueError(f"class {c} has {len(pool)} images; n={n} needs {n // 2}")
        idx.append(rng.choice(pool, n // 2, replace=False))
    idx = np.concatenate(idx)
    xs = torch.nn.functional.avg_pool2d(torch.as_tensor(x[idx]).double(), h // size).numpy()
    xs = xs - xs.mean(0, keepdims=True)
    labels = np.where(np.asarray(y)[idx] == classes[1], 1.0, -1.0)
    return xs, labels


def circular_conv2d_linear(channels: int, size: int, depth: int, init_scale: float = 1.0, seed: int = 0):
    """:class:`CircularConv2dLinear` (built lazily so this module imports without torch)."""
    return _conv_class()(channels, size, depth, init_scale, seed)


def _conv_class():
    import torch
    from torch import nn

    class CircularConv2dLinear(nn.Module):
        """``depth`` full-width 2-D circular convolutions with one hidden channel, read out by an
        inner product: the first layer maps ``channels`` input channels to one (filters
        ``channels``×N×N), the others map one channel to one (N×N). The end-to-end predictor has
        ``F beta_c(k) = N^(depth-1) F w1_c(k) prod_l F w_l(k)`` (unitary 2-D DFT), so for
        ``depth = 2`` gradient descent is biased towards small ``sum_k ||F beta(:, k)||_2``
        (Gunasekar et al. 2018, per frequency with the channels grouped). Weights ~
        N(0, init_scale^2 / (C N^2)), float64. Input: flat (n, C·N·N) or (n, C, N, N)."""

        def __init__(self, channels, size, depth, init_scale, seed):
            super().__init__()
            for name, v, low in (("channels", channels, 1), ("size", size, 2), ("depth", depth, 2)):
                if isinstance(v, bool) or not isinstance(v, int) or v < low:
                    raise ValueError(f"{name}={v!r} is not accepted; use an integer >= {low}")
            g = torch.Generator().manual_seed(seed)
            std = init_scale / math.sqrt(channels * size * size)
            self.first = nn.Parameter(torch.randn(channels, size, size, generator=g, dtype=torch.float64) * std)
            self.rest = nn.Parameter(torch.randn(depth - 1, size, size, generator=g, dtype=torch.float64) * std)
            self.shape = (channels, size, size)

        def beta(self) -> torch.Tensor:
            """End-to-end predictor, flat (C·N·N,)."""
            spec = torch.fft.fft2(self.first) * torch.fft.fft2(self.rest).prod(0)
            return torch.fft.ifft2(spec).real.reshape(-1)  # circular convolution of the filters

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.reshape(len(x), -1) @ self.beta()

    return CircularConv2dLinear


def linear_fc(d: int, width: int = 64, init_scale: float = 0.1, seed: int = 0):
    """A two-layer linear fully connected net ``f(x) = v^T W x`` (``W``: width×d, float64, weights
    ~ N(0, init_scale^2 / d)) with ``beta()`` = ``W^T v``. Any width gives the same implicit bias
    (the l2 max-margin direction; Gunasekar et al. 2018), and a narrow one keeps a step cheap at
    d = 3072 (``models.theory.DeepLinearFC`` is d×d). ``ValueError`` for a bad size."""
    import torch
    from torch import nn

    for name, v in (("d", d), ("width", width)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name}={v!r} is not accepted; use an integer >= 1")

    class LinearFC(nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(seed)
            std = init_scale / math.sqrt(d)
            self.W = nn.Parameter(torch.randn(width, d, generator=g, dtype=torch.float64) * std)
            self.v = nn.Parameter(torch.randn(width, generator=g, dtype=torch.float64) * std)

        def beta(self) -> torch.Tensor:
            return self.W.T @ self.v

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.reshape(len(x), -1) @ self.beta()

    return LinearFC()


def fourier_group_l1(w, shape: Sequence[int]) -> float:
    """``sum_k ||F w(:, k)||_2``: the unitary 2-D DFT of each channel of ``w`` (flat, or ``shape``
    = (C, N, N)), the l2 norm over channels at each frequency, summed over frequencies; for one
    channel the Fourier-l1 norm ``||F w||_1``."""
    w = np.asarray(w, dtype=float).reshape(tuple(shape))
    return float(np.sqrt((np.abs(np.fft.fft2(w, norm="ortho")) ** 2).sum(0)).sum())


def fourier_group_l1_classifier(X, y, shape: Sequence[int]) -> np.ndarray:
    """The exact ``argmin sum_k ||F w(:, k)||_2 s.t. y_i <w, x_i> >= 1`` (no bias; cvxpy,
    Clarabel): the limit direction of a two-layer :class:`CircularConv2dLinear` trained on
    separable data. ``X`` (n, C·N·N) or (n, C, N, N), ``y`` in {-1, +1}. Returns ``w`` flat
    (C·N·N,). ``ValueError`` for labels outside {-1, +1} or a shape that does not match ``X``;
    RuntimeError when the solver fails (e.g. the data are not separable)."""
    import cvxpy as cp

    c, n1, n2 = (int(s) for s in shape)
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    y = np.asarray(y, dtype=float)
    if X.shape[1] != c * n1 * n2:
        raise ValueError(f"shape={tuple(shape)!r} is not accepted for X with {X.shape[1]} columns")
    if y.shape != (len(X),) or not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"labels {sorted(set(np.asarray(y).ravel().tolist()))} are not accepted; use y in {{-1, +1}}, one per row")
    f = np.kron(fourier.dft_matrix(n1), fourier.dft_matrix(n2))  # unitary 2-D DFT, row-major
    w = cp.Variable(c * n1 * n2)
    W = cp.reshape(w, (c, n1 * n2), order="C")
    parts = cp.vstack([W @ f.real.T, W @ f.imag.T])  # (2C, N^2): real and imaginary parts
    prob = cp.Problem(cp.Minimize(cp.sum(cp.norm(parts, 2, axis=0))), [cp.multiply(y, X @ w) >= 1])
    prob.solve(solver="CLARABEL")
    if prob.status not in ("optimal", "optimal_inaccurate") or w.value is None:
        raise RuntimeError(f"the Fourier group-l1 program ended with status {prob.status!r} (separable data?)")
    return np.asarray(w.value)


def train_to_convergence(model, X, y, *, lr: float, max_steps: int, target: float = 1e-3,
                         check_every: int = 200, full_budget: bool = False) -> dict:
    """Normalised GD (``ibbook.train.fit_exp_loss``, arc-length steps) on the mean exponential loss
    of ``model`` (with ``beta()``), in chunks of ``check_every`` steps, until the loss is below
    ``target`` and then as many steps again (so the direction settles), or ``max_steps``; with
    ``full_budget`` all ``max_steps`` (directions converge slowly after the loss is small).
    Returns ``{"loss", "steps", "converged", "train_acc", "beta", "beta_half", "steps_half"}``
    (``beta`` flat numpy; ``beta_half`` the predictor at the last chunk end at or before half the
    steps run, to tell a direction still moving from a settled one)."""
    import torch

    from ibbook import train

    Xt = torch.as_tensor(np.asarray(X).reshape(len(X), -1), dtype=torch.float64)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.float64)
    steps, reached, history = 0, None, {}
    while steps < max_steps:
        train.fit_exp_loss(model, Xt, yt, steps=check_every, lr=lr, step="arc", n_records=2)
        steps += check_every
        with torch.no_grad():
            loss = float(torch.exp(-yt * model(Xt)).mean())
            history[steps] = model.beta().detach().numpy().copy()
        if loss < target and reached is None:
            reached = steps
        if not full_budget and reached is not None and steps >= 2 * reached:
            break
    with torch.no_grad():
        acc = float(((model(Xt) > 0).double() * 2 - 1 == yt).double().mean())
        beta = model.beta().detach().numpy().copy()
    half = max(k for k in history if k <= max(check_every, steps // 2))
    return {"loss": loss, "steps": steps, "converged": loss < target, "train_acc": acc, "beta": beta,
            "beta_half": history[half], "steps_half": half}


def moved_share(trained, init) -> float:
    """``||trained - init|| / ||trained||`` (flat norms): how much of a trained predictor training
    put there. 0 when training changed nothing; ``ValueError`` for a zero trained predictor or
    shapes that differ."""
    t, i = np.asarray(trained, dtype=float), np.asarray(init, dtype=float)
    if t.shape != i.shape:
        raise ValueError(f"shapes {t.shape} and {i.shape} are not accepted; give two predictors of one shape")
    nt = float(np.linalg.norm(t))
    if nt == 0:
        raise ValueError("a zero trained predictor is not accepted; the share is undefined")
    return float(np.linalg.norm(t - i) / nt)


def cosine(a, b) -> float:
    """Cosine of the angle between two flat vectors."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- the zoo over seeds: training, the untrained twin, attacks ------------------------------------

#: Attacks of the chapter: name -> (foolbox attack of :mod:`ibbook.attacks`, fixed budget?).
ATTACKS = {"pgd": ("linf_pgd", True), "deepfool": ("l2_deepfool", False), "fmn": ("linf_fmn", False)}


def build(arch: str, kw: Mapping, zero: bool = False):
    """The zoo model ``arch`` with keywords ``kw`` (:func:`ibbook.models.build_model`), wrapped in
    :func:`ibbook.models.zoo.zero_output` when ``zero`` (output exactly 0 at initialisation)."""
    from ibbook import models
    from ibbook.models import zoo

    net = models.build_model(arch, **kw)
    return zoo.zero_output(net) if zero else net


def fit(label: str, spec: tuple, x, y, *, seed: int, epochs: int, device, lr_drops=(),
        gamma: float = 0.3):
    """Train the model of ``spec = (group, arch, kw, lr[, zero])`` on ``(x, y)`` at ``seed``
    (:func:`ibbook.train.train_classifier`, cached; SGD with momentum 0.9, Adam for ``vit`` /
    ``mlp_mixer``), lowering the rate ten-fold after a diverged run (the sources' rule, at most
    twice), and build the *same* network untrained (torch seeded with ``seed`` as training does).
    Returns ``(trained, untrained, lr used)``, both in eval mode on the CPU."""
    import torch

    from ibbook import train

    group, arch, kw, lr = spec[:4]
    zero = len(spec) > 4 and bool(spec[4])
    opt = "adam" if arch in ("vit", "mlp_mixer") else "sgd"
    make = lambda: build(arch, kw, zero)  # noqa: E731
    key = {"model": arch, **kw, "chapter": "fourier_bias", **({"zero_output": True} if zero else {})}
    for lr_try in (lr, lr / 10, lr / 100):
        try:
            run = train.train_classifier(make, x, y, key=key, epochs=epochs, batch_size=128, lr=lr_try,
                                         optimizer=opt, momentum=0.9, lr_drops=tuple(lr_drops), gamma=gamma,
                                         seed=seed, device=device, progress=False)
            break
        except FloatingPointError:
            continue
    else:
        raise FloatingPointError(f"{label}: training diverged at lr = {lr}, {lr / 10} and {lr / 100}")
    torch.manual_seed(seed)
    return run.model.cpu().eval(), make().eval(), lr_try


def attack_deltas(model, x, y, kind: str, *, eps: float, steps: int, rel_step: float, seed: int,
                  device, key: Mapping) -> dict:
    """Perturbations ``delta = x_adv - x`` (numpy float64, N×C×H×W, pixel units) of ``kind`` in
    :data:`ATTACKS` (``pgd``: L-inf PGD with budget ``eps``, ``steps`` steps of ``rel_step * eps``;
    ``deepfool``: minimal L2 DeepFool; ``fmn``: minimal L-inf FMN; ``steps`` iterations), with the
    success flags, cached under ``key`` (which must name the model, seed and data). PGD attacks
    the true labels ``y`` (the sources' attack); the minimal attacks move each image off the
    model's *own* prediction, so that an untrained network (which misclassifies most images, and
    whose minimal perturbation towards a wrong label would then be zero) gets one too."""
    from ibbook import attacks, cache
    from ibbook.params import check_choice

    check_choice("attack", kind, tuple(ATTACKS))
    name, budget = ATTACKS[kind]
    extra = {"rel_stepsize": rel_step} if kind == "pgd" else {}

    def compute():
        import torch

        atk = attacks.image_attack(name, steps=steps, **extra)
        with torch.no_grad():
            labels = y if budget else model(x).argmax(1)
        res = attacks.attack_images(model, x, labels, atk, eps=eps if budget else None, batch_size=64,
                                    device=device, seed=seed, progress=False)
        return {"delta": res.delta, "success": res.success, "clean": res.clean_correct}

    cfg = {**key, "attack": kind, "labels": "true" if budget else "own", "steps": steps, "eps": eps if budget else None,
           "rel": rel_step if budget else None, "seed": seed, "n": len(y)}
    out = cache.cached("fourier_bias_attack", cfg, compute)
    return {"delta": out["delta"].double().numpy(), "success": out["success"].numpy(),
            "clean": out["clean"].numpy()}


def claim_difference(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], stat: str,
                     sparser: bool) -> float:
    """The relative difference of the mean of ``stat`` ("ratio" or "kr") between models ``a`` and
    ``b`` (outputs of :func:`spectral_stats`), signed so that it is positive when the claim holds:
    ``sparser=True``: ``a`` has the smaller ratio, ``(b - a) / b``; else ``a`` has the higher
    ``stat``, ``(a - b) / b``."""
    ma, mb = float(np.mean(a[stat])), float(np.mean(b[stat]))
    return (mb - ma) / mb if sparser else (ma - mb) / mb
