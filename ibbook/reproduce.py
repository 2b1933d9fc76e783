"""Reproduce the whole book at a chosen scale with one command.

    python -m ibbook.reproduce --scale full --device cuda
    python -m ibbook.reproduce --scale small --engine dask --workers 2 --chapters data attacks
    python -m ibbook.reproduce --scale full --device cuda --book      # then build the book
    python -m ibbook.reproduce --estimate                             # time per chapter on a GPU

Every chapter listed in ``_toc.yml`` is executed with papermill (:func:`ibbook.run.run_chapter`)
in dependency order (:data:`DEPENDS`; the scorecard runs after every other chapter), writing the
executed notebooks to ``--out`` (default ``_build/reproduce/<scale>``) and the result files to
``<out>/results`` (``$IBBOOK_RESULTS``), so the committed notebooks and ``data/results`` are never
touched. Each chapter appends one JSON line to ``<out>/log.jsonl``: chapter, scale, device,
start, seconds, status (``ok``, ``failed``, ``resumed``, ``blocked``), host.

**Resuming.** A chapter whose executed notebook exists without error outputs, and whose marker
``<out>/done/<chapter>.json`` holds the same parameters and the same notebook source hash, is not
run again (status ``resumed``). A chapter interrupted half way is run again, and the chapters'
own artefact caches (``ibbook.cache``, ``~/.cache/ibbook/artifacts``) make the finished parts
free.

**Engines.** ``--engine local`` runs the chapters one after the other in this process.
``--engine dask`` hands each chapter to dask.distributed, as one task whose arguments are the
futures of its dependencies (so the scheduler, not this module, orders them): a
``LocalCluster`` of ``--workers`` single-threaded worker processes by default, or an existing
cluster with ``--scheduler tcp://host:8786`` (its workers need this project at the same path
and a shared file system, since tasks read notebooks and write results by path). With several
workers on one GPU the chapters share its memory; give each worker its own GPU with
``CUDA_VISIBLE_DEVICES`` when starting ``dask worker`` processes by hand.

**Finer jobs.** Here a job is a chapter. The paper-scale work inside a chapter is itself a set
of independent jobs (models x attacks x seeds: one training run, then attacks on it), each
already keyed by its config in ``ibbook.cache``. They map onto the same engine without a new
scheduler: submit ``cache.cached(kind, config, compute)`` for each (model, seed) as a task,
then each attack as a task taking that future, and let the chapter, run last, read the filled
cache. The chapters are not split that way yet.

Used by: the README's "Reproducing everything" section and ``tests/test_reproduce.py``.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import PROJECT_ROOT

#: Chapters that read artefacts another chapter computes (run after it).
DEPENDS: dict[str, tuple[str, ...]] = {"intrinsic_dim": ("fourier_masks",)}
#: Chapters that read every other chapter's results: run after all of them.
RUN_LAST = ("scorecard",)
ENGINES = ("local", "dask")
#: Final statuses a chapter can have in the log.
STATUSES = ("ok", "failed", "resumed", "blocked")


def toc_chapters(root: Path = PROJECT_ROOT) -> list[str]:
    """Notebook chapters in ``_toc.yml`` order (names without ``chapters/``)."""
    text = (root / "_toc.yml").read_text()
    names = re.findall(r"file:\s*chapters/(\S+)", text)
    return [n for n in names if (root / "chapters" / f"{n}.ipynb").exists()]


def notebook_scales(notebook: Path) -> tuple[str, ...]:
    """The scale names of a chapter (its notebook's stem) in :data:`ibbook.scales.SCALES`."""
    return tuple(notebook_scale_values(notebook))


def notebook_scale_values(notebook: Path) -> dict[str, dict[str, Any]]:
    """The settings per scale of a chapter (its notebook's stem), from :mod:`ibbook.scales`, the
    module the chapter itself reads; ValueError naming a chapter that has none."""
    from . import scales

    return scales.of(Path(notebook).stem)


def plan(chapters: Sequence[str] | None, scale: str, *, root: Path = PROJECT_ROOT) -> list[str]:
    """The chapters to run, validated, in an order that respects :data:`DEPENDS` and :data:`RUN_LAST`.

    Unknown chapters, or a scale a chapter does not define, raise ``ValueError`` naming the bad
    value and the accepted ones. Dependencies not asked for are not added (the dependent chapter
    then computes what it needs itself).
    """
    known = toc_chapters(root)
    chosen = list(known) if not chapters else list(dict.fromkeys(chapters))
    for ch in chosen:
        if ch not in known:
            raise ValueError(f"chapter {ch!r} is not accepted; use one of {', '.join(map(repr, known))}")
    for ch in chosen:
        scales = notebook_scales(root / "chapters" / f"{ch}.ipynb")
        if scale not in scales:
            raise ValueError(f"scale={scale!r} is not accepted for chapter {ch!r}; use one of "
                             f"{', '.join(map(repr, scales))}")
    order: list[str] = []

    def visit(ch: str, stack: tuple[str, ...] = ()) -> None:
        if ch in order:
            return
        if ch in stack:
            raise ValueError(f"dependency cycle: {' -> '.join(stack + (ch,))}")
        for dep in dependencies(ch, chosen):
            visit(dep, stack + (ch,))
        order.append(ch)

    for ch in sorted(chosen, key=lambda c: (c in RUN_LAST, known.index(c))):
        visit(ch)
    return order


def dependencies(chapter: str, chosen: Sequence[str]) -> list[str]:
    """The chapters among ``chosen`` that must finish before ``chapter`` starts."""
    if chapter in RUN_LAST:
        return [c for c in chosen if c not in RUN_LAST]
    return [d for d in DEPENDS.get(chapter, ()) if d in chosen]


@dataclass(frozen=True)
class Job:
    """One chapter run: what to execute, with which parameters, and where to write."""

    chapter: str
    scale: str
    device: str
    seed: int | None
    data_root: str | None
    out: str
    root: str = str(PROJECT_ROOT)

    @property
    def notebook(self) -> Path:
        return Path(self.root) / "chapters" / f"{self.chapter}.ipynb"

    @property
    def executed(self) -> Path:
        return Path(self.out) / f"{self.chapter}.ipynb"

    @property
    def marker(self) -> Path:
        return Path(self.out) / "done" / f"{self.chapter}.json"

    def params(self) -> dict[str, Any]:
        """Parameters and notebook source hash: what must match for a resume."""
        return {"scale": self.scale, "device": self.device, "seed": self.seed,
                "data_root": self.data_root, "source": source_hash(self.notebook)}


def source_hash(notebook: Path) -> str:
    """Hash of a notebook's cell sources (outputs ignored): a changed chapter runs again."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    text = json.dumps([[c["cell_type"], "".join(c["source"])] for c in cells])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def has_errors(notebook: Path) -> bool:
    """Whether an executed notebook holds an error output (or cannot be read)."""
    try:
        cells = json.loads(Path(notebook).read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return True
    return any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))


def is_done(job: Job) -> bool:
    """Whether ``job`` finished before with the same parameters (the resume rule)."""
    if not (job.executed.exists() and job.marker.exists()) or has_errors(job.executed):
        return False
    try:
        return json.loads(job.marker.read_text()).get("params") == job.params()
    except ValueError:
        return False


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def run_job(job: Job, *deps: Mapping[str, Any]) -> dict[str, Any]:
    """Run one chapter (unless done or blocked) and return its log entry; never raises.

    ``deps`` are the log entries of the chapters it depends on (dask passes their futures'
    results); a failed or blocked dependency blocks this chapter.
    """
    entry: dict[str, Any] = {"chapter": job.chapter, "scale": job.scale, "device": job.device,
                             "start": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": 0.0,
                             "status": "ok", "host": socket.gethostname()}
    bad = [d["chapter"] for d in deps if d["status"] in ("failed", "blocked")]
    if bad:
        return {**entry, "status": "blocked", "error": f"dependency failed: {', '.join(bad)}"}
    if is_done(job):
        return {**entry, "status": "resumed"}
    from .run import run_chapter

    t0 = time.perf_counter()
    try:
        job.marker.unlink(missing_ok=True)
        with _env("IBBOOK_RESULTS", str(Path(job.out) / "results")):
            run_chapter(job.notebook, scale=job.scale, device=job.device, seed=job.seed,
                        data_root=job.data_root, output=job.executed, progress=False)
        job.marker.parent.mkdir(parents=True, exist_ok=True)
        job.marker.write_text(json.dumps({"params": job.params()}, indent=1) + "\n")
    except Exception as exc:  # noqa: BLE001  (reported in the log, the run goes on)
        msg = getattr(exc, "evalue", None) or str(exc) or type(exc).__name__
        entry.update(status="failed", error=f"{getattr(exc, 'ename', type(exc).__name__)}: {msg}"[:500])
    entry["seconds"] = round(time.perf_counter() - t0, 2)
    return entry


def append_log(out: Path, entry: Mapping[str, Any]) -> None:
    """Append one JSON line to ``<out>/log.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "log.jsonl", "a") as f:
        f.write(json.dumps(dict(entry), sort_keys=True) + "\n")


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="chapter")


