"""The Fourier-bias chapter's helpers (ibbook.fourier_bias) and its verdict rule
(ibbook.sources.s001.ordering): each on a right and a wrong input."""
import numpy as np
import pytest
import torch

from ibbook import fourier_bias as fbx
from ibbook.models import zoo
from ibbook.sources import protocol as P, s001


def _wave(n=4, k=(3, 5)):
    yy, xx = np.mgrid[:32, :32]
    return np.broadcast_to(np.cos(2 * np.pi * (k[0] * yy + k[1] * xx) / 32), (n, 3, 32, 32)).copy()


def test_spectral_stats_single_wave_vs_white_noise():
    wave = fbx.spectral_stats(_wave())
    noise = fbx.spectral_stats(fbx.white_noise((8, 3, 32, 32), 0))
    # one conjugate pair per channel: l1 / l2 = sqrt(6); white noise near sqrt(pi 3072 / 4) = 49.1
    assert wave["ratio"] == pytest.approx(np.sqrt(6), rel=1e-9)
    assert wave["kr"] == pytest.approx(np.hypot(3, 5), rel=1e-9)
    assert 47 < noise["ratio"].mean() < 51 and 11 < noise["kr"].mean() < 13.5
    with pytest.raises(ValueError, match="are all zero"):
        fbx.spectral_stats(np.zeros((2, 3, 32, 32)))
    with pytest.raises(ValueError, match=r"shape \(3, 32, 32\) is not accepted"):
        fbx.spectral_stats(np.ones((3, 32, 32)))


def test_radial_tv_and_claim_difference():
    low, high = _wave(k=(1, 0)), _wave(k=(8, 8))
    assert fbx.radial_tv(low, low) == 0.0 and fbx.radial_tv(low, high) == pytest.approx(1.0)
    a, b = {"ratio": np.array([2.0])}, {"ratio": np.array([4.0])}
    assert fbx.claim_difference(a, b, "ratio", sparser=True) == pytest.approx(0.5)
    assert fbx.claim_difference(b, a, "ratio", sparser=True) < 0  # the wrong way round


def test_rank_trend_leaves_out_and_needs_three():
    t = fbx.rank_trend([3, 5, 9, 32], [4.0, 3.0, 2.0, 1.0])
    assert t["rho"] == pytest.approx(-1.0) and t["n"] == 4
    t = fbx.rank_trend([3, 5, 9, 32], [4.0, 9.0, 2.0, 1.0], excluded={1: "near chance"})
    assert t["rho"] == pytest.approx(-1.0) and t["excluded"] == {"5": "near chance"}
    assert np.isnan(fbx.rank_trend([1, 2, 3], [1, 2, 3], {0: "x"})["rho"])
    with pytest.raises(ValueError, match="3 settings and 2 values"):
        fbx.rank_trend([1, 2, 3], [1, 2])


def test_zero_output_is_zero_at_init_and_trains():
    from ibbook import models
    m = zoo.zero_output(models.build_model("conv_bounded", act="linear", channels=2, alpha=10.0))
    x = torch.rand(3, 3, 32, 32)
    assert m(x).abs().max() == 0
    with pytest.raises(ValueError, match="is not accepted"):
        zoo.zero_output("conv")


