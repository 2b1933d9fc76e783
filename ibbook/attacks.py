"""Adversarial attacks on linear and small non-linear classifiers.

Closed forms derived in the attacks chapter, for a two-class linear classifier
``g(x) = <w, x> + w0`` (class ``sign g``):

- :func:`constraint_set`: Lemma 1's polygon ``A^T x <= b`` of a k-class linear classifier;
- :func:`min_norm_attack`: the minimum-norm attack in l2 (Theorem 2), l-infinity or l1;
- :func:`max_allowable_attack`: the maximum-allowable attack of radius ``eta`` (l2, l-infinity:
  FGSM's sign step, l1, Fourier-l-infinity);
- :func:`regularization_attack`: Theorem 6's ``x0 - lam w``;
- :func:`robust_radius`: ``|g(x)| / ||w||_*``, the distance to the boundary in a norm (norms and
  duals from :mod:`ibbook.norms`);
- :func:`fourier_linf_attack`: the worst real perturbation with ``||F delta||_inf <= eps``.

For non-linear models: :func:`deepfool_two_class` (Corollary 1's iteration) and thin wrappers
around foolbox (:func:`foolbox`, :func:`linear_module`, :func:`foolbox_model`,
:func:`foolbox_attack`).

Image classifiers (inputs in ``[0, 1]``; other values are a ValueError): :func:`image_attack`
builds a foolbox attack by name (PGD, FMN, DeepFool in l-infinity or l2; the l2 FMN with a corrected
projection, foolbox 3.3.4's own one does not project) and :func:`attack_images` runs it in batches
over a test set, returning perturbations, success masks and why each failure failed
(:class:`ImageAttackResult`).

APGD / AutoAttack (torchattacks): :func:`robust_accuracy` (robust accuracy of an image classifier
under APGD-CE or the standard AutoAttack, l-infinity or l2).

Random noise (Section 3.4): :func:`noise_success_mc` (Monte Carlo), :func:`erfc_prediction`,
:func:`feller_bound` (Theorem 7) and :func:`binomial_lower` (one-sided confidence bound).

Used by: attacks chapter; the image-attack wrappers by the Fourier-bias, learning-dynamics,
Fourier-mask and pReLU chapters.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from scipy.special import erfc
from scipy.stats import beta as beta_dist

from ibbook.norms import DUALS, LP_NORMS, dual_maximiser, vector_norm
from ibbook.params import check_choice


def _vec(w, name: str = "w") -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} of shape {w.shape} is not accepted; use a non-empty 1-D vector")
    return w


def constraint_set(W: np.ndarray, w0: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Lemma 1: ``(A, b)`` with ``Omega = {x : A^T x <= b}`` the region classified as ``t``.

    ``W`` is (k, d) (row i = ``w_i``), ``w0`` (k,) the offsets; column i of ``A`` is
    ``w_i - w_t`` and ``b_i = w0_t - w0_i``, for every ``i != t``.
    """
    W = np.asarray(W, dtype=float)
    w0 = np.asarray(w0, dtype=float)
    if W.ndim != 2 or w0.shape != (W.shape[0],) or W.shape[0] < 2:
        raise ValueError(f"W {W.shape} and w0 {w0.shape} are not accepted; use (k, d) and (k,), k >= 2")
    check_choice("t", t, range(W.shape[0]))
    others = [i for i in range(W.shape[0]) if i != t]
    return (W[others] - W[t]).T, w0[t] - w0[others]


def robust_radius(w: np.ndarray, X: np.ndarray, y: np.ndarray, norm: str, b: float = 0.0) -> np.ndarray:
    """Per-point ``y_i (<w, x_i> + b) / ||w||_*``: the smallest perturbation in ``norm`` that
    reaches the boundary (negative for misclassified points). ``norm="fourier_linf"`` gives
    the radius in ``||F delta||_inf`` (dual: ``||F w||_1``)."""
    check_choice("norm", norm, LP_NORMS + ("fourier_linf",))
    w = _vec(w)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    size = vector_norm(w, DUALS[norm])
    return np.asarray(y, dtype=float) * (X @ w + b) / size


