"""Unit tests for the attacks chapter's checks in ibbook.attacks: each must pass on the right input
and fail on a deliberately wrong one (a bound too small, a closed form in the wrong norm)."""
import numpy as np
import pytest
import torch

from ibbook import attacks, convex, norms
from ibbook.data.synthetic import separable_gaussians


# --- tables

def test_check_table_verdicts_and_errors():
    tab = attacks.check_table([("small residual", 1e-14, "<", 1e-5), ("count", 3, "==", 0),
                               ("ratio", 0.5, "<=", 1.0)])
    assert list(tab.columns) == ["measured", "bound", "verdict"]
    assert list(tab.verdict) == [attacks.VERIFIED, attacks.NOT_VERIFIED, attacks.VERIFIED]
    assert tab.loc["small residual", "measured"] == "< 1e-12" and tab.loc["count", "measured"] == "3"
    with pytest.raises(ValueError, match="op='=<' is not accepted"):
        attacks.check_table([("x", 1.0, "=<", 2.0)])
    with pytest.raises(ValueError, match="rows is empty"):
        attacks.check_table([])


def test_runs_table_marks_missing_and_older_checks():
    checks = [("a", "x/y", "<", 1.0, None), ("b", "z", ">", 0.0, "new_key"), ("c", "w", "<", 1.0, None)]
    runs = {"now": {"x": {"y": 0.5}, "z": 1.0, "new_key": 1, "w": 3.0}, "old": {"x": {"y": 2.0}, "z": 1.0}}
    tab = attacks.runs_table(checks, runs)
    assert list(tab["now: verdict"]) == [attacks.VERIFIED, attacks.VERIFIED, attacks.NOT_VERIFIED]
    assert list(tab["old: verdict"]) == [attacks.NOT_VERIFIED, "older check", "not recorded"]


# --- Theorem 7 (Feller's bound) over a range of levels

def test_noise_tail_counts_match_the_single_level_count():
    w = np.random.default_rng(0).standard_normal(7)
    eps = np.array([0.05, 0.2, 0.4])
    counts = attacks.noise_tail_counts(w, eps, 30_000, np.random.default_rng(1), chunk=7 * 1000)
    single = [attacks.noise_success_mc(w, e, 30_000, np.random.default_rng(1), chunk=7 * 1000) for e in eps]
    assert counts.tolist() == single
    with pytest.raises(ValueError, match="n_samples=0 is not accepted"):
        attacks.noise_tail_counts(w, eps, 0, np.random.default_rng(1))


def test_feller_check_holds_for_the_bound_and_fails_for_a_bound_too_small():
    ds, ts = [1, 10, 100], np.arange(0.5, 4.01, 0.5)
    ok = attacks.check_feller_bound(ds, ts, 100_000, np.random.default_rng(2))
    assert len(ok) == len(ds) * len(ts) and ok.holds.all()
    assert ((ok.lower <= ok.exact) & (ok.exact <= ok.upper)).all()  # the simulation is calibrated
    too_small = attacks.check_feller_bound(ds, ts, 100_000, np.random.default_rng(2),
                                           bound=lambda w, e: attacks.feller_bound(w, e) / 2)
    assert not too_small.holds.all()
    assert not too_small[(too_small.t >= 1) & (too_small.t <= 3)].holds.any()
    # the exact Gaussian tail itself is a "bound" the data cannot refute; 0.8 of it is refuted
    from scipy.stats import norm as normal
    exact = attacks.check_feller_bound(ds, ts, 100_000, np.random.default_rng(2),
                                       bound=lambda w, e: normal.sf(e * w.size / np.linalg.norm(w)))
    assert exact.holds.all()
    low = attacks.check_feller_bound(ds, [1.0], 100_000, np.random.default_rng(2),
                                     bound=lambda w, e: 0.8 * normal.sf(e * w.size / np.linalg.norm(w)))
    assert not low.holds.any()
    with pytest.raises(ValueError, match="levels t > 0"):
        attacks.check_feller_bound(ds, [0.0, 1.0], 100, np.random.default_rng(2))


