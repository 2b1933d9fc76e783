"""The batched mask engine: many masks trained together by one elementwise Adam, each with its own
step counter and convergence test; the sources' one-image loop as the reference.

Part of :mod:`ibbook.masks`. Source: 003 (Basile et al. 2024), section 4 and appendix (Adam, lr 0.01,
at least 500 steps, trained until convergence).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ibbook.params import check_choice

from .layer import (ADAM_BETAS, ADAM_EPS, NORMS, OBJECTIVES, PARAMETRISATIONS, filter_images, full_mask,
                    mask_objective, mask_shape)


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
