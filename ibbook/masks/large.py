"""The ``large`` mask sets: essential and adversarial Fourier masks of the published ResNet-20 for
thousands of CIFAR-10 test images, computed in resumable chunks, and the statistics of Basile et
al.'s Table 2 read from them (gate, Id test on subsets of growing size, two-network control).

Settings (:data:`LARGE`) follow the sources: Adam with lr 0.01, ``lam = 0.01`` on the sum of the
mask entries (``ce_l1``, ``p = 1``), at least 500 steps; FMN-L∞, PGD-L∞ with ``eps = 0.01`` and
DeepFool-L∞ (foolbox). The sources train masks "until convergence, and in any case for no less
than 500 steps" without stating the rule; ours is the engine's relative test (the loss within
``tol`` times its mean over the last 20 steps), relative because the loss ``CE + lam ||M||_1``
ranges from about 0.1 to 30 between images, so one absolute tolerance would stop the sparse
masks too late and the dense ones too early. The step cap is stated and the share of masks that
reached it is reported.

Chunks: the test split is put in a class-interleaved random order (:func:`image_order`); chunk
``i`` holds images ``order[i*chunk:(i+1)*chunk]``. Each chunk's essential masks, and its adversarial
masks per attack and network, are one cache entry (``<artefacts>/masks_large``, keyed by the
weights' SHA-256 and the settings), so a killed run loses at most the chunk in progress
(:func:`run`, command line ``python -m ibbook.masks.large run``).

Source: 003 (Basile et al. 2024), section 4 and Table 2 (ResNet-20 rows), appendix A.1.
Used by: Fourier-mask and intrinsic-dimension chapters (``large`` results), issue 21's runner.
"""
from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass

import numpy as np
import torch

from ibbook.params import check_choice

from .engine import train_masks

#: The large scale's settings (see the module docstring).
LARGE = {
    "recipe": "resnet20-cifar10",
    "order_seed": 2024,  # the class-interleaved order of the test split
    "chunk": 200,  # test images per chunk (one cache entry each)
    "mask": dict(param="full", objective="ce_l1", lam=0.01, p=1, lr=0.01, min_steps=500, max_steps=2000,
                 tol=1e-4, window=20),
    "batch_size": 100,  # masks trained together (not part of the cache key)
    "attacks": {"linf_fmn": None, "linf_pgd": 0.01, "linf_deepfool": None},  # name: eps (None: minimal)
}
KINDS = ("essential", "adversarial")


def image_order(labels: torch.Tensor, seed: int) -> torch.Tensor:
    """A random order of the rows of ``labels`` in which every run of 10 consecutive images has one
    image per class as far as the classes last (so any prefix of chunks is class-balanced)."""
    labels = torch.as_tensor(labels)
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    rank = torch.empty(len(labels), dtype=torch.long)
    for c in labels.unique():
        pos = perm[labels[perm] == c]
        rank[pos] = torch.arange(len(pos))
    key = rank * (int(labels.max()) + 1) + labels
    return torch.argsort(key, stable=True)


def _check(kind: str, attack: str | None) -> None:
    check_choice("kind", kind, KINDS)
    if kind == "adversarial":
        check_choice("attack", attack, tuple(LARGE["attacks"]))
    elif attack is not None:
        raise ValueError(f"attack={attack!r} is not accepted for essential masks; use None")


def chunk_config(kind: str, chunk: int, *, attack: str | None = None, network_seed: int = 0) -> dict:
    """The cache key of one chunk: weights hash, order, chunk, mask settings, attack and network."""
    from ibbook import weights

    _check(kind, attack)
    info = weights.published_info(LARGE["recipe"], network_seed)
    if info is None:
        raise FileNotFoundError(f"no published weights for {LARGE['recipe']} seed {network_seed}; train them with "
                                f"python -m ibbook.weights train {LARGE['recipe']} --seed {network_seed} --publish")
    return {"format": 1, "weights": info["sha256"], "kind": kind, "attack": attack,
            "eps": LARGE["attacks"].get(attack), "order_seed": LARGE["order_seed"], "chunk_size": LARGE["chunk"],
            "chunk": int(chunk), **LARGE["mask"]}


def _essential(net, x, y, ids) -> dict:
    from ibbook.train import predict

    ok = predict(net, x).argmax(1) == y
    r = train_masks(net, x[ok], y[ok], batch_size=LARGE["batch_size"], progress=False, **LARGE["mask"])
    return {"image_ids": ids[ok], "labels": y[ok], "masks": r.full(x.shape[-1]).half(), "steps": r.steps,
            "converged": r.converged, "kept": r.correct, "seconds": r.seconds}


