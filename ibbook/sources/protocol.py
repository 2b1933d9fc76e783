"""The verdict protocol: how a claim of a source is graded from a chapter's result file.

Verdicts (:data:`VERDICTS`):

- ``verified``: a theorem's numerical check passed (the value within its stated bound);
- ``holds``: the paper's effect is seen, beyond the baseline measured in the same run, with its
  uncertainty, by a test that had the power to see it, on models adequately trained;
- ``does not hold``: the same conditions met, and the effect is absent (or a theorem's check
  failed);
- ``inconclusive at this scale``: a condition is not met; the reasons are stated (no baseline in
  this run, no uncertainty, too little power, a model under-trained or near chance);
- ``not run at this scale``: no result file, or the file lacks the number.

The conditions of a comparison verdict (anything but a theorem's check):

1. **baseline**: where a baseline exists (untrained network, white noise, shuffled pairing), it
   is measured in the same run and the effect is stated beyond it;
2. **uncertainty**: a difference of summary statistics comes with a CI over at least 3 seeds or a
   bootstrap over images;
3. **power**: a hypothesis test has power at least :data:`MIN_POWER` for the paper's effect size
   (computed and shown) before its outcome is a verdict;
4. **adequacy**: a model more than :data:`ACCURACY_MARGIN` below the paper's accuracy, or within
   :data:`CHANCE_MARGIN` of chance, makes its rows inconclusive.

Every check returns an :class:`Outcome`: our numbers, the verdict, and the *fair test?* text
(accuracy against the paper's, N against the N needed, seeds).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Callable, Mapping, Sequence

VERIFIED, HOLDS, FAILS, INCONCLUSIVE, NOT_RUN = (
    "verified", "holds", "does not hold", "inconclusive at this scale", "not run at this scale")
VERDICTS = (VERIFIED, HOLDS, FAILS, INCONCLUSIVE, NOT_RUN)

#: A hypothesis test gives a verdict only with at least this power for the paper's effect.
MIN_POWER = 0.8
#: Significance level of the one-sided tests.
ALPHA = 0.05
#: A model this far (absolute accuracy) below the paper's makes its rows inconclusive.
ACCURACY_MARGIN = 0.10
#: A model within this margin above chance (1 / number of classes) is "near chance".
CHANCE_MARGIN = 0.10


class NotRecorded(KeyError):
    """A check's number is absent from a result file; the message says what is missing."""


@dataclass(frozen=True)
class Outcome:
    ours: str
    verdict: str
    fair: str = "-"
    reasons: tuple[str, ...] = field(default=())


Check = Callable[..., Outcome]


def get(results: Mapping[str, Any], path: str) -> Any:
    """``results["a"]["b"]`` for ``path="a/b"``; :class:`NotRecorded` naming the path if absent."""
    value: Any = results
    for key in path.split("/"):
        if not isinstance(value, Mapping) or key not in value:
            raise NotRecorded(f"results/{path}")
        value = value[key]
    return value


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def quoted(text: str) -> float:
    """The number of a quoted entry such as ``"mean ± std"`` or ``"mean"``."""
    return float(str(text).split("±")[0].strip())


# --- power of the Id correlation test ----------------------------------------------------------

#: Default effect: the Id of the paired masks about 10 % below the shuffled mean. The registry
#: passes each row's own effect (``s003.id_effect``, from Tables 2-3: 4.8-10.6 %).
ID_EFFECT = 0.10
#: Spread of the shuffled Id: its standard deviation is about ``ID_CV * Id / sqrt(N)``.
ID_CV = 1.3


def id_test_power(n: int, effect: float = ID_EFFECT, cv: float = ID_CV,
                  alpha: float = ALPHA) -> float:
    """Power of the one-sided Z test of the Id correlation test with ``n`` pairs, when the paired
    Id is ``effect`` (relative) below the shuffled mean and the shuffled Id's standard deviation
    is ``cv * Id / sqrt(n)``: ``Phi(effect * sqrt(n) / cv - z_(1-alpha))``."""
    if n <= 0:
        return 0.0
    z = NormalDist()
    return z.cdf(effect * math.sqrt(n) / cv - z.inv_cdf(1 - alpha))


