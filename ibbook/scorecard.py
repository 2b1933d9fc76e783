"""The reproduction scorecard: every claim of the five sources beside what the chapters recorded.

Each :class:`Entry` names a claim (source, item, the paper's value quoted), the chapter section
that covers it, and a check that reads the chapter's result file
(:func:`ibbook.records.load_results`) and returns *our* number and a verdict. Verdicts are never
typed by hand; they follow from the recorded numbers with the tolerance each check states:

- ``verified``: a theorem's numerical check passed (value within its stated bound);
- ``reproduced``: our number agrees with the paper's within the stated relative tolerance;
- ``qualitatively reproduced``: the ordering / sign / significance the paper reports holds,
  the values differ (the chapters' ``"holds (...)"`` findings);
- ``not reproduced``: the check fails (with the measured numbers);
- ``not run at this scale``: no result file at the scales read, or the file lacks the number
  (then ``ours`` says what is not recorded).

Used by: ``chapters/scorecard.ipynb`` and ``tests/test_scorecard.py``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from . import records

VERDICTS = ("verified", "reproduced", "qualitatively reproduced", "not reproduced",
            "not run at this scale")
#: Source documents: number -> (bibliography key, short title).
SOURCES = {
    "000": ("lecture_ib_attacks", "Lecture notes: implicit bias and adversarial attacks"),
    "001": ("ortegacaro2020learning", "Ortega Caro et al. 2020, learning dynamics"),
    "002": ("caro2024translational", "Caro et al. 2024, translational symmetry"),
    "003": ("basile2024relating", "Basile et al. 2024, intrinsic dimension"),
    "004": ("min2024implicit", "Min & Vidal 2024, pReLU networks"),
}
#: Scales read by default, best first.
BEST_FIRST = ("full", "medium", "small")


class NotRecorded(KeyError):
    """A check's number is absent from a result file; the message says what is missing."""


@dataclass(frozen=True)
class Outcome:
    ours: str
    verdict: str


@dataclass(frozen=True)
class Entry:
    source: str
    item: str
    claim: str
    chapter: str
    section: str  # the heading's text; the anchor is its slug
    paper: str
    check: Callable[[Mapping[str, Any]], Outcome]

    @property
    def anchor(self) -> str:
        return slug(self.section)


def slug(heading: str) -> str:
    """The HTML id Sphinx gives a section heading (docutils ``make_id``, roles and math dropped)."""
    text = re.sub(r"\{[a-z:]+\}`([^`]*)`", r"\1", heading)
    text = unicodedata.normalize("NFKD", text.replace("$", "")).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower())
    return re.sub(r"^[^a-z]+", "", text).strip("-")


def get(results: Mapping[str, Any], path: str) -> Any:
    """``results["a"]["b"]`` for ``path="a/b"``; :class:`NotRecorded` naming the path if absent."""
    value: Any = results
    for key in path.split("/"):
        if not isinstance(value, Mapping) or key not in value:
            raise NotRecorded(f"results/{path}")
        value = value[key]
    return value


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


# --- check builders --------------------------------------------------------------------------

def bound(*conditions: tuple[str, str, float],
          passed: str = "verified") -> Callable[[Mapping[str, Any]], Outcome]:
    """Every ``(path, op, limit)`` (op in ``<, <=, >, >=``) holds -> ``passed`` (``verified`` for
    a theorem, ``qualitatively reproduced`` for an empirical claim), else not reproduced."""
    ops = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
           ">=": lambda a, b: a >= b}

    def check(r: Mapping[str, Any]) -> Outcome:
        parts, ok = [], True
        for path, op, limit in conditions:
            v = float(get(r, path))
            ok &= ops[op](v, limit)
            parts.append(f"{path.split('/')[-1]} = {_fmt(v)} ({op} {limit:g})")
        return Outcome("; ".join(parts), passed if ok else "not reproduced")
    return check