def min_norm_attack(w: np.ndarray, w0: float, x0: np.ndarray, norm: str = "l2") -> np.ndarray:
    """The point on ``<w, x> + w0 = 0`` nearest to ``x0`` in ``norm`` (Theorem 2 for l2).

    ``x* = x0 - g(x0) / ||w||_* * v`` with ``v`` the :func:`dual_maximiser` of ``w``; for l2 this
    is eq. (3.26), ``x0 - (g(x0) / ||w||^2) w``.
    """
    check_choice("norm", norm, LP_NORMS)
    w, x0 = _vec(w), _vec(x0, "x0")
    g = float(w @ x0 + w0)
    return x0 - g / vector_norm(w, DUALS[norm]) * dual_maximiser(w, norm)


def max_allowable_attack(w: np.ndarray, x0: np.ndarray, eta: float, norm: str = "l2",
                         y: float | None = None) -> np.ndarray:
    """Maximum-allowable attack of radius ``eta``: ``x0 - eta * y * v`` (v: :func:`dual_maximiser`).

    It lowers ``y g(x)`` by the most possible, ``eta ||w||_*``. ``y`` defaults to the sign of
    ``<w, x0>`` (the predicted class; the offset does not change the direction). For
    ``norm="linf"`` this is FGSM's step ``-eta * y * sign(w)``; ``norm="fourier_linf"`` uses
    :func:`fourier_linf_attack`.
    """
    check_choice("norm", norm, LP_NORMS + ("fourier_linf",))
    w, x0 = _vec(w), _vec(x0, "x0")
    if not eta >= 0:
        raise ValueError(f"eta={eta!r} is not accepted; use eta >= 0")
    if y is None:
        y = 1.0 if w @ x0 >= 0 else -1.0
    check_choice("y", y, (-1, 1))
    if norm == "fourier_linf":
        return x0 - y * fourier_linf_attack(w, eta)
    return x0 - eta * y * dual_maximiser(w, norm)


def regularization_attack(w: np.ndarray, x0: np.ndarray, lam: float) -> np.ndarray:
    """Theorem 6: the minimiser of ``0.5 ||x - x0||^2 + lam (<w, x> + w0)`` is ``x0 - lam w``."""
    w, x0 = _vec(w), _vec(x0, "x0")
    if not lam > 0:
        raise ValueError(f"lam={lam!r} is not accepted; use lam > 0")
    return x0 - lam * w


def fourier_linf_attack(w: np.ndarray, eps: float) -> np.ndarray:
    """The real ``delta`` with ``||F delta||_inf = eps`` that maximises ``<w, delta>``.

    ``F delta = eps * phase(F w)`` (unitary DFT); ``F w`` of a real ``w`` is conjugate-symmetric,
    so is its phase, hence ``delta`` is real, and ``<w, delta> = eps ||F w||_1``.
    """
    w = _vec(w)
    if not eps >= 0:
        raise ValueError(f"eps={eps!r} is not accepted; use eps >= 0")
    c = np.fft.fft(w, norm="ortho")
    mag = np.abs(c)
    phase = np.where(mag > 1e-12 * max(mag.max(), 1e-300), c / np.where(mag > 0, mag, 1.0), 1.0)
    return eps * np.real(np.fft.ifft(phase, norm="ortho"))


@dataclass(frozen=True)
class DeepFoolResult:
    """Corollary 1's iterates: final point ``x``, ``iterations`` taken, whether the class flipped
    (``success``), ``g`` at each iterate and the perturbation norm at each iterate."""

    x: np.ndarray
    iterations: int
    success: bool
    g: np.ndarray
    norms: np.ndarray


