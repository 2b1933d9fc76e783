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
:func:`feller_bound` (Theorem 7) and :func:`binomial_lower` (one-sided confidence bound);
:func:`feller_exact_ratio` (the theorem checked exactly, no sampling), :func:`feller_trivial_level`
(below it the bound exceeds 1) and :func:`feller_detectable_factor` (the smallest error the Monte
Carlo check can see).

Lemma 2.1 from its definition (no dual-norm formula): :func:`robust_radius_by_attack` (the
robust radius with the worst perturbation found by projected gradient ascent on the ball,
:func:`ibbook.norms.ball_support`) and :func:`robust_classifier_by_attacks` (problem (4) by
constraint generation, with a certified bracket on its optimum); the older
:func:`maximally_robust_classifier` solves (4) through the lemma's own reformulation.

The attacks chapter's experiments, one function each, returning what the chapter tabulates:
:func:`check_target_regions` (Lemma 1), :func:`check_closed_forms` (Theorems 2 and 6, FGSM,
DeepFool on linear classifiers), :func:`check_deepfool` (a ReLU network on
:func:`half_moons`), :func:`check_erfc` and :func:`check_feller_bound` (eq. 3.60, Theorem 7
over a range of levels), :func:`check_lemma21`, :func:`classifier_cosine` and
:func:`foolbox_vs_radius` (Lemma 2.1),
:func:`steepest_descent_robustness` (Corollary 1), :func:`check_fourier_dual` and
:func:`fourier_robustness` (Corollary 2); :func:`check_table` and :func:`runs_table` turn
numbers into the reader's tables of claim, measured value, bound and verdict.

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

from ibbook.norms import DUALS, LP_NORMS, ball_support, dual_maximiser, vector_norm
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


def _two_class_data(X, y):
    """``(X, y, X of class +1, X of class -1)`` as float arrays; ValueError naming a bad shape, a
    label outside {-1, +1} or a single class."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"X {X.shape}, y {y.shape} are not accepted; use X (n, d) and labels y in {{-1, +1}}")
    pos, neg = X[y > 0], X[y < 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("labels of a single class are not accepted; use both -1 and +1")
    return X, y, pos, neg


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
    X, y, pos, neg = _two_class_data(X, y)
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
AUTOATTACKS = ("apgd-ce", "autoattack", "square")
AUTOATTACK_NORMS = ("Linf", "L2")


def robust_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, norm: str, eps: float,
                    attack: str = "apgd-ce", steps: int = 100, n_classes: int | None = None, seed: int = 0,
                    batch_size: int = 500, device: torch.device | str = "cpu",
                    per_image: bool = False) -> "float | np.ndarray":
    """Fraction of ``x`` (inputs in [0, 1]) still classified as ``y`` after an attack of size
    ``eps`` in ``norm`` (``"Linf"`` or ``"L2"``); ``eps=0`` gives the clean accuracy. With
    ``per_image``: the boolean array (N,) of robust images instead (its mean is the fraction),
    for paired intervals over images.

    ``attack="apgd-ce"``: ``torchattacks.APGD(loss="ce", steps=steps, n_restarts=1)`` (Croce & Hein's
    APGD-CE); ``"autoattack"``: ``torchattacks.AutoAttack(version="standard")`` (APGD-CE, APGD-T,
    FAB-T, Square; ``steps`` is then ignored); ``"square"``: ``torchattacks.Square`` alone, the
    gradient-free random search of Andriushchenko et al. with ``steps`` queries (a check that a
    gradient attack is not fooled by flat or masked gradients). An image counts as robust when the attack's
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
    robust = []
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        if eps > 0:
            if attack == "apgd-ce":
                atk = torchattacks.APGD(model, norm=norm, eps=float(eps), steps=steps, n_restarts=1, seed=seed,
                                        loss="ce")
            elif attack == "square":
                atk = torchattacks.Square(model, norm=norm, eps=float(eps), n_queries=steps, n_restarts=1,
                                          seed=seed)
            else:
                atk = torchattacks.AutoAttack(model, norm=norm, eps=float(eps), version="standard",
                                              n_classes=width, seed=seed)
            xb = atk(xb, yb)
        with torch.no_grad():
            robust.append((model(xb).argmax(1) == yb).cpu().numpy())
    robust = np.concatenate(robust)
    return robust if per_image else int(robust.sum()) / len(x)


# ------------------------------------------------------------------ the attacks chapter's checks
# Each check below is one experiment of the attacks chapter, computed here so that the chapter shows
# the call and its table; every claim's threshold is stated in the chapter (see :func:`check_table`).

#: Verdicts of a theorem's numerical check (the words of :mod:`ibbook.sources.protocol`).
VERIFIED, NOT_VERIFIED = "verified", "does not hold"
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal}


def check_table(rows) -> "pd.DataFrame":
    """A reader's table of checks from ``rows`` of ``(claim, measured, op, bound)``: one row per
    claim with the measured number, the bound it must satisfy (``op`` one of ``<``, ``<=``, ``>``,
    ``>=``, ``==``) and the verdict (:data:`VERIFIED` or :data:`NOT_VERIFIED`).

    ``measured`` is a number, shown to 4 significant digits (round-off residuals as ``< 1e-12``,
    see :func:`ibbook.records.bound`); the table is indexed by claim. An unknown ``op`` or an empty
    ``rows`` is a ValueError. Used by: attacks chapter (one table per section, and the summary).
    """
    import pandas as pd

    from ibbook.records import bound as fmt
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty; give at least one (claim, measured, op, bound)")
    out = []
    for claim, measured, op, limit in rows:
        check_choice("op", op, tuple(_OPS))
        holds = bool(_OPS[op](measured, limit))
        shown = str(measured) if isinstance(measured, (int, np.integer)) else fmt(measured, digits=4)
        out.append({"claim": claim, "measured": shown, "bound": f"{op} {limit:g}",
                    "verdict": VERIFIED if holds else NOT_VERIFIED})
    return pd.DataFrame(out).set_index("claim")


# --- Lemma 1: the target region of a k-class linear classifier

