"""001: Ortega Caro et al. 2020, learning dynamics and the Fourier bias of architectures.

Tables 1, 2 and 4 (Table 3 lists architectures, no numbers a chapter compares) are quoted here
once; the Fourier-bias chapter imports them."""
import math
from typing import Any, Mapping, Sequence

from .protocol import (ALPHA, FAILS, HOLDS, INCONCLUSIVE, MIN_POWER, VERIFIED, Claim, Outcome,
                       accuracies, adequacy, bound, clopper_pearson, finding, get, graded)

SOURCE = "001"
KEY = "ortegacaro2020learning"
NAME = "Ortega Caro et al. 2020"

#: Table 1 (linear models): |delta^|_2, |delta^|_1, |beta^|_2, |beta^|_1, mean ± std, quoted.
TABLE1 = {
    "FC": ("20.77 ± 1.23", "505.95 ± 32.22", "546.89 ± 43.37", "2232.46 ± 166.27"),
    "full conv": ("17.52 ± 1.56", "376.31 ± 32.66", "544.83 ± 42.40", "1598.37 ± 181.44"),
    "bounded conv": ("20.65 ± 1.09", "556.32 ± 32.64", "500.67 ± 47.46", "2623.04 ± 331.42"),
    "deep FC": ("20.83 ± 1.25", "503.92 ± 32.62", "554.16 ± 38.95", "2168.06 ± 134.07"),
    "deep full conv": ("17.13 ± 1.68", "265.40 ± 41.72", "522.99 ± 39.72", "1417.68 ± 213.91"),
    "deep bounded conv": ("20.57 ± 0.94", "550.30 ± 29.71", "498.52 ± 47.15", "2392.09 ± 278.55"),
}
#: Table 2 (non-linear models): |delta^|_2, |delta^|_1, quoted.
TABLE2 = {
    "ReLU FC": ("22.06 ± 1.35", "534.34 ± 35.93"),
    "ReLU locally conn.": ("22.32 ± 1.13", "587.61 ± 29.89"),
    "ReLU full conv": ("20.57 ± 1.11", "405.49 ± 34.16"),
    "ReLU bounded conv": ("24.63 ± 1.36", "665.22 ± 38.55"),
    "shallow ResNet": ("26.36 ± 0.74", "709.06 ± 20.76"),
    "VGG-19": ("23.32 ± 0.99", "650.73 ± 27.87"),
    "ResNet-18": ("22.42 ± 0.91", "626.60 ± 25.40")}
#: Table 2's caption, quoted: it contradicts the table for the bounded conv (665.22 > 534.34 for FC).
TABLE2_CAPTION = ("With similar performance (Supp. Table 1), Full Width and Bounded Width "
                  "convolutional models produce adversarial attacks with smaller ||delta^||_1.")
#: Table 4: test accuracies, quoted.
TABLE4_ACCURACY = {
    "FC": 0.41, "locally conn.": 0.35, "full conv": 0.41, "bounded conv": 0.41, "deep FC": 0.41,
    "deep full conv": 0.36, "deep bounded conv": 0.41, "ReLU FC": 0.52, "ReLU locally conn.": 0.54,
    "ReLU bounded conv": 0.63, "shallow ResNet": 0.64, "VGG-19": 0.91, "ResNet-18": 0.92}
#: Table 6: the L-infinity budget of the PGD attack.
PGD_EPS = 8 / 255

FB, LD = "fourier_bias", "learning_dynamics"
_VB = "Verdicts"
_LDF = "The paper's findings at this scale"
#: What the Fourier-bias runs lack for a verdict on an ordering (protocol items 1 and 2).
NO_UNTRAINED = "the untrained networks at the same seed are not measured"
NO_CI = "one seed, no CI over seeds or images"
NO_CI_LD = "one run, no bootstrap over the attacked images"


def _b1(model: str) -> str:
    return f"||beta^||_1 {TABLE1[model][3].split(' ±')[0]}"


def _d1(model: str, table=TABLE1) -> str:
    return f"||delta^||_1 {table[model][1].split(' ±')[0]}"


def _ratio(row, i1, i2) -> float:
    """||v^||_1 / ||v^||_2 of a quoted table row (columns i1, i2: l1 and l2)."""
    return float(row[i1].split("±")[0]) / float(row[i2].split("±")[0])