def measured_id_power(shuffled_mean: float, shuffled_std: float, effect: float = ID_EFFECT,
                      alpha: float = ALPHA) -> float:
    """Power of the one-sided Z test against a run's own shuffled Ids (mean, sample std) for an
    Id ``effect`` (relative) below the shuffled mean: ``Phi(effect * mean / std - z_(1-alpha))``.
    Raises ValueError for a non-positive std."""
    if not shuffled_std > 0:
        raise ValueError(f"shuffled_std={shuffled_std!r} is not accepted; use a positive number")
    z = NormalDist()
    return z.cdf(effect * shuffled_mean / shuffled_std - z.inv_cdf(1 - alpha))


def id_test_n_needed(power: float = MIN_POWER, effect: float = ID_EFFECT, cv: float = ID_CV,
                     alpha: float = ALPHA) -> int:
    """Smallest N whose :func:`id_test_power` reaches ``power``."""
    z = NormalDist()
    return math.ceil(((z.inv_cdf(1 - alpha) + z.inv_cdf(power)) * cv / effect) ** 2)


# --- adequacy of a trained model --------------------------------------------------------------

def adequacy(name: str, acc: float, paper: float | None = None,
             n_classes: int = 10) -> tuple[str, str | None]:
    """(*fair test?* text, reason it is inadequate or ``None``) for a model of accuracy ``acc``
    (paper's ``paper``, ``None`` if not given)."""
    chance = 1 / n_classes
    text = f"{name} {acc:.0%}" + (f" vs paper {paper:.0%}" if paper is not None else
                                  f" (chance {chance:.0%})")
    if acc < chance + CHANCE_MARGIN:
        return text, f"{name} near chance ({acc:.0%}, chance {chance:.0%})"
    if paper is not None and acc < paper - ACCURACY_MARGIN:
        return text, (f"{name} under-trained ({acc:.0%}, paper {paper:.0%}; margin "
                      f"{ACCURACY_MARGIN:.0%})")
    return text, None


def graded(ours: str, ok: bool, fair: str = "-", reasons: Sequence[str] = (),
           passed: str = HOLDS) -> Outcome:
    """``passed`` / does not hold, or inconclusive when any reason is given."""
    reasons = tuple(r for r in reasons if r)
    if reasons:
        return Outcome(ours, INCONCLUSIVE, fair, reasons)
    return Outcome(ours, passed if ok else FAILS, fair)


# --- check builders ---------------------------------------------------------------------------

_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b}