def _adversarial(net, x, y, ids, attack: str, seed: int) -> dict:
    from ibbook import attacks as atk
    from ibbook.train import predict

    tic = time.perf_counter()
    ok = predict(net, x).argmax(1) == y
    res = atk.attack_images(net, x[ok], y[ok], attack, eps=LARGE["attacks"][attack], seed=seed, progress=False)
    fooled = res.success
    xa = (x[ok] + res.delta).clamp(0, 1)[fooled]
    r = train_masks(net, xa, res.adv_label[fooled], batch_size=LARGE["batch_size"], progress=False, **LARGE["mask"])
    return {"image_ids": ids[ok][fooled], "labels": y[ok][fooled], "adv_labels": res.adv_label[fooled],
            "linf": res.norms(float("inf"))[fooled], "n_correct": int(ok.sum()), "n_fooled": int(fooled.sum()),
            "masks": r.full(x.shape[-1]).half(), "steps": r.steps, "converged": r.converged, "kept": r.correct,
            "seconds": time.perf_counter() - tic}


def chunk(kind: str, index: int, *, attack: str | None = None, network_seed: int = 0, data_root=None,
          compute: bool = True) -> dict | None:
    """The masks of chunk ``index`` (see the module docstring): from the cache, else computed when
    ``compute`` (else None). Essential masks for the correctly classified images; adversarial masks
    (of ``attack``) for the correctly classified images the attack fooled."""
    from ibbook import weights
    from ibbook.cache import artifact_path, cached
    from ibbook.data import load_cifar10

    cfg = chunk_config(kind, index, attack=attack, network_seed=network_seed)
    if not compute and not artifact_path("masks_large", cfg).exists():
        return None
    test = load_cifar10("test", data_root=data_root)
    order = image_order(test.y, LARGE["order_seed"])
    if not 0 <= index < -(-len(order) // LARGE["chunk"]):
        raise ValueError(f"chunk index {index} is not accepted; use 0 .. {len(order) // LARGE['chunk'] - 1}")
    rows = order[index * LARGE["chunk"]:(index + 1) * LARGE["chunk"]]
    x, y, ids = test.x[rows], test.y[rows], torch.as_tensor(test.indices)[rows]

    def compute_chunk():
        net = weights.load_published(LARGE["recipe"], network_seed)
        if kind == "essential":
            return _essential(net, x, y, ids)
        return _adversarial(net, x, y, ids, attack, seed=index)

    return cached("masks_large", cfg, compute_chunk)


@dataclass
class Pairs:
    """Aligned essential and adversarial masks (flattened, float32, N×3072) of the same images."""

    essential: torch.Tensor
    adversarial: torch.Tensor
    image_ids: torch.Tensor
    steps: dict

    def __len__(self) -> int:
        return len(self.image_ids)


def pairs(attack: str, *, n_chunks: int, essential_seed: int = 0, adversarial_seed: int = 0,
          compute: bool = False, data_root=None) -> Pairs:
    """Pairs of ``attack`` over the first ``n_chunks`` chunks: the essential mask of the network with
    ``essential_seed`` and the adversarial mask of the network with ``adversarial_seed`` for every
    image where both masks keep their target class. Different seeds give the two-network control.
    Missing chunks are computed when ``compute``, else skipped."""
    ess, adv = [], []
    for i in range(n_chunks):
        e = chunk("essential", i, network_seed=essential_seed, compute=compute, data_root=data_root)
        a = chunk("adversarial", i, attack=attack, network_seed=adversarial_seed, compute=compute,
                  data_root=data_root)
        if e is not None and a is not None:
            ess.append(e)
            adv.append(a)
    return align(ess, adv)


def align(ess: list[dict], adv: list[dict]) -> Pairs:
    """Join essential and adversarial chunk dicts on image id, keeping masks that keep their class."""
    def table(chunks):
        out = {}
        for c in chunks:
            for j, i in enumerate(c["image_ids"].tolist()):
                if bool(c["kept"][j]):
                    out[i] = (c["masks"][j], int(c["steps"][j]))
        return out

    te, ta = table(ess), table(adv)
    ids = sorted(set(te) & set(ta))
    if not ids:
        empty = torch.zeros(0, 3072)
        return Pairs(empty, empty.clone(), torch.zeros(0, dtype=torch.long), {"essential": [], "adversarial": []})
    e = torch.stack([te[i][0] for i in ids]).float().flatten(1)
    a = torch.stack([ta[i][0] for i in ids]).float().flatten(1)
    steps = {"essential": [te[i][1] for i in ids], "adversarial": [ta[i][1] for i in ids]}
    return Pairs(e, a, torch.tensor(ids), steps)


def gate(p: Pairs) -> dict:
    """What Basile et al. report of the masks themselves, to compare before reading any Id test:
    the same-image cosine of essential and adversarial masks (mean and sample std, ddof = 1), the
    Ids of each mask set and of the pairs side by side (TwoNN, 90 % of the ratios), the mean mask
    value and the share of masks that hit the step cap."""
    from ibbook.intrinsic_dim import cosine_similarities, two_nn_id

    cos = cosine_similarities(p.essential, p.adversarial)
    # baseline: each essential mask against the adversarial mask of another image (fixed derangement)
    shift = torch.roll(torch.arange(len(p)), 1) if len(p) > 1 else torch.arange(len(p))
    cos_other = cosine_similarities(p.essential, p.adversarial[shift])
    cap = LARGE["mask"]["max_steps"]
    return {"n_pairs": len(p), "cosine_mean": float(cos.mean()), "cosine_std": float(cos.std(ddof=1)),
            "cosine_other_image_mean": float(cos_other.mean()),
            "share_above_half_essential": float((p.essential > 0.5).float().mean()),
            "share_above_half_adversarial": float((p.adversarial > 0.5).float().mean()),
            "id_essential": two_nn_id(p.essential), "id_adversarial": two_nn_id(p.adversarial),
            "id_pairs": two_nn_id(torch.cat([p.essential, p.adversarial], 1)),
            "mean_value_essential": float(p.essential.mean()), "mean_value_adversarial": float(p.adversarial.mean()),
            "mean_steps_essential": float(np.mean(p.steps["essential"])),
            "mean_steps_adversarial": float(np.mean(p.steps["adversarial"])),
            "capped_essential": float(np.mean(np.asarray(p.steps["essential"]) >= cap)),
            "capped_adversarial": float(np.mean(np.asarray(p.steps["adversarial"]) >= cap))}


#: Attack names of the chapters and of Basile et al.'s tables.
PAPER_ATTACK = {"linf_fmn": "FMN", "linf_pgd": "PGD", "linf_deepfool": "DeepFool"}
#: Subset sizes of the power curve (all pairs are added).
SUBSET_SIZES = (250, 500, 1000, 2000)


def _within_class_row(p: Pairs, *, n_shuffles: int, seed: int) -> dict:
    """The Id test against shuffles that keep each image's class (the true class of its test
    image): if the pairing's Id is still below them, the class alone does not explain the tie."""
    from ibbook.data import load_cifar10
    from ibbook.intrinsic_dim import id_correlation_test, within_class_permutations

    test = load_cifar10("test")
    label_of = dict(zip(np.asarray(test.indices).tolist(), test.y.tolist()))
    labels = np.array([label_of[int(i)] for i in p.image_ids])
    perms = within_class_permutations(labels, n_shuffles, seed)
    t = id_correlation_test(p.essential, p.adversarial, permutations=perms)
    return {**_test_row(t), "n_shuffles": n_shuffles, "seed": seed}


def _id_row(p: Pairs, attack: str, *, n_shuffles: int, n_subsets: int) -> dict:
    """Gate, Id test on all pairs and on subsets, for one attack's pairs."""
    from ibbook.intrinsic_dim import id_correlation_test, subset_tests

    seed = zlib.crc32(attack.encode()) % 10_000  # independent shuffles for each attack's test
    t = id_correlation_test(p.essential, p.adversarial, n_shuffles=n_shuffles, seed=seed)
    sizes = [n for n in SUBSET_SIZES if n < len(p)]
    subs = subset_tests(p.essential, p.adversarial, sizes, n_subsets=n_subsets, n_shuffles=20, seed=seed + 1)
    subs[len(p)] = [t]  # all pairs: the main test itself (its n_shuffles), not a second draw
    z_pop = (t.id - t.shuffled_mean) / float(np.std(t.shuffled))  # the authors' np.std (ddof = 0)
    within = _within_class_row(p, n_shuffles=min(n_shuffles, 500), seed=seed + 2)
    return {"n": len(p), "id": t.id, "shuffled_mean": t.shuffled_mean, "shuffled_std": t.shuffled_std,
            "z": t.z, "p": t.p_value, "p_permutation": t.p_permutation, "n_shuffles": n_shuffles,
            "z_population_std": float(z_pop),
            "shuffle_seed": seed, "gate": gate(p), "within_class": within,
            "subsets": {str(n): [{"z": x.z, "p": x.p_value} for x in ts] for n, ts in subs.items()}}


def restrict(p: Pairs, image_ids) -> Pairs:
    """The pairs of ``p`` whose image is in ``image_ids`` (in ``p``'s order)."""
    keep = torch.isin(p.image_ids, torch.as_tensor(image_ids))
    idx = keep.nonzero().flatten().tolist()
    return Pairs(p.essential[keep], p.adversarial[keep], p.image_ids[keep],
                 {k: [v[i] for i in idx] for k, v in p.steps.items()})


def _test_row(t) -> dict:
    return {"id": t.id, "shuffled_mean": t.shuffled_mean, "shuffled_std": t.shuffled_std, "z": t.z,
            "p": t.p_value, "p_permutation": t.p_permutation}


#: Random swaps of the two networks' adversarial masks in the control's swap test.
CONTROL_SWAPS = 500


def control_comparison(same: Pairs, twin: Pairs, *, n_shuffles: int = 2000, n_swaps: int = CONTROL_SWAPS,
                       seed: int = 0) -> dict:
    """The two-network control on the images both pair sets have: the Id test of network A's
    essential masks against A's adversarial masks (``same``) and against a twin network B's
    (``twin``, same recipe, other seed), each on all shared images (``n_shuffles`` shuffles),
    and the swap test (:func:`ibbook.intrinsic_dim.swap_test`, ``n_swaps`` random swaps of A's
    and B's masks image by image): are A's own masks more tied to its essential masks than B's?

    Both masks of an image are shaped by its spectrum, so the paper's test can reject
    independence without any link to the network that made the masks; the twin separates the
    two (:func:`control_reading`). Fewer than 20 shared images is a ValueError.
    Source: issue 21's stronger null (no source has it); the test is 003, section 4."""
    from ibbook.intrinsic_dim import id_correlation_test, swap_test

    common = sorted(set(same.image_ids.tolist()) & set(twin.image_ids.tolist()))
    if len(common) < 20:
        raise ValueError(f"{len(common)} shared images are not accepted; the control needs at least 20")
    a, b = restrict(same, common), restrict(twin, common)
    assert a.image_ids.tolist() == b.image_ids.tolist() == common  # pairs sorted by image id
    assert torch.equal(a.essential, b.essential)  # the same network's essential masks on both sides
    ta = id_correlation_test(a.essential, a.adversarial, n_shuffles=n_shuffles, seed=seed)
    tb = id_correlation_test(b.essential, b.adversarial, n_shuffles=n_shuffles, seed=seed + 1)
    sw = swap_test(a.essential, a.adversarial, b.adversarial, n_swaps=n_swaps, seed=seed + 2)
    return {"n": len(common), "n_shuffles": n_shuffles, "same": _test_row(ta), "twin": _test_row(tb), "swap": sw}


def control_reading(c: dict) -> tuple[str, str]:
    """``(reading, sentence)`` of one attack's control (:func:`control_comparison`); the rule is
    :func:`ibbook.sources.protocol.twin_reading`, the one the scorecard grades by."""
    from ibbook.sources.protocol import twin_reading

    return twin_reading(c)


def summarise(n_chunks: int, *, n_shuffles: int = 2000, n_subsets: int = 10, control_seed: int | None = None) -> dict:
    """Table 2 of Basile et al. (ResNet-20 rows) from the first ``n_chunks`` chunks that exist: per
    attack, the gate (:func:`gate`), the Id test on all pairs (``n_shuffles`` shuffles) and on
    :data:`SUBSET_SIZES` subsets (``n_subsets`` each, 20 shuffles), and, with ``control_seed``,
    the two-network control (:func:`control_comparison`: essential masks of network 0 against
    adversarial masks of network 0 and of network ``control_seed`` on the same images, read by
    :func:`control_reading`). Nothing is computed: missing chunks are skipped."""
    from ibbook import weights

    out: dict = {"masks": {"ResNet-20": {}}, "control": {}, "chunks": {}}
    for attack, name in PAPER_ATTACK.items():
        p = pairs(attack, n_chunks=n_chunks)
        out["chunks"][name] = sum(chunk("adversarial", i, attack=attack, compute=False) is not None
                                  for i in range(n_chunks))
        if len(p) >= 10:
            out["masks"]["ResNet-20"][name] = _id_row(p, attack, n_shuffles=n_shuffles, n_subsets=n_subsets)
        if control_seed is not None:
            c = pairs(attack, n_chunks=n_chunks, adversarial_seed=control_seed)
            if len(c) >= 20:
                twin = weights.published_info(LARGE["recipe"], control_seed)
                row = control_comparison(p, c, n_shuffles=n_shuffles, seed=zlib.crc32(f"control {attack}".encode()) % 10_000)
                out["control"][name] = {**row, "network_seed": control_seed, "twin_accuracy": twin["test_accuracy"],
                                        "twin_sha256": twin["sha256"], "reading": control_reading(row)[0]}
    out["accuracy"] = {"resnet20": weights.published_info(LARGE["recipe"])["test_accuracy"]}
    return out


def table2(masks: dict, model: str = "ResNet-20"):
    """Basile et al.'s Table 2 rows of ``model`` with ours directly above the paper's, one pair of
    rows per attack: N, same-image cosine (mean ± sample std), Id, shuffled Id (mean ± sample
    std), Z and p. ``masks`` is ``results["masks"][model]`` of :func:`summarise`; an attack
    without a row is shown as not run. Returns a pandas DataFrame indexed by (attack, source)."""
    import pandas as pd

    from ibbook.sources.s003 import TABLE2_3

    rows = []
    for name in PAPER_ATTACK.values():
        r = masks.get(name)
        if r is None:
            rows.append({"attack": name, "source": "ours", "N": "not run"})
        else:
            g = r["gate"]
            rows.append({"attack": name, "source": "ours", "N": f"{r['n']:,}",
                         "cosine": f"{g['cosine_mean']:.2f} ± {g['cosine_std']:.2f}", "Id": f"{r['id']:.2f}",
                         "Id (shuffled)": f"{r['shuffled_mean']:.2f} ± {r['shuffled_std']:.2f}",
                         "Z": f"{r['z']:.2f}", "p": f"{r['p']:.1e}"})
        cos, i_d, sh, z, pv = TABLE2_3[name, model]
        rows.append({"attack": name, "source": "paper", "N": "not stated", "cosine": cos, "Id": f"{i_d:.2f}",
                     "Id (shuffled)": sh, "Z": f"{z:.2f}", "p": pv})
    return pd.DataFrame(rows).fillna("").set_index(["attack", "source"])


def compute_seconds(n_chunks: int, network_seed: int = 0, *, entries: bool = False):
    """Wall seconds the existing chunks took to compute (as recorded in them); with ``entries``,
    the seconds of each chunk entry by mask kind (``"essential"`` or the attack) instead."""
    secs: dict[str, list[float]] = {}
    for i in range(n_chunks):
        for kind, a in [("essential", None)] + [("adversarial", a) for a in LARGE["attacks"]]:
            c = chunk(kind, i, attack=a, network_seed=network_seed, compute=False)
            if c is not None:
                secs.setdefault(a or kind, []).append(float(c["seconds"]))
    return secs if entries else sum(sum(v) for v in secs.values())


def save_examples(n_chunks: int, n: int = 3, attack: str = "linf_fmn"):
    """Store the images and both masks of the first ``n`` pairs of ``attack`` (float16, about
    40 kB) as ``<results dir>/fourier_masks/large_examples.npz``, so that the chapter can draw them
    without the mask sets (which stay in the artefact cache)."""
    import io
    from pathlib import Path

    from ibbook.cache import atomic_write
    from ibbook.data import load_cifar10
    from ibbook.records import results_dir

    p = pairs(attack, n_chunks=n_chunks)
    if len(p) < n:
        raise ValueError(f"only {len(p)} pairs of {attack} exist; need {n}")
    test = load_cifar10("test")
    pos = {int(i): k for k, i in enumerate(test.indices)}
    ids = p.image_ids[:n]
    images = test.x[[pos[int(i)] for i in ids]]
    buf = io.BytesIO()
    np.savez_compressed(buf, image_ids=ids.numpy(), images=images.half().numpy(),
                        essential=p.essential[:n].view(n, 3, 32, 32).half().numpy(),
                        adversarial=p.adversarial[:n].view(n, 3, 32, 32).half().numpy(), attack=attack)
    path = results_dir() / "fourier_masks" / "large_examples.npz"
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))