def random_polygon_problem(rng: np.random.Generator, k: int = 4) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """A random k-class linear classifier in the plane, ``W`` (k, 2) and ``w0`` (k,) standard normal,
    a target class ``t`` that owns a region (the class of a uniform point of ``[-3, 3]^2``) and a
    point ``x0`` (2,) of ``[-3, 3]^2`` classified otherwise: ``(W, w0, t, x0)``."""
    W, w0 = rng.standard_normal((k, 2)), rng.standard_normal(k)
    t = int(np.argmax(W @ rng.uniform(-3, 3, 2) + w0))
    while True:
        x0 = rng.uniform(-3, 3, 2)
        if int(np.argmax(W @ x0 + w0)) != t:
            return W, w0, t, x0


def project_onto_polytope(A: np.ndarray, b: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """The Euclidean projection of ``x0`` (d,) onto ``{x : A^T x <= b}`` (``A`` (d, m), ``b`` (m,)):
    the minimum-l2 attack into Lemma 1's target region, solved as a QP (cvxpy, Clarabel). An
    empty region is a RuntimeError."""
    import cvxpy as cp
    x = cp.Variable(len(x0))
    problem = cp.Problem(cp.Minimize(cp.sum_squares(x - x0)), [A.T @ x <= b])
    problem.solve(solver="CLARABEL")
    if problem.status != cp.OPTIMAL:
        raise RuntimeError(f"projection onto the polytope: solver status {problem.status!r}; is the region empty?")
    return x.value


@dataclass(frozen=True)
class TargetRegionCheck:
    """:func:`check_target_regions`' findings over ``n`` random classifiers: grid points where
    ``A^T x <= b`` disagrees with ``argmax = t`` (``region_mismatch``), the QP projection's largest
    constraint violation, and per classifier its distance minus the nearest grid point's
    (``qp_excess``, (n,); <= 0 up to the solver when the QP finds the minimum)."""

    n: int
    region_mismatch: int
    max_violation: float
    qp_excess: np.ndarray


def check_target_regions(n: int, rng: np.random.Generator, *, h: float = 0.02,
                         half_width: float = 6.0) -> TargetRegionCheck:
    """Lemma 1 on ``n`` random 4-class classifiers (:func:`random_polygon_problem`): compare
    :func:`constraint_set`'s half-spaces with the classifier's decisions on a grid of spacing ``h``
    over ``[-half_width, half_width]^2``, and :func:`project_onto_polytope` with the nearest grid
    point of the region (a brute-force minimum-norm attack)."""
    grid = np.stack(np.meshgrid(np.arange(-half_width, half_width, h),
                                np.arange(-half_width, half_width, h)), -1).reshape(-1, 2)
    mismatch, violation, excess = 0, 0.0, []
    for _ in range(n):
        W, w0, t, x0 = random_polygon_problem(rng)
        A, b = constraint_set(W, w0, t)
        inside = np.all(grid @ A <= b, axis=1)
        mismatch += int(np.sum(inside != (np.argmax(grid @ W.T + w0, 1) == t)))
        x_star = project_onto_polytope(A, b, x0)
        violation = max(violation, float(np.max(A.T @ x_star - b)))
        excess.append(np.linalg.norm(x_star - x0) - np.linalg.norm(grid[inside] - x0, axis=1).min())
    return TargetRegionCheck(n=n, region_mismatch=mismatch, max_violation=max(violation, 0.0),
                             qp_excess=np.array(excess))


# --- closed forms for a two-class linear classifier, against cvxpy and foolbox

_CP_ORD = {"l2": 2, "linf": "inf", "l1": 1}


def solve_min_norm_attack(w: np.ndarray, w0: float, x0: np.ndarray, norm: str) -> np.ndarray:
    """Definition 3 by a generic solver: ``argmin ||x - x0||`` in ``norm`` (l2, linf, l1) on the
    boundary ``<w, x> + w0 = 0`` (cvxpy, Clarabel). The reference for :func:`min_norm_attack`."""
    import cvxpy as cp
    check_choice("norm", norm, LP_NORMS)
    x = cp.Variable(len(x0))
    cp.Problem(cp.Minimize(cp.norm(x - x0, _CP_ORD[norm])), [w @ x + w0 == 0]).solve(solver="CLARABEL")
    return x.value


def solve_max_allowable_value(w: np.ndarray, w0: float, x0: np.ndarray, y: float, eta: float, norm: str) -> float:
    """Definition 4 by a generic solver: ``min y (<w, x> + w0)`` over ``||x - x0|| <= eta`` in
    ``norm`` (cvxpy); the optimal value, the reference for :func:`max_allowable_attack`."""
    import cvxpy as cp
    check_choice("norm", norm, LP_NORMS)
    x = cp.Variable(len(x0))
    problem = cp.Problem(cp.Minimize(y * (w @ x + w0)), [cp.norm(x - x0, _CP_ORD[norm]) <= eta])
    problem.solve(solver="CLARABEL")
    return float(problem.value)


def solve_regularization_attack(w: np.ndarray, w0: float, x0: np.ndarray, lam: float) -> np.ndarray:
    """Definition 5 (squared l2) by a generic solver: ``argmin 0.5 ||x - x0||^2 + lam (<w, x> + w0)``
    (cvxpy), the reference for :func:`regularization_attack` (Theorem 6)."""
    import cvxpy as cp
    x = cp.Variable(len(x0))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - x0) + lam * (w @ x + w0))).solve(solver="CLARABEL")
    return x.value


#: The deviations :func:`check_closed_forms` measures (its ``errors`` keys), all relative except
#: the DeepFool distance difference.
CLOSED_FORM_KEYS = ("thm2_vs_cvxpy", "minnorm_linf_l1_vs_cvxpy", "deepfool_minus_exact", "maxallow_vs_cvxpy",
                    "fgsm_vs_closed_form", "fgm_vs_closed_form", "thm6_vs_cvxpy")