def paper_effect(a: str, b: str, what: str) -> float:
    """The paper's relative effect ``(r_b - r_a) / r_b`` of the sparsity ratio
    ``r = ||v^||_1 / ||v^||_2`` of model ``a`` against model ``b`` (``what``: "beta" or "delta"),
    from Table 1 (linear models) or Table 2 (ReLU models). Positive: ``a`` is sparser."""
    cols = {"beta": (3, 2), "delta": (1, 0)}[what]
    table = TABLE1 if a in TABLE1 else TABLE2
    ra, rb = _ratio(table[a], *cols), _ratio(table[b], *cols)
    return (rb - ra) / rb


#: Tolerance (relative) of "does not depend on depth": the paper's own gap (Table 1) is 4.2 %.
EQUIV_TOL = 0.05
#: Ours: a significant effect counts as the paper's only when the upper end of its 90 % interval
#: reaches this share of the paper's effect; a smaller one (e.g. +0.3 % against 28 %) is
#: inconclusive, with the reason (significant, but not the size the paper reports).
MIN_EFFECT_SHARE = 0.25
#: Ours: a row on the predictors needs training to have moved them: ``||beta - beta_init|| /
#: ||beta||`` at least this at every seed for every model of the row (else what is compared is
#: mostly the initial weights, and an equivalence would hold because nothing changed).
MIN_MOVED = 0.25
#: Fourier-bias rows on models the paper gives no accuracy for (Table 4 lacks them, e.g. the alpha
#: models): under-trained when more than ``protocol.ACCURACY_MARGIN`` below the best of the
#: reference models named for them, measured in the same run.
REF_NOTE = "no Table 4 accuracy: compared with {ref} in the same run"


def seed_test(trained: Sequence[float], untrained: Sequence[float], effect: float | None = None,
              equivalence: float | None = None, alpha: float = ALPHA) -> dict[str, Any]:
    """The effect beyond the baseline, over seeds: ``net_s = trained_s - untrained_s`` (each the
    claim's difference, positive in the claim's direction, at seed ``s``), its mean, the
    one-sided ``1 - alpha`` t interval (two-sided ``1 - 2 alpha``: ``lo``, ``hi``), the one-sided
    p value of ``net > 0`` (``p``) and of the reverse, ``net < 0`` (``p_rev``), and the power of
    the t test (noncentral t, the run's own spread) to see the paper's ``effect`` (None: the paper
    gives no number, power not computable). With ``equivalence = tol``: the two one-sided tests
    of ``|net| < tol`` instead (p is the larger of the two). ``ValueError`` for fewer than 2
    seeds or unequal lengths."""
    from scipy import stats

    t, u = [float(v) for v in trained], [float(v) for v in untrained]
    if len(t) != len(u) or len(t) < 2:
        raise ValueError(f"{len(t)} trained and {len(u)} untrained values are not accepted; give one "
                         "of each per seed, at least 2 seeds")
    net = [a - b for a, b in zip(t, u)]
    n, mean = len(net), sum(net) / len(net)
    sd = math.sqrt(sum((v - mean) ** 2 for v in net) / (n - 1))
    se, tcrit = sd / math.sqrt(n), float(stats.t.ppf(1 - alpha, n - 1))
    out = {"n": n, "net": net, "mean": mean, "sd": sd, "lo": mean - tcrit * se,
           "hi": mean + tcrit * se, "baseline": sum(u) / n, "trained": sum(t) / n}
    if equivalence is not None:
        if se == 0:
            p = 0.0 if abs(mean) < equivalence else 1.0
        else:
            p = max(float(stats.t.sf((mean + equivalence) / se, n - 1)),
                    float(stats.t.sf((equivalence - mean) / se, n - 1)))
        return {**out, "p": p, "p_rev": None, "power": None}
    if se == 0:
        p, p_rev = (0.0 if mean > 0 else 1.0), (0.0 if mean < 0 else 1.0)
    else:
        p, p_rev = float(stats.t.sf(mean / se, n - 1)), float(stats.t.cdf(mean / se, n - 1))
    power = None
    if effect is not None:
        power = 1.0 if se == 0 else float(stats.nct.sf(tcrit, n - 1, abs(effect) / se))
    return {**out, "p": p, "p_rev": p_rev, "power": power}