def save(n_chunks: int, **kwargs) -> tuple:
    """Write the ``large`` result files of the intrinsic-dimension chapter (the Id tests) and the
    Fourier-mask chapter (gate and accuracy) with a run record; returns their paths."""
    import platform

    from ibbook import pins, records, weights

    tic = time.time()
    res = summarise(n_chunks, **kwargs)
    secs = compute_seconds(n_chunks, entries=True)
    rec = {"scale": "large", "device": "cpu", "device_name": platform.processor() or "cpu",
           "cpu_threads": torch.get_num_threads(), "numerical_pins": pins.active(), "git_commit": records.git_commit(),
           "torch": torch.__version__, "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
           "summary_wall_time_s": round(time.time() - tic, 1), "chunks": n_chunks,
           "mask_compute_hours": round(sum(sum(v) for v in secs.values()) / 3600, 3),
           # quiet speed: the fastest chunk of each mask kind (chunks computed while other jobs
           # shared the two cores took up to 5 times longer), averaged over the kinds
           "mask_seconds_per_image": round(float(np.mean([min(v) for v in secs.values()])) / LARGE["chunk"], 3),
           "weights_sha256": weights.published_info(LARGE["recipe"])["sha256"],
           "settings": {k: v for k, v in LARGE.items()}, **{k: v for k, v in kwargs.items()}}
    a = records.save_results("intrinsic_dim", "large", {"masks": res["masks"], "control": res["control"],
                                                        "chunks": res["chunks"]}, {**rec, "chapter": "intrinsic_dim"})
    gates = {name: row["gate"] for name, row in res["masks"]["ResNet-20"].items()}
    save_examples(n_chunks)
    b = records.save_results("fourier_masks", "large", {"accuracy": res["accuracy"], "gate": {"ResNet-20": gates}},
                             {**rec, "chapter": "fourier_masks"})
    return a, b