@dataclass(frozen=True)
class ClosedFormCheck:
    """Per-instance deviations of the closed forms (``errors``, keyed by :data:`CLOSED_FORM_KEYS`;
    the l-inf/l1 and maximum-allowable entries have 2 and 3 values per instance) and ``abs_g``,
    ``|g(x0)|`` per instance. ``fgm_vs_closed_form`` is kept only where ``|g| < saturation``; the
    others' FGM deviations are ``fgm_saturated``."""

    errors: dict[str, np.ndarray]
    abs_g: np.ndarray
    fgm_saturated: np.ndarray
    saturation: float

    def worst(self) -> dict[str, float]:
        """The largest absolute deviation of each kind."""
        return {k: float(np.max(np.abs(v))) if len(v) else 0.0 for k, v in self.errors.items()}


def check_closed_forms(n: int, rng: np.random.Generator, *, box: float = 100.0, saturation: float = 15.0,
                       d_range: tuple[int, int] = (2, 50)) -> ClosedFormCheck:
    """Theorem 2, its l-inf / l1 analogues, the maximum-allowable attacks and Theorem 6 on ``n``
    random two-class linear classifiers (``d`` uniform in ``d_range``, ``w``, ``w0``, ``x0``
    standard normal), each against cvxpy (:func:`solve_min_norm_attack`,
    :func:`solve_max_allowable_value`, :func:`solve_regularization_attack`), and foolbox's
    DeepFool (l2), FGSM (l-inf) and FGM (l2) on the classifier wrapped by :func:`linear_module`
    in the input box ``[-box, box]^d``. The FGM's softmax saturates when ``|g| >= saturation``
    (its gradient is then below foolbox's stabilising constant); those points are reported apart."""
    fb = foolbox()
    fb_deepfool = fb.attacks.L2DeepFoolAttack(steps=50, overshoot=0.0)
    fb_fgsm = fb.attacks.LinfFastGradientAttack(random_start=False)
    fb_fgm = fb.attacks.L2FastGradientAttack(random_start=False)
    err = {k: [] for k in CLOSED_FORM_KEYS}
    abs_g = []
    for _ in range(n):
        d = int(rng.integers(d_range[0], d_range[1] + 1))
        w, w0 = rng.standard_normal(d), float(rng.standard_normal())
        x0 = rng.standard_normal(d)
        g0 = w @ x0 + w0
        abs_g.append(abs(g0))
        y = 1.0 if g0 > 0 else -1.0
        xs = min_norm_attack(w, w0, x0, "l2")
        err["thm2_vs_cvxpy"].append(np.linalg.norm(xs - solve_min_norm_attack(w, w0, x0, "l2"))
                                    / np.linalg.norm(xs - x0))
        for p in ("linf", "l1"):
            dist = vector_norm(min_norm_attack(w, w0, x0, p) - x0, p)
            num = vector_norm(solve_min_norm_attack(w, w0, x0, p) - x0, p)
            err["minnorm_linf_l1_vs_cvxpy"].append(abs(dist - num) / dist)
        fm = foolbox_model(linear_module(w, w0), box)
        adv, ok = foolbox_attack(fm, fb_deepfool, x0[None], [int(y > 0)])
        if not ok.all():
            raise RuntimeError("foolbox's DeepFool failed on a linear classifier; is the box too small?")
        err["deepfool_minus_exact"].append(np.linalg.norm(adv[0] - x0) - np.linalg.norm(xs - x0))
        eta = float(rng.uniform(0.05, 1.0))
        for p in ("l2", "linf", "l1"):
            xa = max_allowable_attack(w, x0, eta, p, y=y)
            num = solve_max_allowable_value(w, w0, x0, y, eta, p)
            err["maxallow_vs_cvxpy"].append(abs(y * (w @ xa + w0) - num) / (abs(num) + eta))
        for key, att, p in (("fgsm_vs_closed_form", fb_fgsm, "linf"), ("fgm_vs_closed_form", fb_fgm, "l2")):
            adv, _ = foolbox_attack(fm, att, x0[None], [int(y > 0)], eps=eta)
            err[key].append(np.abs(adv[0] - max_allowable_attack(w, x0, eta, p, y=y)).max() / eta)
        lam = float(rng.uniform(0.01, 2.0))
        xr = regularization_attack(w, x0, lam)
        err["thm6_vs_cvxpy"].append(np.linalg.norm(xr - solve_regularization_attack(w, w0, x0, lam))
                                    / np.linalg.norm(xr - x0))
    abs_g = np.array(abs_g)
    errors = {k: np.array(v) for k, v in err.items()}
    fgm = errors["fgm_vs_closed_form"]
    errors["fgm_vs_closed_form"] = fgm[abs_g < saturation]
    return ClosedFormCheck(errors=errors, abs_g=abs_g, fgm_saturated=fgm[abs_g >= saturation], saturation=saturation)


# --- DeepFool on a small ReLU network

