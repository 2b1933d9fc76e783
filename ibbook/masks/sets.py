"""Mask sets: the chapter's classifiers, and essential plus adversarial masks of the same test
images for a model and an attack, cached by configuration.

Part of :mod:`ibbook.masks`. Source: 003 (Basile et al. 2024), section 4 (mask sets of ResNet-20,
CCT-7 and ResNet-18 on Imagenette).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ibbook.params import check_choice

from .engine import train_masks


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
