"""Benchmark: training ResNet-20 on CIFAR-10 on this CPU, ibbook's loop against a plain PyTorch
loop and against the model's own forward + backward limit, measured in the same run.

(a) images/s of :func:`ibbook.train.train_classifier` (the published recipe of
    :mod:`ibbook.weights`: SGD with Nesterov momentum, one-cycle schedule, flip + crop,
    channels_last, checkpoint and history every epoch) against a bare loop over the same model,
    data, batch, augmentation and optimiser with none of the bookkeeping (the peer; target ratio
    >= 0.95);
(b) the limit: forward + backward + SGD step on one fixed batch, no data handling;
(c) time per epoch of 50,000 images, and from it the wall time of the paper's 200-epoch recipe
    against the compressed 40-epoch one.

Each measurement runs ``EPOCH_IMAGES`` images after one warm-up pass; the order is interleaved
(plain, ibbook, limit, ``ROUNDS`` times) and the median kept, so a change of machine load affects all
three alike. Results go to ``data/results/bench/train.json``.
Run: .venv/bin/python bench/bench_train.py   (under the numerical pins, as the chapters)
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time

from ibbook import pins

pins.apply()

import torch  # noqa: E402

from ibbook import models, records, train  # noqa: E402
from ibbook.data import load_images  # noqa: E402
from ibbook.weights import RECIPES  # noqa: E402

RECIPE = RECIPES["resnet20-cifar10"]
EPOCH_IMAGES = 6_400  # 50 batches of 128 per timed pass
ROUNDS = 5  # interleaved rounds; the median pass is kept (two rounds left pass-to-pass noise of +-15 %)
FULL_EPOCH = 50_000


def plain_loop(x: torch.Tensor, y: torch.Tensor) -> float:
    """Seconds for one pass of the bare loop (same model, optimiser, schedule and augmentation)."""
    torch.manual_seed(0)
    model = models.build_model("resnet20").to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=RECIPE["lr"], momentum=0.9, nesterov=True,
                          weight_decay=RECIPE["weight_decay"])
    bs = RECIPE["batch_size"]
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=RECIPE["lr"], total_steps=len(x) // bs)
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=g)
    model.train()
    tic = time.perf_counter()
    for i in range(len(x) // bs):
        idx = order[i * bs:(i + 1) * bs]
        xb = train.flip_crop(x[idx], g).contiguous(memory_format=torch.channels_last)
        loss = torch.nn.functional.cross_entropy(model(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return time.perf_counter() - tic


def ibbook_loop(x: torch.Tensor, y: torch.Tensor) -> float:
    """Seconds for one epoch of :func:`ibbook.train.train_classifier` with the recipe's settings
    (its own clock: the epoch's training time, without the test evaluation)."""
    keys = ("batch_size", "lr", "optimizer", "momentum", "nesterov", "weight_decay", "augment", "schedule",
            "warmup", "channels_last")
    with tempfile.TemporaryDirectory() as art:
        os.environ["IBBOOK_ARTIFACTS"] = art
        run = train.train_classifier(lambda: models.build_model("resnet20"), x, y, key={"model": "bench"},
                                     epochs=1, progress=False, **{k: RECIPE[k] for k in keys})
    return run.history[0]["seconds"]


def limit(x: torch.Tensor, y: torch.Tensor) -> float:
    """Seconds for as many forward + backward + SGD steps on one fixed batch as one pass has batches."""
    torch.manual_seed(0)
    model = models.build_model("resnet20").to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    bs = RECIPE["batch_size"]
    xb, yb = x[:bs].contiguous(memory_format=torch.channels_last), y[:bs]
    tic = time.perf_counter()
    for _ in range(len(x) // bs):
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - tic


def main() -> int:
    data = load_images("cifar10", "train", n=EPOCH_IMAGES, seed=0)
    x, y = data.x, data.y
    runs = {"plain": plain_loop, "ibbook": ibbook_loop, "limit": limit}
    for f in runs.values():  # warm-up: first-call costs (allocator, oneDNN primitives) out of the timing
        f(x[:1280], y[:1280])
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(ROUNDS):
        for name, f in runs.items():
            times[name].append(f(x, y))
    rate = {k: EPOCH_IMAGES / sorted(v)[len(v) // 2] for k, v in times.items()}
    epoch_s = FULL_EPOCH / rate["ibbook"]
    out = {
        "model": "resnet20", "batch_size": RECIPE["batch_size"], "images_per_pass": EPOCH_IMAGES,
        "images_per_s": rate, "seconds": times,
        "ratio_ibbook_vs_plain": rate["ibbook"] / rate["plain"],
        "ratio_ibbook_vs_limit": rate["ibbook"] / rate["limit"],
        "epoch_s": epoch_s, "paper_epochs": RECIPE["paper_epochs"], "our_epochs": RECIPE["epochs"],
        "paper_recipe_h": RECIPE["paper_epochs"] * epoch_s / 3600, "our_recipe_h": RECIPE["epochs"] * epoch_s / 3600,
        "numerical_pins": pins.active(), "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "processor": platform.machine(), "date": time.strftime("%Y-%m-%d"), "commit": records.git_commit(),
        "target_ratio_vs_plain": 0.95,
    }
    out["targets_met"] = out["ratio_ibbook_vs_plain"] >= 0.95
    path = records.PROJECT_ROOT / "data" / "results" / "bench" / "train.json"
    records.atomic_write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", path)
    print(f"ResNet-20, batch {RECIPE['batch_size']}, {EPOCH_IMAGES} CIFAR-10 images per pass, "
          f"{torch.get_num_threads()} threads, pins {'on' if pins.active() else 'off'}")
    for k in runs:
        print(f"  {k:7s} {rate[k]:7.1f} images/s   (passes: {', '.join(f'{t:.1f}' for t in times[k])} s)")
    print(f"(a) ibbook / plain loop:          {out['ratio_ibbook_vs_plain']:.3f}   (target >= 0.95)")
    print(f"(b) ibbook / forward+backward limit: {out['ratio_ibbook_vs_limit']:.3f}")
    print(f"(c) one epoch of 50,000 images: {epoch_s / 60:.1f} min; paper's 200 epochs: "
          f"{out['paper_recipe_h']:.1f} h; our {RECIPE['epochs']} epochs: {out['our_recipe_h']:.1f} h")
    print(f"target: {'met' if out['targets_met'] else 'NOT met'}; written to {path.relative_to(records.PROJECT_ROOT)}")
    return 0 if out["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
