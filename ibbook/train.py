"""Training loops: full-batch gradient descent for the small models of the theory chapters, and
minibatch training of image classifiers with resumable, cached checkpoints.

- :func:`fit_exp_loss`: a linear network (anything with ``beta()``) on separable data with the
  exponential loss. ``step="plain"`` is gradient descent on the mean loss ``L``; ``step="arc"``
  moves a fixed length ``lr`` along ``-grad log L`` (= ``-grad L / L``) in parameter space. Both
  discretise the same gradient-flow path (a positive rescaling of a vector field only changes
  the speed along its integral curves), but the arc-length steps keep making progress once the
  loss is tiny, and stay stable although the gradient of a deep homogeneous net grows with its
  weights;
- :func:`fit_regression`: a scalar-output network on ``(x, y)`` pairs with the square loss.

Both record log-spaced snapshots and return a :class:`History`.

- :func:`train_classifier`: minibatch SGD or Adam with cross-entropy, learning-rate drops and
  optional augmentation (flip and crop, or a random scale, translation or rotation) and optional
  PGD adversarial training; cached under a hash of its config, checkpointed after every
  epoch (an interrupted run resumes), with weight snapshots at chosen epochs (:class:`Trained`);
- :func:`predict` and :func:`accuracy` evaluate a classifier in batches.

Used by: implicit-bias theory chapter (linear FC / conv nets, wide ReLU nets), attacks chapter
(two-layer linear conv net); the minibatch loop by the Fourier-bias, learning-dynamics,
Fourier-mask and pReLU chapters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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


# ------------------------------------------------------------------ minibatch training of image classifiers

#: Optimisers: SGD with momentum; Adam; Adam with torch's fused kernel ("adam_fused": the same
#: update in one pass over all parameters, rounding may differ; about 14x faster per step on two
#: CPU cores for VGG11's 129 M parameters, most of them in its 25088x4096 head).
OPTIMIZERS = ("sgd", "adam", "adam_fused")
#: Augmentations: none; random flip and 4-pixel crop; or one random affine change per image
#: (scale by a factor in [0.8, 1.2], translate by up to 1/8 of the side, rotate by up to 20 degrees).
AUGMENTS = ("none", "flip_crop", "scale", "translate", "rotate")
#: Learning-rate schedules: "step" (multiply by ``gamma`` after each epoch in ``lr_drops``, the
#: papers' recipe); "onecycle" (torch's OneCycleLR, stepped every batch: linear warm-up from
#: lr/10 to ``lr`` over ``warmup`` of the run, then cosine decay to lr/1e4) and "cosine"
#: (CosineAnnealingLR from ``lr`` to 0, stepped every batch, after an optional linear warm-up).
#: The compressed schedules keep the optimiser and the loss: only the step sizes change.
SCHEDULES = ("step", "onecycle", "cosine")
#: Part of every training cache key: bump it when the loop changes so old checkpoints are not served.
TRAIN_FORMAT = 1


@dataclass
class Trained:
    """A trained classifier (eval mode, on the training device) and how it got there.

    ``history`` has one dict per finished epoch (``epoch``, ``loss``, ``train_acc``, ``lr``,
    ``seconds``); ``snapshot_epochs`` the epochs whose weights :meth:`snapshot` loads (epoch 0 is
    the initialisation); ``from_cache`` says whether the whole run was read back from the cache and
    ``resumed_at`` the epoch an interrupted run was resumed from (None when it started afresh).
    """

    model: torch.nn.Module
    history: list
    config: dict
    folder: Path
    snapshot_epochs: tuple
    from_cache: bool
    resumed_at: int | None

    def snapshot(self, epoch: int) -> torch.nn.Module:
        """A copy of the model with the weights it had after ``epoch`` epochs (0: at initialisation)."""
        if epoch not in self.snapshot_epochs:
            raise ValueError(f"epoch={epoch!r} is not accepted; snapshots exist for epochs {list(self.snapshot_epochs)}")
        import copy
        twin = copy.deepcopy(self.model)
        twin.load_state_dict(torch.load(self.folder / f"epoch_{epoch}.pt", map_location="cpu"))
        return twin.eval()


def data_fingerprint(x: torch.Tensor, y: torch.Tensor) -> str:
    """A short hash of a training set's bytes (part of the cache key: other data, other model)."""
    import hashlib
    h = hashlib.sha256()
    h.update(str(tuple(x.shape)).encode())
    h.update(x.detach().cpu().contiguous().numpy().tobytes())
    h.update(y.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def flip_crop(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random horizontal flip and random crop after ``pad`` pixels of zero padding, per image."""
    n, c, h, w = x.shape
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1).to(x.device), x.flip(3), x)
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy, dx = (torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device) for _ in range(2))
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    return padded[torch.arange(n, device=x.device)[:, None, None, None],
                  torch.arange(c, device=x.device)[None, :, None, None], rows, cols]


def random_affine(x: torch.Tensor, generator: torch.Generator, kind: str) -> torch.Tensor:
    """One random ``kind`` (``"scale"``, ``"translate"`` or ``"rotate"``) change per image, bilinear,
    zeros outside the image; the ranges are those of :data:`AUGMENTS`."""
    check_choice("kind", kind, ("scale", "translate", "rotate"))
    n = len(x)
    u = (torch.rand(n, 2, generator=generator) * 2 - 1).to(x.device, x.dtype)  # uniform in [-1, 1]
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    if kind == "scale":  # the sampling grid shrinks by 1/factor
        factor = 1 + 0.2 * u[:, 0]
        theta[:, 0, 0] = theta[:, 1, 1] = 1 / factor
    elif kind == "translate":  # grid units: the image spans [-1, 1], so 1/8 of the side is 0.25
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, :, 2] = 0.25 * u
    else:
        angle = u[:, 0] * np.pi / 9
        theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angle), -torch.sin(angle)
        theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angle), torch.cos(angle)
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def augment_batch(x: torch.Tensor, augment: str, generator: torch.Generator) -> torch.Tensor:
    """Apply the augmentation ``augment`` (one of :data:`AUGMENTS`) to a batch."""
    check_choice("augment", augment, AUGMENTS)
    if augment == "none":
        return x
    if augment == "flip_crop":
        return flip_crop(x, generator)
    return random_affine(x, generator, augment)


def pgd_adversary(model: torch.nn.Module, eps: float, steps: int, alpha: float | None = None):
    """torchattacks' L-infinity PGD (random start) for adversarial training: ``attack(x, y) -> x_adv``.

    ``alpha`` (step size) defaults to ``2.5 eps / steps`` (Madry et al.'s rule of thumb)."""
    import torchattacks

    if not eps > 0 or isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"eps={eps!r}, steps={steps!r} are not accepted; use eps > 0 and an integer steps >= 1")
    return torchattacks.PGD(model, eps=eps, alpha=alpha if alpha is not None else 2.5 * eps / steps,
                            steps=steps, random_start=True)


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, *, batch_size: int = 500,
            device: torch.device | str | None = None) -> torch.Tensor:
    """Logits of ``model`` on ``x`` (on the CPU), computed in batches in eval mode."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    out = [model(x[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out)


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, **kwargs) -> float:
    """Fraction of ``x`` that ``model`` classifies as ``y``."""
    return (predict(model, x, **kwargs).argmax(1) == y.cpu()).float().mean().item()


def make_scheduler(opt: torch.optim.Optimizer, schedule: str, *, lr: float, epochs: int, steps_per_epoch: int,
                   warmup: float = 0.15, lr_drops: tuple = (), gamma: float = 0.1):
    """The torch scheduler of :data:`SCHEDULES` for ``opt`` (compressed ones count batches)."""
    check_choice("schedule", schedule, SCHEDULES)
    sch = torch.optim.lr_scheduler
    total = max(1, epochs * steps_per_epoch)
    if schedule == "step":
        return sch.MultiStepLR(opt, milestones=list(lr_drops), gamma=gamma)
    if schedule == "onecycle":
        return sch.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=max(warmup, 1e-6),
                              anneal_strategy="cos", div_factor=10.0, final_div_factor=1e3,
                              cycle_momentum=False)
    n_warm = int(round(warmup * total))
    cosine = sch.CosineAnnealingLR(opt, T_max=max(1, total - n_warm), eta_min=0.0)
    if n_warm == 0:
        return cosine
    ramp = sch.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=n_warm)
    return sch.SequentialLR(opt, [ramp, cosine], milestones=[n_warm])


def train_classifier(make_model: Callable[[], torch.nn.Module], x: torch.Tensor, y: torch.Tensor, *,
                     key: dict, epochs: int, batch_size: int = 128, lr: float = 0.1, optimizer: str = "sgd",
                     momentum: float = 0.9, weight_decay: float = 0.0, lr_drops: tuple = (), gamma: float = 0.1,
                     augment: str = "none", adversarial: dict | None = None,
                     snapshot_epochs: tuple = (), seed: int = 0,
                     device: torch.device | str = "cpu", progress: bool = True,
                     recompute: bool = False, schedule: str = "step", warmup: float = 0.15,
                     nesterov: bool = False, channels_last: bool = False,
                     eval_data: tuple | None = None) -> Trained:
    """Minibatch training with cross-entropy, cached by config and resumable after an interruption.

    ``make_model()`` is called after seeding torch with ``seed``, so the initial weights depend only
    on the config. ``key`` names the model (architecture and its settings, the data subset); it is
    hashed together with the optimisation settings and a fingerprint of ``(x, y)`` into the cache
    folder ``<artefacts>/train/<hash>/``. After every epoch the model, optimiser and history are
    written there atomically (``state.pt``), so a run that is stopped restarts at the last finished
    epoch and ends exactly where an uninterrupted run would (shuffling, augmentation and dropout
    are seeded per epoch). ``lr_drops`` are the epochs after which the learning rate is multiplied
    by ``gamma``; ``snapshot_epochs`` the epochs whose weights are kept (0 = initialisation).
    ``adversarial={"eps": ..., "steps": ...}`` (optionally ``"alpha"``) trains on L-infinity PGD
    examples of every batch instead of the clean batch (PGD adversarial training, Madry et al. 2018).
    ``schedule`` is one of :data:`SCHEDULES` (``warmup``: the warm-up share of all steps for the
    compressed ones); ``nesterov`` uses Nesterov momentum (SGD); ``channels_last`` trains in torch's
    NHWC memory layout (same maths, about 1.7x faster for ResNet-20 on two CPU cores, other
    rounding); ``eval_data=(x_test, y_test)`` records the test accuracy after every epoch in the
    history (``test_acc``). Options left at their defaults do not enter the cache key, so runs
    made before they existed are still found.

    Used by: Fourier-bias, learning-dynamics, Fourier-mask and pReLU chapters.
    """
    from .cache import artifacts_dir, atomic_save, atomic_write_text, config_hash
    import json
    import time

    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("augment", augment, AUGMENTS)
    check_choice("schedule", schedule, SCHEDULES)
    if not 0 <= warmup < 1:
        raise ValueError(f"warmup={warmup!r} is not accepted; use a share of the steps in [0, 1)")
    if nesterov and (optimizer != "sgd" or not momentum > 0):
        raise ValueError(f"nesterov=True is not accepted with optimizer={optimizer!r}, momentum={momentum!r};"
                         " use optimizer='sgd' with momentum > 0")
    if adversarial is not None and not set(adversarial) <= {"eps", "steps", "alpha"}:
        raise ValueError(f"adversarial={adversarial!r} is not accepted; use None or a dict with keys "
                         "'eps', 'steps' and optionally 'alpha'")
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {low}")
    if not lr > 0:
        raise ValueError(f"lr={lr!r} is not accepted; use lr > 0")
    bad = [e for e in snapshot_epochs if not 0 <= e <= epochs]
    if bad:
        raise ValueError(f"snapshot_epochs {bad} are not accepted; use epochs from 0 to {epochs}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x has {len(x)} rows and y {len(y)}; give the same, non-zero number")
    device = torch.device(device)
    config = {"format": TRAIN_FORMAT, **key, "epochs": epochs, "batch_size": batch_size, "lr": lr,
              "optimizer": optimizer, "momentum": momentum, "weight_decay": weight_decay,
              "lr_drops": list(lr_drops), "gamma": gamma, "augment": augment, "adversarial": adversarial, "seed": seed,
              "data": data_fingerprint(x, y), "n_train": len(x)}
    extra = {"schedule": schedule, "warmup": warmup if schedule != "step" else None, "nesterov": nesterov,
             "channels_last": channels_last, "eval": data_fingerprint(*eval_data) if eval_data else None}
    defaults = {"schedule": "step", "warmup": None, "nesterov": False, "channels_last": False, "eval": None}
    config.update({k: v for k, v in extra.items() if v != defaults[k]})
    folder = artifacts_dir() / "train" / config_hash(config)
    snaps = tuple(sorted(set(snapshot_epochs)))

    torch.manual_seed(seed)
    model = make_model().to(device)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    else:
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=optimizer == "adam_fused")
    n_batches = -(-len(x) // batch_size)
    sched = make_scheduler(opt, schedule, lr=lr, epochs=epochs, steps_per_epoch=n_batches, warmup=warmup,
                           lr_drops=lr_drops, gamma=gamma)
    per_batch = schedule != "step"
    history: list = []
    start, resumed_at = 0, None
    state_path = folder / "state.pt"
    state = torch.load(state_path, map_location=device, weights_only=False) \
        if state_path.exists() and not recompute else None
    # Snapshots are not part of the key; one asked for now but missing from a finished part of an
    # earlier run means training again from the start.
    if state is not None and any(e <= state["epoch"] and not (folder / f"epoch_{e}.pt").exists() for e in snaps):
        state = None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        history, start = state["history"], state["epoch"]
        resumed_at = start if start < epochs else None
    if start == 0:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(json.dumps(config, indent=2, sort_keys=True, default=str), folder / "config.json")
        if 0 in snaps:
            atomic_save(model.state_dict(), folder / "epoch_0.pt")
    from_cache = start == epochs and epochs > 0
    adversary = pgd_adversary(model, **adversarial) if adversarial is not None else None

    xd, yd = (x.to(device), y.to(device)) if device.type == "cuda" else (x, y)
    bar = tqdm(total=(epochs - start) * n_batches, disable=not progress or start == epochs, mininterval=2,
               desc=f"training {key.get('model', 'model')}")
    for epoch in range(start, epochs):
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        torch.manual_seed(seed * 1_000_003 + epoch)  # dropout and other in-model randomness
        order = torch.randperm(len(x), generator=g).to(xd.device)
        model.train()
        tic, total, correct, seen = time.perf_counter(), 0.0, 0, 0
        for i in range(n_batches):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb, yb = xd[idx].to(device), yd[idx].to(device)
            xb = augment_batch(xb, augment, g).contiguous(memory_format=layout)
            if adversary is not None:
                xb = adversary(xb, yb)
                model.train()
            out = model(xb)
            loss = torch.nn.functional.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if per_batch:
                sched.step()
            total += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
            seen += len(yb)
            bar.update(1)
        if not np.isfinite(total):
            raise FloatingPointError(f"training {key} diverged at epoch {epoch + 1} (loss {total}); lower lr={lr}")
        record = {"epoch": epoch + 1, "loss": total / seen, "train_acc": correct / seen,
                  "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - tic}
        if eval_data is not None:
            record["test_acc"] = accuracy(model, *eval_data, batch_size=1000)
        history.append(record)
        if not per_batch:
            sched.step()
        if epoch + 1 in snaps:
            atomic_save(model.state_dict(), folder / f"epoch_{epoch + 1}.pt")
        atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                     "history": history, "epoch": epoch + 1}, state_path)
    bar.close()
    return Trained(model=model.eval(), history=history, config=config, folder=folder, snapshot_epochs=snaps,
                   from_cache=from_cache, resumed_at=resumed_at)