def run(*, n_chunks: int, attacks=None, network_seed: int = 0, essential: bool = True, data_root=None,
        log=print) -> None:
    """Compute (or find in the cache) chunk after chunk, attack after attack: for the first attack,
    each chunk's essential masks and then its adversarial masks, so that the first attack's pairs
    grow chunk by chunk; then the next attack. One line per chunk is printed."""
    attacks = tuple(LARGE["attacks"]) if attacks is None else tuple(attacks)
    for a in attacks:
        check_choice("attack", a, tuple(LARGE["attacks"]))
    for a in attacks:
        for i in range(n_chunks):
            for kind, att in ([("essential", None)] if essential else []) + [("adversarial", a)]:
                tic = time.time()
                c = chunk(kind, i, attack=att, network_seed=network_seed, data_root=data_root)
                log(f"chunk {i} {kind} {att or ''} seed {network_seed}: {len(c['image_ids'])} masks, "
                    f"{float(c['seconds']):.0f} s computed, {time.time() - tic:.0f} s now", flush=True)


def main(argv: list[str] | None = None) -> int:
    """``run --chunks K [--attacks A ...] [--network-seed S] [--no-essential]`` or ``summarise
    --chunks K [--control-seed S]`` (writes the ``large`` result files), under the numerical
    pins (the process restarts itself with them when they are not set: torch reads them at import)."""
    import os
    import sys

    from ibbook import pins

    ap = argparse.ArgumentParser(prog="python -m ibbook.masks.large", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("run", "summarise"))
    ap.add_argument("--chunks", type=int, required=True, help="chunks of LARGE['chunk'] test images")
    ap.add_argument("--attacks", nargs="*", default=None, choices=tuple(LARGE["attacks"]))
    ap.add_argument("--network-seed", type=int, default=0)
    ap.add_argument("--no-essential", action="store_true")
    ap.add_argument("--control-seed", type=int, default=None, help="summarise: network of the two-network control")
    ap.add_argument("--data-root", default=None)
    args = ap.parse_args(argv)
    if pins.enabled() and not pins.active():
        argv = sys.argv[1:] if argv is None else list(argv)
        os.execve(sys.executable, [sys.executable, "-m", "ibbook.masks.large", *argv], {**os.environ, **pins.PINS})
    if args.action == "summarise":
        for path in save(args.chunks, control_seed=args.control_seed):
            print("written", path)
        return 0
    run(n_chunks=args.chunks, attacks=args.attacks, network_seed=args.network_seed,
        essential=not args.no_essential, data_root=args.data_root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