def bound(*conditions: tuple[str, str, float], passed: str = VERIFIED,
          fair: str = "-", uncertainty: str | None = None,
          seeds_path: str | None = None, labels: Mapping[str, str] | None = None) -> Check:
    """Every ``(path, op, limit)`` (op in ``<, <=, >, >=``) holds -> ``passed`` (``verified`` for
    a theorem, ``holds`` for an empirical claim without baseline), else does not hold. With
    ``uncertainty`` (what the run lacks): inconclusive with that reason, unless the result at
    ``seeds_path`` records at least 3 seeds. ``labels``: path -> the words *ours* names it by.
    A list at a path is judged by its worst entry (the least for ``>``/``>=``, else the most)."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        parts, ok = [], True
        for path, op, limit in conditions:
            got = get(r, path)
            name = (labels or {}).get(path, path.split('/')[-1])
            if isinstance(got, (list, tuple)):  # a list: its worst case against the limit
                v = float(min(got) if op in (">", ">=") else max(got))
                name = f"{'smallest' if op in ('>', '>=') else 'largest'} {name}"
            else:
                v = float(got)
            ok &= _OPS[op](v, limit)
            parts.append(f"{name} = {fmt(v)} ({op} {limit:g})")
        return graded("; ".join(parts), ok, fair, _lacking(r, uncertainty, seeds_path),
                      passed=passed)
    return check


def _lacking(r: Mapping[str, Any], uncertainty: str | None,
             seeds_path: str | None) -> list[str]:
    """``["no uncertainty (...)"]`` unless ``seeds_path`` records at least 3 seeds."""
    if not uncertainty:
        return []
    if seeds_path is not None:
        try:
            seeds = get(r, seeds_path)
            if (len(seeds) if isinstance(seeds, (list, tuple)) else int(seeds)) >= 3:
                return []
        except (NotRecorded, TypeError, ValueError):
            pass
    return [f"no uncertainty ({uncertainty})"]


def interval_bound(path: str, op: str, limit: float, fair: str = "-",
                   label: str | None = None) -> Check:
    """Every interval at ``path`` (a ``{"estimate", "lo", "hi"}`` dict or a list of them, e.g.
    one per run or per setting) lies on the ``op`` side (``>=`` or ``>``, ``<=`` or ``<``) of
    ``limit`` -> holds; an interval wholly on the other side -> does not hold (the effect is
    reversed, or the bound broken beyond the uncertainty); otherwise inconclusive (an interval
    contains the limit). ``label``: the words *ours* names the number by (default: the last
    part of ``path``). An ``op`` outside those four is a ValueError."""
    if op not in _OPS:
        raise ValueError(f"op={op!r} is not accepted; use one of {sorted(_OPS)}")
    up = op in (">", ">=")

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        got = get(r, path)
        items = got if isinstance(got, (list, tuple)) else [got]
        if not items:
            raise NotRecorded(f"{path} is empty")
        near = [(float(i["lo"]) if up else float(i["hi"])) for i in items]
        far = [(float(i["hi"]) if up else float(i["lo"])) for i in items]
        ok = all(_OPS[op](v, limit) for v in near)
        broken = any(not _OPS[op](v, limit) for v in far)
        worst = min(range(len(items)), key=lambda j: near[j] if up else -near[j])
        w = items[worst]
        shown = (f"{fmt(float(w['estimate']))} [{fmt(float(w['lo']))}, {fmt(float(w['hi']))}]"
                 f" ({op} {limit:g})")
        ours = (f"{label or path.split('/')[-1]}: " + (shown if len(items) == 1 else
                f"{len(items)} intervals, the {'lowest' if up else 'highest'} {shown}"))
        if ok:
            return Outcome(ours, HOLDS, fair)
        if broken:
            return Outcome(ours, FAILS, fair)
        return Outcome(ours, INCONCLUSIVE, fair, (f"an interval contains {limit:g}",))
    return check


def sparsity(path: str, model: str, acc_path: str, paper_acc: float | None,
             baseline_path: str, baseline: str, ratio: float = 0.5,
             n_classes: int = 10) -> Check:
    """Mask density at ``path`` against a baseline density at ``baseline_path`` (``baseline``
    says what it is): holds when the density is at most ``ratio`` times the baseline's, else
    does not hold; no baseline recorded -> inconclusive (stated); the model at ``acc_path``
    passes the adequacy gate."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        d = float(get(r, path))
        text, why = adequacy(model, float(get(r, acc_path)), paper_acc, n_classes)
        reasons = [why] if why else []
        try:
            b = float(get(r, baseline_path))
            ours = f"density {fmt(d)} vs {fmt(b)} for {baseline} (holds at <= {ratio:g} x)"
            ok = d <= ratio * b
        except NotRecorded:
            ours, ok = f"density {fmt(d)}", False
            reasons.append(f"no baseline recorded ({baseline}); the lecture gives no number")
        return graded(ours, ok, text, reasons)
    return check


def significant_z(path: str, alpha: float = ALPHA, fair: str = "-") -> Check:
    """The qualitative claim of a one-sided Z test: Z below the critical value
    ``-z_(1-alpha)`` -> holds, else does not hold (the size of Z is not graded: it grows with
    N)."""
    crit = -NormalDist().inv_cdf(1 - alpha)

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        z = float(get(r, path))
        return graded(f"Z = {z:.3g} (significant when below the critical value {crit:.3f}, "
                      f"one-sided, alpha = {alpha:g})", z < crit, fair)
    return check