def close(path: str, paper: float, rtol: float) -> Callable[[Mapping[str, Any]], Outcome]:
    """Number check: within ``rtol`` of the paper's value -> reproduced, else not reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        v = float(get(r, path))
        ok = abs(v - paper) <= rtol * abs(paper)
        return Outcome(f"{_fmt(v)} (paper {paper:g}, tolerance {rtol:.0%})",
                       "reproduced" if ok else "not reproduced")
    return check


def close_or_sign(path: str, paper: float, rtol: float, limit: float,
                  below: bool = True) -> Callable[[Mapping[str, Any]], Outcome]:
    """Within ``rtol`` of the paper -> reproduced; else on the paper's side of ``limit`` ->
    qualitatively reproduced; else not reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        v = float(get(r, path))
        side = v < limit if below else v > limit
        verdict = ("reproduced" if abs(v - paper) <= rtol * abs(paper)
                   else "qualitatively reproduced" if side else "not reproduced")
        return Outcome(f"{_fmt(v)} (paper {paper:g}; within {rtol:.0%}, else "
                       f"{'below' if below else 'above'} {limit:g})", verdict)
    return check


def finding(path: str, claim: str) -> Callable[[Mapping[str, Any]], Outcome]:
    """A chapter's recorded finding ``{"<n>. <claim>": "holds (...)" | "does not hold (...)"}``:
    holds -> qualitatively reproduced, does not hold -> not reproduced. Matched on the claim
    text (numbering differs between scales)."""
    def check(r: Mapping[str, Any]) -> Outcome:
        verdicts = get(r, path)
        for key, text in verdicts.items():
            if key.split(". ", 1)[-1].startswith(claim):
                holds = str(text).startswith("holds")
                if not holds and not str(text).startswith("does not hold"):
                    raise ValueError(f"{path}: {key!r} has no holds / does not hold verdict")
                numbers = str(text).split("(", 1)[-1].rstrip(")") if "(" in str(text) else text
                return Outcome(f"{'holds' if holds else 'does not hold'}: {numbers}",
                               "qualitatively reproduced" if holds else "not reproduced")
        raise NotRecorded(f"results/{path}: '{claim}'")
    return check


def id_test(model: str, attack: str, significant: bool = True) -> Callable[[Mapping[str, Any]], Outcome]:
    """The Id correlation test of a mask set (intrinsic_dim results["masks"][model][attack]):
    qualitatively reproduced when its significance (p below 0.05, Z below 0) is the paper's
    (``significant``), else not reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        m = get(r, f"masks/{model}/{attack}")
        if "z" not in m or "p" not in m:
            raise NotRecorded(f"results/masks/{model}/{attack}/z (only {m.get('n', '?')} mask pairs)")
        z, p = float(m["z"]), float(m["p"])
        ok = (p < 0.05 and z < 0) == significant
        return Outcome(f"Z = {z:.2f}, p = {p:.2g}, Id {float(m.get('id', math.nan)):.3g}, "
                       f"{m.get('n')} pairs ({'' if p < 0.05 and z < 0 else 'not '}significant at 0.05)",
                       "qualitatively reproduced" if ok else "not reproduced")
    return check


def ordered(path: str, increasing: bool) -> Callable[[Mapping[str, Any]], Outcome]:
    """A recorded list that must rise (or fall) strictly -> qualitatively reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        v = [float(x) for x in get(r, path)]
        pairs = list(zip(v, v[1:]))
        ok = all((b > a) if increasing else (b < a) for a, b in pairs)
        return Outcome(", ".join(f"{x:.3g}" for x in v),
                       "qualitatively reproduced" if ok else "not reproduced")
    return check