def _adequacy_reasons(models: Sequence[str], accs: Mapping[str, float],
                      reference: Mapping[str, Sequence[str]], standin=None) -> list[str]:
    """The adequacy gate of an ordering: Table 4's accuracy where the paper gives one, or that of
    the Table 4 model ``standin(m)`` names (a model of the same family, e.g. the 3x3 ReLU conv
    for 002's kernel and depth sweeps), else the best in-run accuracy of the ``reference``
    models named for the model (:data:`REF_NOTE`)."""
    from .protocol import ACCURACY_MARGIN

    reasons = []
    for m in models:
        if m not in accs:
            reasons.append(f"{m} accuracy not recorded; adequacy not checked")
            continue
        acc, proxy = float(accs[m]), standin(m) if standin and m not in TABLE4_ACCURACY else None
        text, why = adequacy(m, acc, TABLE4_ACCURACY.get(proxy or m))
        if why:
            reasons.append(why + (f" (Table 4's {proxy}, the same family; Table 4 lacks {m})"
                                  if proxy and "under-trained" in why else ""))
            continue
        refs = [(float(accs[x]), x) for x in reference.get(m, ()) if x in accs and x != m]
        if m not in TABLE4_ACCURACY and not proxy and refs:
            best, name = max(refs)
            if acc < best - ACCURACY_MARGIN:
                reasons.append(f"{m} under-trained ({acc:.0%}; {name} {best:.0%} in the same run, "
                               f"margin {ACCURACY_MARGIN:.0%}; Table 4 gives no accuracy for it)")
    return reasons


def ordering(cid: str, models: Sequence[str], effect: float | None = None,
             equivalence: float | None = None, path: str = "orderings",
             reference: Mapping[str, Sequence[str]] | None = None, standin=None):
    """The protocol's check of one ordering of the Fourier-bias chapter, from
    ``results[path][cid]``: ``{"trained": [...], "untrained": [...], "what": ...}`` (per seed, the
    claim's difference, relative, positive in the claim's direction; the baseline at the same
    seeds, by default the untrained networks; ``"baseline"`` says what it is when it is another),
    optionally ``"excluded"`` (model -> reason), ``"kept"`` and ``"moved"`` (model -> smallest
    share ``||beta - beta_init|| / ||beta||`` over the seeds, for rows on the predictors).

    Holds: the effect beyond the baseline is significant (one-sided t over seeds, alpha 0.05)
    and, where the paper gives an ``effect``, the interval's upper end reaches
    :data:`MIN_EFFECT_SHARE` of it; for an ``equivalence`` claim, the 90 % interval lies within
    ``+-equivalence``. Does not hold: the effect is significant in the *reverse* direction (the
    one-sided test of ``net < 0`` at the same alpha), or not significant while the test had power
    >= 0.8 for the paper's ``effect`` (for an equivalence claim: the interval lies entirely outside
    the tolerance). Otherwise inconclusive, reasons stated; also, whatever the numbers, with fewer
    than 3 seeds, a model near chance or under-trained (Table 4; for models it lacks, the best
    ``reference`` model of the same run, or Table 4's ``standin(m)``), a predictor training moved by less than
    :data:`MIN_MOVED`, or fewer than 3 models left in a sweep. A result file without ``path``
    (runs made before the baselines existed) is graded as before: inconclusive, no baseline.
    """
    old = finding(cid, baseline=NO_UNTRAINED, uncertainty=NO_CI, models=models,
                  paper_acc=TABLE4_ACCURACY)
    reference = dict(reference or {})

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        if path not in r:
            return old(r, ctx)
        row = get(r, f"{path}/{cid}")
        st = seed_test(row["trained"], row["untrained"], effect, equivalence)
        base = row.get("baseline", "untrained nets at the same seeds")
        reasons, fair = [], [f"{st['n']} seeds; baseline: {base}"]
        if st["n"] < 3:
            reasons.append(f"only {st['n']} seeds (the protocol asks for 3)")
        reasons += _adequacy_reasons(row.get("models", models), r.get("test_accuracy", {}), reference,
                                     standin)
        for m, share in row.get("moved", {}).items():
            if float(share) < MIN_MOVED:
                reasons.append(f"training moved {m}'s beta by {float(share):.0%} of its norm "
                               f"(< {MIN_MOVED:.0%}): the comparison would read the initial weights")
        for m, why in row.get("excluded", {}).items():
            fair.append(f"{m} left out ({why})")
        if "kept" in row and len(row["kept"]) < 3:
            reasons.append(f"{len(row['kept'])} models left in the sweep; a trend needs 3")
        ours = (f"{row.get('what', 'effect')}: trained {st['trained']:+.3g}, baseline "
                f"{st['baseline']:+.3g}; beyond baseline {st['mean']:+.3g} "
                f"[{st['lo']:+.3g}, {st['hi']:+.3g}] (90 % CI), p = {st['p']:.2g}")
        if equivalence is not None:
            inside = -equivalence < st["lo"] and st["hi"] < equivalence
            outside = st["lo"] > equivalence or st["hi"] < -equivalence
            fair.append(f"equivalence within +-{equivalence:.0%}")
            if not (inside or outside):
                reasons.append(f"interval neither within nor outside +-{equivalence:.0%}")
            return graded(ours + f"; tolerance +-{equivalence:.0%}", inside, "; ".join(fair), reasons)
        sig, rev = st["p"] < ALPHA, st["p_rev"] < ALPHA
        if rev:
            ours += f"; reverse direction significant (p = {st['p_rev']:.2g})"
        if effect is None:
            fair.append("paper gives no effect size: a null result has no power; a significant "
                        "reverse effect does not hold")
            if not (sig or rev):
                reasons.append("not significant, and without the paper's effect size a null "
                               "result has no stated power")
        else:
            fair.append(f"power {st['power']:.2f} for the paper's effect {effect:+.1%}")
            if not (sig or rev) and st["power"] < MIN_POWER:
                reasons.append(f"power {st['power']:.2f} < {MIN_POWER} for the paper's effect "
                               f"{effect:+.1%}")
            if sig and st["hi"] < MIN_EFFECT_SHARE * effect:
                reasons.append(f"significant but small: the interval's upper end {st['hi']:+.3g} "
                               f"is below {MIN_EFFECT_SHARE:.0%} of the paper's {effect:+.1%}")
        return graded(ours, sig and not rev, "; ".join(fair), reasons)
    return check