def calibration(rate_path: str, trials: str | int, settings: Sequence[str] | int,
                alpha: float = ALPHA, power_rate: float = 2.0) -> Check:
    """A test's false-positive rate (the largest over its settings, at ``rate_path``, each over
    ``trials`` independent draws) against its level ``alpha``: a one-sided binomial test
    (``scipy.stats.binomtest``, alternative "greater") of the count ``rate * trials`` against
    ``alpha``, Bonferroni over the settings (level ``alpha / settings``). Rejected -> does not
    hold (miscalibrated); not rejected -> holds only when that test had power at least
    :data:`MIN_POWER` to reject a true rate of ``power_rate * alpha``, else inconclusive.
    ``trials`` / ``settings``: numbers, or keys of the run's record (``ctx.record``; a list
    key counts its entries, a list of keys multiplies them)."""
    def number(spec: Any, rec: Mapping[str, Any]) -> int:
        if isinstance(spec, int):
            return spec
        specs = [spec] if isinstance(spec, str) else list(spec)
        out = 1
        for key in specs:
            if key not in rec:
                raise NotRecorded(f"record/{key}")
            v = rec[key]
            out *= len(v) if isinstance(v, (list, tuple)) else int(v)
        return out

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        from scipy.stats import binom, binomtest
        rate = float(get(r, rate_path))
        rec = getattr(ctx, "record", None) or {}
        n, k_settings = number(trials, rec), number(settings, rec)
        count = round(rate * n)
        level = alpha / k_settings
        p = binomtest(count, n, alpha, alternative="greater").pvalue
        # smallest count rejected at ``level``, and the power at a true rate power_rate * alpha
        crit = next(c for c in range(n + 2) if c > n or binom.sf(c - 1, n, alpha) <= level)
        power = float(binom.sf(crit - 1, n, power_rate * alpha)) if crit <= n else 0.0
        rejected = p <= level
        ours = (f"{count} of {n} false positives (rate {rate:.3g}, the largest of {k_settings} "
                f"settings) vs alpha = {alpha:g}: one-sided binomial p = {p:.2g}, level "
                f"{level:.2g} (Bonferroni over {k_settings})")
        fair = (f"power {power:.2f} to see a rate of {power_rate * alpha:g} at n = {n} "
                f"(rejects from {crit} of {n})")
        reasons = []
        if not rejected and power < MIN_POWER:
            reasons.append(f"power {power:.2f} < {MIN_POWER} to see a false-positive rate of "
                           f"{power_rate * alpha:g} with {n} draws per setting")
        return graded(ours, not rejected, fair, reasons)
    return check


def close(path: str, paper: float, rtol: float, fair: str = "-") -> Check:
    """Within ``rtol`` of the paper's value -> holds, else does not hold."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        v = float(get(r, path))
        ok = abs(v - paper) <= rtol * abs(paper)
        return graded(f"{fmt(v)} (paper {paper:g}, tolerance {rtol:.0%})", ok, fair)
    return check


def close_or_sign(path: str, paper: float, rtol: float, limit: float, below: bool = True,
                  fair: str = "-") -> Check:
    """Within ``rtol`` of the paper, or on the paper's side of ``limit`` -> holds."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        v = float(get(r, path))
        side = v < limit if below else v > limit
        ok = abs(v - paper) <= rtol * abs(paper) or side
        return graded(f"{fmt(v)} (paper {paper:g}; holds within {rtol:.0%} of it, or "
                      f"{'below' if below else 'above'} {limit:g})", ok, fair)
    return check


def finding_text(r: Mapping[str, Any], key: str, path: str = "verdicts") -> tuple[bool, str]:
    """A chapter's recorded finding ``{"<n>. <key>...": "holds (...)" | "does not hold (...)"}``:
    (holds?, its numbers). Matched on the key text after the number (the numbering differs
    between scales); the key may be a prefix of the recorded text."""
    for k, text in get(r, path).items():
        body = k.split(". ", 1)[-1]
        if body == key or body.startswith(key):
            text = str(text)
            holds = text.startswith("holds")
            if not holds and not text.startswith("does not hold"):
                raise ValueError(f"{path}: {k!r} has no holds / does not hold verdict")
            numbers = text.split("(", 1)[-1] if "(" in text else text
            numbers = numbers[:-1] if "(" in text and numbers.endswith(")") else numbers  # one ")"
            return holds, numbers
    raise NotRecorded(f"results/{path}: '{key}'")