def complement(path: str) -> Callable[[Mapping[str, Any]], Outcome]:
    """Accuracy under the essential mask and under its complement, recorded at ``path``
    (``acc_mask``, ``acc_complement``): the mask keeps it (above 0.9) and the complement's
    relative drop is 50 % within 10 points -> reproduced; the mask keeps it and the drop is
    above 25 % -> qualitatively reproduced; else not reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        acc_m = float(get(r, f"{path}/acc_mask"))
        acc_c = float(get(r, f"{path}/acc_complement"))
        drop = 1 - acc_c / acc_m if acc_m > 0 else 0.0
        verdict = ("not reproduced" if acc_m <= 0.9 or drop <= 0.25 else
                   "reproduced" if abs(drop - 0.5) <= 0.1 else "qualitatively reproduced")
        return Outcome(f"accuracy {acc_m:.2f} with the mask, {acc_c:.2f} with its complement "
                       f"(drop {drop:.0%}; paper 50 % within 10 points)", verdict)
    return check


def accuracies(path: str, paper: Mapping[str, float], atol: float,
               below: Sequence[str], above: Sequence[str]) -> Callable[[Mapping[str, Any]], Outcome]:
    """A table of test accuracies (``path``: model -> accuracy) against the paper's: every model
    within ``atol`` -> reproduced; else the mean of the ``below`` models under the mean of the
    ``above`` models, as in the paper -> qualitatively reproduced; else not reproduced."""
    def check(r: Mapping[str, Any]) -> Outcome:
        acc = get(r, path)
        missing = [m for m in (*below, *above) if m not in acc]
        if missing:
            raise NotRecorded(f"results/{path}: {', '.join(missing)}")
        gaps = {m: float(acc[m]) - paper[m] for m in (*below, *above)}
        worst = max(gaps, key=lambda m: abs(gaps[m]))
        lo = sum(float(acc[m]) for m in below) / len(below)
        hi = sum(float(acc[m]) for m in above) / len(above)
        verdict = ("reproduced" if abs(gaps[worst]) <= atol else
                   "qualitatively reproduced" if lo < hi else "not reproduced")
        return Outcome(f"mean {lo:.2f} (linear) vs {hi:.2f} (ReLU); largest gap {worst} "
                       f"{float(acc[worst]):.2f} vs {paper[worst]:.2f} (tolerance {atol:.2f})",
                       verdict)
    return check


def radii_match(path: str, ks_path: str, rtol: float = 1e-9) -> Callable[[Mapping[str, Any]], Outcome]:
    """Measured radii at ``path`` equal 1/sqrt(K) for the K at ``ks_path`` -> verified."""
    def check(r: Mapping[str, Any]) -> Outcome:
        radii, ks = [float(v) for v in get(r, path)], [int(k) for k in get(r, ks_path)]
        err = max(abs(v * math.sqrt(k) - 1) for v, k in zip(radii, ks))
        return Outcome(f"radius x sqrt(K) = 1 within {err:.1e} at K = {', '.join(map(str, ks))}",
                       "verified" if err <= rtol and len(radii) == len(ks) else "not reproduced")
    return check


def both(first: Callable, second: Callable) -> Callable[[Mapping[str, Any]], Outcome]:
    """Two checks on one claim: the weaker verdict (order of :data:`VERDICTS`) wins."""
    def check(r: Mapping[str, Any]) -> Outcome:
        a, b = first(r), second(r)
        worst = max(a.verdict, b.verdict, key=VERDICTS.index)
        return Outcome(f"{a.ours}; {b.ours}", worst)
    return check


# --- the registry ----------------------------------------------------------------------------

IB, AT, PR, FB, LD, FM, ID = ("implicit_bias", "attacks", "prelu", "fourier_bias",
                              "learning_dynamics", "fourier_masks", "intrinsic_dim")
_S1 = "1. Gradient descent on separable data finds the max-margin direction"
_S2 = "2. One ReLU neuron: within a factor 2 of the nearest interpolant"
_S5 = "5. Linear fully connected vs linear convolutional networks"
_EXP = "ReLU and saturated-ReLU expansions of a function"
_VB = "Verdicts"
_LDF = "The paper's findings at this scale"

#: Test accuracies of Ortega Caro et al. (2020), Table 4, quoted.
TABLE4_ACCURACY = {
    "FC": 0.41, "locally conn.": 0.35, "full conv": 0.41, "bounded conv": 0.41, "deep FC": 0.41,
    "deep full conv": 0.36, "deep bounded conv": 0.41, "ReLU FC": 0.52, "ReLU locally conn.": 0.54,
    "ReLU bounded conv": 0.63, "shallow ResNet": 0.64, "VGG-19": 0.91, "ResNet-18": 0.92}

ENTRIES: tuple[Entry, ...] = (
    # 000: the lecture notes
    Entry("000", "GD on separable data (Soudry et al.)", "GD converges in direction to the "
          "l2 max-margin (SVM) classifier", IB, _S1, "w(t)/||w(t)|| -> w_SVM/||w_SVM||",
          bound(("svm/arc_worst_angle", "<", 0.01), ("svm/gd_worst_angle", "<", 0.2))),
    Entry("000", "Thm 5.1", "one ReLU neuron: ||w(inf)-w(0)|| at most twice the distance to "
          "the nearest zero-loss weight", IB, _S2, "||w(inf)-w(0)|| <= 2 ||w*-w(0)||",
          bound(("relu_neuron/max_ratio", "<=", 2 + 1e-6), ("relu_neuron/ode_gap", "<", 1e-2))),
    Entry("000", "Remark 5.1", "GD does not always find w* (the bias is not a function of w)",
          IB, _S2, "\"it can be expressed approximately, within a factor of 2\"",
          bound(("relu_neuron/ratio_above_1", ">", 0))),
    Entry("000", "Fig. 1", "odd activations add only odd harmonics to a sine; ReLU matches its "
          "series", IB, "Activations applied to a sine (Figure 1 of the lecture)",
          "non-linear distortions in the frequency domain",
          bound(("activations/odd_even_leak", "<", 1e-10),
                ("activations/relu_series_error", "<", 1e-5))),
    Entry("000", "square of two tones", "squaring two tones gives the predicted sum and "
          "difference frequencies", IB, "The square of two tones", "exact identity",
          bound(("square_of_tones/max_error", "<", 1e-10))),
    Entry("000", "eqs. 6-14", "ReLU and SReLU expansions reconstruct f (SReLU with corrected "
          "constants)", IB, _EXP, "f = int c(b) relu(x-b) db, eqs. 6-7, 8-14",
          bound(("expansions/relu_error", "<", 1e-5), ("expansions/srelu_error", "<", 1e-5))),
    Entry("000", "eq. 14 as printed", "the printed SReLU formula reconstructs f", IB, _EXP,
          "eq. 14 (printed constants)", bound(("expansions/eq14_printed_min_error", "<", 1e-2))),
    Entry("000", "infinite-width shallow ReLU net", "rich regime converges to the "
          "minimum-curvature interpolant (a linear spline); the kernel regime does not", IB,
          "4. Wide shallow ReLU networks: rich regime → linear spline",
          "min int |f''| interpolant",
          bound(("spline/rich_max_ratio", "<", 1.05), ("spline/kernel_min_ratio", ">", 1.5))),
    Entry("000", "Thm 3.2 (Gunasekar et al.)", "linear FC -> min l2; 2-layer linear conv -> "
          "min Fourier-l1 (KKT for 3 layers)", IB, _S5, "min ||F w||_{2/L}",
          bound(("conv/fc_worst_1_minus_cos", "<", 1e-4),
                ("conv/conv2_worst_1_minus_cos", "<", 5e-3),
                ("conv/conv2_worst_gap_ratio", "<", 0.25), ("conv/conv3_worst_kkt", "<", 0.05))),
    Entry("000", "Lemma 1", "the constraint set of a k-class linear classifier is a polytope "
          "(projection = QP)", AT, "Attacks and the geometry of the target region",
          "Omega = {x : A^T x <= b}", bound(("lemma1_qp_excess", "<=", 1e-6))),
    Entry("000", "Thm 2, Thm 6", "closed forms of the min-l2 and regularisation-based attacks "
          "on a two-class linear classifier", AT,
          "Closed forms for a two-class linear classifier", "closed forms",
          bound(("closed_forms/thm2_vs_cvxpy", "<", 1e-5),
                ("closed_forms/thm6_vs_cvxpy", "<", 1e-5),
                ("closed_forms/minnorm_linf_l1_vs_cvxpy", "<", 1e-5),
                ("closed_forms/maxallow_vs_cvxpy", "<", 1e-5))),
    Entry("000", "Corollary 1 (DeepFool)", "DeepFool on a two-class linear classifier is the "
          "minimal attack (plus its overshoot)", AT, "DeepFool: linearise, project, repeat",
          "one step, r = -g(x)/||w||^2 w",
          bound(("deepfool_excess_minus_1e-4", "<", 1e-7),
                ("deepfool/max_abs_vs_foolbox", "<", 1e-7),
                ("deepfool/norm_ratio_min", ">", 0.98))),
    Entry("000", "Thm 7", "random noise succeeds with probability bounded by the erfc "
          "expression", AT, "Random noise is a poor attack",
          "P[(1/d) sum w_j r_j >= eps] <= erfc bound",
          bound(("noise_erfc_max_z", "<", 4.5), ("feller_lower_over_bound_max", "<=", 1.0))),
    Entry("000", "Lemma 2.1", "the max-margin linear classifier is the most robust (dual norm)",
          AT, "Dual norms: the most robust linear classifier is the max-margin one",
          "equivalent problems (Ben-Tal et al.)", bound(("lemma21_max_rel_dev", "<", 1e-5))),
    Entry("000", "Corollary 1 (steepest descent)", "steepest descent w.r.t. a norm converges to "
          "the classifier most robust in the dual norm", AT,
          "Implicit robustness of steepest descent", "converges to max-margin, Thm 3.1",
          bound(("steepest_descent_margin_gap", "<", 0.03))),
    Entry("000", "Corollary 2", "2-layer linear conv nets are maximally robust to perturbations "
          "with bounded Fourier-l_inf norm", AT,
          "Fourier robustness of linear convolutional networks", "max robust, ||F delta||_inf",
          bound(("fourier_dual_identity/solver_gap", "<", 1e-6),
                ("fourier_conv/min_cos", ">", 0.995),
                ("fourier_conv/min_radius_ratio", ">", 0.99))),
    # 001: Ortega Caro et al. 2020
    Entry("001", "Table 4", "test accuracies of the linear models and, higher, of the ReLU "
          "models", FB, "Training", "linear 35-41 %, ReLU 52-64 %, VGG-19 91 %, ResNet-18 92 %",
          accuracies("test_accuracy", TABLE4_ACCURACY, 0.05,
              below=("FC", "locally conn.", "full conv", "bounded conv", "deep FC",
                     "deep full conv", "deep bounded conv"),
              above=("ReLU FC", "ReLU locally conn.", "ReLU bounded conv", "shallow ResNet",
                     "VGG-19", "ResNet-18"))),
    Entry("001", "Lemma 1", "the end-to-end predictor of a linear conv net from its layers",
          FB, "The end-to-end predictor of a linear network", "beta from the parametrisation map",
          bound(("beta_identity_rel_err", "<", 1e-4))),
    *(Entry("001", item, claim, FB, _VB, paper, finding("verdicts", claim)) for item, claim, paper
      in (("Table 1", "linear: full conv has a sparser beta^ than FC",
           "||beta^||_1 1598.37 (full conv) vs 2232.46 (FC)"),
          ("Table 1", "linear: full conv has a sparser delta^ than FC", "||delta^||_1 376.31 vs 505.95"),
          ("Table 1", "linear: depth makes the full conv's beta^ sparser",
           "||beta^||_1 1417.68 (deep) vs 1598.37"),
          ("Table 1", "linear: depth makes the full conv's delta^ sparser",
           "||delta^||_1 265.40 (deep) vs 376.31"),
          ("Table 1", "linear: FC's beta^ does not depend on depth",
           "||beta^||_1 2168.06 (deep FC) vs 2232.46"),
          ("§3.3.1", "linear: locally conn. spreads beta^ like FC", "Fig. 8"),
          ("§3.3.1", "linear: bounded conv puts beta^ at higher freq. than FC", "Fig. 8b"),
          ("§3.3.1", "linear: bounded conv puts delta^ at higher freq. than FC", "Fig. 8b"),
          ("Table 2", "ReLU: full conv has a sparser delta^ than FC",
           "||delta^||_1 405.49 vs 534.34"),
          ("Fig. 4b", "ReLU: bounded conv's delta^ is higher freq. than full conv",
           "\"deep, bounded-Width models shift energy into higher frequencies\""),
          ("§3.3.2", "ReLU: locally conn.'s delta^ resembles FC's", "Fig. 4"),
          ("Fig. 11", "alpha 10 gives higher freq. delta^ than 0.1 (wide bounded conv)",
           "impact of initial weight scale alpha"),
          ("Fig. 11", "alpha 10 gives higher freq. delta^ than 0.1 (locally conn.)",
           "impact of initial weight scale alpha"))),
    *(Entry("001", item, claim, LD, _LDF, paper, finding("verdicts", claim)) for item, claim, paper
      in (("§3.1, Fig. 2a", "adversarial examples are absent at initialisation",
           "success rate ~0 at epoch 0"),
          ("§3.1", "they emerge early", "\"emerge early in training\""),
          ("Fig. 2a", "the success rate rises with accuracy", "rises with accuracy"),
          ("Fig. 2a", "the final network's perturbations lag",
           "\"final network adversarial attacks lag behind\""),
          ("Fig. 3 top", "the minimal l2 perturbation shrinks", "L2 norm of delta decreases"),
          ("Fig. 3 top", "the minimal l-inf perturbation shrinks", "L_inf norm decreases"),
          *((fig, f"{what} {since}", paper)
            for since in ("from initialisation", "after the first epoch")
            for fig, what, paper in (
                ("Figs. 2b, 3", "PGD perturbations move to higher frequencies", "higher k_r"),
                ("Figs. 2b, 3", "DeepFool-l2 perturbations move to higher frequencies",
                 "higher k_r"),
                ("Fig. 2c", "the angular energy of PGD perturbations becomes more uniform",
                 "more uniform angular energy"))),
          ("Figs. 1, 6, 7", "ReLU changes: adversarial above random", "more ReLU changes"),
          ("Figs. 1, 6, 7", "roughness: adversarial above random", "rougher paths"))),
    # 002: Caro et al. 2024
    *(Entry("002", item, claim, FB, _VB, paper, finding("verdicts", claim)) for item, claim, paper
      in (("abstract: kernel size", "smaller kernels give higher freq. delta^",
           "\"exacerbated with stronger locality of the kernel\""),
          ("abstract: depth", "deeper 3x3 convs give higher freq. delta^",
           "\"exacerbated with ... depth of the model\""),
          ("abstract: ViT / MLP", "ViT and MLP-Mixer give lower freq. delta^",
           "\"Vision Transformers or MLP-style architectures significantly reduce\""),
          ("abstract: conv vs FC", "ReLU: bounded conv's delta^ is higher freq. than full conv",
           "\"convolutional operations have higher frequency adversarial attacks\""))),
    # 003: Basile et al. 2024
    Entry("003", "§3.2 TwoNN", "our TwoNN equals dadapy's (the paper's implementation)", ID,
          "Fast and exact", "dadapy TwoNN", bound(("fast_vs_dadapy_max_rel", "<=", 1e-4))),
    Entry("003", "Table 1, Id", "intrinsic dimension of the spiral", ID, "Table 1: the spiral",
          "1.02", close("spiral/id", 1.02, 0.05)),
    Entry("003", "Table 1, Id (shuffle)", "Id after shuffling one coordinate", ID,
          "Table 1: the spiral", "1.95 ± 0.03", close("spiral/shuffled_mean", 1.95, 0.05)),
    Entry("003", "Table 1, R²", "no linear correlation in the spiral", ID,
          "Table 1: the spiral", "2.5·10⁻³", close_or_sign("spiral/r2", 2.5e-3, 0.5, 0.05)),
    Entry("003", "Table 1, Z", "the Id test detects the correlation", ID,
          "Table 1: the spiral", "-74.51 (P-value 0)",
          close_or_sign("spiral/z", -74.51, 0.25, -3.0)),
    Entry("003", "§3.2 calibration", "the test keeps its false-positive rate on independent "
          "data (ours, not in the paper)", ID, "Is the test calibrated?",
          "(not reported)", bound(("false_positive_rate_max", "<", 0.25),
                                  passed="qualitatively reproduced")),
    Entry("000", "Fourier masks: sparsity", "essential Fourier masks are very sparse", FM,
          "Essential and adversarial masks", "\"Important frequencies are very sparse\"",
          bound(("essential/density", "<", 0.2), passed="qualitatively reproduced")),
    Entry("000", "Fourier masks: complement", "the prediction survives the essential mask and "
          "drops with its complement", FM, "What the lecture shows: complements, robust and "
          "augmented networks, clusters", "\"performance is preserved with the mask\", "
          "\"drops 50% with complementary mask\" (VGG11, grayscale Imagenette)",
          complement("vgg11_complement")),
    Entry("000", "Fourier masks: complement (ResNet-20)", "the same with the CIFAR-10 ResNet-20 "
          "of Basile et al. (ours, not in the lecture)", FM, "What the lecture shows: "
          "complements, robust and augmented networks, clusters", "(not reported)",
          complement("complement")),
    *(Entry("003", f"{table}, {label}, {att}", f"essential and {att} masks are "
            f"{'' if 'P = 9.4' not in paper else 'not '}correlated (Id test)", ID,
            "Essential versus adversarial masks (Tables 2 and 3)", paper,
            id_test(model, att, "P = 9.4" not in paper)) for table, label, model, att, paper in
      (("Table 2", "ResNet-20", "ResNet-20", "FMN", "Z = -4.56, P = 2.5·10⁻⁶"),
       ("Table 2", "ResNet-20", "ResNet-20", "PGD", "Z = -5.31, P = 5.4·10⁻⁸"),
       ("Table 2", "ResNet-20", "ResNet-20", "DeepFool", "Z = -4.91, P = 4.5·10⁻⁷"),
       ("Table 2", "CCT-7", "CCT-7", "FMN", "Z = -4.50, P = 3.4·10⁻⁶"),
       ("Table 2", "CCT-7", "CCT-7", "PGD", "Z = -2.86, P = 2.1·10⁻³"),
       ("Table 2", "CCT-7", "CCT-7", "DeepFool", "Z = -4.81, P = 7.4·10⁻⁷"),
       ("Table 3", "ResNet-18 (Imagenette)", "ResNet-18 (Imagenette)", "FMN",
        "Id 65.06, shuffled 69.18 ± 2.12, P = 2.6·10⁻²"),
       ("Table 3", "ResNet-18 (Imagenette)", "ResNet-18 (Imagenette)", "PGD",
        "Id 81.8, shuffled 77.25 ± 2.94, P = 9.4·10⁻¹"),
       ("Table 3", "ResNet-18 (Imagenette)", "ResNet-18 (Imagenette)", "DeepFool",
        "Id 65.14, shuffled 69.90 ± 2.50, P = 2.8·10⁻²"))),
    # 004: Min & Vidal 2024
    Entry("004", "Thm (ReLU F not robust), the classifier", "the exact distance of a cluster "
          "centre to F's decision boundary is 1/sqrt(K)", PR,
          "Orthogonal clusters and the two candidate classifiers", "O(1/sqrt(K))",
          radii_match("teachers/F_centre_radius", "teachers/ks")),
    Entry("004", "Thm (pReLU robust, p > 2), the classifier", "no test point of the clusters "
          "loses F^(p)'s label within (sqrt 2 - delta)/2 (delta = 0.3; DDN attack)", PR,
          "Orthogonal clusters and the two candidate classifiers", "(sqrt(2) - delta)/2",
          bound(("teachers/F3_ddn_test_min", ">=", (math.sqrt(2) - 0.3) / 2))),
    Entry("004", "Thm (ReLU F not robust)", "the ReLU classifier F is broken by an "
          "O(1/sqrt(K)) attack: radius slope -1/2 in K", PR, "Robustness against $K$",
          "(1+rho)/sqrt(K) d0 flips F",
          both(close("radius_vs_K/slopes/p=1, alpha=0.02", -0.5, 0.3),
               close("radius_vs_K/slopes/p=1, alpha=0.05", -0.5, 0.3))),
    Entry("004", "Thm (pReLU robust, p > 2)", "F^(p) withstands O(1) attacks: radius at least "
          "(sqrt 2 - delta)/2 (delta = 0.3)", PR, "Robustness against $K$",
          "(sqrt(2) - delta)/2, independent of K",
          bound(("radius_vs_K/p3_median_radius_min_K_le_16", ">=", (math.sqrt(2) - 0.3) / 2))),
    Entry("004", "Conjecture (p = 1)", "gradient flow on a ReLU net converges to F", PR,
          "Gradient flow from a small initialisation", "f_1(.; theta(T)) ~ F",
          bound(("gradient_flow/p1_agree_F_min", ">", 0.95), passed="qualitatively reproduced")),
    Entry("004", "Conjecture (p > 2)", "gradient flow on a pReLU net converges to F^(p)", PR,
          "Gradient flow from a small initialisation", "f_p(.; theta(T)) ~ F^(p)",
          bound(("gradient_flow/p3_agree_F3_min", ">", 0.9), passed="qualitatively reproduced")),
    Entry("004", "MNIST experiment", "pReLU improves robustness on MNIST without adversarial "
          "training (robust accuracy rises with p)", PR,
          "MNIST: pReLU without adversarial training",
          "\"pReLU improves the robustness of trained network on MNIST\"",
          ordered("mnist/robust_mean/Linf 0.1", increasing=True)),
)


def record_label(record: Mapping[str, Any]) -> str:
    """scale, device and data variant of a run, in one short line."""
    data = "; ".join(f"{k}: {v}" for k, v in record.get("data_variants", {}).items())
    dev = record.get("device_name") or record.get("device")
    return (f"{record.get('scale')}, {record.get('device')}"
            f"{f' ({dev})' if dev and dev != record.get('device') else ''}"
            f"{f', {data}' if data else ''}")


def evaluate(entry: Entry, scales: Sequence[str] = BEST_FIRST) -> dict[str, Any]:
    """One scorecard row: the entry's check on the best scale (in ``scales``) that records it."""
    row = {"source": entry.source, "item": entry.item, "claim": entry.claim,
           "chapter": entry.chapter, "section": entry.section, "anchor": entry.anchor,
           "paper": entry.paper}
    missing = []
    for scale in scales:
        got = records.load_results(entry.chapter, scale)
        if got is None:
            continue
        try:
            out = entry.check(got["results"])
        except NotRecorded as err:
            missing.append(f"{scale}: {err.args[0]}")
            continue
        return {**row, "ours": out.ours, "verdict": out.verdict, "scale": scale,
                "run": record_label(got["record"])}
    ours = ("not recorded (" + "; ".join(missing) + ")") if missing else \
        f"no result file at {', '.join(scales)}"
    return {**row, "ours": ours, "verdict": "not run at this scale", "scale": "-", "run": "-"}


