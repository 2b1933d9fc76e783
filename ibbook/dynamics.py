"""The learning-dynamics chapter as functions: attacks on every training snapshot, the per-image
numbers behind each claim, their intervals over images, and the claims graded by the protocol.

Source: Ortega Caro et al. 2020 (``001``): section 3.1 (success rate and accuracy, the final
network's lag, minimal norms: Figs. 2a and 3 top), section 3.2 (radial and angular energy of the
perturbations: Figs. 2b, 2c and 3 bottom) and the breakpoint analysis of section 3.1 (Figs. 1, 6,
7). The verdict of each claim follows from the records made here by the checks of
:mod:`ibbook.sources.s001` (one place for the rule); :func:`verdict_table` applies them.

Shapes and units: images ``(N, C, H, W)`` with pixels in [0, 1]; perturbations ``delta`` of the
same shape, in pixel units; norms per image ``(N,)``; spatial frequencies in cycles per image.

- :func:`attack_snapshot`: PGD within the paper's budget on ``N`` images (their labels), DeepFool-l2
  and FMN-linf on the first ``n_min`` images (the snapshot's own decision) -> :class:`SnapshotAttacks`;
  :func:`add_transfer`: the final network's PGD perturbations on every snapshot;
  :func:`add_noise_baseline`: random sign noise at the same budget on every snapshot (the
  baseline of "attackable": a decision that random noise of the same size flips is not evidence
  of an adversarial direction);
- :func:`summary_table`: one row per snapshot (accuracy, success rates, median minimal norms);
- :func:`spectral_parts`: per-image spectral energy, radius-weighted energy and energy per sector,
  whose sums over any set of images give the pooled ``k_r`` and angular distribution of
  :mod:`ibbook.fourier`; :func:`spectra_table`;
- :func:`bootstrap`: percentile interval of a statistic over images resampled with replacement;
- :func:`measure_paths`: ReLU changes and roughness (:mod:`ibbook.breakpoints`) along the
  adversarial and random segments of each image;
- :func:`claim_records`: the number behind each claim id, with its interval and the baseline at
  initialisation; :func:`verdict_table`: those records graded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from ibbook import fourier

#: Two-sided level of the bootstrap intervals (one-sided 95 % in the claim's direction).
LEVEL = 0.90
#: Sectors of orientation of the angular energy (15 degrees each, as the chapter's figure).
N_SECTORS = 12
#: Random sign perturbations (each pixel +-eps) tried per image and snapshot as the noise baseline.
NOISE_DRAWS = 10
#: The learning-dynamics claim ids of source 001, in the chapter's order.
CLAIM_IDS = (
    "001.s3.1.absent-at-init", "001.s3.1.emerge-early", "001.fig2a.rises-with-accuracy",
    "001.fig2a.final-lags", "001.fig3.l2-shrinks", "001.fig3.linf-shrinks",
    "001.fig2b.pgd-higher.epoch1", "001.fig2b.deepfool-higher.epoch1",
    "001.fig2c.angular-uniform.epoch1", "001.fig2b.pgd-higher.init",
    "001.fig2b.deepfool-higher.init", "001.fig2c.angular-uniform.init",
    "001.fig1.relu-changes", "001.fig1.roughness")
PATH_MEASURES = ("ReLU changes", "roughness")


@dataclass
class SnapshotAttacks:
    """The attacks on one snapshot (epoch ``epoch``; 0 = initialisation).

    ``correct`` (N,) bool: the clean image is classified as its label; ``pgd_success`` (N,) bool:
    correct and the PGD image within ``eps`` (l-inf) is not (the paper's success); ``pgd_delta``
    (N, C, H, W); ``l2`` / ``linf`` (M,) float: norm of the smallest perturbation DeepFool-l2 /
    FMN-linf found that changes the snapshot's own decision, NaN where none was found;
    ``df_delta`` (M, C, H, W) DeepFool's perturbations; ``transfer_success`` (N,) bool, set by
    :func:`add_transfer`: correct and the *final* network's PGD perturbation fools this snapshot;
    ``noise_success`` (N,) bool, set by :func:`add_noise_baseline`: correct and at least one of
    :data:`NOISE_DRAWS` random sign perturbations of l-inf norm ``eps`` fools this snapshot.
    """

    epoch: int
    correct: np.ndarray
    pgd_success: np.ndarray
    pgd_delta: torch.Tensor
    l2: np.ndarray
    linf: np.ndarray
    df_delta: torch.Tensor
    transfer_success: np.ndarray | None = None
    noise_success: np.ndarray | None = None


def _positive_int(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} is not accepted; use an integer >= {low}")
    return int(value)


def attack_snapshot(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, epoch: int, eps: float,
                    rel_step: float, pgd_steps: int, n_min: int, fmn_steps: int, df_steps: int,
                    df_candidates: int, seed: int = 0, device="cpu",
                    cache_key: Mapping | None = None) -> SnapshotAttacks:
    """Attack one snapshot: l-inf PGD (budget ``eps``, step ``rel_step * eps``, random start,
    ``pgd_steps`` steps; the paper's Table 6 but for the steps) on all ``N`` images with their
    labels ``y``; DeepFool-l2 (``df_steps`` steps over ``df_candidates`` classes) and FMN-linf
    (``fmn_steps``) on the first ``n_min`` images, labelled with the snapshot's own prediction so
    that every image has a minimal perturbation (also when misclassified). Seeded by ``seed``.
    With ``cache_key`` (naming the snapshot's weights and the images, e.g. the training folder and
    :func:`ibbook.train.data_fingerprint`) the result is cached with the settings
    (:func:`ibbook.cache.cached`), so an interrupted run resumes after the last finished snapshot.
    ``ValueError`` for ``n_min`` outside 1..N or a non-positive step count."""
    from ibbook import attacks, train

    for name, v in (("pgd_steps", pgd_steps), ("fmn_steps", fmn_steps), ("df_steps", df_steps),
                    ("df_candidates", df_candidates)):
        _positive_int(name, v)
    if _positive_int("n_min", n_min) > len(x):
        raise ValueError(f"n_min={n_min!r} is not accepted; use 1 to {len(x)} (the attacked images)")
    if cache_key is not None:
        from ibbook import cache
        cfg = {**cache_key, "epoch": epoch, "eps": eps, "rel_step": rel_step, "pgd_steps": pgd_steps,
               "n_min": n_min, "fmn_steps": fmn_steps, "df_steps": df_steps,
               "df_candidates": df_candidates, "seed": seed, "n": len(x)}
        got = cache.cached("dynamics_attack", cfg, lambda: vars(attack_snapshot(
            model, x, y, epoch=epoch, eps=eps, rel_step=rel_step, pgd_steps=pgd_steps, n_min=n_min,
            fmn_steps=fmn_steps, df_steps=df_steps, df_candidates=df_candidates, seed=seed,
            device=device)))
        return SnapshotAttacks(**got)
    kw = dict(device=device, seed=seed, progress=False)
    pgd = attacks.attack_images(model, x, y, attacks.image_attack("linf_pgd", steps=pgd_steps,
                                                                  rel_stepsize=rel_step), eps=eps, **kw)
    xm = x[:n_min]
    own = train.predict(model, xm, device=device).argmax(1)
    mins = {p: attacks.attack_images(model, xm, own, fb, eps=None, **kw) for p, fb in (
        ("l2", attacks.image_attack("l2_deepfool", steps=df_steps, candidates=df_candidates)),
        ("linf", attacks.image_attack("linf_fmn", steps=fmn_steps)))}
    norm = {p: np.where(r.success.numpy(), r.norms(o).numpy(), np.nan)
            for (p, r), o in zip(mins.items(), (2, float("inf")))}
    return SnapshotAttacks(epoch, pgd.clean_correct.numpy(), pgd.success.numpy(), pgd.delta,
                           norm["l2"], norm["linf"], mins["l2"].delta)


def add_transfer(snaps: Mapping[int, SnapshotAttacks], models: Mapping[int, torch.nn.Module],
                 x: torch.Tensor, y: torch.Tensor, *, device="cpu") -> None:
    """Set ``transfer_success`` of every snapshot: the final (largest) epoch's PGD perturbations
    added unchanged to the same images and given to each snapshot (the paper's Fig. 2a)."""
    from ibbook import train

    final = snaps[max(snaps)].pgd_delta
    for e, a in snaps.items():
        adv = train.predict(models[e], (x + final).clamp(0, 1), device=device).argmax(1).numpy()
        a.transfer_success = a.correct & (adv != y.numpy())


def random_sign_flips(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float,
                      n_draws: int = NOISE_DRAWS, seed: int = 0, device="cpu") -> np.ndarray:
    """Per image (N,) bool: classified as ``y`` and at least one of ``n_draws`` random sign
    perturbations ``eps * s`` (``s`` uniform in {-1, +1} per pixel and channel, clipped to [0, 1],
    one ``torch`` generator seeded by ``seed``) changes the decision: the success of random noise
    at PGD's l-inf budget, the baseline of the adversarial success. ``ValueError`` for
    ``eps < 0`` or ``n_draws < 1``."""
    from ibbook import train

    _positive_int("n_draws", n_draws)
    if not eps >= 0:
        raise ValueError(f"eps={eps!r} is not accepted; use a number >= 0")
    yn = y.numpy()
    correct = train.predict(model, x, device=device).argmax(1).numpy() == yn
    gen = torch.Generator().manual_seed(seed)
    flipped = np.zeros(len(x), bool)
    for _ in range(n_draws):
        sign = torch.randint(0, 2, x.shape, generator=gen, dtype=x.dtype) * 2 - 1
        pred = train.predict(model, (x + eps * sign).clamp(0, 1), device=device).argmax(1).numpy()
        flipped |= pred != yn
    return correct & flipped


def add_noise_baseline(snaps: Mapping[int, SnapshotAttacks], models: Mapping[int, torch.nn.Module],
                       x: torch.Tensor, y: torch.Tensor, *, eps: float, n_draws: int = NOISE_DRAWS,
                       seed: int = 0, device="cpu") -> None:
    """Set ``noise_success`` of every snapshot (:func:`random_sign_flips`, the same draws for
    every snapshot)."""
    for e, a in snaps.items():
        a.noise_success = a.correct & random_sign_flips(models[e], x, y, eps=eps, n_draws=n_draws,
                                                        seed=seed, device=device)


def _median(v: np.ndarray) -> float:
    """Median of the finite entries; NaN (no warning) when there are none."""
    v = np.asarray(v, float)
    return float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")


def summary_table(snaps: Mapping[int, SnapshotAttacks], test_accuracy: Mapping[int, float],
                  eps: float):
    """One row per epoch: test accuracy, accuracy on the attacked images, the success rate of
    PGD over all attacked images and among the correct ones, that of random sign noise at the
    same budget among the correct ones (when :func:`add_noise_baseline` was called), that of the
    final network's PGD, the share of the first ``n_min`` images whose decision FMN flips within ``eps``, and the
    median minimal norms (over images where one was found) with the share found."""
    import pandas as pd

    rows = []
    for e, a in sorted(snaps.items()):
        n_ok = max(int(a.correct.sum()), 1)
        rows.append({"epoch": e, "test accuracy": float(test_accuracy[e]),
                     "attacked accuracy": float(a.correct.mean()),
                     "success, own PGD": float(a.pgd_success.mean()),
                     "success among correct": float(a.pgd_success.sum() / n_ok),
                     "noise flips among correct": float(a.noise_success.sum() / n_ok)
                     if a.noise_success is not None else np.nan,
                     "success, final network's PGD": float(np.mean(a.transfer_success))
                     if a.transfer_success is not None else np.nan,
                     "flips within eps": float(np.mean(np.nan_to_num(a.linf, nan=np.inf) <= eps)),
                     "median DeepFool l2": _median(a.l2), "median FMN linf": _median(a.linf),
                     "found l2": float(np.mean(np.isfinite(a.l2))),
                     "found linf": float(np.mean(np.isfinite(a.linf)))})
    return pd.DataFrame(rows).set_index("epoch")


# --- spectra per image --------------------------------------------------------------------------

def spectral_parts(delta, n_sectors: int = N_SECTORS) -> dict[str, np.ndarray]:
    """Per image of ``delta`` (N, C, H, W), channels pooled: total spectral energy ``energy``
    (N,), radius-weighted energy ``radial`` (N,) (so ``radial.sum() / energy.sum()`` over any
    set of images is their pooled mean ``k_r``, as :func:`ibbook.fourier.mean_radial_frequency`)
    and energy per sector of orientation ``sectors`` (N, n_sectors), zero frequency left out (as
    :func:`ibbook.fourier.angular_energy`). ``ValueError`` for another shape."""
    arr = delta.detach().cpu().numpy() if hasattr(delta, "detach") else np.asarray(delta)
    if arr.ndim != 4 or min(arr.shape[-2:]) < 2:
        raise ValueError(f"delta of shape {arr.shape} is not accepted; use (N, C, H, W) with H, W >= 2")
    _positive_int("n_sectors", n_sectors)
    energy = (fourier.centred_spectrum(arr.astype(float)) ** 2).sum(1)  # (N, H, W)
    radius, angle = fourier.frequency_grid(*energy.shape[-2:])
    keep = radius > 0
    width = 180.0 / n_sectors
    sector = np.minimum((angle[keep] // width).astype(int), n_sectors - 1)
    onehot = np.eye(n_sectors)[sector]  # (bins, sectors)
    return {"energy": energy.sum((1, 2)), "radial": (energy * radius).sum((1, 2)),
            "sectors": energy[:, keep] @ onehot}


def pooled_kr(parts: Mapping[str, np.ndarray], idx=slice(None)) -> float:
    """Pooled energy-weighted mean radius of the images ``idx`` (cycles per image)."""
    return float(parts["radial"][idx].sum() / parts["energy"][idx].sum())


def pooled_tv(parts: Mapping[str, np.ndarray], idx=slice(None)) -> float:
    """Total-variation distance of the pooled angular energy of the images ``idx`` from the
    uniform distribution over the sectors: 0 (uniform) to ``1 - 1 / n_sectors``."""
    s = parts["sectors"][idx].sum(0)
    return float(0.5 * np.abs(s / s.sum() - 1 / len(s)).sum())


def spectra_table(snaps: Mapping[int, SnapshotAttacks]):
    """Per epoch: pooled mean ``k_r`` and angular TV to uniform of the PGD and the DeepFool-l2
    perturbations."""
    import pandas as pd

    rows = {}
    for e, a in sorted(snaps.items()):
        row = {}
        for name, d in (("PGD", a.pgd_delta), ("DeepFool-l2", a.df_delta)):
            p = spectral_parts(d)
            row[f"{name} mean k_r"], row[f"{name} angular TV to uniform"] = pooled_kr(p), pooled_tv(p)
        rows[e] = row
    out = pd.DataFrame(rows).T
    out.index.name = "epoch"
    return out


# --- intervals over images ------------------------------------------------------------------------

def bootstrap(stat: Callable[[np.ndarray], float], n: int, *, n_boot: int = 1000, seed: int = 0,
              level: float = LEVEL) -> dict[str, float]:
    """``stat(idx)`` on all ``n`` images (``idx = arange(n)``) and its percentile bootstrap
    interval at ``level`` (two-sided) over ``n_boot`` resamples of the images with replacement
    (one ``numpy`` generator seeded by ``seed``; resamples where ``stat`` is not finite are
    dropped). Returns ``{"estimate", "lo", "hi", "n", "n_boot", "level"}``. ``ValueError`` for
    ``n < 2``, ``n_boot < 100`` or a level outside (0, 1)."""
    _positive_int("n", n, 2)
    _positive_int("n_boot", n_boot, 100)
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not accepted; use a number in (0, 1)")
    rng = np.random.default_rng(seed)
    vals = np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)], float)
    vals = vals[np.isfinite(vals)]
    lo, hi = (np.quantile(vals, [(1 - level) / 2, (1 + level) / 2]) if len(vals)
              else (np.nan, np.nan))
    return {"estimate": float(stat(np.arange(n))), "lo": float(lo), "hi": float(hi), "n": int(n),
            "n_boot": int(n_boot), "level": float(level)}


def _rate(ok: np.ndarray, among: np.ndarray, idx) -> float:
    d = among[idx].sum()
    return float(ok[idx].sum() / d) if d else np.nan


# --- paths ------------------------------------------------------------------------------------------

def measure_paths(model: torch.nn.Module, x: torch.Tensor, directions: Mapping[str, torch.Tensor],
                  classes: torch.Tensor, *, n_points: int, device="cpu") -> dict[str, dict[str, np.ndarray]]:
    """For each named direction (e.g. ``"adversarial"``, ``"random"``; each (N, C, H, W)): the
    ReLU changes and the roughness of the logits ``classes`` (N, k) along ``x -> x + direction``
    sampled at ``n_points`` points (see :mod:`ibbook.breakpoints`), each (N,)."""
    from ibbook import breakpoints

    kw = dict(n_points=n_points, device=device)
    return {k: {"ReLU changes": breakpoints.relu_changes(model, x, d, **kw),
                "roughness": breakpoints.roughness(model, x, d, classes, **kw)}
            for k, d in directions.items()}


# --- the claims ---------------------------------------------------------------------------------------

def _interval(what: str, stat, n: int, baseline: str, n_boot: int, seed: int, **extra) -> dict:
    return {"kind": "interval", "what": what, **bootstrap(stat, n, n_boot=n_boot, seed=seed),
            "baseline": baseline, **extra}


def _view(label: str, stat, n: int, b: Mapping) -> dict:
    """A number shown beside a graded one (not graded): its label and bootstrap interval."""
    return {"label": label, **{k: v for k, v in bootstrap(stat, n, **b).items()
                               if k in ("estimate", "lo", "hi")}}


def claim_records(snaps: Mapping[int, SnapshotAttacks], paths: Mapping, *,
                  eps: float, n_boot: int = 1000, seed: int = 0,
                  spectral_view_from: int | None = None) -> dict[str, dict]:
    """The number behind each learning-dynamics claim (:data:`CLAIM_IDS`), as the source means
    it, each against a baseline measured in the same run, with its interval over the attacked
    images.

    ``snaps``: epoch -> :class:`SnapshotAttacks` (epochs 0 and 1, at least two snapshots between
    0 and a final one, with ``transfer_success`` and ``noise_success`` set); ``paths``: epoch ->
    :func:`measure_paths` output with ``"adversarial"`` and ``"random"`` (epochs 0 and final;
    with ``"0, own"``, the initial network along its own PGD perturbations, the breakpoint
    claims are graded against the stronger of the two initial baselines).
    ``spectral_view_from``: a later snapshot (e.g. the first after a warm-up) from which the
    spectral changes are also shown, not graded. Each record is either ``{"kind":
    "proportion", "k", "n", ...}`` (counts; the check computes the interval) or ``{"kind":
    "interval", "what", "estimate", "lo", "hi", "level", "n", "n_boot", "baseline"}``: a
    statistic positive in the claim's direction and its bootstrap interval; ``views``: numbers
    shown beside it, not graded. ``ValueError`` naming the missing epochs or a snapshot without
    ``transfer_success`` / ``noise_success``."""
    final = max(snaps)
    es = sorted(snaps)
    mid = [e for e in es if 0 < e < final]
    missing = [e for e in (0, 1) if e not in snaps] + [e for e in (0, final) if e not in paths]
    if missing or len(mid) < 2:
        raise ValueError(f"epochs {sorted(set(missing)) or [final]} are not accepted as given; the "
                         "claims need snapshots 0, 1, another before the final one and the final "
                         "one, and paths at 0 and the final one")
    for name, fix in (("transfer_success", "add_transfer"), ("noise_success", "add_noise_baseline")):
        if any(getattr(a, name) is None for a in snaps.values()):
            raise ValueError(f"{name} is not set; call {fix}(...) first")
    if spectral_view_from is not None and spectral_view_from not in mid:
        raise ValueError(f"spectral_view_from={spectral_view_from!r} is not accepted; use one of {mid}")
    s0, s1, sf = snaps[0], snaps[1], snaps[final]
    n = len(s0.correct)
    b = dict(n_boot=n_boot, seed=seed)
    rec: dict[str, dict] = {}

    def among(e, what, i=slice(None)):
        return _rate(getattr(snaps[e], what), snaps[e].correct, i)
    beyond = {e: snaps[e].pgd_success & ~snaps[e].noise_success for e in es}
    flips = {e: int(np.sum(np.nan_to_num(snaps[e].linf, nan=np.inf) <= eps)) for e in (0, final)}
    rec["001.s3.1.absent-at-init"] = {
        "kind": "proportion",
        "what": ("correctly classified images at initialisation that PGD turns within eps and "
                 f"none of {NOISE_DRAWS} random sign perturbations of the same size does"),
        "k": int(beyond[0].sum()), "n": int(s0.correct.sum()), "k_pgd": int(s0.pgd_success.sum()),
        "k_noise": int(s0.noise_success.sum()), "noise_draws": NOISE_DRAWS,
        "k_final": int(beyond[final].sum()), "n_final": int(sf.correct.sum()),
        "k_pgd_final": int(sf.pgd_success.sum()), "k_noise_final": int(sf.noise_success.sum()),
        "flips_init": [flips[0], len(s0.linf)], "flips_final": [flips[final], len(sf.linf)],
        "final_epoch": final,
        "fair_baseline": (f"random sign noise at the same budget ({NOISE_DRAWS} draws per image) "
                          "on the untrained network's correct images")}
    r0 = among(0, "pgd_success")
    rec["001.s3.1.emerge-early"] = _interval(
        "success among correct, epoch 1 minus initialisation",
        lambda i: among(1, "pgd_success", i) - among(0, "pgd_success", i), n,
        f"initialisation {r0:.3g} (noise flips {among(0, 'noise_success'):.3g})", **b,
        epoch1=among(1, "pgd_success"), final=among(final, "pgd_success"))

    def slope(i):
        acc = np.array([snaps[e].correct[i].mean() for e in es])
        suc = np.array([among(e, "pgd_success", i) for e in es])
        ok = np.isfinite(suc)
        return float(np.polyfit(acc[ok], suc[ok], 1)[0]) if ok.sum() >= 3 and np.ptp(acc[ok]) > 0 else np.nan
    rec["001.fig2a.rises-with-accuracy"] = _interval(
        "slope of the success among correctly classified images on the accuracy over the snapshots "
        "(the success over all images is capped by the accuracy, so its slope is not the claim)",
        slope, n, f"initialisation: accuracy {s0.correct.mean():.3g}, success among correct {r0:.3g}, "
        f"noise flips among correct {among(0, 'noise_success'):.3g}", **b,
        fair_baseline="the snapshots' own accuracy (success among correct does not rise with it "
                      "by arithmetic); the network at initialisation is the first point")
    first, last = mid[0], mid[-1]

    def lag(e, i=slice(None)):
        return among(e, "pgd_success", i) - among(e, "transfer_success", i)
    rec["001.fig2a.final-lags"] = _interval(
        f"lag (own minus the final network's PGD success, among correct) at epoch {first} minus "
        f"at epoch {last}: the final network's perturbations fit the early network worse than a "
        "late one", lambda i: lag(first, i) - lag(last, i), n,
        f"lag at initialisation {lag(0):+.3g}, epoch {first} {lag(first):+.3g}, epoch {last} "
        f"{lag(last):+.3g} (any transferred attack is weaker than the snapshot's own, so the lag's "
        "sign alone is not the claim)", **b,
        fair_baseline=f"the lag at the last snapshot before the final one (epoch {last}); no "
                      "independently trained network")
    for cid, p in (("001.fig3.l2-shrinks", "l2"), ("001.fig3.linf-shrinks", "linf")):
        a0, a1, af = (getattr(snaps[e], p) for e in (0, 1, final))
        ratio = np.log(a0 / af)
        ok = np.isfinite(ratio)
        rec[cid] = _interval(
            f"median log(initial / final) minimal {p} norm", lambda i, r=ratio[ok]: float(np.median(r[i])),
            int(ok.sum()), f"initialisation median {np.nanmedian(a0):.3g}, epoch 1 {np.nanmedian(a1):.3g}, "
            f"final {np.nanmedian(af):.3g}", **b)
    rec.update(_spectral_records(snaps, final, b, spectral_view_from))
    rec.update(_path_records(paths, final, b))
    return rec


def _path_records(paths: Mapping, final: int, b: Mapping) -> dict[str, dict]:
    """ReLU changes and roughness: (adversarial - random) at the final network minus the same at
    initialisation, per image, against two initial baselines: the final network's perturbations
    and (where ``paths`` has ``"0, own"``) the initial network's own PGD perturbations. Graded on
    the stronger one (the smaller difference); the other is shown as a view."""
    out = {}
    for cid, q in (("001.fig1.relu-changes", "ReLU changes"), ("001.fig1.roughness", "roughness")):
        gap = {e: paths[e]["adversarial"][q] - paths[e]["random"][q]
               for e in (0, "0, own", final) if e in paths}
        df = gap[final]
        bases = {"final network's perturbations at initialisation": gap[0]}
        if "0, own" in gap:
            bases["initial network's own PGD perturbations"] = gap["0, own"]
        diffs = {k: float(np.mean(df - d0)) for k, d0 in bases.items()}
        graded_on = min(diffs, key=diffs.get)
        d0 = bases[graded_on]
        views = [_view("final gap", lambda i: float(np.mean(df[i])), len(df), b)]
        views += [_view(f"init gap ({k})", lambda i, d=d: float(np.mean(d[i])), len(d), b)
                  for k, d in bases.items()]
        views += [_view(f"difference vs {k}", lambda i, d=d: float(np.mean(df[i] - d[i])), len(d), b)
                  for k, d in bases.items() if k != graded_on]
        out[cid] = _interval(
            f"{q}: (adversarial - random) at the final network minus at initialisation along the "
            f"{graded_on} (the stronger of {len(bases)} initial baselines)",
            lambda i, d0=d0: float(np.mean(df[i] - d0[i])), len(d0),
            "; ".join(f"initialisation, {k}: adversarial - random {np.mean(d):+.3g} (mean)"
                      for k, d in bases.items()), **b, views=views,
            fair_baseline=f"the initial network along the {graded_on} (stronger of "
                          f"{len(bases)}), random directions of the same norm")
    return out


def _spectral_records(snaps, final: int, b: Mapping, view_from: int | None = None) -> dict[str, dict]:
    """The six spectral records (PGD, DeepFool k_r rise; PGD angular TV fall) from epoch 1 (the
    source's statement) and from initialisation (shown as a view); with ``view_from``, the
    change from that snapshot is shown in the epoch-1 record too (not graded)."""
    out = {}
    parts = {e: {"PGD": spectral_parts(snaps[e].pgd_delta), "DeepFool": spectral_parts(snaps[e].df_delta)}
             for e in {0, 1, final} | ({view_from} if view_from is not None else set())}
    for fig, tag, att, f, sign, what in (
            ("fig2b", "pgd-higher", "PGD", pooled_kr, 1, "mean k_r of PGD"),
            ("fig2b", "deepfool-higher", "DeepFool", pooled_kr, 1, "mean k_r of DeepFool-l2"),
            ("fig2c", "angular-uniform", "PGD", pooled_tv, -1, "angular TV to uniform of PGD")):
        values = {e: f(parts[e][att]) for e in parts}
        for since in (1, 0):
            pa, pf = parts[since][att], parts[final][att]
            extra = {}
            if since and view_from is not None:
                pv = parts[view_from][att]
                extra["views"] = [_view(
                    f"from epoch {view_from}, after the warm-up", lambda i, pv=pv, pf=pf, f=f, sign=sign:
                    sign * (f(pf, i) - f(pv, i)), len(pv["energy"]), b)]
            out[f"001.{fig}.{tag}.{'epoch1' if since else 'init'}"] = _interval(
                f"{what}, final minus epoch {since}" if sign > 0 else f"{what}, epoch {since} minus final",
                lambda i, pa=pa, pf=pf, f=f, sign=sign: sign * (f(pf, i) - f(pa, i)), len(pa["energy"]),
                f"initialisation {values[0]:.3g}, epoch 1 {values[1]:.3g}, "
                + (f"epoch {view_from} {values[view_from]:.3g}, " if view_from is not None else "")
                + f"final {values[final]:.3g}", **b, view="source" if since else "init", **extra)
    return out


def interval_signs(records: Mapping[str, Mapping]) -> dict[str, str]:
    """Per interval record: ``"+"`` (interval above 0: the claim's direction), ``"-"`` (below 0)
    or ``"0"`` (contains 0); proportion records are left out."""
    return {cid: "+" if r["lo"] > 0 else "-" if r["hi"] < 0 else "0"
            for cid, r in records.items() if r.get("kind") == "interval"}


def verdict_table(results: Mapping, ids: Sequence[str] = CLAIM_IDS):
    """The learning-dynamics claims of :mod:`ibbook.sources.s001` graded on ``results`` (a
    chapter's result dict, any scale; a file made before the claim records existed is graded as
    it was then): one row per claim id with verdict, our numbers, *fair test?* and reasons."""
    import pandas as pd

    from ibbook.sources import BY_ID

    rows = []
    for cid in ids:
        out = BY_ID[cid].check(results)
        rows.append({"claim": cid, "verdict": out.verdict, "ours": out.ours,
                     "why inconclusive": "; ".join(out.reasons) or "-", "fair test?": out.fair})
    return pd.DataFrame(rows).set_index("claim")