def _fb(cid, item, claim, paper, models, effect=None, equivalence=None, reference=None):
    return Claim(cid, SOURCE, item, claim, FB, _VB, paper,
                 ordering(cid, models, effect, equivalence, reference=reference))


_LIN = ("FC", "full conv")


def _alpha_reference(base: str) -> dict[str, tuple[str, str]]:
    """The adequacy reference of the alpha models (Table 4 has none): the same architecture at
    alpha = 1 in the same run, with and without the zero initial output. Ours: the question is
    whether the initial scale itself slowed training at the run's budget (an alpha model 10
    points behind it is compared at an earlier stage of training, not at another bias)."""
    return {f"{base} a={a}": (base, f"{base} a=1") for a in ("0.1", "10")}
#: The angle criterion of the implicit-bias chapter (``ibbook.convex.SEPARATION`` and
#: ``MIN_CANDIDATE_GAP``, repeated here so that the sources import without cvxpy; a test checks
#: they agree): angle to the predicted solution below half the angle between the solutions.
SEPARATION, MIN_CANDIDATE_GAP = 0.5, 0.05
#: Ours: the direction is "still converging" when the angle ratio fell by more than this share
#: (relative) over the second half of training; a failing ratio is then inconclusive, not a fail.
STILL_MOVING = 0.01


