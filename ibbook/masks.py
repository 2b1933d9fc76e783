"""Fourier masks: which frequencies of an image a frozen classifier needs, learnt for many images at once.

A mask ``M`` (entries in [0, 1], one per image, channel and frequency) filters an image ``x`` as
``x_F = Re(F^{-1}(M * F x))`` (2-D DFT over the last two axes). Training a mask minimises an
objective of the frozen model's output on ``x_F`` plus a sparsity penalty on ``M``.

Contents:

- parametrisations (:data:`PARAMETRISATIONS`): ``"full"`` stores an ``H×W`` mask per channel, as the
  sources do; only its Hermitian part ``(M(k) + M(-k)) / 2`` acts on a real image
  (:func:`hermitian_part`, :func:`flip_frequencies`). ``"rfft"`` stores the non-redundant half
  ``H×(W//2+1)`` and filters with ``irfft2``, which is the same filter as the Hermitian extension
  :func:`full_mask`; :func:`filter_images` applies either, :func:`mask_shape` gives the shapes,
  :func:`mask_norm` the penalty ``||M||_p`` of the full (effective) mask;
- objectives (:data:`OBJECTIVES`): ``"ce_l1"`` (Basile et al.: cross-entropy with the target label
  plus ``lam ||M||_p``) and ``"exp_gap"`` (the lecture's
  ``exp[(L(x_F) - L(x))^2] + lam ||M||_p``), per sample: :func:`mask_objective`;
- the batched engine :func:`train_masks`: a pool of ``batch_size`` masks trained together by one
  elementwise Adam (one step counter per mask), each mask stopped by its own convergence test and
  replaced by the next image; the summed loss makes each mask's update independent of the others.
  :func:`train_masks_loop` is the sources' one-image-at-a-time loop (``torch.optim.Adam``), kept
  as the reference for tests and the benchmark; :func:`input_gradient_throughput` measures the
  model's own forward + input-gradient rate (the physical limit of the engine);
- statistics: :func:`masked_predict` (logits under ``M`` or its complement ``1 - M``),
  :func:`radial_profile` (mean mask value per frequency ring), :func:`mean_radius`
  (mask-weighted mean radial frequency per mask), :func:`angular_profile` and
  :func:`axis_share` (share of the mask weight per direction of the frequency, beside the
  same for the mask's ring average), :func:`centred` (zero frequency in the middle);
- mask sets for later chapters: :func:`classifier` trains (cached) the chapter's classifiers by
  name, :func:`mask_set` computes (cached under ``<artefacts>/masks``) or loads the essential and
  adversarial masks of a model (and its data set, :data:`CLASSIFIERS`) and attack as a
  :class:`MaskSet` (aligned pairs with image ids, labels, adversarial labels, attack and model);
  :func:`essential_masks` gives all essential masks (:class:`EssentialMasks`). The settings of
  each scale and model are in :data:`MASK_SET_SCALES` (:func:`mask_set_settings`), the models
  with mask sets at each scale in :data:`MASK_SET_MODELS`; the intrinsic-dimension chapter calls
  ``mask_set(model, "linf_fmn", **mask_set_settings(scale, seed, model))`` as the Fourier-mask
  chapter does and gets the same masks back, from the cache or recomputed.

Used by: Fourier-mask chapter (every part), intrinsic-dimension chapter (:func:`mask_set`,
:func:`mask_set_settings`), ``bench/bench_masks.py``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ibbook.params import check_choice

PARAMETRISATIONS = ("full", "rfft")
OBJECTIVES = ("ce_l1", "exp_gap")
NORMS = (1, 2)
#: Adam's constants (torch's defaults, as in the sources).
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


# ----------------------------------------------------------------------------------- the mask layer

def mask_shape(image_shape, param: str = "full") -> tuple[int, int, int]:
    """Shape ``(C, H, W)`` (``"full"``) or ``(C, H, W//2+1)`` (``"rfft"``) of one image's mask."""
    check_choice("param", param, PARAMETRISATIONS)
    c, h, w = (int(v) for v in image_shape[-3:])
    return (c, h, w) if param == "full" else (c, h, w // 2 + 1)


def filter_images(x: torch.Tensor, m: torch.Tensor, param: str = "full") -> torch.Tensor:
    """``x_F = Re(F^{-1}(M * F x))`` for images ``x`` (N×C×H×W) and masks ``m`` (one per image, or
    one broadcast to all). ``param="rfft"``: ``m`` is the half spectrum and the filter is
    ``irfft2(m * rfft2(x))``."""
    check_choice("param", param, PARAMETRISATIONS)
    if param == "full":
        if m.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"a full mask of shape {tuple(m.shape)} does not fit images {tuple(x.shape)}")
        return torch.fft.ifft2(m * torch.fft.fft2(x)).real
    h, w = x.shape[-2:]
    if m.shape[-2:] != (h, w // 2 + 1):
        raise ValueError(f"an rfft mask of shape {tuple(m.shape)} does not fit images {tuple(x.shape)}; "
                         f"use (..., {h}, {w // 2 + 1})")
    return torch.fft.irfft2(m * torch.fft.rfft2(x), s=(h, w))


def flip_frequencies(m: torch.Tensor) -> torch.Tensor:
    """``M(-k)`` for a full mask in torch's FFT layout (index ``-k mod H``, ``-k mod W``)."""
    return torch.roll(torch.flip(m, dims=(-2, -1)), shifts=(1, 1), dims=(-2, -1))


def hermitian_part(m: torch.Tensor) -> torch.Tensor:
    """``(M(k) + M(-k)) / 2``: the part of a real full mask that acts on real images."""
    return 0.5 * (m + flip_frequencies(m))


def full_mask(m: torch.Tensor, width: int, param: str = "full") -> torch.Tensor:
    """The full ``H×W`` mask that filters like ``m``: ``m`` itself for ``"full"``; for ``"rfft"``
    its Hermitian extension ``M(ky, kx) = m(-ky, W - kx)`` for ``kx > W//2``."""
    check_choice("param", param, PARAMETRISATIONS)
    if param == "full":
        return m
    half = m.shape[-1]
    if half != width // 2 + 1:
        raise ValueError(f"an rfft mask with {half} columns does not fit width={width}; expected {width // 2 + 1}")
    n_mirror = width - half  # columns kx = half .. W-1 mirror kx' = W - kx = W-half .. 1
    mirror = flip_frequencies_rows(m[..., 1:1 + n_mirror]).flip(-1)
    return torch.cat([m, mirror], dim=-1)


def flip_frequencies_rows(m: torch.Tensor) -> torch.Tensor:
    """``m(-ky)`` along the row axis (index ``-ky mod H``)."""
    return torch.roll(torch.flip(m, dims=(-2,)), shifts=1, dims=-2)


def _norm_weights(h: int, w: int, param: str, device, dtype) -> torch.Tensor | None:
    """How often each stored entry occurs in the full mask (rfft: 1 for kx = 0 and W/2, else 2)."""
    if param == "full":
        return None
    wt = torch.full((h, w // 2 + 1), 2.0, device=device, dtype=dtype)
    wt[:, 0] = 1.0
    if w % 2 == 0:
        wt[:, -1] = 1.0
    return wt


def mask_norm(m: torch.Tensor, width: int, param: str = "full", p: int = 1) -> torch.Tensor:
    """``||M||_p`` of each mask's full (effective) version, so that ``lam`` means the same in both
    parametrisations; the first axis indexes masks."""
    check_choice("param", param, PARAMETRISATIONS)
    check_choice("p", p, NORMS)
    wt = _norm_weights(m.shape[-2], width, param, m.device, m.dtype)
    a = m.abs() ** p
    if wt is not None:
        a = a * wt
    s = a.flatten(1).sum(1)
    return s if p == 1 else s.sqrt()


def mask_objective(model: nn.Module, x: torch.Tensor, target: torch.Tensor, m: torch.Tensor, *,
                   objective: str = "ce_l1", param: str = "full", lam: float = 0.01, p: int = 1,
                   reference: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample ``(total, fit, penalty)`` for masks ``m`` of images ``x`` with labels ``target``.

    ``"ce_l1"``: ``fit = CE(model(x_F), target)``; ``"exp_gap"``: ``fit = exp[(CE(model(x_F)) -
    reference)^2]`` where ``reference`` is ``CE(model(x), target)`` on the unfiltered images.
    ``penalty = lam ||M||_p`` (:func:`mask_norm`). Nothing is averaged over the batch.
    """
    check_choice("objective", objective, OBJECTIVES)
    xf = filter_images(x, m, param)
    ce = nn.functional.cross_entropy(model(xf), target, reduction="none")
    if objective == "ce_l1":
        fit = ce
    else:
        if reference is None:
            raise ValueError("objective='exp_gap' needs reference (the loss on the unfiltered images)")
        fit = torch.exp((ce - reference) ** 2)
    pen = lam * mask_norm(m, x.shape[-1], param, p)
    return fit + pen, fit, pen


# ---------------------------------------------------------------------------------- batched engine

@dataclass
class MaskResult:
    """Masks trained for ``N`` images: ``masks`` (N×C×H×W or N×C×H×(W//2+1), as stored by
    ``param``), per mask the final ``loss``, ``fit`` and ``penalty`` terms, ``steps`` taken,
    ``converged`` (stopped by the convergence test, not the step cap), ``correct`` (the model
    still predicts the target under the final mask) and the run's ``seconds`` and ``mask_steps``."""

    masks: torch.Tensor
    param: str
    loss: torch.Tensor
    fit: torch.Tensor
    penalty: torch.Tensor
    steps: torch.Tensor
    converged: torch.Tensor
    correct: torch.Tensor
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def mask_steps(self) -> int:
        return int(self.steps.sum())

    def full(self, width: int | None = None) -> torch.Tensor:
        """The effective full masks (N×C×H×W)."""
        w = width if width is not None else (self.masks.shape[-1] if self.param == "full" else None)
        if w is None:
            w = self.settings["width"]
        return full_mask(self.masks, w, self.param)


def _check_settings(objective, param, lam, p, lr, min_steps, max_steps, tol, window, batch_size):
    check_choice("objective", objective, OBJECTIVES)
    check_choice("param", param, PARAMETRISATIONS)
    check_choice("p", p, NORMS)
    for name, value, low in (("min_steps", min_steps, 1), ("max_steps", max_steps, 1), ("window", window, 1),
                             ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {low}")
    if max_steps < min_steps:
        raise ValueError(f"max_steps={max_steps!r} is not accepted; use max_steps >= min_steps={min_steps}")
    if not (lam >= 0 and lr > 0 and tol >= 0):
        raise ValueError(f"lam={lam!r}, lr={lr!r}, tol={tol!r} are not accepted; use lam >= 0, lr > 0, tol >= 0")


def _frozen(model: nn.Module):
    model.eval()
    flags = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    return flags


def _unfreeze(model: nn.Module, flags) -> None:
    for p, f in zip(model.parameters(), flags):
        p.requires_grad_(f)


def _converged(hist: torch.Tensor, steps: torch.Tensor, loss: torch.Tensor, min_steps: int, tol: float,
               window: int) -> torch.Tensor:
    """The sources' test, made relative: after ``min_steps`` steps, the loss differs from the mean
    of the last ``window`` losses by at most ``tol`` times that mean."""
    mean = hist.mean(1)
    return (steps >= min_steps) & ((loss - mean).abs() <= tol * mean.abs())


def train_masks(model: nn.Module, x: torch.Tensor, target: torch.Tensor, *, objective: str = "ce_l1",
                param: str = "full", lam: float = 0.01, p: int = 1, lr: float = 0.01, min_steps: int = 500,
                max_steps: int = 5000, tol: float = 1e-4, window: int = 20, batch_size: int = 64,
                device: torch.device | str = "cpu", progress: bool = True, desc: str = "masks") -> MaskResult:
    """Train one mask per image of ``x`` (N×C×H×W in [0, 1]) so that the frozen ``model`` keeps
    predicting ``target``, ``batch_size`` masks at a time.

    Masks start at 1 (the identity filter). Each step evaluates the per-sample objective
    (:func:`mask_objective`) of every mask in the pool, back-propagates the *sum* (so the
    gradient of a mask is the one it would have alone), takes an elementwise Adam step with each
    mask's own step counter and clamps to [0, 1]. A mask stops when the convergence test holds
    (after ``min_steps`` steps, ``|loss - mean of the last window losses| <= tol * mean``; see
    :func:`_converged`) or after ``max_steps``; its slot is given to the next image. The model's
    batch-norm layers are in eval mode, so a mask's trajectory does not depend on the others.
    """
    _check_settings(objective, param, lam, p, lr, min_steps, max_steps, tol, window, batch_size)
    if len(x) != len(target) or x.ndim != 4:
        raise ValueError(f"x of shape {tuple(x.shape)} and target of length {len(target)} are not accepted; "
                         "use N×C×H×W images and N labels")
    device = torch.device(device)
    flags = _frozen(model)
    model = model.to(device)
    n = len(x)
    shape = mask_shape(x.shape, param)
    out_masks = torch.ones(n, *shape)
    steps_out = torch.zeros(n, dtype=torch.long)
    conv_out = torch.zeros(n, dtype=torch.bool)
    reference = None
    if objective == "exp_gap":
        with torch.no_grad():
            reference = torch.cat([nn.functional.cross_entropy(model(x[i:i + 256].to(device)),
                                                               target[i:i + 256].to(device), reduction="none").cpu()
                                   for i in range(0, n, 256)])
    b1, b2 = ADAM_BETAS
    ids = torch.zeros(0, dtype=torch.long)
    P = torch.zeros(0, *shape, device=device)
    M1, V = torch.zeros_like(P), torch.zeros_like(P)
    T = torch.zeros(0, dtype=torch.long, device=device)
    H = torch.zeros(0, window, device=device)  # ring buffer of recent losses
    xs, ys = x.to(device), target.to(device)
    refs = reference.to(device) if reference is not None else None
    nxt = 0
    tic = time.perf_counter()
    bar = tqdm(total=n, disable=not progress, mininterval=2, desc=desc)
    while nxt < n or len(ids):
        free = batch_size - len(ids)
        if free > 0 and nxt < n:  # refill the pool with fresh masks
            new = torch.arange(nxt, min(n, nxt + free))
            nxt += len(new)
            k = len(new)
            ids = torch.cat([ids, new])
            P = torch.cat([P, torch.ones(k, *shape, device=device)])
            M1 = torch.cat([M1, torch.zeros(k, *shape, device=device)])
            V = torch.cat([V, torch.zeros(k, *shape, device=device)])
            T = torch.cat([T, torch.zeros(k, dtype=torch.long, device=device)])
            H = torch.cat([H, torch.zeros(k, window, device=device)])
        dev_ids = ids.to(device)
        Pv = P.detach().requires_grad_(True)
        total, _, _ = mask_objective(model, xs[dev_ids], ys[dev_ids], Pv, objective=objective, param=param,
                                     lam=lam, p=p, reference=None if refs is None else refs[dev_ids])
        (g,) = torch.autograd.grad(total.sum(), Pv)
        with torch.no_grad():
            loss = total.detach()
            T += 1
            H = torch.roll(H, shifts=-1, dims=1)
            H[:, -1] = loss
            tt = T.to(P.dtype).view(-1, *([1] * len(shape)))
            M1.mul_(b1).add_(g, alpha=1 - b1)
            V.mul_(b2).addcmul_(g, g, value=1 - b2)
            step = lr * (M1 / (1 - b1 ** tt)) / ((V / (1 - b2 ** tt)).sqrt() + ADAM_EPS)
            P = (P - step).clamp_(0.0, 1.0)
            test = _converged(H, T, loss, min_steps, tol, window) & (T >= window)
            done = test | (T >= max_steps)
        if done.any():
            d = done.cpu()
            fin = ids[d]
            out_masks[fin] = P[done].cpu()
            steps_out[fin] = T[done].cpu()
            conv_out[fin] = test[done].cpu()
            keep = ~done
            ids, P, M1, V, T, H = ids[~d], P[keep], M1[keep], V[keep], T[keep], H[keep]
            bar.update(int(d.sum()))
    bar.close()
    seconds = time.perf_counter() - tic
    loss, fit, pen, correct = evaluate_masks(model, x, target, out_masks, objective=objective, param=param,
                                             lam=lam, p=p, reference=reference, device=device)
    _unfreeze(model, flags)
    settings = dict(objective=objective, param=param, lam=lam, p=p, lr=lr, min_steps=min_steps,
                    max_steps=max_steps, tol=tol, window=window, batch_size=batch_size, width=int(x.shape[-1]))
    return MaskResult(masks=out_masks, param=param, loss=loss, fit=fit, penalty=pen, steps=steps_out,
                      converged=conv_out, correct=correct, seconds=seconds, settings=settings)


@torch.no_grad()
def evaluate_masks(model: nn.Module, x: torch.Tensor, target: torch.Tensor, masks: torch.Tensor, *,
                   objective: str = "ce_l1", param: str = "full", lam: float = 0.01, p: int = 1,
                   reference: torch.Tensor | None = None, device: torch.device | str = "cpu",
                   batch_size: int = 256):
    """Per-mask ``(loss, fit, penalty, correct)`` of stored masks (evaluated in batches)."""
    device = torch.device(device)
    model = model.to(device).eval()
    parts = []
    for i in range(0, len(x), batch_size):
        sl = slice(i, i + batch_size)
        xb, yb, mb = x[sl].to(device), target[sl].to(device), masks[sl].to(device)
        ref = None if reference is None else reference[sl].to(device)
        tot, fit, pen = mask_objective(model, xb, yb, mb, objective=objective, param=param, lam=lam, p=p,
                                       reference=ref)
        pred = model(filter_images(xb, mb, param)).argmax(1)
        parts.append(torch.stack([tot, fit, pen, (pred == yb).float()], 1).cpu())
    a = torch.cat(parts) if parts else torch.zeros(0, 4)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3].bool()


def train_masks_loop(model: nn.Module, x: torch.Tensor, target: torch.Tensor, *, objective: str = "ce_l1",
                     param: str = "full", lam: float = 0.01, p: int = 1, lr: float = 0.01, min_steps: int = 500,
                     max_steps: int = 5000, tol: float = 1e-4, window: int = 20,
                     device: torch.device | str = "cpu", progress: bool = False) -> MaskResult:
    """The sources' procedure: one image at a time, a fresh ``nn.Parameter`` mask and
    ``torch.optim.Adam``, clamping after each step, the same convergence test as
    :func:`train_masks`. The reference implementation for tests and the benchmark."""
    _check_settings(objective, param, lam, p, lr, min_steps, max_steps, tol, window, 1)
    device = torch.device(device)
    flags = _frozen(model)
    model = model.to(device)
    shape = mask_shape(x.shape, param)
    masks, steps, conv = [], [], []
    reference = None
    tic = time.perf_counter()
    for i in tqdm(range(len(x)), disable=not progress, mininterval=2, desc="masks, one by one"):
        xi, yi = x[i:i + 1].to(device), target[i:i + 1].to(device)
        ref = None
        if objective == "exp_gap":
            with torch.no_grad():
                ref = nn.functional.cross_entropy(model(xi), yi, reduction="none")
        m = nn.Parameter(torch.ones(1, *shape, device=device))
        opt = torch.optim.Adam([m], lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
        hist: list[float] = []
        t = 0
        while True:
            total, _, _ = mask_objective(model, xi, yi, m, objective=objective, param=param, lam=lam, p=p,
                                         reference=ref)
            opt.zero_grad()
            total.sum().backward()
            opt.step()
            with torch.no_grad():
                m.clamp_(0.0, 1.0)
            t += 1
            hist.append(total.item())
            if t >= window:
                h = torch.tensor(hist[-window:])
                ok = bool(_converged(h.view(1, -1), torch.tensor([t]), torch.tensor([hist[-1]]), min_steps, tol,
                                     window)[0])
            else:
                ok = False
            if ok or t >= max_steps:
                break
        masks.append(m.detach().cpu()[0])
        steps.append(t)
        conv.append(ok)
    seconds = time.perf_counter() - tic
    out = torch.stack(masks) if masks else torch.ones(0, *shape)
    if objective == "exp_gap":
        with torch.no_grad():
            reference = nn.functional.cross_entropy(model(x.to(device)), target.to(device), reduction="none").cpu()
    loss, fit, pen, correct = evaluate_masks(model, x, target, out, objective=objective, param=param, lam=lam,
                                             p=p, reference=reference, device=device)
    _unfreeze(model, flags)
    settings = dict(objective=objective, param=param, lam=lam, p=p, lr=lr, min_steps=min_steps,
                    max_steps=max_steps, tol=tol, window=window, batch_size=1, width=int(x.shape[-1]))
    return MaskResult(masks=out, param=param, loss=loss, fit=fit, penalty=pen, steps=torch.tensor(steps),
                      converged=torch.tensor(conv), correct=correct, seconds=seconds, settings=settings)


def first_step_gradients(model: nn.Module, x: torch.Tensor, target: torch.Tensor, *, batched: bool,
                         objective: str = "ce_l1", param: str = "full", lam: float = 0.01, p: int = 1,
                         dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
    """Gradient of the objective at ``M = 1`` for every image: in one batch (summed loss) or
    one image at a time. Equal up to rounding when the engine's losses are independent; in
    ``float64`` (the default, on a copy of the model) rounding is far below 1e-6, whereas float32
    convolutions pick different kernels for different batch sizes (differences near 1e-3)."""
    import copy

    device = torch.device(device)
    model = copy.deepcopy(model).to(device=device, dtype=dtype)
    flags = _frozen(model)
    shape = mask_shape(x.shape, param)
    xs, ys = x.to(device=device, dtype=dtype), target.to(device)
    ref = None
    if objective == "exp_gap":
        with torch.no_grad():
            ref = nn.functional.cross_entropy(model(xs), ys, reduction="none")
    chunks = [slice(0, len(x))] if batched else [slice(i, i + 1) for i in range(len(x))]
    grads = []
    for sl in chunks:
        m = torch.ones(sl.stop - sl.start, *shape, device=device, dtype=dtype, requires_grad=True)
        tot, _, _ = mask_objective(model, xs[sl], ys[sl], m, objective=objective, param=param, lam=lam, p=p,
                                   reference=None if ref is None else ref[sl])
        (g,) = torch.autograd.grad(tot.sum(), m)
        grads.append(g.cpu())
    _unfreeze(model, flags)
    return torch.cat(grads)


def input_gradient_throughput(model: nn.Module, x: torch.Tensor, target: torch.Tensor, *, seconds: float = 3.0,
                              device: torch.device | str = "cpu") -> float:
    """Images per second of the model's forward pass plus the cross-entropy gradient with respect to
    its input, at the batch size ``len(x)``: the most a mask step can cost less than."""
    device = torch.device(device)
    flags = _frozen(model)
    model = model.to(device)
    xs, ys = x.to(device), target.to(device)

    def one():
        xi = xs.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(nn.functional.cross_entropy(model(xi), ys, reduction="sum"), xi)
        return g

    one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    n, tic = 0, time.perf_counter()
    while time.perf_counter() - tic < seconds or n < 3:
        one()
        n += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    rate = n * len(x) / (time.perf_counter() - tic)
    _unfreeze(model, flags)
    return rate


# ------------------------------------------------------------------------------------- statistics

@torch.no_grad()
def masked_predict(model: nn.Module, x: torch.Tensor, full_masks: torch.Tensor, *, complement: bool = False,
                   batch_size: int = 256, device: torch.device | str = "cpu") -> torch.Tensor:
    """Logits of ``model`` on images filtered by their full masks (or by ``1 - M`` with
    ``complement=True``)."""
    device = torch.device(device)
    model = model.to(device).eval()
    out = []
    for i in range(0, len(x), batch_size):
        m = full_masks[i:i + batch_size].to(device)
        out.append(model(filter_images(x[i:i + batch_size].to(device), 1 - m if complement else m)).cpu())
    return torch.cat(out)


def centred(full_masks: torch.Tensor) -> torch.Tensor:
    """Masks with the zero frequency moved to the centre (for pictures)."""
    return torch.fft.fftshift(full_masks, dim=(-2, -1))


def _radius(h: int, w: int) -> torch.Tensor:
    ky = torch.fft.fftfreq(h) * h
    kx = torch.fft.fftfreq(w) * w
    return torch.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)


def radial_profile(full_masks: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean mask value in unit-wide frequency rings (``i - 0.5 <= |k| < i + 0.5``, cycles per
    image), averaged over masks and channels: ``(ring radius, mean value)`` for each mask
    (array N×R)."""
    h, w = full_masks.shape[-2:]
    ring = torch.round(_radius(h, w)).long().flatten()
    n_rings = int(ring.max()) + 1
    vals = full_masks.float().mean(1).flatten(1)  # N×(H*W), channel mean
    sums = torch.zeros(len(vals), n_rings).index_add_(1, ring, vals)
    counts = torch.bincount(ring, minlength=n_rings).float()
    return np.arange(n_rings), (sums / counts).numpy()


def mean_radius(full_masks: torch.Tensor) -> np.ndarray:
    """Mask-weighted mean radial frequency ``sum |k| M(k) / sum M(k)`` of each mask (cycles per image)."""
    h, w = full_masks.shape[-2:]
    r = _radius(h, w)
    m = full_masks.float().sum(1)
    return ((m * r).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1e-12)).numpy()


def _angle(h: int, w: int) -> torch.Tensor:
    """Angle of every frequency of a full mask (FFT layout) in degrees, folded to [0, 180), since
    ``M(k)`` and ``M(-k)`` act together; 0 is the horizontal frequency axis (``k_y = 0``)."""
    ky = (torch.fft.fftfreq(h) * h)[:, None].double()
    kx = (torch.fft.fftfreq(w) * w)[None, :].double()
    return torch.rad2deg(torch.atan2(ky, kx)).remainder(180.0)


def _check_bins(n_bins) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 2 or n_bins % 2:
        raise ValueError(f"n_bins={n_bins!r} is not accepted; use an even integer >= 2")


def angular_profile(full_masks: torch.Tensor, n_bins: int = 8, *,
                    isotropic: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Share of each mask's weight (channel mean, zero frequency left out) in ``n_bins`` sectors
    of ``180 / n_bins`` degrees, the first centred on the horizontal axis (so 0 and 90 degrees,
    the two frequency axes, sit in the middle of a sector): ``(sector centre in degrees,
    shares)``, shares N×n_bins summing to 1 per mask (0 for an all-zero mask).

    ``isotropic=True`` gives the same for the mask's ring average (every frequency replaced by
    the mean of its ring, :func:`radial_profile`): what a mask with the same radial profile and
    no preferred direction would give on this grid. Low frequencies are few and sit mostly on
    the axes, so the two must be compared, not the shares with ``1 / n_bins``.

    Used by: Fourier-mask chapter (angular distribution of the masks of natural, PGD-trained
    and augmented networks)."""
    _check_bins(n_bins)
    if full_masks.ndim != 4:
        raise ValueError(f"masks of shape {tuple(full_masks.shape)} are not accepted; use N×C×H×W full masks")
    h, w = full_masks.shape[-2:]
    vals = full_masks.double().mean(1)
    ring = torch.round(_radius(h, w)).long()
    if isotropic:
        sums = torch.zeros(len(vals), int(ring.max()) + 1, dtype=vals.dtype)
        sums.index_add_(1, ring.flatten(), vals.flatten(1))
        means = sums / torch.bincount(ring.flatten()).to(vals.dtype)
        vals = means[:, ring]
    width = 180.0 / n_bins
    sector = torch.floor((_angle(h, w) + width / 2) / width).long() % n_bins
    keep = _radius(h, w) > 0
    flat = vals.flatten(1)[:, keep.flatten()]
    out = torch.zeros(len(vals), n_bins, dtype=vals.dtype).index_add_(1, sector[keep], flat)
    out = out / out.sum(1, keepdim=True).clamp_min(1e-300)
    return np.arange(n_bins) * width, out.numpy()


def axis_share(full_masks: torch.Tensor, n_bins: int = 8, *, isotropic: bool = False) -> np.ndarray:
    """Share of each mask's weight (zero frequency left out) in the two sectors of
    :func:`angular_profile` centred on the frequency axes (0 and 90 degrees).

    Used by: Fourier-mask chapter (one number for how much the masks prefer the axes)."""
    _, shares = angular_profile(full_masks, n_bins, isotropic=isotropic)
    return shares[:, 0] + shares[:, n_bins // 2]


# ------------------------------------------------------------------------------------ mask sets

#: Classifiers of the chapter and the data they are trained on (see :func:`classifier`).
CLASSIFIERS = {"resnet20": "cifar10", "cct7": "cifar10", "resnet18_imagenette": "imagenette", "vgg11_gray": "imagenette"}


def classifier(name: str, *, n_train: int | None, epochs: int, seed: int = 0, size: int | None = None,
               batch_size: int = 128, augment: str = "flip_crop", adversarial: dict | None = None,
               data_root=None, device: torch.device | str = "cpu", progress: bool = True):
    """Train (or load from the cache) the classifier ``name`` of :data:`CLASSIFIERS` on its data set.

    Recipes (Basile et al., appendix A.1, without pretrained weights, which are not available
    offline): ResNet-20: SGD, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 after 50 % and
    75 % of the epochs (its 200-epoch recipe, scaled); ResNet-18: Adam as in the source, lr 1e-3
    (constant: the source's cyclic schedule peaks at 1e-2 for a fine-tuned head only); VGG11
    (with batch norm, from scratch): Adam, lr 1e-4; CCT-7 (from scratch): Adam, lr 5e-4; no drops
    for the Adam recipes, which use torch's fused Adam kernel (``"adam_fused"`` of
    :func:`ibbook.train.train_classifier`). ``n_train`` class-stratified training images (None: all); ``size``
    resizes Imagenette; ``batch_size`` images per step (128; smaller for few images, so that a
    short run takes more steps); random flips and crops unless ``augment`` says otherwise;
    ``adversarial`` as in :func:`ibbook.train.train_classifier`.
    Returns ``(Trained, ImageData of the training set)``.
    """
    from ibbook import models
    from ibbook.data import load_cifar10, load_imagenette
    from ibbook.train import train_classifier

    check_choice("model", name, tuple(CLASSIFIERS))
    gray = name == "vgg11_gray"
    if CLASSIFIERS[name] == "cifar10":
        data = load_cifar10("train", n=n_train, seed=seed, data_root=data_root)
    else:
        data = load_imagenette("train", n=n_train, seed=seed, data_root=data_root, size=size, grayscale=gray)
    drops = (max(1, epochs // 2), max(1, (3 * epochs) // 4)) if epochs >= 4 else ()
    opt = dict(optimizer="sgd", lr=0.1, weight_decay=1e-4)
    adam_lr = {"cct7": 5e-4, "resnet18_imagenette": 1e-3, "vgg11_gray": 1e-4}
    if name in adam_lr:
        opt = dict(optimizer="adam_fused", lr=adam_lr[name], weight_decay=0.0)
        drops = ()
    kw = {"num_classes": 10}
    key = {"model": name, "dataset": CLASSIFIERS[name], "size": size, "variant": data.variant}
    trained = train_classifier(lambda: models.build_model(name, **kw), data.x, data.y, key=key, epochs=epochs,
                               batch_size=batch_size, lr_drops=tuple(sorted(set(drops))), augment=augment,
                               adversarial=adversarial, seed=seed, device=device, progress=progress, **opt)
    return trained, data


#: The mask steps of every mask set at each scale (the sources': at least 500 steps, at most
#: 5000, tolerance 1e-5; the small scale cuts them so that a CPU runs the chapter in minutes).
_MASK_STEPS = {"small": dict(min_steps=100, max_steps=200, tol=1e-4, batch_size=64),
               "medium": dict(min_steps=100, max_steps=300, tol=1e-4, batch_size=64),
               "full": dict(min_steps=500, max_steps=5000, tol=1e-5, batch_size=256)}

#: Settings of the mask sets (classifier training and mask training) per scale and model, the
#: keyword arguments of :func:`mask_set` and :func:`essential_masks` apart from ``seed``:
#: ``n_train`` training images and ``epochs`` of the classifier (:func:`classifier`), ``size``
#: (Imagenette side in pixels), ``n_test`` test images that get masks (None: the whole split),
#: and the mask steps. ``full`` is the sources' scale (all training images, whole test split;
#: the epochs of a from-scratch training, since no pretrained weights are available offline).
#: Used by: Fourier-mask chapter (computes the mask sets), intrinsic-dimension chapter (loads
#: the same ones from the cache, or recomputes them), through :func:`mask_set_settings`.
MASK_SET_SCALES = {
    "small": {
        "resnet20": dict(n_train=3000, epochs=4, n_test=60, **_MASK_STEPS["small"]),
        "cct7": dict(n_train=500, epochs=1, train_batch=32, n_test=60, **_MASK_STEPS["small"]),
        "resnet18_imagenette": dict(n_train=1000, epochs=4, size=64, train_batch=32, n_test=60,
                                    **_MASK_STEPS["small"]),
        # VGG11's 25088x4096 head makes each step costly: larger batches, 100 mask steps
        "vgg11_gray": dict(n_train=1000, epochs=3, size=32, train_batch=64, n_test=60,
                           **{**_MASK_STEPS["small"], "max_steps": 100}),
    },
    # a CPU run of about half an hour: stronger classifiers and 100-200 mask pairs per attack
    "medium": {
        "resnet20": dict(n_train=8000, epochs=8, n_test=250, **_MASK_STEPS["medium"]),
        "cct7": dict(n_train=500, epochs=1, train_batch=32, n_test=60, **_MASK_STEPS["medium"]),
        "resnet18_imagenette": dict(n_train=2000, epochs=6, size=64, train_batch=32, n_test=120,
                                    **_MASK_STEPS["medium"]),
        "vgg11_gray": dict(n_train=1000, epochs=3, size=32, train_batch=64, n_test=60,
                           **{**_MASK_STEPS["medium"], "max_steps": 100}),
    },
    "full": {
        "resnet20": dict(n_train=50000, epochs=200, n_test=10000, **_MASK_STEPS["full"]),
        "cct7": dict(n_train=50000, epochs=200, n_test=10000, **_MASK_STEPS["full"]),
        "resnet18_imagenette": dict(n_train=None, epochs=40, size=224, n_test=None, **_MASK_STEPS["full"]),
        "vgg11_gray": dict(n_train=None, epochs=40, size=224, n_test=None, **_MASK_STEPS["full"]),
    },
}


#: The models whose mask sets (essential and adversarial, every attack) each scale computes.
#: CCT-7 needs about 0.1 s per mask step and image on two CPU cores, so its mask sets are left to
#: the full scale; at the small and medium scales it is trained for its accuracy alone, and VGG11 (grayscale)
#: gets essential masks only (the lecture's mask-against-complement test) at every scale.
#: Used by: Fourier-mask and intrinsic-dimension chapters.
MASK_SET_MODELS = {"small": ("resnet20", "resnet18_imagenette"),
                   "medium": ("resnet20", "resnet18_imagenette"),
                   "full": ("resnet20", "cct7", "resnet18_imagenette")}


def mask_set_settings(scale: str, seed: int, model: str = "resnet20") -> dict:
    """The keyword arguments of :func:`mask_set` for ``model`` at ``scale`` (a key of
    :data:`MASK_SET_SCALES`) with ``seed``: pass them as ``mask_set(model, attack, **settings)``.

    Used by: Fourier-mask chapter and intrinsic-dimension chapter (the same mask sets)."""
    check_choice("scale", scale, MASK_SET_SCALES)
    check_choice("model", model, MASK_SET_SCALES[scale])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} is not accepted; use a non-negative integer")
    return {**MASK_SET_SCALES[scale][model], "seed": int(seed)}


@dataclass
class MaskSet:
    """Essential and adversarial masks of the same images, for one model and attack.

    ``essential[i]`` and ``adversarial[i]`` are full masks (C×H×W, torch FFT layout, zero frequency
    at index 0) of test image ``image_ids[i]`` (row of the whole test split; ``rows[i]`` is its
    position in the ``n_test`` subset) with label ``labels[i]``; the attack's perturbation
    ``delta[i]`` turned it into class ``adv_labels[i]``. Only images that the model classified
    correctly, that the attack fooled, and whose two masks both keep their target class are kept.
    ``counts`` says how many images survived each filter, ``attack_stats`` the attack's success
    rate, median norms and the l-infinity norm of every fooled image; ``config`` is the cache key.
    """

    essential: torch.Tensor
    adversarial: torch.Tensor
    image_ids: torch.Tensor
    rows: torch.Tensor
    labels: torch.Tensor
    adv_labels: torch.Tensor
    delta: torch.Tensor
    attack: str
    model: str
    counts: dict
    attack_stats: dict
    config: dict
    essential_steps: torch.Tensor
    adversarial_steps: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def dataset(self) -> str:
        """The data set of the images (:data:`CLASSIFIERS`)."""
        return CLASSIFIERS[self.model]

    def describe(self) -> str:
        c = self.counts
        return (f"{self.model} ({self.dataset}), {self.attack}: {len(self)} mask pairs ({c['images']} test "
                f"images, {c['correct']} correct, {c['fooled']} fooled)")


@dataclass
class EssentialMasks:
    """Essential masks (full, C×H×W) of the correctly classified images among ``n_test`` test
    images: ``rows`` in the subset, ``image_ids`` in the split, ``labels``, ``kept`` (the
    model still predicts the label under the mask), ``steps``, ``converged``, ``loss``."""

    masks: torch.Tensor
    rows: torch.Tensor
    image_ids: torch.Tensor
    labels: torch.Tensor
    kept: torch.Tensor
    steps: torch.Tensor
    converged: torch.Tensor
    loss: torch.Tensor
    model: str
    config: dict

    @property
    def dataset(self) -> str:
        """The data set of the images (:data:`CLASSIFIERS`)."""
        return CLASSIFIERS[self.model]


_PIPELINE_DEFAULTS = dict(n_train=4000, epochs=5, n_test=100, param="full", objective="ce_l1", lam=0.01, lr=0.01,
                          min_steps=500, max_steps=5000, tol=1e-4, batch_size=64, size=None, seed=0,
                          train_batch=128)


def _check_dataset(model: str, dataset: str | None) -> None:
    """``dataset`` (when given) must be the one ``model`` is trained on."""
    check_choice("model", model, tuple(CLASSIFIERS))
    if dataset is not None and dataset != CLASSIFIERS[model]:
        raise ValueError(f"dataset={dataset!r} is not accepted for model={model!r}; use "
                         f"{CLASSIFIERS[model]!r} (or None)")


def _pipeline(model, *, n_train, epochs, n_test, param, objective, lam, lr, min_steps, max_steps, tol, batch_size,
              size, seed, train_batch, data_root, device, progress, recompute):
    from ibbook.cache import cached
    from ibbook.data import load_cifar10, load_imagenette
    from ibbook.train import predict

    check_choice("model", model, tuple(CLASSIFIERS))
    device = torch.device(device)
    trained, _ = classifier(model, n_train=n_train, epochs=epochs, seed=seed, size=size, batch_size=train_batch,
                            data_root=data_root, device=device, progress=progress)
    net = trained.model
    if CLASSIFIERS[model] == "cifar10":
        test = load_cifar10("test", n=n_test, seed=seed + 1, data_root=data_root)
    else:
        test = load_imagenette("val", n=n_test, seed=seed + 1, data_root=data_root, size=size,
                               grayscale=model == "vgg11_gray")
    mset = dict(param=param, objective=objective, lam=lam, lr=lr, min_steps=min_steps, max_steps=max_steps,
                tol=tol)
    base = {"format": 1, "model": model, "train": trained.config, "n_test": n_test, "seed": seed, **mset}

    def essential():
        ok = predict(net, test.x, device=device).argmax(1) == test.y
        r = train_masks(net, test.x[ok], test.y[ok], batch_size=batch_size, device=device, progress=progress,
                        desc="essential masks", **mset)
        return {"rows": torch.nonzero(ok).flatten(), "masks": r.full(int(test.x.shape[-1])).half(),
                "correct": r.correct, "steps": r.steps, "converged": r.converged, "loss": r.loss}

    ess = cached("masks", {**base, "kind": "essential"}, essential, recompute=recompute)
    return net, test, base, mset, ess


def essential_masks(model: str = "resnet20", *, dataset: str | None = None, data_root=None,
                    device: torch.device | str = "cpu", progress: bool = True, recompute: bool = False,
                    **settings) -> EssentialMasks:
    """The essential masks of :func:`mask_set` alone (same settings, same cache entry)."""
    _check_dataset(model, dataset)
    _check_keys(settings)
    kw = {**_PIPELINE_DEFAULTS, **settings}
    _, test, base, _, ess = _pipeline(model, data_root=data_root, device=device, progress=progress,
                                      recompute=recompute, **kw)
    rows = ess["rows"]
    return EssentialMasks(masks=ess["masks"].float(), rows=rows, image_ids=torch.as_tensor(test.indices)[rows],
                          labels=test.y[rows], kept=ess["correct"], steps=ess["steps"], converged=ess["converged"],
                          loss=ess["loss"], model=model, config={**base, "kind": "essential"})


def _check_keys(settings: dict) -> None:
    bad = set(settings) - set(_PIPELINE_DEFAULTS)
    if bad:
        raise ValueError(f"settings {sorted(bad)} are not accepted; use {', '.join(sorted(_PIPELINE_DEFAULTS))}")


def mask_set(model: str = "resnet20", attack: str = "linf_fmn", *, dataset: str | None = None,
             eps: float | None = None, attack_steps: int | None = None, data_root=None,
             device: torch.device | str = "cpu", progress: bool = True, recompute: bool = False,
             **settings) -> MaskSet:
    """Essential and adversarial Fourier masks of ``model`` (see :func:`classifier`; ``dataset``,
    when given, is checked against the data set ``model`` is trained on, :data:`CLASSIFIERS`) under
    ``attack`` (a name of :data:`ibbook.attacks.IMAGE_ATTACKS`, foolbox defaults; ``eps`` for
    fixed-budget attacks, ``attack_steps`` to change the number of steps), on ``n_test``
    class-stratified test images, cached under ``<artefacts>/masks``.

    ``settings`` (defaults in brackets; :func:`mask_set_settings` gives each scale's): ``n_train``
    (4000), ``epochs`` (5) and ``train_batch`` (128; images per training step) of the classifier,
    ``n_test`` (100), ``seed`` (0), ``size`` (None; Imagenette side), and the mask settings of
    :func:`train_masks`: ``param`` ("full"), ``objective`` ("ce_l1"), ``lam`` (0.01), ``lr`` (0.01),
    ``min_steps`` (500), ``max_steps`` (5000), ``tol`` (1e-4), ``batch_size`` (64; not part of the
    cache key). The essential masks are cached once per model and mask settings (shared by all
    attacks), the adversarial ones per attack; calling again with the same arguments loads them.
    """
    from ibbook import attacks as atk
    from ibbook.cache import cached

    _check_dataset(model, dataset)
    check_choice("attack", attack, atk.IMAGE_ATTACKS)
    _check_keys(settings)
    kw = {**_PIPELINE_DEFAULTS, **settings}
    net, test, base, mset, ess = _pipeline(model, data_root=data_root, device=device, progress=progress,
                                           recompute=recompute, **kw)

    def adversarial():
        a = atk.image_attack(attack, steps=attack_steps) if attack_steps is not None else attack
        res = atk.attack_images(net, test.x, test.y, a, eps=eps, device=device, seed=kw["seed"], progress=progress)
        ok = res.success
        xa = (test.x + res.delta).clamp(0, 1)
        r = train_masks(net, xa[ok], res.adv_label[ok], batch_size=kw["batch_size"], device=device,
                        progress=progress, desc=f"adversarial masks ({attack})", **mset)
        return {"rows": torch.nonzero(ok).flatten(), "adv_label": res.adv_label, "delta": res.delta,
                "clean_correct": res.clean_correct, "success_rate": res.success_rate,
                "linf": res.norms(float("inf"))[ok], "l2": res.norms(2)[ok],
                "masks": r.full(int(test.x.shape[-1])).half(), "correct": r.correct, "steps": r.steps}

    adv = cached("masks", {**base, "kind": "adversarial", "attack": attack, "eps": eps,
                           "attack_steps": attack_steps}, adversarial, recompute=recompute)
    ess_pos = {int(r): i for i, r in enumerate(ess["rows"])}
    pairs = [(int(r), ess_pos[int(r)], j) for j, r in enumerate(adv["rows"])
             if int(r) in ess_pos and bool(ess["correct"][ess_pos[int(r)]]) and bool(adv["correct"][j])]
    rows = torch.tensor([p[0] for p in pairs], dtype=torch.long)
    ei = torch.tensor([p[1] for p in pairs], dtype=torch.long)
    ai = torch.tensor([p[2] for p in pairs], dtype=torch.long)
    counts = {"images": len(test), "correct": len(ess["rows"]), "essential_kept": int(ess["correct"].sum()),
              "fooled": len(adv["rows"]), "adversarial_kept": int(adv["correct"].sum()), "pairs": len(pairs)}
    has = len(adv["linf"]) > 0
    stats = {"success_rate": float(adv["success_rate"]),
             "linf_median": float(adv["linf"].median()) if has else float("nan"),
             "l2_median": float(adv["l2"].median()) if has else float("nan"),
             "linf_norms": adv["linf"].tolist()}
    return MaskSet(essential=ess["masks"][ei].float(), adversarial=adv["masks"][ai].float(),
                   image_ids=torch.as_tensor(test.indices)[rows], rows=rows, labels=test.y[rows],
                   adv_labels=adv["adv_label"][rows], delta=adv["delta"][rows], attack=attack, model=model,
                   counts=counts, attack_stats=stats,
                   config={**base, "attack": attack, "eps": eps, "attack_steps": attack_steps},
                   essential_steps=ess["steps"][ei], adversarial_steps=adv["steps"][ai])
