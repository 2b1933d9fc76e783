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

#: The paper's effect: the Id of the paired masks about 10 % below the shuffled mean.
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
          fair: str = "-") -> Check:
    """Every ``(path, op, limit)`` (op in ``<, <=, >, >=``) holds -> ``passed`` (``verified`` for
    a theorem, ``holds`` for an empirical claim without baseline), else does not hold."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        parts, ok = [], True
        for path, op, limit in conditions:
            v = float(get(r, path))
            ok &= _OPS[op](v, limit)
            parts.append(f"{path.split('/')[-1]} = {fmt(v)} ({op} {limit:g})")
        return graded("; ".join(parts), ok, fair, passed=passed)
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
            numbers = text.split("(", 1)[-1].rstrip(")") if "(" in text else text
            return holds, numbers
    raise NotRecorded(f"results/{path}: '{key}'")


def finding(key: str, baseline: str | None = None, uncertainty: str | None = None,
            models: Sequence[str] = (), paper_acc: Mapping[str, float] | None = None,
            acc_path: str = "test_accuracy", has: str = "",
            gate: tuple[str, str, float | None] | None = None) -> Check:
    """A chapter's finding (see :func:`finding_text`) graded by the protocol. ``baseline`` /
    ``uncertainty``: what the run lacks (then inconclusive with that reason); ``has``: what it
    has (shown in *fair test?*). ``models``: their accuracies at ``acc_path`` pass the adequacy
    gate (against ``paper_acc`` where the paper gives one); ``gate = (model, path, paper)``: the
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
            if m in accs:
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
        return graded(f"{'holds' if holds else 'does not hold'}: {numbers}", holds,
                      "; ".join(fair), reasons)
    return check


def id_test(model: str, attack: str, significant: bool = True,
            accuracy: tuple[str, str, float | None] | None = None) -> Check:
    """The Id correlation test of a mask set (``results["masks"][model][attack]``): holds when
    its outcome (p below 0.05 with Z below 0) is the paper's (``significant``), but only with
    power at least :data:`MIN_POWER` for the paper's effect (:func:`id_test_power`) and, with
    ``accuracy = (chapter, path, paper accuracy)``, an adequately trained model."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        m = get(r, f"masks/{model}/{attack}")
        if "z" not in m or "p" not in m:
            raise NotRecorded(f"results/masks/{model}/{attack}/z (only {m.get('n', '?')} mask pairs)")
        z, p, n = float(m["z"]), float(m["p"]), int(m["n"])
        sig = p < ALPHA and z < 0
        power, needed = id_test_power(n), id_test_n_needed()
        fair = [f"N = {n} of {needed} needed (power {power:.2f})"]
        reasons = []
        if power < MIN_POWER:
            reasons.append(f"power {power:.2f} < {MIN_POWER} at N = {n} (needs N >= {needed})")
        if accuracy is not None and ctx is not None:
            chapter, path, paper = accuracy
            other = ctx(chapter)
            if other is not None:
                try:
                    text, why = adequacy(model, float(get(other, path)), paper)
                    fair.insert(0, text)
                    if why:
                        reasons.append(why)
                except NotRecorded:
                    pass
        fair.append("1 seed")
        return graded(f"Z = {z:.2f}, p = {p:.2g}, Id {float(m.get('id', math.nan)):.3g}, "
                      f"{n} pairs ({'' if sig else 'not '}significant at {ALPHA})",
                      sig == significant, "; ".join(fair), reasons)
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


def complement(path: str, model: str, acc_path: str, paper_acc: float | None,
               paper_drop: float, n_classes: int = 10) -> Check:
    """Accuracy under the essential mask and under its complement (``path``/``acc_mask``,
    ``acc_complement``): holds when the mask keeps it (above 0.9) and the complement's relative
    drop is above half the paper's ``paper_drop``; the model at ``acc_path`` passes the
    adequacy gate."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        acc_m = float(get(r, f"{path}/acc_mask"))
        acc_c = float(get(r, f"{path}/acc_complement"))
        drop = 1 - acc_c / acc_m if acc_m > 0 else 0.0
        text, why = adequacy(model, float(get(r, acc_path)), paper_acc, n_classes)
        return graded(f"accuracy {acc_m:.2f} with the mask, {acc_c:.2f} with its complement "
                      f"(drop {drop:.0%}; paper {paper_drop:.0%})",
                      acc_m > 0.9 and drop > paper_drop / 2,
                      text, [why] if why else [])
    return check


def accuracies(path: str, paper: Mapping[str, float], atol: float) -> Check:
    """A table of test accuracies (``path``: model -> accuracy) against the paper's: every model
    within ``atol`` -> holds; a model more than :data:`ACCURACY_MARGIN` below the paper's ->
    inconclusive (under-trained at this scale); else (a model above the paper's by more than
    ``atol``) does not hold."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        acc = get(r, path)
        missing = [m for m in paper if m not in acc]
        if missing:
            raise NotRecorded(f"results/{path}: {', '.join(missing)}")
        gaps = {m: float(acc[m]) - paper[m] for m in paper}
        worst = max(gaps, key=lambda m: abs(gaps[m]))
        low = [m for m in paper if gaps[m] < -ACCURACY_MARGIN]
        ok = abs(gaps[worst]) <= atol
        reasons = [f"under-trained at this scale: " + ", ".join(
            f"{m} {float(acc[m]):.0%} vs {paper[m]:.0%}" for m in low)] if low else []
        fair = (f"{len(paper) - len(low)} of {len(paper)} models within "
                f"{ACCURACY_MARGIN:.0%} of the paper")
        return graded(f"largest gap {worst} {float(acc[worst]):.2f} vs {paper[worst]:.2f} "
                      f"(tolerance {atol:.2f})", ok, fair, reasons)
    return check


def radii_match(path: str, ks_path: str, rtol: float = 1e-9) -> Check:
    """Measured radii at ``path`` equal 1/sqrt(K) for the K at ``ks_path`` -> verified."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        radii, ks = [float(v) for v in get(r, path)], [int(k) for k in get(r, ks_path)]
        err = max(abs(v * math.sqrt(k) - 1) for v, k in zip(radii, ks))
        return graded(f"radius x sqrt(K) = 1 within {err:.1e} at K = {', '.join(map(str, ks))}",
                      err <= rtol and len(radii) == len(ks), passed=VERIFIED)
    return check


def both(first: Check, second: Check) -> Check:
    """Two checks on one claim: the weaker verdict (order of :data:`VERDICTS`) wins."""
    def check(r: Mapping[str, Any], ctx: Any = None) -> Outcome:
        a, b = first(r, ctx), second(r, ctx)
        worst = max(a.verdict, b.verdict, key=VERDICTS.index)
        fair = a.fair if a.fair == b.fair else f"{a.fair}; {b.fair}"
        return Outcome(f"{a.ours}; {b.ours}", worst, fair, a.reasons + b.reasons)
    return check


# --- a claim of a source ------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One claim of a source: a stable ``id`` (``<source>.<place>.<what>``), the ``source``
    number, ``item`` (where in the source: table, figure, section), ``claim`` (the source's
    statement in our words), the ``chapter`` and its ``section`` heading that test it, ``paper``
    (the source's numbers, as shown) and ``check`` (the predicate that grades a result file)."""
    id: str
    source: str
    item: str
    claim: str
    chapter: str
    section: str
    paper: str
    check: Check