def converged_limits(path: str = "theory"):
    """Linear nets trained to convergence against the exact solutions (``results[path]``: per
    seed, ``ratio_fc`` and ``ratio_conv``: the angle between the trained predictor and the solution
    its theory predicts (l2 for FC, Fourier group-l1 for conv) over the angle between the two
    solutions (``gap_rad``), with ``ratio_fc_half`` / ``ratio_conv_half`` at half the steps, and
    ``loss`` (final training losses, ``target``)).

    Holds: every seed's ratio below :data:`SEPARATION` for both nets (the predictor lies in a
    cone round the predicted solution that does not hold the other one), every loss below the
    target. Does not hold: a ratio at or above it while the direction has settled (the ratio fell
    by less than :data:`STILL_MOVING` over the second half). Inconclusive: a ratio above it and
    still falling (not converged in direction), a loss at or above the target, solutions closer
    than :data:`MIN_CANDIDATE_GAP`, fewer than 3 seeds, or a file without the ratios."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        t = get(r, path)
        if "ratio_conv" not in t:
            return graded("nearer-solution counts only (no angle ratios recorded)", False,
                          "-", ["no angle ratios in this result file (an older run)"])
        loss, target, reasons = list(t["loss"]), float(t.get("target", 1e-3)), []
        if len(t["ratio_conv"]) < 3:
            reasons.append(f"only {len(t['ratio_conv'])} seeds (the protocol asks for 3)")
        if max(loss) >= target:
            reasons.append(f"not converged: training loss {max(loss):.2g} >= {target:g}")
        if float(t["gap_rad"]) < MIN_CANDIDATE_GAP:
            reasons.append(f"the two solutions are {float(t['gap_rad']):.3f} rad apart, below "
                           f"{MIN_CANDIDATE_GAP}: the data cannot tell them apart")
        settled, moving, parts = [], [], []
        for net in ("fc", "conv"):
            end, half = [float(v) for v in t[f"ratio_{net}"]], [float(v) for v in t[f"ratio_{net}_half"]]
            parts.append(f"{net.upper() if net == 'fc' else net} angle ratio at most {max(end):.3f} "
                         f"(at half the steps {max(half):.3f})")
            for e, h in zip(end, half):
                if e >= SEPARATION and e < h * (1 - STILL_MOVING):
                    moving.append(f"{net} not converged in direction: ratio {e:.3f} >= {SEPARATION} "
                                  f"and still falling ({h:.3f} at half the steps)")
                elif e >= SEPARATION:
                    settled.append(net)
        ours = "; ".join(parts) + f" (holds below {SEPARATION}); largest final loss {max(loss):.1g}"
        fair = (f"{len(t['ratio_conv'])} seeds; n = {t.get('n', '?')} images, d = {t.get('d', '?')}; "
                f"exact solutions by cvxpy, {float(t['gap_rad']):.2f} rad apart")
        # a settled direction outside the cone is a fail; one still falling is not yet a verdict
        return graded(ours, not (settled or moving), fair, reasons + ([] if settled else moving))
    return check


_FINAL_ACC = ("ResNet-18", "dynamics/attacked accuracy", TABLE4_ACCURACY["ResNet-18"])

# --- learning dynamics (section 3.1, Figs. 1-3, 6, 7) ------------------------------------------
#: "Absent" at initialisation: a success rate among correctly classified images whose 95 %
#: Clopper-Pearson interval lies below this share. Ours: the paper shows "~0" without a number.
ABSENT_MAX = 0.10
#: Where the learning-dynamics records live in a result file (``ibbook.dynamics.claim_records``).
LD_PATH = "claims"
#: Why the from-initialisation rows of the spectra are shown but not graded.
NOT_THE_SOURCE = ("not the source's statement: it places the shift after early training (the "
                  "'.epoch1' row); from initialisation is shown beside it as the baseline view")


def _absent_needs(limit: float = ABSENT_MAX) -> int:
    """Fewest correctly classified images whose interval with no success lies below ``limit``."""
    return next(n for n in range(1, 10_000) if clopper_pearson(0, n)[1] < limit)


def _ld_gate(r: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The final network's test accuracy (``final_test_accuracy`` over ``n_test`` images)
    against the paper's ResNet-18 (Table 4): the adequacy gate of every learning-dynamics row."""
    acc, n = float(get(r, "final_test_accuracy")), r.get("n_test", "?")
    text, why = adequacy("ResNet-18", acc, TABLE4_ACCURACY["ResNet-18"])
    return f"{text} ({n} test images)", [why] if why else []