def deepfool_two_class(g: Callable[[torch.Tensor], torch.Tensor], x0: np.ndarray, *, steps: int = 50,
                       overshoot: float = 0.0, extra: float = 0.0) -> DeepFoolResult:
    """Two-class DeepFool (Corollary 1): ``x_{k+1} = x_k - g(x_k) grad g / ||grad g||^2``.

    ``g`` maps a (d,) float64 tensor to a scalar whose sign is the class. Stops as soon as the
    sign of ``g`` differs from that at ``x0``. ``overshoot`` and ``extra`` reproduce foolbox's
    conventions: each step's length is ``|g| / ||grad g|| + extra`` and the iterate is
    ``x0 + (1 + overshoot) * (sum of steps)`` (foolbox: ``extra=1e-4``, ``overshoot=0.02``);
    with both zero this is the plain iteration, which approaches the boundary from the start side.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r} is not accepted; use an integer >= 1")
    if not (overshoot >= 0 and extra >= 0):
        raise ValueError(f"overshoot={overshoot!r}, extra={extra!r} are not accepted; use values >= 0")
    x0 = _vec(x0, "x0")
    x = torch.tensor(x0, dtype=torch.float64)
    total = torch.zeros_like(x)
    gs, norms = [], []
    start_sign = None
    k = 0
    while True:
        xk = x.clone().requires_grad_(True)
        val = g(xk)
        (grad,) = torch.autograd.grad(val, xk)
        v = float(val.detach())
        gs.append(v)
        norms.append(float(torch.linalg.norm(x - torch.tensor(x0))))
        if start_sign is None:
            start_sign = np.sign(v)
        if np.sign(v) != start_sign or k == steps:
            break
        gn = float(torch.linalg.norm(grad))
        total = total - (v / gn + np.sign(v) * extra) * grad / gn
        x = torch.tensor(x0) + (1.0 + overshoot) * total
        k += 1
    return DeepFoolResult(x=x.detach().numpy(), iterations=k, success=bool(np.sign(gs[-1]) == -start_sign),
                          g=np.array(gs), norms=np.array(norms))


class LinearTwoClass(torch.nn.Module):
    """``g(x) = <w, x> + b`` as a two-logit classifier ``(-g, g)`` (class 1 iff ``g > 0``)."""

    def __init__(self, w: np.ndarray, b: float = 0.0):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(_vec(w)), requires_grad=False)
        self.b = torch.nn.Parameter(torch.tensor(float(b), dtype=torch.float64), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x @ self.w + self.b
        return torch.stack([-g, g], dim=1)


def linear_module(w: np.ndarray, b: float = 0.0) -> LinearTwoClass:
    """Wrap a linear classifier as a torch module with logits ``(-g, g)`` (for foolbox)."""
    return LinearTwoClass(w, b).eval()


def foolbox():
    """The foolbox package, imported with the DeprecationWarning of foolbox 3.3.4 (it imports a
    deprecated scipy namespace) silenced; import it through here so warnings stay errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import foolbox as fb
    return fb


def foolbox_model(module: torch.nn.Module, bound: float) -> "fb.PyTorchModel":
    """``fb.PyTorchModel`` with input box ``[-bound, bound]`` (foolbox needs a box; choose it wide
    enough for unbounded Gaussian data never to touch it)."""
    if not bound > 0:
        raise ValueError(f"bound={bound!r} is not accepted; use bound > 0")
    return foolbox().PyTorchModel(module.eval(), bounds=(-float(bound), float(bound)))