def half_moons(n: int, rng: np.random.Generator, noise: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-moons in the plane: ``n`` points (n, 2) with Gaussian ``noise`` and
    labels (n,) in {0, 1} drawn at random (class 0 the upper moon)."""
    t = rng.uniform(0, np.pi, n)
    lab = rng.integers(0, 2, n)
    x = np.where(lab[:, None] == 0, np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return x + noise * rng.standard_normal((n, 2)), lab


def train_moons_mlp(X: np.ndarray, labels: np.ndarray, *, seed: int = 0, steps: int = 1500,
                    lr: float = 0.01) -> torch.nn.Module:
    """``models.MLP(2, (32, 32), 2)`` (float64) trained full-batch with Adam on the cross-entropy of
    ``X`` (n, 2) and ``labels`` (n,) in {0, 1}; returned in eval mode with frozen parameters."""
    from ibbook.models import MLP
    mlp = MLP(2, (32, 32), 2, seed=seed)
    opt = torch.optim.Adam(mlp.parameters(), lr=lr)
    Xt, yt = torch.tensor(X), torch.tensor(labels)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(mlp(Xt), yt).backward()
        opt.step()
    mlp.eval()
    for p in mlp.parameters():
        p.requires_grad_(False)
    return mlp


def _first_crossing(model: torch.nn.Module, x: np.ndarray, label: int, angles: np.ndarray,
                    radii: np.ndarray) -> np.ndarray:
    """Per ray direction (angle), the smallest of ``radii`` at which ``model``'s class differs from
    ``label`` (inf where it never does)."""
    dirs = np.stack([np.cos(angles), np.sin(angles)], 1)
    pts = x + radii[:, None, None] * dirs[None]
    with torch.no_grad():
        cls = model(torch.tensor(pts.reshape(-1, 2))).argmax(1).numpy()
    flip = cls.reshape(len(radii), len(angles)) != label
    return np.where(flip.any(0), radii[flip.argmax(0)], np.inf)


def exhaustive_min_distance(model: torch.nn.Module, x: np.ndarray, label: int, *, n_angles: int = 360,
                            r_max: float = 2.5, n_radii: int = 500, refine: int = 3) -> float:
    """The l2 distance from ``x`` (2,) to ``model``'s decision boundary by exhaustive search: the
    first class change along ``n_angles`` rays (radius steps ``r_max / n_radii``), refined around
    the ``refine`` best rays (angle steps a tenth of the coarse ones, about 1000 radius steps up to
    the coarse minimum + 0.01). Good to its resolution; inf if no ray up to ``r_max`` crosses."""
    angles = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    coarse = _first_crossing(model, x, label, angles, np.linspace(0, r_max, n_radii + 1)[1:])
    if not np.isfinite(coarse.min()):
        return float("inf")
    best = angles[np.argsort(coarse)[:refine]]
    fine_ang = (best[:, None] + np.linspace(-1, 1, 21)[None] * (angles[1] - angles[0])).ravel()
    fine_rad = np.linspace(0, coarse.min() + 0.01, 1001)[1:]
    return float(_first_crossing(model, x, label, fine_ang, fine_rad).min())


@dataclass(frozen=True)
class DeepFoolCheck:
    """:func:`check_deepfool` per attacked point: ``ours`` (foolbox's conventions) and ``plain``
    (Corollary 1) :class:`DeepFoolResult`, foolbox's adversarial points ``fb_adv`` (m, 2) and
    success ``fb_ok``, and the exhaustive minimum distance ``ray_min`` (m,)."""

    X: np.ndarray
    ours: list
    plain: list
    fb_adv: np.ndarray
    fb_ok: np.ndarray
    ray_min: np.ndarray

    @property
    def gap_to_foolbox(self) -> float:
        """Largest coordinate difference between our iteration and foolbox's."""
        return float(np.abs(np.array([r.x for r in self.ours]) - self.fb_adv).max())

    @property
    def fb_norms(self) -> np.ndarray:
        return np.linalg.norm(self.fb_adv - self.X, axis=1)

    @property
    def ratio(self) -> np.ndarray:
        """Foolbox DeepFool's perturbation norm over the exhaustive minimum, per point."""
        return self.fb_norms / self.ray_min


def check_deepfool(model: torch.nn.Module, X: np.ndarray, labels: np.ndarray, *, box: float = 100.0,
                   steps: int = 50) -> DeepFoolCheck:
    """Attack ``model`` (two logits, float64) at the points ``X`` (m, 2) of class ``labels`` three
    ways: foolbox's ``L2DeepFoolAttack(overshoot=0.02)`` in ``[-box, box]^2``,
    :func:`deepfool_two_class` with foolbox's conventions (``overshoot=0.02``, ``extra=1e-4``) and
    plain (both zero), with ``g`` the logit difference; and search the true minimum distance
    (:func:`exhaustive_min_distance`)."""
    fb = foolbox()

    def g(x):
        out = model(x[None])[0]
        return out[1] - out[0]

    fm = fb.PyTorchModel(model, bounds=(-box, box))
    fb_adv, fb_ok = foolbox_attack(fm, fb.attacks.L2DeepFoolAttack(steps=steps, overshoot=0.02), X, labels)
    ours = [deepfool_two_class(g, x, steps=steps, overshoot=0.02, extra=1e-4) for x in X]
    plain = [deepfool_two_class(g, x, steps=steps) for x in X]
    ray_min = np.array([exhaustive_min_distance(model, x, lab) for x, lab in zip(X, labels)])
    return DeepFoolCheck(X=np.asarray(X), ours=ours, plain=plain, fb_adv=fb_adv, fb_ok=fb_ok, ray_min=ray_min)


# --- random noise: eq. (3.60) and Theorem 7 over a range of levels

def noise_tail_counts(w: np.ndarray, eps, n_samples: int, rng: np.random.Generator,
                      chunk: int = 20_000_000) -> np.ndarray:
    """Like :func:`noise_success_mc`, for several levels at once: over the same ``n_samples``
    draws ``r ~ N(0, I_d)``, the number of draws with ``(1/d) <w, r> >= eps_k`` for each entry
    of ``eps`` ((K,) array; returns (K,) ints)."""
    w = _vec(w)
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples={n_samples!r} is not accepted; use an integer >= 1")
    rows = max(1, chunk // w.size)
    hits, done = np.zeros(len(eps), dtype=np.int64), 0
    while done < n_samples:
        m = min(rows, n_samples - done)
        mean = rng.standard_normal((m, w.size)) @ w / w.size
        hits += np.count_nonzero(mean[:, None] >= eps[None, :], axis=0)
        done += m
    return hits


def check_erfc(ds, eps: float, n_samples: int, rng: np.random.Generator) -> "pd.DataFrame":
    """eq. (3.60) against Monte Carlo for ``w = 1`` at each dimension of ``ds``: columns ``mc``
    (frequency of ``mean(r) >= eps`` in ``n_samples`` draws), ``erfc`` (:func:`erfc_prediction`)
    and ``z`` (their difference in binomial standard errors, with the error floored at ``1/n``),
    indexed by ``d``."""
    import pandas as pd
    rows = []
    for d in ds:
        k = noise_success_mc(np.ones(int(d)), eps, n_samples, rng)
        p = float(erfc_prediction(int(d), eps))
        se = max(np.sqrt(p * (1 - p) / n_samples), 1 / n_samples)
        rows.append({"d": int(d), "mc": k / n_samples, "erfc": p, "z": abs(k / n_samples - p) / se})
    return pd.DataFrame(rows).set_index("d")


def check_feller_bound(ds, ts, n_samples: int, rng: np.random.Generator, *, alpha: float = 1e-3,
                       bound: Callable[[np.ndarray, float], float] | None = None) -> "pd.DataFrame":
    """Theorem 7 at every dimension ``d`` of ``ds`` and every level ``t`` of ``ts``.

    For each ``d`` draw ``w ~ N(0, I_d)`` and estimate ``P[(1/d) <w, r> >= eps]`` at
    ``eps = t ||w|| / d`` (so that ``t`` is the level in standard deviations of the average) from
    the same ``n_samples`` draws (:func:`noise_tail_counts`). One row per ``(d, t)``: the count,
    the frequency ``p``, its one-sided Clopper-Pearson bounds ``lower`` / ``upper`` at a
    simultaneous level ``1 - alpha`` (Bonferroni: ``alpha / (len(ds) len(ts))`` per row), the
    theorem's ``bound`` (default :func:`feller_bound`; pass another function of ``(w, eps)`` to
    test a wrong one), the exact Gaussian tail ``exact = P[Z >= t]``, and ``holds``: ``lower <=
    bound``, i.e. the data do not refute the bound at that row. ``ts`` must be positive.
    """
    import pandas as pd
    from scipy.stats import norm as normal
    bound = feller_bound if bound is None else bound
    ts = np.asarray(ts, dtype=float)
    if ts.ndim != 1 or ts.size == 0 or not np.all(ts > 0):
        raise ValueError(f"ts={ts!r} is not accepted; use a non-empty 1-D array of levels t > 0")
    per_row = alpha / (len(ds) * len(ts))
    rows = []
    for d in ds:
        w = rng.standard_normal(int(d))
        eps = ts * np.linalg.norm(w) / int(d)
        counts = noise_tail_counts(w, eps, n_samples, rng)
        for t, e, k in zip(ts, eps, counts):
            k = int(k)
            lower, upper = binomial_lower(k, n_samples, per_row), binomial_upper(k, n_samples, per_row)
            b = float(bound(w, float(e)))
            rows.append({"d": int(d), "t": float(t), "count": k, "p": k / n_samples, "lower": lower,
                         "upper": upper, "bound": b, "exact": float(normal.sf(t)), "holds": lower <= b})
    return pd.DataFrame(rows)


def feller_exact_ratio(ts, w=None, bound: Callable[[np.ndarray, float], float] | None = None) -> np.ndarray:
    """Theorem 7 without sampling. For every ``w`` and ``d``, ``(1/d) <w, r>`` with
    ``r ~ N(0, I_d)`` is exactly ``N(0, sigma^2)``, ``sigma = ||w|| / d``, so at the level
    ``t = d eps / ||w||`` the probability ``P_d(eps)`` is the Gaussian tail ``Q(t) = P[Z >= t]``.
    Returns ``Q(t) / bound(w, t ||w|| / d)`` for each ``t`` of ``ts`` (positive; ``bound``
    defaults to :func:`feller_bound`, ``w`` to ``(1,)``): below 1 at every ``t`` means the bound
    holds there. For Feller's bound this is ``t Q(t) / phi(t)`` (``t`` times Mills' ratio), which
    is below 1 for every ``t > 0`` and tends to 1 as ``t`` grows (``1 - 1/t^2 + ...``), so a bound
    ``c`` times Feller's with ``c < 1`` fails at large enough ``t``. Keep ``t`` below ~37, where
    ``exp(-t^2 / 2)`` underflows."""
    from scipy.stats import norm as normal
    bound = feller_bound if bound is None else bound
    w = np.ones(1) if w is None else _vec(w)
    ts = np.asarray(ts, dtype=float)
    if ts.ndim != 1 or ts.size == 0 or not np.all(ts > 0):
        raise ValueError(f"ts={ts!r} is not accepted; use a non-empty 1-D array of levels t > 0")
    scale = float(np.linalg.norm(w)) / w.size
    return np.array([normal.sf(t) / float(bound(w, float(t * scale))) for t in ts])


def feller_trivial_level() -> float:
    """The level ``t*`` (about 0.372) where Feller's bound ``phi(t) / t`` equals 1: below it the
    bound of Theorem 7 exceeds 1 and says nothing (``phi(t) / t`` decreases in ``t``)."""
    from scipy.optimize import brentq
    from scipy.stats import norm as normal
    return float(brentq(lambda t: normal.pdf(t) / t - 1.0, 0.05, 1.0, xtol=1e-14, rtol=1e-14))


def feller_detectable_factor(table: "pd.DataFrame") -> float:
    """From a :func:`check_feller_bound` table: the largest ``lower / bound`` over its rows. A
    wrong bound ``c`` times the tested one is rejected at some row for every ``c`` below this
    factor and at no row for any ``c`` above it: the smallest error this sample size can see is a
    bound lowered to this fraction. Raises ``ValueError`` on an empty table."""
    if len(table) == 0:
        raise ValueError("an empty table is not accepted; pass the rows of check_feller_bound")
    return float((table["lower"] / table["bound"]).max())


# --- Lemma 2.1: problem (4) solved from its definition

def _worst_unit_perturbations(w: np.ndarray, norm: str) -> dict[float, tuple[np.ndarray, float]]:
    """Per class ``c`` in {+1, -1}: the unit-ball direction ``u`` that lowers ``c <w, u>`` the most
    and that largest drop ``-c <w, u>``, from the inner maximisation :func:`ibbook.norms.ball_support`
    (projected gradient ascent on the ball; no dual-norm formula)."""
    return {c: ball_support(-c * w, norm) for c in (1.0, -1.0)}


def robust_radius_by_attack(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, norm: str) -> np.ndarray:
    """Per point, the largest ``eps`` such that no ``||delta|| <= eps`` (``norm``) changes the sign of
    ``y_i (<w, x_i + delta> + b)``, from the definition: the worst perturbation of the unit ball is
    found by :func:`ibbook.norms.ball_support` (projected gradient ascent) and scaled, since the
    ball of radius ``eps`` is ``eps`` times the unit ball. Negative for misclassified points.
    ``X`` (n, d), ``y`` (n,) in {-1, +1}. Lemma 2.1 says it equals :func:`robust_radius`."""
    check_choice("norm", norm, LP_NORMS)
    w, X, y = _vec(w), np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(y, dtype=float)
    drops = _worst_unit_perturbations(w, norm)
    drop = np.where(y > 0, drops[1.0][1], drops[-1.0][1])
    return y * (X @ w + b) / drop


@dataclass(frozen=True)
class RobustByAttacks:
    """:func:`robust_classifier_by_attacks`' answer to problem (4): a classifier ``(w, b)`` (``w``
    in the box ``||w||_inf <= 1``) that withstands every perturbation of size below ``radius``
    (certified by the inner maximisation), and ``upper``: at that size a finite set of ``cuts``
    perturbations (unit-ball directions, per class) already defeats every linear classifier, so
    the optimum of (4) lies in ``[radius, upper]``. ``lps``: linear programs solved."""

    w: np.ndarray
    b: float
    radius: float
    upper: float
    lps: int
    cuts: int


def _robust_lp(X: np.ndarray, y: np.ndarray, eps: float, cuts: dict[float, list], bias: bool):
    """The finite relaxation of problem (4) at radius ``eps``: ``max t`` over ``(w, b, t, s_+, s_-)``
    with ``||w||_inf <= 1``, ``y_i (<w, x_i> + b) + eps s_c >= t`` for the points of class ``c`` and
    ``s_c <= c <w, u>`` for every found direction ``u`` of class ``c`` (the perturbation
    ``delta = eps u``). Returns ``(w, b, t)``. HiGHS, tolerances 1e-10."""
    from scipy.optimize import linprog
    n, d = X.shape
    nv = d + 4  # w, b, t, s_+, s_-
    top = np.zeros((n, nv))
    top[:, :d] = -y[:, None] * X
    top[:, d] = -y if bias else 0.0
    top[:, d + 1] = 1.0
    top[y > 0, d + 2] = -eps
    top[y < 0, d + 3] = -eps
    blocks = [top]
    for c, col in ((1.0, d + 2), (-1.0, d + 3)):
        U = np.array(cuts[c])
        blk = np.zeros((len(U), nv))
        blk[:, :d] = -c * U
        blk[:, col] = 1.0
        blocks.append(blk)
    A = np.vstack(blocks)
    cost = np.zeros(nv)
    cost[d + 1] = -1.0
    bounds = [(-1.0, 1.0)] * d + [(None, None) if bias else (0.0, 0.0)] + [(None, None)] * 3
    res = linprog(cost, A_ub=A, b_ub=np.zeros(len(A)), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise RuntimeError(f"the relaxed robust LP failed: {res.message}")
    return res.x[:d], float(res.x[d]), float(res.x[d + 1])


def robust_classifier_by_attacks(X: np.ndarray, y: np.ndarray, norm: str, *, bias: bool = True,
                                 rtol: float = 1e-6, max_lps: int = 3000) -> RobustByAttacks:
    """Solve Lemma 2.1's problem (4), ``max eps s.t. y_i (<w, x_i + delta> + b) > 0 for all i and
    all ||delta|| <= eps``, from its definition, without the lemma's dual-norm step.

    Robust optimisation by constraint generation: a linear program over ``(w, b)`` sees only the
    perturbations found so far (:func:`_robust_lp`, ``w`` kept in a box since (4) does not change
    when ``(w, b)`` is scaled); after each LP the inner maximisation (projected gradient ascent on
    the ``norm`` ball, :func:`ibbook.norms.ball_support`) finds, per class, the perturbation that
    hurts the LP's classifier most, which joins the LP. Two certified bounds result:

    - *lower*: the robust radius of every LP classifier, by definition
      (:func:`robust_radius_by_attack`); the best is ``radius``;
    - *upper*: a radius at which the LP's best margin is <= 0: no linear classifier withstands
      even the finitely many perturbations found (and at the start, half the smallest ``norm``
      distance between opposite labels, where two points can be moved onto each other).

    The radius tried next is the best certified one (a Newton / Dinkelbach step on the LP's
    margin, which is convex and decreasing in the radius), or just above it, ``(1 + rtol / 2)``
    times, to certify the upper bound; it stops when ``upper - radius <= rtol * upper`` or after
    ``max_lps`` LPs (the bracket is then wider; the caller checks it). ``X`` (n, d), labels ``y``
    (n,) in {-1, +1} of both classes; ``norm`` an l_p norm. Not separable: RuntimeError.
    """
    check_choice("norm", norm, LP_NORMS)
    X, y, pos, neg = _two_class_data(X, y)
    d = X.shape[1]
    upper = float(vector_norm(pos[:, None, :] - neg[None, :, :], norm).min()) / 2
    radius, best = 0.0, None
    cuts = {1.0: [np.zeros(d)], -1.0: [np.zeros(d)]}
    eps, lps = 0.0, 0
    while upper - radius > rtol * upper and lps < max_lps:
        w, b, t_ub = _robust_lp(X, y, eps, cuts, bias)
        lps += 1
        drops = _worst_unit_perturbations(w, norm)
        for c in (1.0, -1.0):
            cuts[c].append(drops[c][0])
        drop = np.where(y > 0, drops[1.0][1], drops[-1.0][1])
        margins = y * (X @ w + b)
        t_lb = float(np.min(margins - eps * drop))  # the LP classifier's true robust margin at eps
        if np.all(drop > 0) and float(np.min(margins / drop)) > radius:
            radius, best = float(np.min(margins / drop)), (w, b)
        if t_ub <= 0:
            upper = min(upper, eps)
            eps = radius
        elif t_lb > 0 and t_ub - t_lb <= 0.1 * t_lb:
            eps = radius  # near-optimal at eps: move to its certified radius
        elif t_ub <= 0.25 * rtol * eps * float(np.max(drop)):
            eps = radius * (1 + rtol / 2)  # margin ~ 0 here: try to certify just above
    if best is None:
        raise RuntimeError("no robust classifier found; are the data linearly separable?")
    return RobustByAttacks(w=best[0], b=float(best[1]), radius=radius, upper=upper, lps=lps,
                           cuts=len(cuts[1.0]) + len(cuts[-1.0]))


def classifier_cosine(w1: np.ndarray, b1: float, w2: np.ndarray, b2: float) -> float:
    """Cosine between the classifiers ``(w1, b1)`` and ``(w2, b2)`` as vectors of R^(d+1): 1 when
    one is a positive multiple of the other (Lemma 2.1's "the same solutions up to scaling")."""
    a, b = np.append(_vec(w1, "w1"), float(b1)), np.append(_vec(w2, "w2"), float(b2))
    if a.shape != b.shape:
        raise ValueError(f"w1 {a.shape[0] - 1} and w2 {b.shape[0] - 1} entries are not accepted; use the same size")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("a zero classifier is not accepted; its direction is undefined")
    return float(a @ b / (na * nb))


def check_lemma21(X: np.ndarray, y: np.ndarray, norm: str, *, margin_norm: str | None = None,
                  rtol: float = 1e-7) -> dict:
    """Lemma 2.1 on one data set for perturbations in ``norm``: problem (4) solved from its
    definition (:func:`robust_classifier_by_attacks`, a certified bracket ``[eq4 lower, eq4 upper]``)
    against the lemma's closed forms, the max-margin value (5) and ``1 / min ||w||`` (6) with
    ``w`` measured in ``margin_norm`` (default: the dual of ``norm``, as the lemma says; another
    norm tests a wrong closed form), both with bias (cvxpy).

    Returns a row: the norms, the bracket, ``eq5``, ``eq6``, ``eq4 gap`` (the larger relative
    distance of the bracket's ends from (5)), ``eq6 gap`` (that of (6)), ``deviation`` (the
    larger of the two), ``LPs`` (of the solve of (4)), ``cos`` (:func:`classifier_cosine` of
    the classifier solving (4) and the max-margin one of (5): the lemma is about the argmax
    sets, not only the values), and the exact attack of
    :func:`max_allowable_attack` on the max-margin classifier at ``(1 -+ 1e-6)`` times its margin:
    ``flips below`` (must be 0) and ``flips above`` (must be >= 1)."""
    from ibbook.convex import max_margin_classifier, min_norm_classifier
    q = DUALS[norm] if margin_norm is None else margin_norm
    rob = robust_classifier_by_attacks(X, y, norm, rtol=rtol)
    mm = max_margin_classifier(X, y, q, bias=True)
    mn = min_norm_classifier(X, y, q, bias=True)
    ref = mm.margin
    eq4_gap = max(abs(rob.radius - ref), abs(rob.upper - ref)) / ref
    eq6_gap = abs(mn.margin - ref) / ref
    row = {"perturbation": norm, "w-norm": q, "eq4 lower": rob.radius, "eq4 upper": rob.upper,
           "eq5": ref, "eq6": mn.margin, "eq4 gap": eq4_gap, "eq6 gap": eq6_gap,
           "deviation": max(eq4_gap, eq6_gap), "LPs": rob.lps,
           "cos": classifier_cosine(rob.w, rob.b, mm.w, mm.b)}
    flips = []
    for f in (1 - 1e-6, 1 + 1e-6):
        adv = np.array([max_allowable_attack(mm.w, x, f * ref, norm, y=yi) for x, yi in zip(X, y)])
        flips.append(int(np.sum(np.sign(adv @ mm.w + mm.b) != y)))
    row["flips below"], row["flips above"] = flips
    return row


def foolbox_vs_radius(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, norm: str, *,
                      box: float = 100.0) -> dict:
    """Foolbox's minimum-norm attack for ``norm`` (l2: DeepFool without overshoot; linf, l1: FMN,
    100 steps) on the linear classifier ``(w, b)`` at the points ``X`` with labels ``y`` in
    {-1, +1}: its success rate and the smallest and largest ratio of its perturbation's norm to
    the exact robust radius (:func:`robust_radius`; a ratio below 1 would beat the theory)."""
    fb = foolbox()
    attack = {"l2": fb.attacks.L2DeepFoolAttack(steps=50, overshoot=0.0),
              "linf": fb.attacks.LInfFMNAttack(steps=100), "l1": fb.attacks.L1FMNAttack(steps=100)}[norm]
    rad = robust_radius(w, X, y, norm, b)
    adv, ok = foolbox_attack(foolbox_model(linear_module(w, b), box), attack, X, (np.asarray(y) > 0).astype(int))
    ratio = vector_norm(adv - X, norm) / rad
    return {"perturbation": norm, "success": float(ok.mean()), "min ratio": float(ratio.min()),
            "max ratio": float(ratio.max())}


# --- implicit robustness of steepest descent, Fourier robustness of linear conv nets

def steepest_descent_robustness(X: np.ndarray, y: np.ndarray, lrs, *, steps: int) -> tuple[list[dict], dict]:
    """Corollary 1 (steepest descent) on one data set: for each geometry ``g`` of ``lrs`` (a
    mapping geometry -> step size, geometries l2, linf, l1), run normalised steepest descent
    (:func:`ibbook.descent.steepest_descent`, no bias) for ``steps`` steps and measure its margin
    in its own norm over the max-margin optimum (:func:`ibbook.convex.max_margin_classifier`) and
    its smallest robust radius against l2, linf and l1 perturbations (:func:`robust_radius`).
    Returns one row per geometry (``geometry``, ``margin / max margin``, ``<p> radius``) and the
    final weights per geometry."""
    from ibbook.convex import margin, max_margin_classifier
    from ibbook.descent import steepest_descent
    rows, ws = [], {}
    for geo, lr in lrs.items():
        tr = steepest_descent(X, y, geometry=geo, lr=lr, steps=steps, normalised=True, n_records=2)
        ws[geo] = tr.w[-1]
        opt = max_margin_classifier(X, y, geo).margin
        rows.append({"geometry": geo, "margin / max margin": margin(ws[geo], X, y, geo) / opt,
                     **{f"{p} radius": robust_radius(ws[geo], X, y, p).min() for p in LP_NORMS}})
    return rows, ws


def check_fourier_dual(n: int, rng: np.random.Generator, *, n_solver: int = 30, n_random: int = 200) -> dict:
    """The Fourier dual-norm identity of Corollary 2 on ``n`` random ``w`` (d uniform in 2..32):
    :func:`fourier_linf_attack`'s ``delta`` reaches ``<w, delta> = ||F w||_1`` with
    ``||F delta||_inf = 1`` (``identity``: the larger relative error), the inverse DFT of the phase
    is real (``imag_part``), a convex solver's supremum over ``||F delta||_inf <= 1`` agrees on the
    first ``n_solver`` (``solver_gap``), and none of ``n_random`` random feasible ``delta`` per
    ``w`` exceeds it (``random_above``)."""
    import cvxpy as cp
    id_err, imag, sup_gap, above = [], [], [], 0
    for i in range(n):
        d = int(rng.integers(2, 33))
        w = rng.standard_normal(d)
        c = np.fft.fft(w, norm="ortho")
        imag.append(np.abs(np.fft.ifft(np.exp(1j * np.angle(c)), norm="ortho").imag).max())
        delta = fourier_linf_attack(w, 1.0)
        fw1 = np.abs(c).sum()
        id_err.append(max(abs(w @ delta - fw1) / fw1, abs(np.abs(np.fft.fft(delta, norm="ortho")).max() - 1)))
        R = rng.standard_normal((n_random, d))
        R /= np.abs(np.fft.fft(R, norm="ortho", axis=1)).max(1, keepdims=True)
        above += int(np.sum(np.abs(R @ w) > fw1 * (1 + 1e-12)))
        if i < n_solver:
            k = np.arange(d)
            ang = 2 * np.pi * np.outer(k, k) / d
            C, S = np.cos(ang) / np.sqrt(d), np.sin(ang) / np.sqrt(d)
            dv = cp.Variable(d)
            prob = cp.Problem(cp.Maximize(w @ dv), [cp.norm(cp.vstack([C @ dv, S @ dv]), 2, axis=0) <= 1])
            prob.solve(solver="CLARABEL")
            sup_gap.append(abs(prob.value - fw1) / fw1)
    return {"identity": float(max(id_err)), "imag_part": float(max(imag)), "solver_gap": float(max(sup_gap)),
            "random_above": above, "n_solver": len(sup_gap)}


def fourier_robustness(X: np.ndarray, y: np.ndarray, *, seed: int, steps: int, lr: float = 0.05) -> tuple[list[dict], dict]:
    """Corollary 2 on one data set: train a two-layer linear circular conv net and a two-layer
    linear FC net (:func:`ibbook.train.fit_exp_loss`, ``step="arc"``) and compare their end-to-end
    predictors, and the min-``||F w||_1`` and min-l2 classifiers, by cosine to the min-``||F w||_1``
    classifier and by Fourier-l-inf and l2 robust radius over the optimum. The exact
    Fourier-l-inf attack at ``(1 -+ 1e-6)`` times a predictor's radius must flip no point / at
    least one (``flips below`` / ``flips above``). Returns one row per predictor and the
    predictors (conv, fc, min ||F.||_1, min l2)."""
    from ibbook.convex import min_norm_classifier
    from ibbook.models import CircularConvLinear, DeepLinearFC
    from ibbook.train import fit_exp_loss
    d = X.shape[1]
    ref_f = min_norm_classifier(X, y, "fourier_l1")
    ref_2 = min_norm_classifier(X, y, "l2")
    betas = {}
    for name, net in (("conv", CircularConvLinear(d, 2, seed=seed)), ("fc", DeepLinearFC(d, 2, seed=seed))):
        fit_exp_loss(net, X, y, steps=steps, lr=lr, step="arc", n_records=2)
        betas[name] = net.beta().detach().numpy()
    betas["min ||F.||_1"], betas["min l2"] = ref_f.w, ref_2.w
    rows = []
    for name, b in betas.items():
        rf = robust_radius(b, X, y, "fourier_linf")
        flips = []
        for f in (1 - 1e-6, 1 + 1e-6):
            adv = np.array([max_allowable_attack(b, x, f * rf.min(), "fourier_linf", y=yi) for x, yi in zip(X, y)])
            flips.append(int(np.sum(np.sign(adv @ b) != y)))
        rows.append({"predictor": name,
                     "cos to min ||F.||_1": b @ ref_f.w / np.linalg.norm(b) / np.linalg.norm(ref_f.w),
                     "Fourier-linf radius / optimum": rf.min() / ref_f.margin,
                     "l2 radius / optimum": robust_radius(b, X, y, "l2").min() / ref_2.margin,
                     "flips below": flips[0], "flips above": flips[1]})
    return rows, betas


def runs_table(checks, runs) -> "pd.DataFrame":
    """The chapter's checks applied to the stored results of several runs, side by side.

    ``checks``: rows ``(claim, key, op, bound, needs)``, ``key`` a path ``"a/b"`` into a run's
    results (as in :mod:`ibbook.sources.protocol`), ``needs`` ``None`` or a key that only a run
    made with the current form of the check has (older runs show ``"older check"``);
    ``runs``: run name -> results mapping. Columns: the bound, then per run its measured
    number and verdict (:data:`VERIFIED`, :data:`NOT_VERIFIED`, ``"not recorded"`` or ``"older
    check"``). Used by: attacks chapter (the full-scale run beside this one)."""
    import pandas as pd

    from ibbook.records import bound as fmt

    def get(results, path):
        for part in path.split("/"):
            if not isinstance(results, dict) or part not in results:
                return None
            results = results[part]
        return results

    out = []
    for claim, key, op, limit, needs in checks:
        check_choice("op", op, tuple(_OPS))
        row = {"claim": claim, "bound": f"{op} {limit:g}"}
        for name, results in runs.items():
            value = get(results, key)
            if needs is not None and get(results, needs) is None:
                row[name], row[f"{name}: verdict"] = "-", "older check"
            elif value is None:
                row[name], row[f"{name}: verdict"] = "-", "not recorded"
            else:
                row[name] = fmt(value, digits=4)
                row[f"{name}: verdict"] = VERIFIED if bool(_OPS[op](value, limit)) else NOT_VERIFIED
        out.append(row)
    return pd.DataFrame(out).set_index("claim")
