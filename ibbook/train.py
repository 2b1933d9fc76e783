"""Training loops. Full-batch gradient descent for the small models of the theory chapters.

- :func:`fit_exp_loss`: a linear network (anything with ``beta()``) on separable data with the
  exponential loss. ``step="plain"`` is gradient descent on the mean loss ``L``; ``step="arc"``
  moves a fixed length ``lr`` along ``-grad log L`` (= ``-grad L / L``) in parameter space. Both
  discretise the same gradient-flow path (a positive rescaling of a vector field only changes
  the speed along its integral curves), but the arc-length steps keep making progress once the
  loss is tiny, and stay stable although the gradient of a deep homogeneous net grows with its
  weights;
- :func:`fit_regression`: a scalar-output network on ``(x, y)`` pairs with the square loss.

Both record log-spaced snapshots and return a :class:`History`.

Used by: implicit-bias theory chapter (linear FC / conv nets, wide ReLU nets), attacks chapter
(two-layer linear conv net).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm  # text bars: tqdm.auto warns without ipywidgets

from ibbook.descent import record_points
from ibbook.params import check_choice


@dataclass
class History:
    """``steps`` at which ``loss`` (its log for normalised exponential-loss runs) and, for
    linear networks, the end-to-end ``beta`` were recorded."""

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    beta: list = field(default_factory=list)

    def as_arrays(self) -> "History":
        return History(np.array(self.steps), np.array(self.loss), np.array(self.beta))


def _check(steps, lr):
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1 or not lr > 0:
        raise ValueError(f"steps={steps!r}, lr={lr!r} are not accepted; use an integer steps >= 1 and lr > 0")


STEPS = ("plain", "arc")


def _descend(model: torch.nn.Module, objective: Callable[[], torch.Tensor], *, steps: int, lr: float,
             arc: bool, n_records: int, progress: bool, with_beta: bool) -> History:
    """The loop both fits share: record at log-spaced steps, then one (arc-length) GD step."""
    _check(steps, lr)
    keep = set(record_points(steps, n_records).tolist())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    hist = History()
    for t in tqdm(range(steps + 1), disable=not progress, mininterval=2):
        value = objective()
        if t in keep:
            hist.steps.append(t)
            hist.loss.append(value.item())
            if with_beta:
                hist.beta.append(model.beta().detach().numpy().copy())
        if t == steps:
            break
        opt.zero_grad()
        value.backward()
        if arc:
            with torch.no_grad():
                size = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
                for p in model.parameters():
                    p.grad /= size
        opt.step()
    return hist.as_arrays()


def _tensor(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=torch.float64)


def fit_exp_loss(model: torch.nn.Module, X, y, *, steps: int, lr: float, step: str = "arc",
                 n_records: int = 60, progress: bool = False) -> History:
    """Full-batch GD on the mean exponential loss ``mean exp(-y_i f(x_i))``.

    Records ``log L`` for ``step="arc"`` (finite where ``L`` underflows), ``L`` for ``"plain"``.
    """
    check_choice("step", step, STEPS)
    X, y = _tensor(X), _tensor(y)

    def objective() -> torch.Tensor:
        m = -y * model(X)
        return (torch.logsumexp(m, 0) - np.log(len(m))) if step == "arc" else torch.exp(m).mean()

    return _descend(model, objective, steps=steps, lr=lr, arc=step == "arc", n_records=n_records,
                    progress=progress, with_beta=True)


def fit_regression(model: torch.nn.Module, x, y, *, steps: int, lr: float, n_records: int = 60,
                   progress: bool = False) -> History:
    """Full-batch GD on ``0.5 * mean (f(x_i) - y_i)^2``; returns the loss history."""
    x, y = _tensor(x), _tensor(y)
    return _descend(model, lambda: 0.5 * ((model(x) - y) ** 2).mean(), steps=steps, lr=lr, arc=False,
                    n_records=n_records, progress=progress, with_beta=False)