def _proportion(rec: Mapping[str, Any]) -> tuple[str, bool, list[str]]:
    """Absent at initialisation: the 95 % Clopper-Pearson interval of ``k / n`` below
    :data:`ABSENT_MAX` (holds) or above it (does not hold); otherwise, or with ``n = 0``,
    inconclusive. ``k``: the images the untrained network classifies correctly (``n``) that PGD
    turns within eps *and random sign noise of the same size does not* (``k_pgd``: turned by PGD,
    ``k_noise``: by the noise): adversarial success beyond the noise baseline. A record without
    ``k_noise`` (made before the baseline existed) has PGD's success alone as ``k``."""
    k, n, kf, nf = (int(rec[key]) for key in ("k", "n", "k_final", "n_final"))
    fi, ff = rec.get("flips_init", (0, 0)), rec.get("flips_final", (0, 0))
    if n == 0:
        return "no image classified correctly at initialisation", False, [
            "no correctly classified image at initialisation: the rate is undefined"]
    lo, hi = clopper_pearson(k, n)
    flo, fhi = clopper_pearson(kf, nf) if nf else (math.nan, math.nan)
    noise = "k_noise" in rec
    what = "attacked by PGD beyond noise" if noise else "attacked within eps"
    ours = (f"initialisation: {k} of {n} correct images {what} ({k / n:.2f}, 95% CI "
            f"[{lo:.2f}, {hi:.2f}]) vs 'absent' below {ABSENT_MAX:g}")
    if noise:
        ours += (f" (PGD {rec['k_pgd']} of {n}, random sign noise {rec['k_noise']} of {n}, "
                 f"{rec.get('noise_draws', '?')} draws)")
    ours += (f"; final network (epoch {rec.get('final_epoch', '?')}): {kf} of {nf} ({kf / max(nf, 1):.2f}, "
             f"[{flo:.2f}, {fhi:.2f}])")
    if noise:
        ours += f" (PGD {rec['k_pgd_final']}, noise {rec['k_noise_final']})"
    ours += (f"; decisions flipped within eps (FMN, all images): {fi[0]} of {fi[1]} at "
             f"initialisation, {ff[0]} of {ff[1]} at the end")
    reasons = []
    if lo <= ABSENT_MAX <= hi:
        reasons.append(f"interval [{lo:.2f}, {hi:.2f}] contains {ABSENT_MAX:g} at n = {n} correct "
                       f"images (with no success at all, n >= {_absent_needs()} would decide)")
    return ours, hi < ABSENT_MAX, reasons


def _interval_outcome(rec: Mapping[str, Any]) -> tuple[str, bool, list[str]]:
    """A statistic positive in the claim's direction and its bootstrap interval over images:
    above 0 holds, below 0 does not hold (a significant effect against the claim, one-sided
    ``1 - level / 2``), containing 0 is inconclusive (no power statement for a null)."""
    est, lo, hi, n = float(rec["estimate"]), float(rec["lo"]), float(rec["hi"]), int(rec["n"])
    level = float(rec.get("level", 0.9))
    ours = (f"{rec['what']}: {est:+.3g} [{lo:+.3g}, {hi:+.3g}] ({level:.0%} bootstrap CI over "
            f"{n} images); {rec['baseline']}")
    for name in ("final_gap", "init_gap"):  # records made before "views"
        if name in rec:
            g = rec[name]
            ours += (f"; {name.replace('_', ' ')} {float(g['estimate']):+.3g} "
                     f"[{float(g['lo']):+.3g}, {float(g['hi']):+.3g}]")
    for g in rec.get("views", ()):  # shown, not graded
        ours += (f"; {g['label']}: {float(g['estimate']):+.3g} [{float(g['lo']):+.3g}, "
                 f"{float(g['hi']):+.3g}] (view, not graded)")
    reasons = [] if (lo > 0 or hi < 0) else [f"the {level:.0%} interval contains 0 at n = {n}"]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        reasons = [f"no finite interval at n = {n}"]
    return ours, lo > 0, reasons


