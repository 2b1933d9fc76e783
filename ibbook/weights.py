"""Published classifiers: the sources' models trained once on a whole training set on the CPU with
a compressed schedule, their weights committed under ``data/weights/`` with a SHA-256 hash.

A *recipe* (:data:`RECIPES`) fixes everything a training run depends on: model, data set, the
paper's optimiser (SGD with momentum, the paper's weight decay, flip and crop augmentation) and a
compressed learning-rate schedule (one-cycle over ``epochs`` instead of the paper's 200-epoch step
schedule). :func:`train_recipe` trains it through :func:`ibbook.train.train_classifier` (resumable
per epoch, test accuracy after every epoch); :func:`publish` writes ``<name>.pt`` (the state dict,
float16 when that changes no test prediction, else float32) and ``<name>.json`` (recipe, accuracy,
per-epoch history, run record, hash); :func:`load_published` reads them back, checks the hash and
refuses a corrupt or altered file with an error that names it.

Command line (the ``large`` scale of the masks chapter trains ``resnet20-cifar10`` this way)::

    python -m ibbook.weights train resnet20-cifar10 [--seed 1] [--publish]
    python -m ibbook.weights check resnet20-cifar10

Used by: Fourier-mask and intrinsic-dimension chapters (``large`` scale), ``bench/bench_train.py``.
Source: 003 (Basile et al. 2024), section 4: ResNet-20 on CIFAR-10 (its accuracy: ibbook.sources.s003).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from . import PROJECT_ROOT
from .params import check_choice

#: Recipes of the published classifiers. ``paper_epochs`` and ``paper_schedule`` record the
#: source's own run for comparison; everything else is what :func:`train_recipe` uses.
RECIPES: dict[str, dict[str, Any]] = {
    "resnet20-cifar10": {
        "model": "resnet20", "dataset": "cifar10", "epochs": 40, "batch_size": 128, "lr": 0.2,
        "optimizer": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4,
        "augment": "flip_crop", "schedule": "onecycle", "warmup": 0.15, "channels_last": True,
        "paper_epochs": 200, "paper_schedule": "step: lr 0.1, x0.1 after epochs 100 and 150",
    },
}
TRAIN_KEYS = ("epochs", "batch_size", "lr", "optimizer", "momentum", "nesterov", "weight_decay", "augment",
              "schedule", "warmup", "channels_last")


def weights_dir() -> Path:
    """``$IBBOOK_WEIGHTS`` or the project's ``data/weights`` folder."""
    env = os.environ.get("IBBOOK_WEIGHTS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "data" / "weights"


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_name(name: str, seed: int = 0) -> str:
    """``<name>`` for seed 0, ``<name>-seed<seed>`` otherwise."""
    check_choice("name", name, tuple(RECIPES))
    return name if seed == 0 else f"{name}-seed{seed}"


def recipe(name: str, **overrides) -> dict[str, Any]:
    """Recipe ``name`` with ``overrides`` (keys of :data:`TRAIN_KEYS` only) applied; raises
    ``ValueError`` naming an unknown recipe or key."""
    check_choice("name", name, tuple(RECIPES))
    for key in overrides:
        check_choice("recipe override", key, TRAIN_KEYS)
    return {**RECIPES[name], **overrides}


def train_recipe(name: str, *, seed: int = 0, data_root=None, device: str = "cpu", progress: bool = True,
                 **overrides):
    """Train recipe ``name`` (with ``overrides``, see :func:`recipe`) at ``seed`` on the whole training
    set; returns ``(Trained, test ImageData)``."""
    from . import models
    from .data import load_images
    from .train import train_classifier

    r = recipe(name, **overrides)
    train = load_images(r["dataset"], "train", data_root=data_root)
    test = load_images(r["dataset"], "test", data_root=data_root)
    trained = train_classifier(lambda: models.build_model(r["model"]), train.x, train.y,
                               key={"model": r["model"], "recipe": name, "data": train.variant},
                               seed=seed, device=device, progress=progress, eval_data=(test.x, test.y),
                               snapshot_epochs=(0, r["epochs"]), **{k: r[k] for k in TRAIN_KEYS})
    return trained, test


def _predictions(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    from .train import predict
    return predict(model, x, batch_size=1000).argmax(1)


def publish(name: str, trained, test, *, seed: int = 0, record: dict | None = None, **overrides) -> Path:
    """Write ``<weights dir>/<file name>.pt`` and ``.json`` for a finished :func:`train_recipe` run.

    The state dict is stored in float16 when the float16-rounded model predicts every test image
    as the float32 one does (checked here on the whole test set), else in float32.
    """
    from .cache import atomic_save, atomic_write_text

    model = trained.model.to(memory_format=torch.contiguous_format).eval()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    ref = _predictions(model, test.x)
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    twin = _model_for(name)
    twin.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in half.items()})
    same = int((_predictions(twin, test.x) == ref).sum())
    stored = half if same == len(ref) else state
    base = weights_dir() / file_name(name, seed)
    atomic_save(stored, base.with_suffix(".pt"))
    acc = float((ref == test.y).float().mean())
    meta = {"name": name, "seed": seed, "recipe": recipe(name, **overrides), "dtype": "float16" if stored is half else "float32",
            "test_accuracy": acc, "n_test": len(test.y), "float16_same_predictions": same,
            "history": trained.history, "train_config": trained.config, "record": record or {},
            "sha256": sha256(base.with_suffix(".pt"))}
    atomic_write_text(json.dumps(meta, indent=2, sort_keys=True, default=str), base.with_suffix(".json"))
    return base.with_suffix(".pt")