def build(scales: Sequence[str] = BEST_FIRST) -> list[dict[str, Any]]:
    """Every entry evaluated (see :func:`evaluate`)."""
    return [evaluate(e, scales) for e in ENTRIES]


def counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Number of rows per verdict, every verdict listed."""
    return {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}


def chapter_title(chapter: str) -> str:
    """A chapter's first ``# `` heading (its title in the book)."""
    import json

    from . import PROJECT_ROOT
    cells = json.loads((PROJECT_ROOT / "chapters" / f"{chapter}.ipynb").read_text())["cells"]
    for cell in cells:
        for line in "".join(cell["source"]).splitlines():
            if cell["cell_type"] == "markdown" and line.startswith("# "):
                return line[2:].strip()
    return chapter


def html_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of one source as an HTML table, each with a link to its chapter section."""
    from html import escape

    cols = ("item", "claim", "covered in", "paper", "ours", "verdict", "run")
    out = ['<table class="table scorecard">', "<thead><tr>"
           + "".join(f"<th>{c}</th>" for c in cols) + "</tr></thead>", "<tbody>"]
    for r in rows:
        link = (f'<a href="{r["chapter"]}.html#{r["anchor"]}">{escape(chapter_title(r["chapter"]))}'
                f' § {escape(r["section"])}</a>')
        cells = (escape(r["item"]), escape(r["claim"]), link, escape(r["paper"]),
                 escape(r["ours"]), f"<b>{escape(r['verdict'])}</b>", escape(r["run"]))
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