def test_feller_exact_check_holds_for_the_bound_and_fails_for_a_bound_slightly_too_small():
    t = np.linspace(0.01, 30, 3000)
    ratio = attacks.feller_exact_ratio(t, np.random.default_rng(0).standard_normal(50))
    assert (ratio < 1).all() and ratio.max() > 0.998  # t Q(t) / phi(t) < 1, tending to 1
    # exact for every w and d: the same ratios with w = 1 in one dimension
    assert np.allclose(ratio, attacks.feller_exact_ratio(t), rtol=1e-12)
    from scipy.stats import norm as normal
    assert np.allclose(ratio, t * normal.sf(t) / normal.pdf(t), rtol=1e-12)
    # a bound lowered by 1 % fails at large t, a halved one already near t = 1
    low = attacks.feller_exact_ratio(t, bound=lambda w, e: 0.99 * attacks.feller_bound(w, e))
    assert (low > 1).any() and not (low[t < 5] > 1).any()
    half = attacks.feller_exact_ratio(t, bound=lambda w, e: attacks.feller_bound(w, e) / 2)
    assert (half[(t > 1.1) & (t < 30)] > 1).all()
    with pytest.raises(ValueError, match="levels t > 0"):
        attacks.feller_exact_ratio([0.0, 1.0])


def test_feller_trivial_level_is_where_the_bound_equals_one():
    t0 = attacks.feller_trivial_level()
    assert t0 == pytest.approx(0.3722, abs=1e-4)
    assert attacks.feller_bound(np.ones(1), t0) == pytest.approx(1.0, rel=1e-12)
    assert attacks.feller_bound(np.ones(1), 0.99 * t0) > 1 > attacks.feller_bound(np.ones(1), 1.01 * t0)
    # the same level in any dimension: eps = t ||w|| / d
    w = np.random.default_rng(1).standard_normal(40)
    assert attacks.feller_bound(w, t0 * np.linalg.norm(w) / 40) == pytest.approx(1.0, rel=1e-12)


def test_feller_detectable_factor_separates_rejected_from_unseen_bounds():
    ds, ts = [1, 10], np.array([1.0, 2.0, 3.0])
    table = attacks.check_feller_bound(ds, ts, 100_000, np.random.default_rng(2))
    f = attacks.feller_detectable_factor(table)
    assert 0.4 < f < 1
    for c, rejected in ((0.999 * f, True), (1.001 * f, False)):
        scaled = attacks.check_feller_bound(ds, ts, 100_000, np.random.default_rng(2),
                                            bound=lambda w, e: c * attacks.feller_bound(w, e))
        assert (not scaled.holds.all()) == rejected
    with pytest.raises(ValueError, match="empty table"):
        attacks.feller_detectable_factor(table.iloc[:0])


def test_check_erfc_z_scores():
    tab = attacks.check_erfc([1, 4, 16], 0.1, 50_000, np.random.default_rng(3))
    assert list(tab.index) == [1, 4, 16] and (tab.z < 4.5).all()


# --- Lemma 2.1 from the definition of problem (4)

@pytest.fixture(scope="module")
def lemma_data():
    data = separable_gaussians(30, 10, margin=0.2, seed=100)
    return data.X, data.y


@pytest.mark.parametrize("norm", norms.LP_NORMS)
def test_problem4_by_attacks_brackets_the_dual_max_margin(lemma_data, norm):
    X, y = lemma_data
    rob = attacks.robust_classifier_by_attacks(X, y, norm, rtol=1e-7)
    mm = convex.max_margin_classifier(X, y, norms.DUALS[norm], bias=True)
    assert rob.radius <= rob.upper <= rob.radius * (1 + 1e-7)
    assert rob.radius * (1 - 1e-7) <= mm.margin <= rob.upper * (1 + 1e-7)
    # the classifier it returns is robust at its radius, by the definition and by the closed form
    assert attacks.robust_radius_by_attack(rob.w, rob.b, X, y, norm).min() == pytest.approx(rob.radius, rel=1e-12)
    assert attacks.robust_radius(rob.w, X, y, norm, rob.b).min() == pytest.approx(rob.radius, rel=1e-12)