def _model_for(name: str) -> torch.nn.Module:
    from . import models
    return models.build_model(RECIPES[name]["model"]).eval()


def published_info(name: str, seed: int = 0) -> dict | None:
    """The JSON record of a published classifier, or None when it is not there."""
    path = (weights_dir() / file_name(name, seed)).with_suffix(".json")
    return json.loads(path.read_text()) if path.exists() else None


def load_published(name: str, seed: int = 0) -> torch.nn.Module:
    """The published classifier ``name`` (eval mode, float32, CPU), its file checked against its hash.

    Raises FileNotFoundError when it is not published, ValueError when the file's SHA-256 differs
    from the recorded one or the file cannot be read as a state dict of the recipe's model.
    """
    base = weights_dir() / file_name(name, seed)
    info = published_info(name, seed)
    if info is None or not base.with_suffix(".pt").exists():
        raise FileNotFoundError(f"no published weights {base.name}.pt/.json in {weights_dir()}; "
                                f"train them with: python -m ibbook.weights train {name} --seed {seed} --publish")
    found = sha256(base.with_suffix(".pt"))
    if found != info["sha256"]:
        raise ValueError(f"{base.with_suffix('.pt')} is corrupt or altered: SHA-256 {found[:16]}… differs from "
                         f"the recorded {info['sha256'][:16]}…; restore it (git checkout) or retrain")
    try:
        state = torch.load(base.with_suffix(".pt"), map_location="cpu", weights_only=True)
        model = _model_for(name)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except Exception as err:  # noqa: BLE001  (any failure to read is reported with the path)
        raise ValueError(f"{base.with_suffix('.pt')} is not a state dict of {info['recipe']['model']}: {err}") from err
    return model.eval()


def classifier(name: str, *, seed: int = 0, data_root=None, progress: bool = True) -> tuple[torch.nn.Module, str]:
    """The classifier of recipe ``name``: the published weights when they are there (checked against
    their hash), else trained now by :func:`train_recipe` (cached, resumable). Returns the model
    (eval mode, CPU) and where it came from (``"published"`` or ``"trained"``).

    Used by: the ``large`` scale of the Fourier-mask chapter.
    """
    if published_info(name, seed) is not None:
        return load_published(name, seed), "published"
    trained, _ = train_recipe(name, seed=seed, data_root=data_root, progress=progress)
    return trained.model.to(memory_format=torch.contiguous_format).eval(), "trained"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``train NAME [--seed S] [--publish]`` or ``check NAME [--seed S]``."""
    import time

    ap = argparse.ArgumentParser(prog="python -m ibbook.weights", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("train", "check"))
    ap.add_argument("name", choices=tuple(RECIPES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--publish", action="store_true", help="write data/weights/ when training ends")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--epochs", type=int, default=None, help="override the recipe's number of epochs")
    ap.add_argument("--lr", type=float, default=None, help="override the recipe's peak learning rate")
    args = ap.parse_args(argv)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr)) if v is not None}
    if args.action == "check":
        info = published_info(args.name, args.seed)
        load_published(args.name, args.seed)
        print(f"{file_name(args.name, args.seed)}: hash ok, test accuracy {info['test_accuracy']:.4f}")
        return 0
    tic = time.time()
    trained, test = train_recipe(args.name, seed=args.seed, data_root=args.data_root, **overrides)
    for h in trained.history:
        print(json.dumps(h))
    if args.publish:
        from .records import git_commit
        record = {"wall_time_s": time.time() - tic, "resumed_at": trained.resumed_at, "threads": torch.get_num_threads(),
                  "git_commit": git_commit(), "torch": torch.__version__,
                  "train_seconds": sum(h["seconds"] for h in trained.history)}
        print("published", publish(args.name, trained, test, seed=args.seed, record=record, **overrides))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