def finding(key: str, baseline: str | None = None, uncertainty: str | None = None,
            models: Sequence[str] = (), paper_acc: Mapping[str, float] | None = None,
            acc_path: str = "test_accuracy", has: str = "",
            gate: tuple[str, str, float | None] | None = None) -> Check:
    """A chapter's finding (see :func:`finding_text`) graded by the protocol. ``baseline`` /
    ``uncertainty``: what the run lacks (then inconclusive with that reason); ``has``: what it
    has (shown in *fair test?*). ``models``: their accuracies at ``acc_path`` pass the adequacy
    gate (against ``paper_acc`` where the paper gives one; an accuracy not recorded is a stated
    reason, inconclusive, and "models adequate" is shown only when all are recorded and
    pass); ``gate = (model, path, paper)``: the
    same for one model whose accuracy is at ``path`` (a number, or snapshot -> accuracy, the last
    snapshot read). ``key``: the claim id, looked up in :data:`ibbook.sources.keys.FINDING_KEYS`
    when graded (so a reworded chapter key is a one-line change there)."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        from .keys import FINDING_KEYS
        holds, numbers = finding_text(r, FINDING_KEYS[key])
        reasons, fair = [], [has] if has else []
        if baseline:
            reasons.append(f"no baseline in this run ({baseline})")
        if uncertainty:
            reasons.append(f"no uncertainty ({uncertainty})")
        accs = r.get(acc_path, {}) if models else {}
        for m in models:
            if m not in accs:
                reasons.append(f"{m} accuracy not recorded ({acc_path}); adequacy not checked")
                fair.append(f"{m} accuracy not recorded")
                continue
            text, why = adequacy(m, float(accs[m]), (paper_acc or {}).get(m))
            if why:
                reasons.append(why)
                fair.append(text)
        if gate is not None:
            name, path, paper = gate
            value = get(r, path)
            if isinstance(value, Mapping):
                value = value[max(value, key=lambda k: float(k))]
            text, why = adequacy(name, float(value), paper)
            fair.append(text)
            if why:
                reasons.append(why)
        if not fair:
            fair.append("models adequate" if models else "-")
        return graded(f"{'effect seen' if holds else 'effect not seen'}: {numbers}", holds,
                      "; ".join(fair), reasons)
    return check


def id_test(model: str, attack: str, significant: bool = True,
            accuracy: tuple[str, str, float | None] | None = None,
            effect: float = ID_EFFECT) -> Check:
    """The Id correlation test of a mask set (``results["masks"][model][attack]``): holds when
    its outcome (p below 0.05 with Z below 0) is the paper's (``significant``), but only with
    power at least :data:`MIN_POWER` for the paper's effect of this row (``effect``, relative:
    (shuffled mean - Id) / shuffled mean; :func:`id_test_power`) and, with
    ``accuracy = (chapter, path, paper accuracy)``, an adequately trained model. An accuracy
    that is not recorded (or no other chapter to read it from) is a stated reason
    (inconclusive), never a silent pass."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        m = get(r, f"masks/{model}/{attack}")
        if "z" not in m or "p" not in m:
            raise NotRecorded(f"results/masks/{model}/{attack}/z (only {m.get('n', '?')} mask pairs)")
        z, p, n = float(m["z"]), float(m["p"]), int(m["n"])
        sig = p < ALPHA and z < 0
        power, needed = id_test_power(n, effect), id_test_n_needed(effect=effect)
        if "shuffled_mean" in m and "shuffled_std" in m:  # the run's own null spread
            power = measured_id_power(float(m["shuffled_mean"]), float(m["shuffled_std"]), effect)
            fair = [f"N = {n}; power {power:.2f} for the paper's effect {effect:.1%} against "
                    f"this run's shuffled spread ({float(m['shuffled_std']):.2g})"]
        else:
            fair = [f"N = {n} of {needed} needed for the paper's effect {effect:.1%} "
                    f"(power {power:.2f})"]
        reasons = []
        if power < MIN_POWER:
            reasons.append(f"power {power:.2f} < {MIN_POWER} at N = {n} (needs N >= {needed} "
                           f"for the paper's effect {effect:.1%})")
        if accuracy is not None:
            chapter, path, paper = accuracy
            other = ctx(chapter) if ctx is not None else None
            try:
                if other is None:
                    raise NotRecorded(f"results of {chapter}")
                text, why = adequacy(model, float(get(other, path)), paper)
                fair.insert(0, text)
                if why:
                    reasons.append(why)
            except NotRecorded:
                reasons.append(f"{model} accuracy not recorded ({chapter}: {path}); adequacy "
                               "not checked")
                fair.insert(0, f"{model} accuracy not recorded")
        fair.append("1 seed")
        return graded(f"Z = {z:.2f}, p = {p:.2g}, Id {float(m.get('id', math.nan)):.3g}, "
                      f"{n} pairs ({'' if sig else 'not '}significant at {ALPHA})",
                      sig == significant, "; ".join(fair), reasons)
    return check