def _two_class(n=12, c=1, size=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c * size * size)), np.repeat([-1.0, 1.0], n // 2)


def test_fourier_group_l1_classifier_is_the_minimum():
    X, y = _two_class()
    w = fbx.fourier_group_l1_classifier(X, y, (1, 4, 4))
    assert (y * (X @ w)).min() == pytest.approx(1.0, abs=1e-5)
    best = fbx.fourier_group_l1(w, (1, 4, 4))
    rng = np.random.default_rng(1)
    for _ in range(20):  # feasible points nearby are never smaller
        v = w + 0.05 * rng.standard_normal(w.shape)
        v = v / (y * (X @ v)).min()
        assert fbx.fourier_group_l1(v, (1, 4, 4)) >= best - 1e-6
    with pytest.raises(ValueError, match="not accepted for X with 16 columns"):
        fbx.fourier_group_l1_classifier(X, y, (2, 4, 4))
    with pytest.raises(ValueError, match="labels"):
        fbx.fourier_group_l1_classifier(X, np.arange(len(y)), (1, 4, 4))


def test_conv_net_predictor_is_the_filters_convolution_and_converges():
    X, y = _two_class(n=8)
    net = fbx.circular_conv2d_linear(1, 4, 2, 0.1, 0)
    beta = net.beta().detach().numpy().reshape(4, 4)
    w1, w2 = net.first.detach().numpy()[0], net.rest.detach().numpy()[0]
    conv = np.real(np.fft.ifft2(np.fft.fft2(w1) * np.fft.fft2(w2)))
    assert np.allclose(beta, conv)
    out = fbx.train_to_convergence(net, X, y, lr=0.2, max_steps=4000, check_every=200)
    assert out["converged"] and out["train_acc"] == 1.0
    with pytest.raises(ValueError, match="depth=1 is not accepted"):
        fbx.circular_conv2d_linear(1, 4, 1)


def test_two_class_subset_rejects_bad_size():
    x, y = torch.rand(20, 3, 32, 32), torch.tensor([3, 5] * 10)
    X, lab = fbx.two_class_subset(x, y, (3, 5), 8, 16, 0)
    assert X.shape == (8, 3, 16, 16) and sorted(set(lab.tolist())) == [-1.0, 1.0]
    assert np.allclose(X.mean(0), 0)
    with pytest.raises(ValueError, match="size=12 is not accepted"):
        fbx.two_class_subset(x, y, (3, 5), 8, 12, 0)


# --- the verdict rule ------------------------------------------------------------------------------

def _res(trained, untrained, acc=0.5, **extra):
    return {"orderings": {"c": {"trained": trained, "untrained": untrained, "what": "x", **extra}},
            "test_accuracy": {"a": acc, "b": acc}}


def test_ordering_holds_beyond_baseline_and_not_within_it():
    check = s001.ordering("c", ("a", "b"), effect=0.2)
    assert check(_res([0.30, 0.32, 0.31], [0.05, 0.06, 0.05])).verdict == P.HOLDS
    # the same trained values, but the untrained nets show the same gap: no effect, powered
    out = check(_res([0.30, 0.32, 0.31], [0.30, 0.33, 0.30]))
    assert out.verdict == P.FAILS and "power 1.00" in out.fair
    # no paper effect size: a null result is inconclusive, with the reason
    out = s001.ordering("c", ("a", "b"))(_res([0.30, 0.32, 0.31], [0.30, 0.33, 0.30]))
    assert out.verdict == P.INCONCLUSIVE and "no stated power" in out.reasons[0]


def test_ordering_gates_seeds_accuracy_sweep_and_old_files():
    check = s001.ordering("c", ("a", "b"), effect=0.2)
    assert check(_res([0.3, 0.31], [0.0, 0.0])).verdict == P.INCONCLUSIVE  # 2 seeds
    out = check(_res([0.30, 0.32, 0.31], [0.05, 0.06, 0.05], acc=0.15))
    assert out.verdict == P.INCONCLUSIVE and "near chance" in out.reasons[0]
    out = check(_res([0.3, 0.3, 0.3], [0.0, 0.0, 0.0], kept=[3, 5]))
    assert out.verdict == P.INCONCLUSIVE and "2 models left" in out.reasons[-1]
    eq = s001.ordering("c", ("a", "b"), equivalence=0.05)
    assert eq(_res([0.01, 0.0, 0.02], [0.0, 0.0, 0.0])).verdict == P.HOLDS
    assert eq(_res([0.2, 0.21, 0.22], [0.0, 0.0, 0.0])).verdict == P.FAILS
    with pytest.raises(ValueError, match="at least 2 seeds"):
        s001.seed_test([1.0], [0.0])
    # a result file from before the baselines: graded as before (no baseline, one seed)
    old = {"verdicts": {"1. linear: full conv has a sparser beta^ than FC": "holds (1 vs 2)"},
           "test_accuracy": {"FC": 0.4, "full conv": 0.4}}
    out = s001.BY_ID["001.table1.linear.fullconv-sparser-beta"].check(old) if hasattr(s001, "BY_ID") \
        else next(c for c in s001.CLAIMS if c.id == "001.table1.linear.fullconv-sparser-beta").check(old)
    assert out.verdict == P.INCONCLUSIVE and "no baseline" in out.reasons[0]


def test_paper_effects_from_the_tables():
    assert s001.paper_effect("full conv", "FC", "beta") == pytest.approx(0.281, abs=1e-3)
    assert s001.paper_effect("deep full conv", "full conv", "delta") == pytest.approx(0.279, abs=1e-3)


def _theory(conv=(0.3, 0.3, 0.3), conv_half=(0.4, 0.4, 0.4), loss=(1e-6,) * 3, gap=0.7):
    return {"theory": {"ratio_fc": [0.1] * 3, "ratio_fc_half": [0.2] * 3, "ratio_conv": list(conv),
                       "ratio_conv_half": list(conv_half), "loss": list(loss), "gap_rad": gap,
                       "target": 1e-3}}


def test_converged_limits_check_uses_the_angle_criterion():
    check = s001.converged_limits()
    assert check(_theory()).verdict == P.HOLDS
    # nearer the predicted solution than the other one, but outside the cone (ratio 0.6), and the
    # direction has stopped moving: does not hold (the old "nearer" rule passed this)
    settled = check(_theory(conv=(0.3, 0.6, 0.3), conv_half=(0.4, 0.6, 0.4)))
    assert settled.verdict == P.FAILS
    # the same ratio still falling: not converged in direction, inconclusive with the reason
    moving = check(_theory(conv=(0.3, 0.6, 0.3), conv_half=(0.4, 0.7, 0.4)))
    assert moving.verdict == P.INCONCLUSIVE and "not converged in direction" in moving.reasons[0]
    slow = check(_theory(loss=(1e-6, 0.01, 1e-6)))
    assert slow.verdict == P.INCONCLUSIVE and "not converged: training loss" in slow.reasons[0]
    close = check(_theory(gap=0.01))
    assert close.verdict == P.INCONCLUSIVE and "cannot tell them apart" in close.reasons[0]
    old = {"theory": {"fc_nearer_l2": [True] * 3, "conv_nearer_f1": [True] * 3, "loss": [1e-6] * 3}}
    assert check(old).verdict == P.INCONCLUSIVE


def test_converged_limits_constants_are_the_implicit_bias_chapter_s():
    from ibbook import convex
    assert s001.SEPARATION == convex.SEPARATION and s001.MIN_CANDIDATE_GAP == convex.MIN_CANDIDATE_GAP


def test_ordering_reverse_effect_does_not_hold():
    # no paper effect: a significant effect the wrong way round (-30 % +- 1 %) does not hold,
    # a null one stays inconclusive
    check = s001.ordering("c", ("a", "b"))
    out = check(_res([-0.30, -0.31, -0.29], [0.0, 0.0, 0.0]))
    assert out.verdict == P.FAILS and "reverse direction significant" in out.ours
    assert check(_res([0.01, -0.01, 0.0], [0.0, 0.0, 0.0])).verdict == P.INCONCLUSIVE
    # with the paper's effect too, even when the power for it is low
    low = s001.ordering("c", ("a", "b"), effect=0.01)
    assert low(_res([-0.30, -0.31, -0.29], [0.0, 0.0, 0.0])).verdict == P.FAILS


def test_ordering_small_significant_effect_is_not_the_paper_s():
    check = s001.ordering("c", ("a", "b"), effect=0.28)
    out = check(_res([0.003, 0.0031, 0.0029], [0.0, 0.0, 0.0]))
    assert out.verdict == P.INCONCLUSIVE and "significant but small" in out.reasons[0]
    assert check(_res([0.10, 0.11, 0.09], [0.0, 0.0, 0.0])).verdict == P.HOLDS  # above 28 % / 4


def test_ordering_needs_beta_moved_by_training():
    check = s001.ordering("c", ("a", "b"), equivalence=0.05)
    res = _res([0.0, 0.001, -0.001], [0.0, 0.0, 0.0], moved={"a": 0.6, "b": 0.6})
    assert check(res).verdict == P.HOLDS
    res["orderings"]["c"]["moved"] = {"a": 0.6, "b": 0.01}  # training changed b's beta by 1 %
    out = check(res)
    assert out.verdict == P.INCONCLUSIVE and "training moved b's beta by 1%" in out.reasons[0]


def test_ordering_alpha_models_are_gated_by_the_same_run():
    cid = "001.fig11.alpha.wide-bounded"
    check = next(c for c in s001.CLAIMS if c.id == cid).check
    acc = {"wide bounded conv": 0.39, "wide bounded conv a=1": 0.37,
           "wide bounded conv a=0.1": 0.36, "wide bounded conv a=10": 0.35}
    row = {"trained": [0.5, 0.6, 0.55], "untrained": [0.0, 0.01, -0.01], "what": "x",
           "models": ["wide bounded conv a=10", "wide bounded conv a=0.1"]}
    res = {"orderings": {cid: row}, "test_accuracy": acc}
    assert check(res).verdict == P.HOLDS
    out = check({**res, "test_accuracy": {**acc, "wide bounded conv a=0.1": 0.26}})
    assert out.verdict == P.INCONCLUSIVE and "a=0.1 under-trained (26%; wide bounded conv 39%" in out.reasons[0]


def test_conv_vs_other_parametrisations_is_not_fig4b():
    from ibbook.sources import s002
    c = next(c for c in s002.CLAIMS if c.id == "002.abstract.conv-vs-fc")
    assert "other" in c.paper and "full conv" not in c.claim


def test_moved_share():
    b0 = np.ones(8)
    assert fbx.moved_share(b0, b0) == 0.0 and fbx.moved_share(2 * b0, b0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shapes"):
        fbx.moved_share(b0, np.ones(4))
    with pytest.raises(ValueError, match="zero trained"):
        fbx.moved_share(np.zeros(8), b0)


def test_train_to_convergence_records_the_half_way_predictor():
    X, y = _two_class(n=8)
    net = fbx.circular_conv2d_linear(1, 4, 2, 0.1, 0)
    out = fbx.train_to_convergence(net, X, y, lr=0.2, max_steps=800, check_every=200, full_budget=True)
    assert out["steps"] == 800 and out["steps_half"] == 400
    assert not np.allclose(out["beta_half"], out["beta"])


def test_sweep_models_are_gated_by_the_paper_s_relu_conv():
    from ibbook.sources import s002
    check = next(c for c in s002.CLAIMS if c.id == "002.abstract.kernel-size").check
    labels = ["k=3, depth 1", "k=9, depth 1", "k=32, depth 1"]
    row = {"trained": [-0.5, -0.5, -0.5], "untrained": [0.0] * 3, "what": "rho", "models": labels,
           "kept": [3, 9, 32]}
    well = {"orderings": {"002.abstract.kernel-size": row}, "test_accuracy": dict.fromkeys(labels, 0.6)}
    assert check(well).verdict == P.FAILS  # a significant trend the wrong way round
    under = {**well, "test_accuracy": dict.fromkeys(labels, 0.34)}
    out = check(under)
    assert out.verdict == P.INCONCLUSIVE and "Table 4's ReLU bounded conv" in out.reasons[0]