def dynamics(cid: str, uncertainty: str | None = NO_CI_LD, has: str = ""):
    """The protocol's check of a learning-dynamics claim from ``results["claims"][cid]`` (made by
    :func:`ibbook.dynamics.claim_records`): a proportion record (absent at initialisation, see
    :func:`_proportion`) or an interval record (:func:`_interval_outcome`); the baseline
    measured in the same run (the network at initialisation unless the record's
    ``fair_baseline`` names another: random sign noise, the lag near the end, the stronger of two
    initial path baselines) is in the record, in *ours* and in *fair test?*. Inconclusive, with the reason, when the final
    network is more than 10 points below the paper's 92 % (:func:`_ld_gate`) and for the
    from-initialisation views of the spectra (:data:`NOT_THE_SOURCE`). A result file without
    ``claims`` (runs made before the records existed) is graded as before (the chapter's finding
    text, ``uncertainty`` and ``has``)."""
    old = finding(cid, uncertainty=uncertainty, has=has, gate=_FINAL_ACC)

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        if LD_PATH not in r:
            return old(r, ctx)
        rec = get(r, f"{LD_PATH}/{cid}")
        text, reasons = _ld_gate(r)
        ours, ok, why = (_proportion if rec.get("kind") == "proportion" else _interval_outcome)(rec)
        if rec.get("view") == "init":
            why.append(NOT_THE_SOURCE)
        kind = ("Clopper-Pearson 95% over images" if rec.get("kind") == "proportion" else
                f"bootstrap over images ({rec.get('n_boot', '?')} resamples)")
        base = rec.get("fair_baseline", "the network at initialisation (same images)")
        fair = f"{text}; baseline: {base}; {kind}"
        return graded(ours, ok, fair, reasons + why)
    return check


def _ld(cid, item, claim, paper, uncertainty=NO_CI_LD, has=""):
    return Claim(cid, SOURCE, item, claim, LD, _LDF, paper, dynamics(cid, uncertainty, has))