def twin_reading(c: Mapping[str, Any], alpha: float = ALPHA) -> tuple[str, str]:
    """What the two-network control says (``c``: one attack's ``results["control"]`` entry of
    ``masks.large.control_comparison``: the same-network test ``same``, the twin's test ``twin``
    on the same images, and the ``swap`` test of A's against B's adversarial masks), as
    ``(reading, sentence)``. With ``same`` significant (one-sided p < ``alpha``):

    - *specific to the network*: the swap test finds A's own masks more tied (permutation
      p < ``alpha``) and the twin's test is not significant;
    - *partly shared*: both the swap test and the twin's test are significant (the twin's masks
      are tied too, A's more);
    - *shared with the twin*: the twin's test is significant and the swap test is not (A's own
      masks are no more tied than B's: the images, or the bias both networks share);
    - *inconclusive*: neither is significant, or the same-network test itself is not."""
    s, t, w = c["same"], c["twin"], c["swap"]
    nums = (f"on {int(c['n']):,} shared images, Z = {s['z']:.2f} (p = {s['p']:.2g}) with the same network's "
            f"adversarial masks, Z = {t['z']:.2f} (p = {t['p']:.2g}) with the twin's; swapping the two "
            f"networks' masks at random, Z = {w['z']:.2f} (permutation p = {w['p_permutation']:.2g}, "
            f"{int(w['n_swaps'])} swaps)")
    if not (s["p"] < alpha and s["z"] < 0):
        return "inconclusive", f"{nums}: the same-network test is not significant on these images."
    twin_sig = t["p"] < alpha and t["z"] < 0
    swap_sig = w["p_permutation"] < alpha and w["z"] < 0
    if swap_sig and not twin_sig:
        return "specific to the network", (f"{nums}: the network's own masks are more tied than the twin's, "
                                           "and the twin's show no significant tie, so the correlation depends "
                                           "on the network that made both masks (a non-significant twin is "
                                           "absence of evidence, not proof of none).")
    if swap_sig:
        return "partly shared", (f"{nums}: the twin's masks are tied to the essential masks too, the network's "
                                 "own more, so part of the correlation comes from the images or from the bias "
                                 "both networks share; the paper's conclusion needs that caveat in part.")
    if twin_sig:
        return "shared with the twin", (f"{nums}: the twin's masks are as tied as the network's own, so the "
                                        "test cannot tell the network's own bias from the images' spectra or the "
                                        "bias both networks share; the paper's conclusion needs that caveat.")
    return "inconclusive", f"{nums}: neither the twin's test nor the swap test separates the two."


def network_control(model: str, attack: str) -> Check:
    """The two-network control of the Id test (ours, not in the sources), graded by
    :func:`twin_reading` on ``results["control"][attack]``: *specific to the network* holds,
    *shared with the twin* does not hold, *partly shared* and the rest are inconclusive.
    ``model`` names the network the row is about (its same-network test is the control's own,
    on the shared images, so both sides have the same N)."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        c = get(r, f"control/{attack}")
        for part in ("same", "twin", "swap"):
            if part not in c:
                raise NotRecorded(f"results/control/{attack}/{part}")
        reading, _ = twin_reading(c)
        s, t, w = c["same"], c["twin"], c["swap"]
        ours = (f"{model}: same network Z = {s['z']:.2f}, twin Z = {t['z']:.2f}, swap test Z = {w['z']:.2f} "
                f"(permutation p = {w['p_permutation']:.2g}) on {int(c['n'])} shared images: {reading}")
        fair = "shuffled baseline in both tests; swap test of the two networks' masks; 2 networks"
        verdict = {"specific to the network": HOLDS, "shared with the twin": FAILS}.get(reading, INCONCLUSIVE)
        why = () if verdict != INCONCLUSIVE else (
            ("the twin's masks are tied too, less than the network's own",) if reading == "partly shared"
            else ("neither the twin's test nor the swap test separates the networks, or the same-network "
                  "test is not significant",))
        return Outcome(ours, verdict, fair, why)
    return check


def ordered(path: str, increasing: bool, fair: str = "-",
            uncertainty: str | None = None) -> Check:
    """A recorded list that must rise (or fall) strictly -> holds."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        v = [float(x) for x in get(r, path)]
        ok = all((b > a) if increasing else (b < a) for a, b in zip(v, v[1:]))
        return graded(", ".join(f"{x:.3g}" for x in v), ok, fair,
                      [f"no uncertainty ({uncertainty})"] if uncertainty else [])
    return check