def test_problem4_solver_never_evaluates_the_dual_norm(lemma_data, monkeypatch):
    X, y = lemma_data
    real = attacks.vector_norm

    def primal_only(v, name, axis=-1):
        if name != "linf":
            raise AssertionError(f"the solver evaluated the {name} norm")
        return real(v, name, axis)

    def forbidden(*args, **kwargs):
        raise AssertionError("the solver used the dual maximiser")

    monkeypatch.setattr(attacks, "vector_norm", primal_only)
    monkeypatch.setattr(attacks, "dual_maximiser", forbidden)
    monkeypatch.setattr(norms, "dual_maximiser", forbidden)
    rob = attacks.robust_classifier_by_attacks(X, y, "linf")  # dual: l1, never computed
    assert rob.radius > 0


@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_lemma21_check_passes_with_the_dual_norm_and_fails_with_the_primal(lemma_data, norm):
    X, y = lemma_data
    right = attacks.check_lemma21(X, y, norm)
    assert right["w-norm"] == norms.DUALS[norm]
    assert right["deviation"] < 1e-5 and right["flips below"] == 0 and right["flips above"] >= 1
    assert right["cos"] > 1 - 1e-6  # the same classifier, not only the same value
    wrong = attacks.check_lemma21(X, y, norm, margin_norm=norm)  # the closed form in the primal norm
    assert wrong["eq4 gap"] > 1e-2
    assert wrong["cos"] < 1 - 1e-3  # the primal max-margin classifier points elsewhere


def test_classifier_cosine_sees_scaling_as_the_same_and_a_turn_as_different(lemma_data):
    X, y = lemma_data
    mm = convex.max_margin_classifier(X, y, "l2", bias=True)
    assert attacks.classifier_cosine(mm.w, mm.b, 3.0 * mm.w, 3.0 * mm.b) == pytest.approx(1.0, abs=1e-15)
    # l2 perturbations: the l1 max-margin classifier (a wrong direction) fails the chapter's 1 - 1e-6
    wrong = convex.max_margin_classifier(X, y, "l1", bias=True)
    assert attacks.classifier_cosine(wrong.w, wrong.b, mm.w, mm.b) < 1 - 1e-3
    turned = mm.w + 1e-2 * np.linalg.norm(mm.w) * np.random.default_rng(0).standard_normal(mm.w.size)
    assert attacks.classifier_cosine(turned, mm.b, mm.w, mm.b) < 1 - 1e-6
    with pytest.raises(ValueError, match="zero classifier"):
        attacks.classifier_cosine(np.zeros(3), 0.0, np.ones(3), 1.0)
    with pytest.raises(ValueError, match="same size"):
        attacks.classifier_cosine(np.ones(3), 0.0, np.ones(4), 1.0)


def test_robust_radius_by_attack_matches_the_closed_form_in_the_dual_only():
    rng = np.random.default_rng(4)
    w, X, y = rng.standard_normal(6), rng.standard_normal((20, 6)), rng.choice([-1.0, 1.0], 20)
    for p in norms.LP_NORMS:
        by_attack = attacks.robust_radius_by_attack(w, 0.3, X, y, p)
        assert np.allclose(by_attack, attacks.robust_radius(w, X, y, p, 0.3), rtol=1e-12)
        if p != "l2":
            primal = y * (X @ w + 0.3) / norms.vector_norm(w, p)
            assert not np.allclose(by_attack, primal)


def test_problem4_solver_rejects_bad_data():
    X = np.random.default_rng(5).standard_normal((6, 3))
    with pytest.raises(ValueError, match="single class"):
        attacks.robust_classifier_by_attacks(X, np.ones(6), "l2")
    with pytest.raises(ValueError, match="labels y in"):
        attacks.robust_classifier_by_attacks(X, np.arange(6.0), "l2")
    with pytest.raises(ValueError, match="norm='l3' is not accepted"):
        attacks.robust_classifier_by_attacks(X, np.ones(6), "l3")


# --- the other experiments, at toy sizes