CLAIMS = (
    Claim("001.table4", SOURCE, "Table 4", "test accuracies of the linear models and, higher, "
          "of the ReLU models", FB, "Training",
          "linear {:.0%}-{:.0%}, ReLU {:.0%}-{:.0%}, VGG-19 {:.0%}, ResNet-18 {:.0%}".format(
              min(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[:7]),
              max(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[:7]),
              min(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[7:11]),
              max(TABLE4_ACCURACY[m] for m in list(TABLE4_ACCURACY)[7:11]),
              TABLE4_ACCURACY["VGG-19"], TABLE4_ACCURACY["ResNet-18"]),
          accuracies("test_accuracy", TABLE4_ACCURACY, 0.05)),
    Claim("001.s3.3.converged-limits", SOURCE, "§3.3 (after Gunasekar et al.)",
          "linear FC nets converge to the l2 max-margin predictor, two-layer full-width "
          "convolutions towards the Fourier-l1 one", FB, "Linear models trained to convergence",
          "R_FC = ||beta||_2, R_CONV = ||beta^||_1", converged_limits()),
    Claim("001.lemma1", SOURCE, "Lemma 1", "the end-to-end predictor of a linear conv net from "
          "its layers", FB, "The end-to-end predictor of a linear network",
          "beta from the parametrisation map", bound(("beta_identity_rel_err", "<", 1e-4),
                                                     passed=VERIFIED)),
    _fb("001.table1.linear.fullconv-sparser-beta", "Table 1",
        "linear: full conv has a sparser beta^ than FC",
        f"{_b1('full conv')} (full conv) vs {_b1('FC').split()[-1]} (FC)", _LIN,
        paper_effect("full conv", "FC", "beta")),
    _fb("001.table1.linear.fullconv-sparser-delta", "Table 1",
        "linear: full conv has a sparser delta^ than FC",
        f"{_d1('full conv')} vs {_d1('FC').split()[-1]}", _LIN,
        paper_effect("full conv", "FC", "delta")),
    _fb("001.table1.linear.depth-sparser-beta", "Table 1",
        "linear: depth makes the full conv's beta^ sparser",
        f"{_b1('deep full conv')} (deep) vs {_b1('full conv').split()[-1]}",
        ("full conv", "deep full conv"), paper_effect("deep full conv", "full conv", "beta")),
    _fb("001.table1.linear.depth-sparser-delta", "Table 1",
        "linear: depth makes the full conv's delta^ sparser",
        f"{_d1('deep full conv')} (deep) vs {_d1('full conv').split()[-1]}",
        ("full conv", "deep full conv"), paper_effect("deep full conv", "full conv", "delta")),
    _fb("001.table1.linear.fc-depth-invariant", "Table 1",
        "linear: FC's beta^ does not depend on depth",
        f"{_b1('deep FC')} (deep FC) vs {_b1('FC').split()[-1]}", ("FC", "deep FC"),
        equivalence=EQUIV_TOL),
    _fb("001.s3.3.1.locally-conn-like-fc", "§3.3.1", "linear: locally conn. spreads beta^ like FC",
        "Fig. 8", ("locally conn.", "FC", "full conv")),
    _fb("001.s3.3.1.bounded-beta-higher", "§3.3.1",
        "linear: bounded conv puts beta^ at higher freq. than FC", "Fig. 8b",
        ("bounded conv", "FC")),
    _fb("001.s3.3.1.bounded-delta-higher", "§3.3.1",
        "linear: bounded conv puts delta^ at higher freq. than FC", "Fig. 8b",
        ("bounded conv", "FC")),
    _fb("001.table2.relu.fullconv-sparser-delta", "Table 2",
        "ReLU: full conv has a sparser delta^ than FC",
        f"{_d1('ReLU full conv', TABLE2)} vs {_d1('ReLU FC', TABLE2).split()[-1]}",
        ("ReLU full conv", "ReLU FC"), paper_effect("ReLU full conv", "ReLU FC", "delta")),
    _fb("001.fig4b.relu.bounded-higher", "Fig. 4b",
        "ReLU: bounded conv's delta^ is higher freq. than full conv",
        "\"deep, bounded-Width models shift energy into higher frequencies\"",
        ("ReLU bounded conv", "ReLU full conv", "ReLU FC")),
    _fb("001.s3.3.2.relu.locally-conn-like-fc", "§3.3.2",
        "ReLU: locally conn.'s delta^ resembles FC's", "Fig. 4",
        ("ReLU locally conn.", "ReLU FC", "ReLU full conv")),
    _fb("001.fig11.alpha.wide-bounded", "Fig. 11",
        "alpha 10 gives higher freq. delta^ than 0.1 (wide bounded conv)",
        "impact of initial weight scale alpha",
        ("wide bounded conv a=0.1", "wide bounded conv a=10"),
        reference=_alpha_reference("wide bounded conv")),
    _fb("001.fig11.alpha.locally-conn", "Fig. 11",
        "alpha 10 gives higher freq. delta^ than 0.1 (locally conn.)",
        "impact of initial weight scale alpha", ("locally conn. a=0.1", "locally conn. a=10"),
        reference=_alpha_reference("locally conn.")),
    _ld("001.s3.1.absent-at-init", "§3.1, Fig. 2a",
        "adversarial examples are absent at initialisation", "success rate ~0 at epoch 0"),
    _ld("001.s3.1.emerge-early", "§3.1", "they emerge early", "\"emerge early in training\""),
    _ld("001.fig2a.rises-with-accuracy", "Fig. 2a", "the success rate rises with accuracy",
        "rises with accuracy", None, "Pearson r over the snapshots"),
    _ld("001.fig2a.final-lags", "Fig. 2a", "the final network's perturbations lag",
        "\"final network adversarial attacks lag behind\"", None, "compared on every snapshot"),
    _ld("001.fig3.l2-shrinks", "Fig. 3 top", "the minimal l2 perturbation shrinks",
        "L2 norm of delta decreases", None, "Spearman rho over the snapshots"),
    _ld("001.fig3.linf-shrinks", "Fig. 3 top", "the minimal l-inf perturbation shrinks",
        "L_inf norm decreases", None, "Spearman rho over the snapshots"),
    *(_ld(f"001.{fig}.{what}.{since}", ref, f"{text} {since_text}", paper)
      for since, since_text in (("init", "from initialisation"),
                                ("epoch1", "after the first epoch"))
      for fig, ref, what, text, paper in (
          ("fig2b", "Figs. 2b, 3", "pgd-higher", "PGD perturbations move to higher frequencies",
           "higher k_r"),
          ("fig2b", "Figs. 2b, 3", "deepfool-higher",
           "DeepFool-l2 perturbations move to higher frequencies", "higher k_r"),
          ("fig2c", "Fig. 2c", "angular-uniform",
           "the angular energy of PGD perturbations becomes more uniform",
           "more uniform angular energy"))),
    _ld("001.fig1.relu-changes", "Figs. 1, 6, 7", "ReLU changes: adversarial above random",
        "more ReLU changes", None, "random directions as baseline; Wilcoxon test"),
    _ld("001.fig1.roughness", "Figs. 1, 6, 7", "roughness: adversarial above random",
        "rougher paths", None, "random directions as baseline; Wilcoxon test"),
)
#: Table 6: the PGD step as a fraction of the budget ("learning rate 0.1").
PGD_REL_STEP = 0.1