#: Without the paper's accuracy, a model below this accuracy is not taken as trained.
UNKNOWN_PAPER_MIN_ACC = 0.50
#: Confidence level of the Clopper-Pearson intervals of an accuracy over ``n`` images.
CP_LEVEL = 0.95


def clopper_pearson(k: int, n: int, level: float = CP_LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval of a proportion ``k / n``."""
    from scipy.stats import beta
    a = 1 - level
    lo = 0.0 if k <= 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k >= n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def complement(path: str, model: str, acc_path: str, paper_acc: float | None,
               paper_drop: float, n_classes: int = 10, keep: float = 0.9) -> Check:
    """Accuracy under the essential mask and under its complement (``path``/``acc_mask``,
    ``acc_complement``, over ``path``/``n`` images).

    Rule (Clopper-Pearson 95 % intervals over the ``n`` images): the mask keeps the accuracy
    when the masked accuracy's interval lies entirely above ``keep`` (0.9), and fails to when it
    lies entirely below; the complement drops it when the complement accuracy's interval lies
    entirely below ``acc_mask * (1 - paper_drop / 2)`` (a relative drop above half the paper's
    ``paper_drop``), and does not when it lies entirely above. Holds when both are decided
    for; does not hold when either is decided against; else inconclusive (interval too wide
    to decide). ``n`` not recorded -> inconclusive. The model at ``acc_path`` passes the
    adequacy gate; with the paper's accuracy not given, an accuracy under
    :data:`UNKNOWN_PAPER_MIN_ACC` is inadequate (reason stated)."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        acc_m = float(get(r, f"{path}/acc_mask"))
        acc_c = float(get(r, f"{path}/acc_complement"))
        drop = 1 - acc_c / acc_m if acc_m > 0 else 0.0
        acc = float(get(r, acc_path))
        text, why = adequacy(model, acc, paper_acc, n_classes)
        reasons = [why] if why else []
        if not why and paper_acc is None and acc < UNKNOWN_PAPER_MIN_ACC:
            reasons.append(f"{model} at {acc:.0%} and the paper's accuracy not given: under "
                           f"{UNKNOWN_PAPER_MIN_ACC:.0%}, not taken as trained")
        ours = (f"accuracy {acc_m:.2f} with the mask, {acc_c:.2f} with its complement "
                f"(drop {drop:.0%}; paper {paper_drop:.0%})")
        n = r.get(path, {}).get("n") if isinstance(r.get(path), Mapping) else None
        if n is None:
            reasons.append("number of images not recorded: no interval")
            return graded(ours, False, text, reasons)
        n = int(n)
        m_lo, m_hi = clopper_pearson(round(acc_m * n), n)
        c_lo, c_hi = clopper_pearson(round(acc_c * n), n)
        limit = acc_m * (1 - paper_drop / 2)
        ours += (f"; n = {n}, 95% CI mask [{m_lo:.2f}, {m_hi:.2f}] vs {keep:g}, complement "
                 f"[{c_lo:.2f}, {c_hi:.2f}] vs {limit:.2f}")
        kept = True if m_lo > keep else False if m_hi < keep else None
        dropped = True if c_hi < limit else False if c_lo > limit else None
        if kept is False or dropped is False:
            return graded(ours, False, text, reasons)
        if kept is None or dropped is None:
            reasons.append(f"interval too wide to decide at n = {n} (Clopper-Pearson 95%)")
        return graded(ours, True, text, reasons)
    return check


def accuracies(path: str, paper: Mapping[str, float], atol: float) -> Check:
    """A table of test accuracies (``path``: model -> accuracy) against the paper's: every model
    within ``atol`` -> holds; a model more than :data:`ACCURACY_MARGIN` below the paper's ->
    inconclusive (under-trained at this scale); else, a model more than ``atol`` from the
    paper's, above it or below it by up to :data:`ACCURACY_MARGIN` (an adequately trained
    model that misses the paper's accuracy) -> does not hold."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        acc = get(r, path)
        missing = [m for m in paper if m not in acc]
        if missing:
            raise NotRecorded(f"results/{path}: {', '.join(missing)}")
        gaps = {m: float(acc[m]) - paper[m] for m in paper}
        worst = max(gaps, key=lambda m: abs(gaps[m]))
        low = [m for m in paper if gaps[m] < -ACCURACY_MARGIN]
        ok = abs(gaps[worst]) <= atol
        reasons = ["under-trained at this scale: " + ", ".join(
            f"{m} {float(acc[m]):.0%} vs {paper[m]:.0%}" for m in low)] if low else []
        fair = (f"{len(paper) - len(low)} of {len(paper)} models within "
                f"{ACCURACY_MARGIN:.0%} of the paper")
        return graded(f"largest gap {worst} {float(acc[worst]):.2f} vs {paper[worst]:.2f} "
                      f"(tolerance {atol:.2f})", ok, fair, reasons)
    return check


def radii_match(path: str, ks_path: str, rtol: float = 1e-9, label: str = "radius") -> Check:
    """Measured radii at ``path`` equal 1/sqrt(K) for the K at ``ks_path`` -> verified;
    ``label`` names them in *ours*."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        radii, ks = [float(v) for v in get(r, path)], [int(k) for k in get(r, ks_path)]
        err = max(abs(v * math.sqrt(k) - 1) for v, k in zip(radii, ks))
        return graded(f"{label} x sqrt(K) = 1 within {err:.1e} at K = {', '.join(map(str, ks))}",
                      err <= rtol and len(radii) == len(ks), passed=VERIFIED)
    return check


def interval_within(path: str, low: float, high: float, fair: str = "-",
                    label: str | None = None) -> Check:
    """The interval at ``path`` (``{"estimate", "lo", "hi"}``) inside ``(low, high)`` -> holds;
    wholly outside -> does not hold; otherwise inconclusive (it straddles an end). ``low >=
    high`` is a ValueError."""
    if not low < high:
        raise ValueError(f"low={low!r}, high={high!r} is not accepted; use low < high")

    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        i = get(r, path)
        e, lo, hi = float(i["estimate"]), float(i["lo"]), float(i["hi"])
        ours = (f"{label or path.split('/')[-1]}: {fmt(e)} [{fmt(lo)}, {fmt(hi)}] "
                f"(within {low:g} to {high:g})")
        if low < lo and hi < high:
            return Outcome(ours, HOLDS, fair)
        if hi <= low or lo >= high:
            return Outcome(ours, FAILS, fair)
        return Outcome(ours, INCONCLUSIVE, fair, (f"the interval reaches past {low:g} or {high:g}",))
    return check


def recorded_or(path: str, why: str, check: Check) -> Check:
    """``check``, when the result records ``path``; otherwise inconclusive with ``why`` (a
    condition of a fair test that an older or larger run did not record)."""
    def wrapped(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        try:
            get(r, path)
        except NotRecorded:
            return Outcome(f"{path.split('/')[-1]}: not recorded", INCONCLUSIVE, "-", (why,))
        return check(r, ctx)
    return wrapped


def both(first: Check, second: Check) -> Check:
    """Two checks on one claim: the weaker verdict (order of :data:`VERDICTS`) wins."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        a, b = first(r, ctx), second(r, ctx)
        worst = max(a.verdict, b.verdict, key=VERDICTS.index)
        fair = a.fair if a.fair == b.fair else f"{a.fair}; {b.fair}"
        return Outcome(f"{a.ours}; {b.ours}", worst, fair,
                       tuple(dict.fromkeys(a.reasons + b.reasons)))  # each reason once
    return check


# --- a claim of a source ------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One claim of a source: a stable ``id`` (``<source>.<place>.<what>``), the ``source``
    number, ``item`` (where in the source: table, figure, section), ``claim`` (the source's
    statement in our words), the ``chapter`` and its ``section`` heading that test it, ``paper``
    (the source's numbers, as shown), ``check`` (the predicate that grades a result file) and,
    optionally, ``needs``: what a run of the claim would take, shown while none is recorded."""
    id: str
    source: str
    item: str
    claim: str
    chapter: str
    section: str
    paper: str
    check: Check
    needs: Callable[[], str] | None = None