def run_local(jobs: Sequence[Job], chosen: Sequence[str]) -> list[dict[str, Any]]:
    """Run ``jobs`` (already in dependency order) one after the other in this process."""
    done: dict[str, dict[str, Any]] = {}
    with _progress(len(jobs), "chapters") as bar:
        for job in jobs:
            bar.set_postfix_str(job.chapter)
            deps = [done[d] for d in dependencies(job.chapter, chosen)]
            done[job.chapter] = run_job(job, *deps)
            append_log(Path(job.out), done[job.chapter])
            bar.update()
    return list(done.values())


def run_dask(jobs: Sequence[Job], chosen: Sequence[str], *, workers: int = 2,
             scheduler: str | None = None) -> list[dict[str, Any]]:
    """Hand ``jobs`` to dask.distributed; each task waits on its dependencies' futures."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    # Starting a LocalCluster writes OMP_NUM_THREADS=1 (and MKL_/OPENBLAS_ ones) into this
    # process's environment for its workers; everything started later from this process (e.g.
    # notebook kernels) would inherit one thread, and torch would give other floats. Restore it.
    saved_env = dict(os.environ)
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    entries: list[dict[str, Any]] = []
    try:
        with Client(scheduler or cluster) as client:
            futures: dict[str, Any] = {}
            for job in jobs:
                deps = [futures[d] for d in dependencies(job.chapter, chosen)]
                futures[job.chapter] = client.submit(run_job, job, *deps, pure=False,
                                                     key=f"ibbook-{job.chapter}-{time.time_ns()}")
            with _progress(len(jobs), "chapters") as bar:
                for fut in as_completed(list(futures.values())):
                    entry = fut.result()
                    append_log(Path(jobs[0].out), entry)
                    entries.append(entry)
                    bar.set_postfix_str(entry["chapter"])
                    bar.update()
    finally:
        if cluster is not None:
            cluster.close()
        os.environ.clear()
        os.environ.update(saved_env)
    return entries


def reproduce(*, scale: str = "full", device: str = "auto", chapters: Sequence[str] | None = None,
              out: str | Path | None = None, engine: str = "local", workers: int = 2,
              scheduler: str | None = None, seed: int | None = None, data_root: str | None = None,
              book: bool = False, root: Path = PROJECT_ROOT) -> list[dict[str, Any]]:
    """Run the chosen chapters at ``scale`` on ``device``; return their log entries (see module doc)."""
    from .params import DEVICES, check_choice

    check_choice("engine", engine, ENGINES)
    check_choice("device", device, DEVICES)
    if workers < 1:
        raise ValueError(f"workers={workers!r} is not accepted; use a positive integer")
    order = plan(chapters, scale, root=root)
    out = Path(out) if out is not None else root / "_build" / "reproduce" / scale
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    jobs = [Job(ch, scale, device, seed, data_root, str(out), str(root)) for ch in order]
    if engine == "local":
        entries = run_local(jobs, order)
    else:
        entries = run_dask(jobs, order, workers=workers, scheduler=scheduler)
    if book:
        build_book(out, root=root)
    return entries


BOOK_FILES = ("_config.yml", "_toc.yml", "intro.md", "references.bib")


def prepare_book_sources(out: Path, *, root: Path = PROJECT_ROOT) -> Path:
    """Copy the book's sources to ``<out>/book_src``, with the executed notebooks from ``out``.

    A chapter not executed into ``out`` keeps its committed notebook (listed on stdout).
    """
    src = Path(out) / "book_src"
    if src.exists():
        shutil.rmtree(src)
    (src / "chapters").mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(root / name, src / name)
    for md in (root / "chapters").glob("*.md"):
        shutil.copy2(md, src / "chapters" / md.name)
    committed = []
    for nb in (root / "chapters").glob("*.ipynb"):
        executed = Path(out) / nb.name
        use = executed if executed.exists() and not has_errors(executed) else nb
        if use is nb:
            committed.append(nb.stem)
        shutil.copy2(use, src / "chapters" / nb.name)
    if committed:
        print("committed notebooks used for:", ", ".join(sorted(committed)))
    return src


def build_book(out: Path, *, root: Path = PROJECT_ROOT) -> Path:
    """Build the HTML book from the executed notebooks into ``<out>/book`` (execution off)."""
    src = prepare_book_sources(out, root=root)
    dest = Path(out) / "book"
    exe = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(exe), "build", str(src), "--path-output", str(dest), "--keep-going"],
                   check=True)
    html = dest / "_build" / "html" / "index.html"
    print(f"book: {html}")
    return html


# --- Time estimates -------------------------------------------------------------------------

#: The assumed speed of one GPU over this 2-core CPU for the chapters' GPU-bound work (conv
#: nets, mask optimisation, wide pReLU nets at batch 100-1000). A round, stated assumption,
#: not a measurement (no GPU was available when these estimates were made).
GPU_SPEEDUP = 50.0
#: Effective float32 throughput assumed for one H100-class GPU on the chapters' dense layers and
#: convolutions (about a third of its TF32 peak): used where a chapter's work is counted in FLOPs.
GPU_FLOPS = 2e13
#: Forward + backward multiply-adds of the CIFAR ResNet-18 (width 64) per image, in FLOPs.
RESNET18_PASS_FLOPS = 3 * 2 * 0.56e9


@dataclass(frozen=True)
class Work:
    """How a chapter's cost grows with its settings: ``proxy(settings)`` in arbitrary units, or,
    when ``flops`` is given, its floating-point operations (then the GPU time is
    ``flops / GPU_FLOPS`` and the CPU's measured rate is ``flops(measured) / wall time``)."""

    what: str
    proxy: Callable[[Mapping[str, Any]], float]
    gpu_bound: bool
    flops: Callable[[Mapping[str, Any]], float] | None = None


def _len(v: Any) -> int:
    return len(v) if isinstance(v, (list, tuple)) else 1


def _prelu_flops(s: Mapping[str, Any]) -> float:
    """Floating-point operations of the pReLU chapter at settings ``s`` (a scale of
    ``SCALES["prelu"]``): full-batch gradient descent on ``n = n_per_k K`` points with ``h =
    width_per_k K`` neurons in ``D = dim`` dimensions costs ``4 n D h`` per step (forward ``2nDh``,
    weight gradient ``2nDh``; the inputs need no gradient), for every (K, alpha, p) of the sweep,
    the poster's K = 10 runs (3 seeds x 2 noise levels x 2 p) and the precision check (one K, each
    p, once more); plus MNIST training, ``6 * 784 * width`` per image and Adam step (batches of
    1000). The attacks of every trained net: DDN, ``ddn_steps`` forward and backward passes
    (``6 D h``) per test point, and two line searches of 240 forward passes (``2 D h``) each; on
    MNIST, APGD with ``apgd_steps`` passes (``6 * 784 * width``) per attacked image and budget
    (four budgets)."""
    per_run = lambda K: s["gf_steps"] * 4 * (s["n_per_k"] * K) * (s["width_per_k"] * K) * s["dim"]
    attack = lambda K: s["n_test"] * s["dim"] * (s["width_per_k"] * K) * (
        6 * s["ddn_steps"] + 2 * 2 * 240)
    runs = lambda K: per_run(K) + attack(K)
    sweep = _len(s["alphas"]) * _len(s["ps"]) * sum(runs(K) for K in s["ks"])
    poster = 3 * 2 * 2 * runs(10)
    k_prec = 16 if 16 in s["ks"] else max(s["ks"])
    precision = _len(s["ps"]) * runs(k_prec)
    per_net = s["mnist_steps"] * 1000 + s["n_attack"] * s["apgd_steps"] * 4
    mnist = per_net * s["mnist_seeds"] * _len(s["mnist_ps"]) * 6 * 784 * s["mnist_width"]
    return float(sweep + poster + precision + mnist)


def _dynamics_flops(s: Mapping[str, Any]) -> float:
    """ResNet-18 passes of the learning-dynamics chapter: training, then per snapshot PGD, FMN,
    DeepFool (one gradient per candidate class and step) and the paths (one forward and two
    gradients per point, adversarial and random)."""
    snaps = _len(s["snapshots"])
    passes = s["n_train"] * s["epochs"] + snaps * (
        s["n_attack"] * s["pgd_steps"] + s["n_fmn"] * (s["fmn_steps"] + s["df_steps"] * s["df_candidates"])
        + 2 * 3 * s["n_paths"] * s["n_points"])
    return float(passes * RESNET18_PASS_FLOPS * (s["width"] / 64) ** 2)


@functools.cache
def _pass_flops(model: str, size: int | None, train: bool) -> float:
    """FLOPs of one image's forward and backward pass through a classifier of
    :data:`ibbook.masks.CLASSIFIERS` (weight gradients too when ``train``; else the input
    gradient alone, as in a mask step), counted by torch's FlopCounterMode."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from . import models
    m = models.build_model(model, num_classes=10).eval().requires_grad_(train)
    x = torch.rand(1, 1 if model == "vgg11_gray" else 3, size or 32, size or 32, requires_grad=True)
    with FlopCounterMode(display=False) as fc:
        m(x).sum().backward()
    return float(fc.get_total_flops())


def _masks_flops(s: Mapping[str, Any]) -> float:
    """Every classifier of the masks chapter at scale ``s["_scale"]``: training (images x epochs
    training passes) and mask steps (``max_steps``, an upper bound, per mask; an essential and
    three adversarial masks per test image for the models with mask sets, an essential mask for
    VGG11), plus the five fine-tuned ResNet-20s (PGD training: 1 + steps passes per image) and
    their masks. Attacks are left out (a few hundred passes per image against thousands of mask
    steps)."""
    from .data.datasets import _EXPECTED_COUNTS  # images per split (None = all of them)
    from .masks import CLASSIFIERS, MASK_SET_MODELS, mask_set_settings
    splits = {"cifar10": _EXPECTED_COUNTS["cifar10-jpeg"], "imagenette": _EXPECTED_COUNTS["imagenette-224"]}
    scale, total = s["_scale"], 0.0
    for model, data in CLASSIFIERS.items():
        kw = mask_set_settings(scale, 0, model)
        n_train = kw["n_train"] or splits[data]["train"]
        n_test = kw["n_test"] or splits[data]["test" if data == "cifar10" else "val"]
        total += n_train * kw["epochs"] * _pass_flops(model, kw.get("size"), True)
        n_masks = 4 if model in MASK_SET_MODELS[scale] else 1 if model == "vgg11_gray" else 0
        total += n_masks * n_test * kw["max_steps"] * _pass_flops(model, kw.get("size"), False)
    r20 = mask_set_settings(scale, 0, "resnet20")
    total += (4 + 1 + s["adv_steps"]) * s["ft_epochs"] * r20["n_train"] * _pass_flops("resnet20", None, True)
    total += 5 * s["n_robust"] * r20["max_steps"] * _pass_flops("resnet20", None, False)
    return total


#: Work proxies per chapter (what the time is assumed proportional to).
WORK: dict[str, Work] = {
    "implicit_bias": Work("instances x steps (CPU: cvxpy, small dense problems)",
                          lambda s: s["svm_instances"] * s["gd_steps"] + s["relu_instances"]
                          * s["relu_steps"] + s["spline_datasets"] * s["spline_steps"]
                          + s["conv_instances"] * s["conv_steps"], False),
    "attacks": Work("instances (CPU: cvxpy and closed forms)",
                    lambda s: s["n_linear"] + s["n_polygon"] + s["n_deepfool"] + 50 * s["n_lemma"]
                    + s["n_conv"] * s["conv_steps"] / 100, False),
    "prelu": Work("gradient-descent steps x 4 n D h per (K, alpha, p), n and h proportional to K, "
                  "plus MNIST Adam steps x batch x seeds x p, plus the attacks (DDN and two line "
                  "searches per test point, APGD on MNIST) (float32 at medium, large, full)",
                  lambda s: _prelu_flops(s), True, lambda s: _prelu_flops(s)),
    "fourier_bias": Work("training images seen (n_train x epochs)",
                         lambda s: s["n_train"] * s["epochs"], True),
    "learning_dynamics": Work("ResNet-18 forward+backward passes (training, PGD, FMN, DeepFool, "
                              "paths) x width^2",
                              lambda s: _dynamics_flops(s), True, lambda s: _dynamics_flops(s)),
    "fourier_masks": Work("training and mask-step passes of every classifier (ResNet-20, CCT-7, "
                          "ResNet-18 and VGG11 on Imagenette, the fine-tuned ResNet-20s), FLOPs "
                          "counted by torch, at most max_steps per mask",
                          _masks_flops, True, _masks_flops),
    "intrinsic_dim": Work("points^2 x shuffles (CPU: TwoNN on distance matrices)",
                          lambda s: s["n_spiral"] ** 2 * s["n_shuffles"]
                          + sum(n ** 2 for n in s["calib_n"]) * s["calib_pairs"]
                          * s["calib_shuffles"], False),
    "data": Work("images decoded (n_stats; None = all 60,000)",
                 lambda s: s["n_stats"] or 60000, False),
}


#: The result files the estimate reads, in this order: only committed ones (``small.json`` is
#: git-ignored, so a fresh clone lacks it and the table would differ from the README's).
#: ``large`` comes after ``medium`` so that chapters with both keep the basis the README shows.
RECORDED_SCALES = ("full", "medium", "large")


def estimate_rows(*, gpu_speedup: float = GPU_SPEEDUP, root: Path = PROJECT_ROOT,
                  results: Path | None = None) -> list[dict[str, Any]]:
    """Full-scale time per chapter on one GPU, from the largest recorded run of each chapter.

    estimate = measured wall time x proxy(full) / proxy(measured scale) / speedup, where the
    speedup is ``gpu_speedup`` for GPU-bound chapters and 1 for CPU-bound ones (a full run
    measured on the CPU is then used as it is).
    """
    folder = results or root / "data" / "results"
    rows = []
    for ch in toc_chapters(root):
        if ch not in WORK:
            continue
        w = WORK[ch]
        scales = notebook_scale_values(root / "chapters" / f"{ch}.ipynb")
        if ch == "fourier_masks":  # its classifier settings live in ibbook.masks
            from .masks import mask_set_settings
            scales = {k: {**v, **mask_set_settings(k, 0, "resnet20"), "_scale": k}
                      for k, v in scales.items()}
        found = [(sc, json.loads((folder / ch / f"{sc}.json").read_text()))
                 for sc in RECORDED_SCALES if (folder / ch / f"{sc}.json").exists()]
        row: dict[str, Any] = {"chapter": ch, "work": w.what, "gpu_bound": w.gpu_bound}
        if not found:
            if w.flops is not None:  # a FLOP count needs no measured run
                rows.append({**row, "measured": "not recorded", "ratio": None, "speedup": None,
                             "basis": f"{w.flops(scales['full']):.1e} FLOPs at {GPU_FLOPS:.0e} FLOP/s",
                             "estimate_s": w.flops(scales["full"]) / GPU_FLOPS})
            else:
                rows.append({**row, "measured": "not recorded", "estimate_s": None})
            continue
        sc, got = found[0]
        rec = got["record"]
        ratio = w.proxy(scales["full"]) / w.proxy(scales[sc])
        speed = gpu_speedup if w.gpu_bound else 1.0
        row.update(measured=f"{sc}: {rec['wall_time_s']:.0f} s on {rec.get('device')}", ratio=ratio,
                   speedup=speed, estimate_s=rec["wall_time_s"] * ratio / speed)
        if w.flops is not None:
            row.update(basis=f"{w.flops(scales['full']):.1e} FLOPs at {GPU_FLOPS:.0e} FLOP/s (CPU measured: "
                             f"{w.flops(scales[sc]) / rec['wall_time_s'] / 1e9:.1f} GFLOP/s)",
                       estimate_s=w.flops(scales["full"]) / GPU_FLOPS)
        else:
            row["basis"] = f"{speed:g}x the CPU time"
        rows.append(row)
    return rows


#: The models of Basile et al.'s Tables 2 and 3 whose mask study this book runs at scale ``large``
#: for ResNet-20 only; the others' cost is estimated by :func:`table2_cost_rows`.
TABLE2_MODELS = {"resnet20": "ResNet-20", "cct7": "CCT-7", "resnet18_imagenette": "ResNet-18 (Imagenette)"}


def table2_cost_rows(n_images: int = 2000, *, root: Path = PROJECT_ROOT) -> list[dict[str, Any]]:
    """What one row of Basile et al.'s Tables 2-3 costs per model at the ``large`` settings
    (:data:`ibbook.masks.large.LARGE`): training at the paper's recipe (the full scale's
    ``n_train x epochs`` training passes) and ``4 x n_images`` masks (essential, FMN, PGD,
    DeepFool), each at most ``max_steps`` input-gradient passes. The GPU time divides FLOPs (torch's
    counter) by :data:`GPU_FLOPS`; the CPU time scales ResNet-20's measured seconds per mask on quiet cores
    (``data/results/fourier_masks/large.json``) by the ratio of pass FLOPs, so it assumes the same
    number of steps per mask as ResNet-20 needed. Rows: model, train/mask FLOPs, GPU and CPU
    seconds (CPU None when no ``large`` run is recorded)."""
    from .masks import mask_set_settings
    from .masks.large import LARGE
    from .data.datasets import _EXPECTED_COUNTS

    path = root / "data" / "results" / "fourier_masks" / "large.json"
    rec = json.loads(path.read_text())["record"] if path.exists() else {}
    per_mask = rec.get("mask_seconds_per_image")
    r20_pass = _pass_flops("resnet20", None, False)
    splits = {"resnet20": "cifar10-jpeg", "cct7": "cifar10-jpeg", "resnet18_imagenette": "imagenette-224"}
    rows = []
    for model, name in TABLE2_MODELS.items():
        kw = mask_set_settings("full", 0, model)
        n_train = kw["n_train"] or _EXPECTED_COUNTS[splits[model]]["train"]
        train = n_train * kw["epochs"] * _pass_flops(model, kw.get("size"), True)
        mask_pass = _pass_flops(model, kw.get("size"), False)
        masks = 4 * n_images * LARGE["mask"]["max_steps"] * mask_pass
        cpu = None if per_mask is None else 4 * n_images * per_mask * mask_pass / r20_pass
        rows.append({"model": name, "epochs": kw["epochs"], "train_flops": train, "mask_flops": masks,
                     "gpu_s": (train + masks) / GPU_FLOPS, "cpu_mask_s": cpu})
    return rows


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate_table(*, gpu_speedup: float = GPU_SPEEDUP, root: Path = PROJECT_ROOT) -> str:
    """The estimate as a Markdown table plus the scaling assumption (for the README)."""
    rows = estimate_rows(gpu_speedup=gpu_speedup, root=root)
    lines = ["| chapter | measured run (2 CPU cores) | full / measured work | "
             "basis of the GPU estimate | full scale on one GPU |", "| --- | --- | --- | --- | --- |"]
    total = 0.0
    for r in rows:
        if r["estimate_s"] is None:
            lines.append(f"| {r['chapter']} | not recorded | - | - | - |")
            continue
        total += r["estimate_s"]
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.3g}"
        lines.append(f"| {r['chapter']} | {r['measured']} | {ratio} | "
                     f"{r['basis']} | {_human(r['estimate_s'])} |")
    lines.append(f"| total | | | | {_human(total)} |")
    lines.append("")
    lines.append(f"Assumption: where a chapter's work is counted in FLOPs, one GPU sustains "
                 f"{GPU_FLOPS:.0e} FLOP/s; otherwise time grows linearly with the chapter's work proxy "
                 f"(below) from its largest recorded run, GPU-bound chapters run {gpu_speedup:g}x faster "
                 f"on one GPU than on 2 CPU cores, CPU-bound ones (cvxpy, TwoNN, decoding) no faster. "
                 f"No GPU was measured: these are estimates, not timings.")
    for r in rows:
        lines.append(f"- {r['chapter']}: {r['work']}{' (GPU-bound)' if r['gpu_bound'] else ''}")
    lines += ["", "Basile et al.'s Table 2-3 rows at the large settings (2,000 images, four masks each, "
              "at most 2,000 steps per mask):", "",
              "| model | training (paper's epochs) | masks | one GPU | masks on 2 CPU cores |",
              "| --- | --- | --- | --- | --- |"]
    for r in table2_cost_rows(root=root):
        lines.append(f"| {r['model']} | {r['train_flops']:.1e} FLOPs ({r['epochs']} epochs) | "
                     f"{r['mask_flops']:.1e} FLOPs | {_human(r['gpu_s'])} | {_human(r['cpu_mask_s'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ibbook.reproduce",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="full", help="scale of every chapter (default: full)")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    ap.add_argument("--chapters", nargs="+", help="only these chapters (default: all in _toc.yml)")
    ap.add_argument("--out", help="output folder (default: _build/reproduce/<scale>)")
    ap.add_argument("--engine", default="local", help="local or dask (default: local)")
    ap.add_argument("--workers", type=int, default=2, help="dask LocalCluster workers (default: 2)")
    ap.add_argument("--scheduler", help="address of an existing dask scheduler (tcp://...)")
    ap.add_argument("--seed", type=int, help="seed parameter (default: each notebook's)")
    ap.add_argument("--data-root", help="data_root parameter (default: each notebook's)")
    ap.add_argument("--book", action="store_true", help="then build the book into <out>/book")
    ap.add_argument("--estimate", action="store_true",
                    help="print the full-scale time estimate per chapter on one GPU and exit")
    ap.add_argument("--gpu-speedup", type=float, default=GPU_SPEEDUP,
                    help=f"assumed GPU / 2-core CPU speed for --estimate (default {GPU_SPEEDUP:g})")
    args = ap.parse_args(argv)
    if args.estimate:
        print(estimate_table(gpu_speedup=args.gpu_speedup))
        return 0
    entries = reproduce(scale=args.scale, device=args.device, chapters=args.chapters, out=args.out,
                        engine=args.engine, workers=args.workers, scheduler=args.scheduler,
                        seed=args.seed, data_root=args.data_root, book=args.book)
    for e in entries:
        print(f"{e['chapter']:<18} {e['status']:<8} {e['seconds']:>9.1f} s  {e.get('error', '')}")
    return 0 if all(e["status"] in ("ok", "resumed") for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