def test_check_target_regions_small():
    res = attacks.check_target_regions(3, np.random.default_rng(0), h=0.05)
    assert res.n == 3 and res.region_mismatch == 0 and res.max_violation < 1e-6
    assert res.qp_excess.shape == (3,) and res.qp_excess.max() <= 1e-6


def test_check_closed_forms_small():
    res = attacks.check_closed_forms(3, np.random.default_rng(1))
    worst = res.worst()
    assert set(worst) == set(attacks.CLOSED_FORM_KEYS)
    assert max(worst[k] for k in ("thm2_vs_cvxpy", "minnorm_linf_l1_vs_cvxpy", "maxallow_vs_cvxpy",
                                  "thm6_vs_cvxpy")) < 1e-5
    assert worst["fgsm_vs_closed_form"] < 1e-12
    assert np.allclose(res.errors["deepfool_minus_exact"], 1e-4, atol=1e-7)


def test_exhaustive_min_distance_on_a_linear_classifier():
    w, b = np.array([0.6, -0.8]), 0.25
    model = attacks.linear_module(w, b)
    x = np.array([0.4, -0.2])
    exact = abs(w @ x + b) / np.linalg.norm(w)
    found = attacks.exhaustive_min_distance(model, x, int(w @ x + b > 0))
    assert exact <= found <= exact + 2e-3


def test_check_deepfool_on_a_linear_classifier():
    w, b = np.array([0.6, -0.8]), 0.25
    model = attacks.linear_module(w, b)
    X = np.array([[0.4, -0.2], [-0.5, 0.6]])
    labels = (X @ w + b > 0).astype(int)
    res = attacks.check_deepfool(model, X, labels)
    assert res.gap_to_foolbox < 1e-7 and res.fb_ok.all()
    assert all(r.iterations == 1 for r in res.ours)
    assert np.all(res.ratio >= 0.98) and np.all(res.ratio < 1.02)


def test_half_moons_and_training():
    X, lab = attacks.half_moons(60, np.random.default_rng(0))
    assert X.shape == (60, 2) and set(lab.tolist()) <= {0, 1}
    mlp = attacks.train_moons_mlp(X, lab, steps=200)
    assert not any(p.requires_grad for p in mlp.parameters())
    with torch.no_grad():
        acc = (mlp(torch.tensor(X)).argmax(1).numpy() == lab).mean()
    assert acc > 0.8


def test_steepest_descent_robustness_small():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 5))
    y = np.sign(X @ rng.standard_normal(5))
    rows, ws = attacks.steepest_descent_robustness(X, y, {"l2": 0.25, "linf": 0.01, "l1": 0.2}, steps=2000)
    assert [r["geometry"] for r in rows] == ["l2", "linf", "l1"] and set(ws) == {"l2", "linf", "l1"}
    for r in rows:
        assert 0.5 < r["margin / max margin"] <= 1 + 1e-9
        assert all(r[f"{p} radius"] > 0 for p in norms.LP_NORMS)


def test_check_fourier_dual_small():
    res = attacks.check_fourier_dual(6, np.random.default_rng(0), n_solver=2, n_random=50)
    assert res["identity"] < 1e-12 and res["imag_part"] < 1e-12
    assert res["solver_gap"] < 1e-6 and res["random_above"] == 0 and res["n_solver"] == 2


def test_fourier_robustness_exact_predictors():
    data = separable_gaussians(12, 6, margin=0.2, seed=3)
    rows, betas = attacks.fourier_robustness(data.X, data.y, seed=0, steps=50)
    by = {r["predictor"]: r for r in rows}
    assert set(by) == {"conv", "fc", "min ||F.||_1", "min l2"} and set(betas) == set(by)
    ref = by["min ||F.||_1"]
    assert ref["cos to min ||F.||_1"] == pytest.approx(1.0)
    assert ref["Fourier-linf radius / optimum"] == pytest.approx(1.0, rel=1e-6)
    assert by["min l2"]["l2 radius / optimum"] == pytest.approx(1.0, rel=1e-6)
    assert all(r["flips below"] == 0 and r["flips above"] >= 1 for r in rows)
