"""Breakpoints of ReLU networks along straight paths in input space.

A ReLU network is continuous and piecewise affine: inside a region where no unit changes its
on/off state the network is an affine map, and its slope changes only where a path crosses the
*breakplane* of some unit. Ortega Caro et al. (2020) compare, along the segment from an image
``x`` to ``x + delta`` (adversarial) and to ``x + r`` (random, same Euclidean norm), how many units
change state and how much the direction of the logits' gradient turns.

Definitions used here (the sources give none precisely), for a path ``x_t = x + t d`` sampled at
``t_0 = 0 < t_1 < ... < t_{T-1} = 1`` (equally spaced):

* **ReLU changes**: the fraction of ReLU units whose state (pre-activation ``> 0``) at some
  sampled point differs from their state at ``x``; 0 when the segment stays in one linear region,
  at most 1.
* **roughness** of logit ``c``: ``1 - mean_{k >= 1} cos(grad f_c(x_{t_k}), grad f_c(x))``; exactly
  0 when the gradient does not turn along the path (an affine piece), at most 2.

Used by: learning-dynamics chapter.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

#: The torch callables through which every ReLU of torch's layers and functions passes.
_RELUS = (torch.relu, torch.relu_, torch.nn.functional.relu, torch.nn.functional.relu_, torch.Tensor.relu,
          torch.Tensor.relu_)


class ReluRecorder(TorchFunctionMode):
    """Inside ``with ReluRecorder() as rec: model(x)``, ``rec.states`` collects, for every ReLU call
    in order, the boolean map ``input > 0`` flattened per input row (``nn.ReLU`` modules and
    functional ``torch.relu`` alike, so no hooks on modules are needed)."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[torch.Tensor] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _RELUS:
            self.states.append((args[0] > 0).detach().flatten(1))
        return func(*args, **(kwargs or {}))


def relu_states(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """On/off state of every ReLU unit of ``model`` at each input row: a bool tensor (N, units).

    Raises a ``ValueError`` if the forward pass calls no ReLU (the notion does not apply)."""
    with torch.no_grad(), ReluRecorder() as rec:
        model(x)
    if not rec.states:
        raise ValueError(f"model {type(model).__name__} calls no ReLU; relu_states needs a ReLU network")
    return torch.cat(rec.states, dim=1)


def count_relu_units(model: torch.nn.Module, shape) -> int:
    """Number of ReLU units ``model`` evaluates on one input of ``shape`` (e.g. (3, 32, 32))."""
    return relu_states(model, torch.zeros(1, *shape)).shape[1]


def path_points(x: torch.Tensor, direction: torch.Tensor, n_points: int) -> torch.Tensor:
    """``x + t * direction`` at ``n_points`` equally spaced ``t`` from 0 to 1: shape (N, T, *x.shape[1:])."""
    _check_path(x, direction, n_points)
    t = torch.linspace(0, 1, n_points, dtype=x.dtype, device=x.device)
    return x.unsqueeze(1) + t.view(1, -1, *[1] * (x.dim() - 1)) * direction.unsqueeze(1)


def _check_path(x: torch.Tensor, direction: torch.Tensor, n_points: int) -> None:
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ValueError(f"n_points={n_points!r} is not accepted; use an integer >= 2")
    if x.shape != direction.shape:
        raise ValueError(f"direction has shape {tuple(direction.shape)} and x {tuple(x.shape)}; give the same shape")


def random_directions(delta: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gaussian directions with, row by row, the same Euclidean norm as ``delta``."""
    r = torch.randn(delta.shape, generator=generator, dtype=delta.dtype)
    norm = lambda v: torch.linalg.vector_norm(v.flatten(1), dim=1).view(-1, *[1] * (v.dim() - 1))  # noqa: E731
    return r / norm(r) * norm(delta)


def _chunks(n: int, per: int):
    for i in range(0, n, max(1, per)):
        yield slice(i, min(n, i + max(1, per)))


def relu_changes(model: torch.nn.Module, x: torch.Tensor, direction: torch.Tensor, *, n_points: int = 16,
                 batch_size: int = 512, device: torch.device | str = "cpu") -> np.ndarray:
    """Per input, the fraction of ReLU units whose state somewhere on ``x -> x + direction``
    (``n_points`` samples) differs from their state at ``x`` (see the module docstring)."""
    device = torch.device(device)
    model = model.to(device).eval()
    _check_path(x, direction, n_points)
    out = []
    for sl in _chunks(len(x), batch_size // n_points):  # points built per chunk
        p = path_points(x[sl], direction[sl], n_points).to(device)
        s = relu_states(model, p.flatten(0, 1)).view(len(p), n_points, -1)
        out.append((s != s[:, :1]).any(dim=1).float().mean(dim=1).cpu())
    return torch.cat(out).numpy()


def logit_gradients(model: torch.nn.Module, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """``grad_x f_{classes[i]}(x_i)`` for each row (the model in eval mode, so rows are independent)."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    sel = logits.gather(1, classes.view(-1, 1).to(logits.device)).sum()
    (g,) = torch.autograd.grad(sel, x)
    return g


def roughness(model: torch.nn.Module, x: torch.Tensor, direction: torch.Tensor, classes: torch.Tensor, *,
              n_points: int = 16, batch_size: int = 512, device: torch.device | str = "cpu") -> np.ndarray:
    """Per input, the roughness of the logits ``classes`` (shape (N,) or (N, k)) along
    ``x -> x + direction``, averaged over the ``k`` classes (see the module docstring)."""
    device = torch.device(device)
    model = model.to(device).eval()
    classes = classes.view(len(x), -1).long()
    if classes.min() < 0:
        raise ValueError(f"classes must be class indices >= 0, got {int(classes.min())}")
    _check_path(x, direction, n_points)
    out = []
    for sl in _chunks(len(x), batch_size // n_points):  # points built per chunk
        p = path_points(x[sl], direction[sl], n_points).flatten(0, 1).to(device)
        rough = []
        for c in classes[sl].unbind(1):
            g = logit_gradients(model, p, c.repeat_interleave(n_points)).flatten(1).view(len(c), n_points, -1)
            cos = torch.nn.functional.cosine_similarity(g[:, 1:], g[:, :1].expand_as(g[:, 1:]), dim=2)
            rough.append(1 - cos.mean(dim=1))
        out.append(torch.stack(rough, 1).mean(1).detach().cpu())
    return torch.cat(out).numpy()


def paired_shift(adversarial: np.ndarray, random: np.ndarray) -> dict:
    """How much larger a per-image statistic is on the adversarial than on the random path of the
    same image: medians, the median paired difference, the share of images where the adversarial
    value is larger, and the one-sided Wilcoxon signed-rank p-value (scipy) of "adversarial > random"."""
    from scipy.stats import wilcoxon

    a, r = np.asarray(adversarial, float), np.asarray(random, float)
    if a.shape != r.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"give two 1-D arrays of the same length >= 2, got shapes {a.shape} and {r.shape}")
    d = a - r
    p = float(wilcoxon(a, r, alternative="greater").pvalue) if np.any(d != 0) else 1.0
    return {"median_adv": float(np.median(a)), "median_random": float(np.median(r)),
            "median_diff": float(np.median(d)), "share_adv_larger": float(np.mean(d > 0)), "p_wilcoxon": p}