def foolbox_attack(fmodel: "fb.PyTorchModel", attack: "fb.attacks.Attack", X: np.ndarray, labels: np.ndarray,
                   eps: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run a foolbox ``attack`` on points ``X`` with class ``labels`` (0/1 ints).

    ``eps=None`` for minimum-norm attacks. Returns the clipped adversarial points and a boolean
    success mask (misclassified after the attack, within ``eps`` for fixed-size attacks).
    """
    x = torch.as_tensor(np.asarray(X, dtype=float))
    lab = torch.as_tensor(np.asarray(labels)).long()
    if not set(lab.tolist()) <= {0, 1}:
        raise ValueError(f"labels {sorted(set(lab.tolist()))} are not accepted; use class indices 0 and 1")
    _, clipped, success = attack(fmodel, x, lab, epsilons=eps)
    return clipped.detach().numpy(), success.detach().numpy()


#: Attacks :func:`image_attack` knows: ``<norm>_<method>``; ``l2_fmn_foolbox`` is foolbox's own l2 FMN,
#: which is not a minimum-norm attack (see :func:`image_attack`).
IMAGE_ATTACKS = ("linf_pgd", "l2_pgd", "linf_fmn", "l2_fmn", "linf_deepfool", "l2_deepfool", "l2_fmn_foolbox")
#: Those run without a budget (``eps=None`` in :func:`attack_images`): all but ``l2_fmn_foolbox``
#: search the smallest perturbation.
MIN_NORM_ATTACKS = ("linf_fmn", "l2_fmn", "linf_deepfool", "l2_deepfool", "l2_fmn_foolbox")


@functools.cache
def _l2_fmn_class() -> type:
    """The class of the corrected l2 FMN (built on first use: foolbox is imported lazily)."""
    import eagerpy as ep
    from foolbox.devutils import atleast_kd, flatten

    fb = foolbox()

    class L2FMN(fb.attacks.L2FMNAttack):
        """foolbox's ``L2FMNAttack`` with the projection onto the l2 ball of radius ``epsilon``
        (Pintor et al.'s FMN) that foolbox 3.3.4 lacks: its ``project`` scales ``x - x0`` by
        ``min(1, norms / norms) = 1``, so the iterates are never pulled back and its "minimum" is
        the smallest norm of the adversarial iterates of a plain gradient walk.

        Here ``x - x0`` is scaled by ``min(1, (1 + radius_slack) epsilon / ||x - x0||)``. The slack
        (default 1e-4) lets an iterate that lands exactly on the decision boundary (tied logits,
        where FMN's epsilon update stops growing) cross it; it overshoots the minimum by about
        ``radius_slack`` relative. Other arguments: those of foolbox's ``L2FMNAttack``.
        """

        def __init__(self, *, radius_slack: float = 1e-4, **kwargs):
            if not 0 <= radius_slack <= 0.01:
                raise ValueError(f"radius_slack={radius_slack!r} is not accepted; "
                                 "use 0 <= radius_slack <= 0.01")
            super().__init__(**kwargs)
            self.radius_slack = float(radius_slack)

        def project(self, x: ep.Tensor, x0: ep.Tensor, epsilon: ep.Tensor) -> ep.Tensor:
            norms = ep.maximum(flatten(x - x0).norms.l2(axis=-1), 1e-12)
            factor = ep.minimum(1, epsilon * (1 + self.radius_slack) / norms)
            return x0 + (x - x0) * atleast_kd(factor, x.ndim)

    return L2FMN


def image_attack(name: str, steps: int | None = None, **kwargs) -> "fb.attacks.Attack":
    """The foolbox attack ``name`` (see :data:`IMAGE_ATTACKS`), with ``steps`` iterations when given
    (foolbox's default otherwise) and any other foolbox keyword (e.g. ``rel_stepsize``).

    ``"l2_fmn"`` is foolbox's ``L2FMNAttack`` with its projection corrected (a subclass; keyword
    ``radius_slack``, see below): on linear models it reaches the exact minimal l2 perturbation to
    within about 1e-4 relative. ``"l2_fmn_foolbox"`` is foolbox 3.3.4's ``L2FMNAttack`` unchanged
    (what ``"l2_fmn"`` was before): its projection is the identity, so its perturbations are
    adversarial but not minimal (on 3-class linear models from about 1.5x to hundreds of times the
    exact minimum, whatever the number of steps); use it only to show that. ``"linf_fmn"`` is
    foolbox's ``LInfFMNAttack`` unchanged: on some images (seen on those nearest the boundary) its
    iterates stop exactly on the boundary (tied logits, where its epsilon update stops growing) and
    it then finds nothing, at any number of steps (:attr:`ImageAttackResult.failures` lists them).
    """
    check_choice("attack", name, IMAGE_ATTACKS)
    fb = foolbox()
    cls = {"linf_pgd": fb.attacks.LinfPGD, "l2_pgd": fb.attacks.L2PGD, "linf_fmn": fb.attacks.LInfFMNAttack,
           "l2_fmn": _l2_fmn_class(), "l2_fmn_foolbox": fb.attacks.L2FMNAttack,
           "linf_deepfool": fb.attacks.LinfDeepFoolAttack, "l2_deepfool": fb.attacks.L2DeepFoolAttack}[name]
    if steps is not None:
        kwargs["steps"] = steps
    return cls(**kwargs)


def check_unit_range(x: torch.Tensor, name: str = "x") -> None:
    """Raise a ValueError naming the range found unless every value of ``x`` lies in [0, 1], the
    input box the image attacks assume (foolbox's bounds, torchattacks' clamping)."""
    if x.numel() == 0:
        return
    lo, hi = float(x.min()), float(x.max())
    if not (lo >= 0.0 and hi <= 1.0):  # also catches NaN
        raise ValueError(f"{name} has values from {lo:g} to {hi:g}; the image attacks need values in [0, 1] "
                         "(their input box): scale the images into [0, 1], e.g. divide 0-255 pixels by 255")


@dataclass
class ImageAttackResult:
    """One attack on ``N`` images: ``delta = x_adv - x`` (N×C×H×W), ``adv_label`` (the model's label
    of ``x_adv``), ``clean_correct`` and ``success`` (clean image classified correctly *and*
    ``x_adv`` misclassified, within ``eps`` for fixed-budget attacks).

    ``failures`` maps the index (row of ``x``) of every image without success to the reason:
    ``"misclassified before the attack"``, ``"no misclassified point within eps=..."`` (fixed
    budget) or ``"no misclassified point found: ..."`` (minimum-norm attacks; "the attack returned
    the clean image" when none of its iterates was misclassified, as foolbox's FMN does when its
    iterates stop exactly on the decision boundary), followed, for correctly classified images, by
    the clean logit margin (logit of the label minus the largest other logit; small: near the
    boundary).
    """

    delta: torch.Tensor
    adv_label: torch.Tensor
    clean_correct: torch.Tensor
    success: torch.Tensor
    eps: float | None
    failures: dict[int, str] = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        """Successful attacks among correctly classified images (0 when none is correct)."""
        n = int(self.clean_correct.sum())
        return float(self.success.sum()) / n if n else 0.0

    @property
    def robust_accuracy(self) -> float:
        """Fraction of all images classified correctly and not successfully attacked."""
        return (self.clean_correct & ~self.success).float().mean().item()

    def norms(self, p: float) -> torch.Tensor:
        """``||delta||_p`` per image (p = 2 or ``float('inf')``)."""
        return torch.linalg.vector_norm(self.delta.flatten(1), ord=p, dim=1)


def _failure_reasons(delta: torch.Tensor, correct: torch.Tensor, success: torch.Tensor, margin: torch.Tensor,
                     eps: float | None) -> dict[int, str]:
    """:attr:`ImageAttackResult.failures` from the attack's outputs."""
    moved = (delta.flatten(1) != 0).any(1)
    reasons = {}
    for i in torch.nonzero(~success).flatten().tolist():
        if not correct[i]:
            reasons[i] = "misclassified before the attack"
            continue
        if eps is not None:
            why = f"no misclassified point within eps={eps:g}"
        elif not moved[i]:
            why = ("no misclassified point found: the attack returned the clean image "
                   "(none of its iterates was misclassified)")
        else:
            why = "no misclassified point found: the attack's output is still classified as the label"
        reasons[i] = f"{why}; clean logit margin {float(margin[i]):.3g}"
    return reasons


def attack_images(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, attack: "str | fb.attacks.Attack", *,
                  eps: float | None, batch_size: int = 256, device: torch.device | str = "cpu", seed: int = 0,
                  progress: bool = True) -> ImageAttackResult:
    """Attack ``model`` (inputs in [0, 1]) on ``x`` with labels ``y``, in batches.

    ``attack`` is a name from :data:`IMAGE_ATTACKS` (foolbox defaults; see :func:`image_attack`) or
    a foolbox attack object; ``eps`` the budget (None for minimum-norm attacks). Torch's generator
    is seeded with ``seed`` first, so PGD's random starts are reproducible. Values of ``x`` outside
    [0, 1] are a ValueError naming the range found. The result lists the images without success
    and why (:attr:`ImageAttackResult.failures`).
    """
    from tqdm import tqdm

    if isinstance(attack, str):
        if (eps is None) != (attack in MIN_NORM_ATTACKS):
            raise ValueError(f"eps={eps!r} is not accepted for attack {attack!r}; give eps=None for "
                             f"{', '.join(MIN_NORM_ATTACKS)} and a budget eps > 0 for the others")
        attack = image_attack(attack)
    if eps is not None and not eps > 0:
        raise ValueError(f"eps={eps!r} is not accepted; use eps > 0 or None for minimum-norm attacks")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows and y {len(y)}; give the same number")
    check_unit_range(x)
    device = torch.device(device)
    model = model.to(device).eval()
    fmodel = foolbox().PyTorchModel(model, bounds=(0.0, 1.0), device=device)
    torch.manual_seed(seed)
    deltas, labels, correct, success, margins = [], [], [], [], []
    for i in tqdm(range(0, len(x), batch_size), disable=not progress, mininterval=2, desc=type(attack).__name__):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        _, adv, ok = attack(fmodel, xb, yb, epsilons=eps)
        with torch.no_grad():
            logits = model(xb)
            clean = logits.argmax(1) == yb
            adv_lab = model(adv).argmax(1)
            own = logits.gather(1, yb[:, None]).squeeze(1)
            margin = own - logits.scatter(1, yb[:, None], float("-inf")).amax(1)
        deltas.append((adv - xb).detach().cpu())
        labels.append(adv_lab.cpu())
        correct.append(clean.cpu())
        success.append((clean & ok & (adv_lab != yb)).cpu())
        margins.append(margin.cpu())
    delta, correct, success = torch.cat(deltas), torch.cat(correct), torch.cat(success)
    failures = _failure_reasons(delta, correct, success, torch.cat(margins), eps)
    return ImageAttackResult(delta=delta, adv_label=torch.cat(labels), clean_correct=correct, success=success,
                             eps=eps, failures=failures)


def erfc_prediction(d: np.ndarray, eps: float) -> np.ndarray:
    """eq. (3.60): ``P[(1/d) sum_j r_j > eps] = erfc(eps sqrt(d/2)) / 2`` for ``r ~ N(0, I_d)``."""
    return 0.5 * erfc(eps * np.sqrt(np.asarray(d, dtype=float) / 2))


def feller_bound(w: np.ndarray, eps: float) -> float:
    """Theorem 7: ``||w|| / (eps d sqrt(2 pi)) exp(-d^2 eps^2 / (2 ||w||^2))``."""
    w = _vec(w)
    if not eps > 0:
        raise ValueError(f"eps={eps!r} is not accepted; use eps > 0")
    d, nw = w.size, float(np.linalg.norm(w))
    return nw / (eps * d * np.sqrt(2 * np.pi)) * np.exp(-(d * eps) ** 2 / (2 * nw**2))


def noise_success_mc(w: np.ndarray, eps: float, n_samples: int, rng: np.random.Generator,
                     chunk: int = 20_000_000) -> int:
    """Count, over ``n_samples`` draws ``r ~ N(0, I_d)``, the events ``(1/d) <w, r> >= eps``."""
    w = _vec(w)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples={n_samples!r} is not accepted; use an integer >= 1")
    rows = max(1, chunk // w.size)
    hits, done = 0, 0
    while done < n_samples:
        m = min(rows, n_samples - done)
        hits += int(np.count_nonzero(rng.standard_normal((m, w.size)) @ w / w.size >= eps))
        done += m
    return hits


def binomial_lower(k: int, n: int, alpha: float = 1e-3) -> float:
    """One-sided Clopper-Pearson lower confidence bound (level ``1 - alpha``) for ``k/n``."""
    if not (0 <= k <= n and n >= 1 and 0 < alpha < 1):
        raise ValueError(f"k={k!r}, n={n!r}, alpha={alpha!r} are not accepted; use 0 <= k <= n, n >= 1, 0 < alpha < 1")
    return 0.0 if k == 0 else float(beta_dist.ppf(alpha, k, n - k + 1))


def binomial_upper(k: int, n: int, alpha: float = 1e-3) -> float:
    """One-sided Clopper-Pearson upper confidence bound (level ``1 - alpha``) for ``k/n``."""
    if not (0 <= k <= n and n >= 1 and 0 < alpha < 1):
        raise ValueError(f"k={k!r}, n={n!r}, alpha={alpha!r} are not accepted; use 0 <= k <= n, n >= 1, 0 < alpha < 1")
    return 1.0 if k == n else float(beta_dist.ppf(1 - alpha, k + 1, n - k))


@dataclass(frozen=True)
class RobustClassifier:
    """Lemma 2.1's eq. (4) solved by bisection: the largest ``radius`` (perturbation ``norm``)
    for which some ``(w, b)`` classifies every ``norm``-ball around the data correctly."""

    w: np.ndarray
    b: float
    radius: float
    bisections: int


def maximally_robust_classifier(X: np.ndarray, y: np.ndarray, norm: str, *, bias: bool = True,
                                tol: float = 1e-7, max_bisections: int = 60) -> RobustClassifier:
    """Solve eq. (4), ``max eps s.t. y_i (<w, x_i + delta> + b) > 0 for all ||delta|| <= eps``,
    directly in ``eps``: for a fixed ``eps`` the robust constraints are, by homogeneity, the convex
    feasibility problem ``y_i (<w, x_i> + b) - eps ||w||_* >= 1``; bisect on ``eps`` between 0 and
    half the smallest ``norm``-distance between opposite labels (relative tolerance ``tol``).
    A solver failure counts as infeasible: it occurs only just below the threshold, where the
    feasible ``w`` are huge, so it can bias the radius low by at most the bisection step there.
    """
    import cvxpy as cp

    from ibbook.convex import cp_norm
    check_choice("norm", norm, LP_NORMS)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"X {X.shape}, y {y.shape} are not accepted; use X (n, d) and labels y in {{-1, +1}}")
    pos, neg = X[y > 0], X[y < 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("labels of a single class are not accepted; use both -1 and +1")
    hi = float(vector_norm(pos[:, None, :] - neg[None, :, :], norm).min()) / 2
    lo = 0.0
    w, b = cp.Variable(X.shape[1]), (cp.Variable() if bias else 0.0)
    eps = cp.Parameter(nonneg=True)
    problem = cp.Problem(cp.Minimize(0), [cp.multiply(y, X @ w + b) - eps * cp_norm(w, DUALS[norm], X.shape[1]) >= 1])
    best = None
    k = 0
    while hi - lo > tol * hi and k < max_bisections:
        mid = (lo + hi) / 2
        eps.value = mid
        try:
            with warnings.catch_warnings():  # "inaccurate" near the threshold: infeasible
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver="CLARABEL")
            feasible = problem.status == cp.OPTIMAL
        except cp.SolverError:  # only happens next to the threshold, where w blows up
            feasible = False
        if feasible:
            lo, best = mid, (w.value.copy(), float(b.value) if bias else 0.0)
        else:
            hi = mid
        k += 1
    if best is None:
        raise RuntimeError("no robust classifier found at any radius; are the data linearly separable?")
    return RobustClassifier(w=best[0], b=best[1], radius=lo, bisections=k)


# ------------------------------------------------------------------ APGD / AutoAttack (torchattacks)

#: Attacks :func:`robust_accuracy` runs: torchattacks' APGD with the cross-entropy loss (the
#: first attack of AutoAttack, and the one Min & Vidal's code keeps) or the full standard AutoAttack.
AUTOATTACKS = ("apgd-ce", "autoattack")
AUTOATTACK_NORMS = ("Linf", "L2")


def robust_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, norm: str, eps: float,
                    attack: str = "apgd-ce", steps: int = 100, n_classes: int | None = None, seed: int = 0,
                    batch_size: int = 500, device: torch.device | str = "cpu") -> float:
    """Fraction of ``x`` (inputs in [0, 1]) still classified as ``y`` after an attack of size
    ``eps`` in ``norm`` (``"Linf"`` or ``"L2"``); ``eps=0`` gives the clean accuracy.

    ``attack="apgd-ce"``: ``torchattacks.APGD(loss="ce", steps=steps, n_restarts=1)`` (Croce & Hein's
    APGD-CE); ``"autoattack"``: ``torchattacks.AutoAttack(version="standard")`` (APGD-CE, APGD-T,
    FAB-T, Square; ``steps`` is then ignored). An image counts as robust when the attack's
    output is still classified correctly (clean errors count as non-robust).

    ``n_classes`` is the model's number of classes (None: the width of its output, read from one
    forward pass); a value other than that width is a ValueError. AutoAttack needs at least 4
    classes (APGD-T's DLR loss uses the third and fourth largest logits): for fewer,
    ``attack="autoattack"`` is a ValueError that suggests ``"apgd-ce"``. Values of ``x`` outside
    [0, 1] are a ValueError naming the range found (torchattacks would clamp them silently).

    Used by: pReLU chapter.
    """
    import torchattacks

    check_choice("attack", attack, AUTOATTACKS)
    check_choice("norm", norm, AUTOATTACK_NORMS)
    if not eps >= 0:
        raise ValueError(f"eps={eps!r} is not accepted; use eps >= 0")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r} is not accepted; use an integer >= 1")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x has {len(x)} rows and y {len(y)}; give the same, non-zero number")
    check_unit_range(x)
    device = torch.device(device)
    model = model.to(device).eval()
    with torch.no_grad():
        out = model(x[:1].to(device))
    if out.ndim != 2:
        raise ValueError(f"the model's output of shape {tuple(out.shape)} is not accepted; "
                         "use a model that returns (N, classes) logits")
    width = out.shape[1]
    if n_classes is not None and (isinstance(n_classes, bool) or n_classes != width):
        raise ValueError(f"n_classes={n_classes!r} is not accepted: the model outputs {width} logits; "
                         f"use n_classes={width} or None")
    if attack == "autoattack" and width < 4:
        raise ValueError(f"attack='autoattack' is not accepted for a model with {width} classes: "
                         "AutoAttack needs at least 4 (its APGD-T's DLR loss uses the third and fourth "
                         "largest logits); use attack='apgd-ce' (accepted for any number of classes)")
    correct = 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        if eps > 0:
            if attack == "apgd-ce":
                atk = torchattacks.APGD(model, norm=norm, eps=float(eps), steps=steps, n_restarts=1, seed=seed,
                                        loss="ce")
            else:
                atk = torchattacks.AutoAttack(model, norm=norm, eps=float(eps), version="standard",
                                              n_classes=width, seed=seed)
            xb = atk(xb, yb)
        with torch.no_grad():
            correct += int((model(xb).argmax(1) == yb).sum())
    return correct / len(x)
