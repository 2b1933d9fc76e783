"""The implicit-bias chapter's theorem checks fail on deliberately wrong input.

Theorem 5.1 (one ReLU neuron): the invariant "||w(t) - w*|| never increases" is measured by
``descent.relu_neuron_gd_watched`` / ``descent.distance_increase`` against ``DIST_ROUND_OFF``; the
worst-case fan instances reach a ratio near 2 (at most ``descent.fan_ratio_supremum``), and the
non-monotone control (``descent.vee_instance``) breaks both checks. Section 5 (linear networks):
``convex.angle_ratio`` against ``convex.SEPARATION`` tells the predicted limit from the alternatives,
only where ``convex.candidate_gap`` reaches ``convex.MIN_CANDIDATE_GAP`` (``convex.judge_limit``).
"""
import numpy as np
import pytest

from ibbook import convex, descent
from ibbook.data.synthetic import separable_gaussians


def _relu_instances(B, n=6, d=15, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, n, d)) / np.sqrt(d)
    wt = rng.standard_normal((B, d))
    y = np.maximum(np.einsum("bnd,bd->bn", X, wt), 0)
    return X, y, wt + 0.5 * rng.standard_normal((B, d))


@pytest.fixture(scope="module")
def neurons():
    X, y, w0 = _relu_instances(12)
    w_star = np.array([convex.relu_projection(X[b], y[b], w0[b]).w for b in range(len(X))])
    return X, y, w0, w_star


def test_invariant_holds_for_a_small_step_and_the_watched_run_is_plain_gd(neurons):
    X, y, w0, w_star = neurons
    lr = 0.1
    assert (lr * np.linalg.norm(X, 2, axis=(1, 2)) ** 2).max() < 2  # the step condition of the proof
    run = descent.relu_neuron_gd_watched(X, y, w0, w_star, lr=lr, steps=3000)
    assert np.array_equal(run.w, descent.relu_neuron_gd(X, y, w0, lr=lr, steps=3000))
    assert run.max_increase.max() <= descent.DIST_ROUND_OFF
    assert run.dist0 == pytest.approx(np.linalg.norm(w0 - w_star, axis=1))


def test_invariant_check_fails_for_a_too_large_step(neurons):
    # lr > 2 / ||X||^2: GD overshoots and moves away from w*; the chapter's assert would fail
    X, y, w0, w_star = neurons
    lr = 3.0 / (np.linalg.norm(X, 2, axis=(1, 2)) ** 2).min()
    run = descent.relu_neuron_gd_watched(X, y, w0, w_star, lr=lr, steps=50)
    assert run.max_increase.max() > 1e3 * descent.DIST_ROUND_OFF


def test_invariant_check_fails_against_a_point_that_is_not_a_zero_loss_weight(neurons):
    # the proof needs L(w*) = 0: a reference next to w0 (loss > 0) is left behind by the run
    X, y, w0, w_star = neurons
    wrong = w0 + 1e-2 * np.random.default_rng(1).standard_normal(w0.shape)
    assert (descent.relu_neuron_loss(X, y, wrong) > 1e-6).all()
    watched = descent.relu_neuron_gd_watched(X, y, w0, wrong, lr=0.1, steps=3000)
    assert watched.max_increase.max() > 1e3 * descent.DIST_ROUND_OFF


def test_distance_increase_flags_a_path_that_moves_away():
    w_ref = np.zeros(3)
    towards = np.linspace([2.0, 0, 0], [1.0, 0, 0], 20)
    assert descent.distance_increase(towards, w_ref) <= descent.DIST_ROUND_OFF
    away = np.vstack([towards, [[1.0, 0.5, 0.0]]])  # last step: distance 1 -> 1.118
    assert descent.distance_increase(away, w_ref) == pytest.approx((np.sqrt(1.25) - 1) / 2)
    with pytest.raises(ValueError, match="not accepted"):
        descent.distance_increase(towards[:1], w_ref)
    with pytest.raises(ValueError, match="starting at w_ref"):
        descent.distance_increase(np.zeros((3, 3)), w_ref)


def test_fixed_active_runs_end_at_the_nearest_zero_loss_weight(neurons):
    X, y, w0, w_star = neurons
    run = descent.relu_neuron_gd_watched(X, y, w0, w_star, lr=0.1, steps=20_000)
    fitted = descent.relu_neuron_loss(X, y, run.w) < 1e-12
    ratio = np.linalg.norm(run.w - w0, axis=1) / run.dist0
    assert (run.fixed_active & fitted).any()
    assert np.abs(ratio[run.fixed_active & fitted] - 1).max() < 1e-6
    assert ratio[fitted].min() > 1 - 1e-6 and ratio[fitted].max() <= 2 + 1e-6
    # a wrong w* (one that is not the nearest zero-loss weight) breaks "ratio = 1"
    wrong = w_star + 0.1
    wrong_ratio = np.linalg.norm(run.w - w0, axis=1) / np.linalg.norm(wrong - w0, axis=1)
    assert np.abs(wrong_ratio[run.fixed_active & fitted] - 1).max() > 1e-3


@pytest.mark.parametrize("m", [4, 32])
def test_fan_instance_flow_nears_the_limit_and_keeps_the_invariant(m):
    fan = descent.relu_fan_instance(m)
    proj = convex.relu_projection(fan.X, fan.y, fan.w0)
    assert np.allclose(proj.w, fan.w_star, atol=1e-7)
    t, path = descent.relu_neuron_flow_path(fan.X, fan.y, fan.w0, fan.t_end)
    assert descent.relu_neuron_loss(fan.X, fan.y, path[-1])[0] < 1e-20
    ratio = np.linalg.norm(path[-1] - fan.w0) / np.linalg.norm(fan.w_star - fan.w0)
    limit = descent.fan_ratio_limit(m)
    assert limit - 0.05 < ratio <= limit + 1e-9 and limit < 2
    assert descent.distance_increase(path, fan.w_star) <= descent.DIST_ROUND_OFF
    # a reversed path (from the end back to w0) moves away from w*: the invariant check fails
    assert descent.distance_increase(path[::-1], fan.w_star) > 1e3 * descent.DIST_ROUND_OFF


def test_fan_ratio_grows_towards_two_and_a_ratio_above_two_is_flagged():
    limits = [descent.fan_ratio_limit(m) for m in (2, 4, 8, 16, 64, 1024)]
    assert np.all(np.diff(limits) > 0) and limits[0] < 1.01 and 1.99 < limits[-1] < 2
    # the chapter asserts ratio <= 2 + 1e-6: a run ending at the reflection of w0 beyond w* and a
    # bit more (ratio 2.1) would fail it
    fan = descent.relu_fan_instance(8)
    bad_end = fan.w0 + 2.1 * (fan.w_star - fan.w0)
    assert np.linalg.norm(bad_end - fan.w0) / np.linalg.norm(fan.w_star - fan.w0) > 2 + 1e-6
    with pytest.raises(ValueError, match="m=1 is not accepted"):
        descent.relu_fan_instance(1)
    with pytest.raises(ValueError, match="scale_step=0"):
        descent.relu_fan_instance(4, scale_step=0)


def test_fan_ratio_tends_to_two_cos_half_gap_not_to_two():
    gap = descent.relu_fan_instance(4).gap
    sup = descent.fan_ratio_supremum(gap)
    assert gap == 0.05 and sup == pytest.approx(2 * np.cos(0.025), rel=1e-15) and sup < 1.9994
    limits = np.array([descent.fan_ratio_limit(m, gap) for m in (2, 64, 1024, 10**6)])
    assert np.all(limits < sup) and sup - limits[-1] < 1e-5
    # a claim "the fan ratio tends to 2" at this gap is wrong by more than the limit's own error
    assert 2 - sup > 100 * (sup - limits[-1])
    assert descent.fan_ratio_supremum(1e-4) == pytest.approx(2, abs=1e-8)  # 2 only as gap -> 0
    with pytest.raises(ValueError, match="gap=0 is not accepted"):
        descent.fan_ratio_supremum(0)


def test_non_monotone_activation_breaks_both_checks_of_theorem_5_1():
    vee = descent.vee_instance()
    act, der = (lambda u: descent.vee(u, vee.slope)), (lambda u: descent.vee_grad(u, vee.slope))
    _, path = descent.neuron_flow_path(vee.X, vee.y, vee.w0, vee.t_end, act, der)
    assert np.allclose(path[-1], vee.w_end, atol=1e-9)
    assert np.abs(act(vee.X @ vee.w_star) - vee.y).max() < 1e-12  # w* has zero loss, and is nearer
    ratio = np.linalg.norm(path[-1] - vee.w0) / np.linalg.norm(vee.w_star - vee.w0)
    assert ratio == pytest.approx((1 - 0.01) / (0.01 + 0.1), rel=1e-9) and ratio > 2 + 1e-6
    assert descent.distance_increase(path, vee.w_star) > 1e3 * descent.DIST_ROUND_OFF
    # the same instance with ReLU (monotone): the only zero-loss weights have w_1 = 1, ratio 1
    _, relu_path = descent.neuron_flow_path(vee.X, vee.y, vee.w0, vee.t_end, lambda u: np.maximum(u, 0),
                                            lambda u: (u > 0).astype(float))
    assert np.allclose(relu_path[-1], vee.w_end, atol=1e-9)
    with pytest.raises(ValueError, match="slope=0"):
        descent.vee_instance(slope=0)


def test_generic_flow_matches_the_relu_flow():
    X, y, w0 = _relu_instances(1, seed=3)
    t_end = 50.0
    _, path = descent.neuron_flow_path(X[0], y[0], w0[0], t_end, lambda u: np.maximum(u, 0),
                                       lambda u: (u > 0).astype(float))
    assert np.allclose(path[-1], descent.relu_neuron_flow(X[0], y[0], w0[0], t_end), atol=1e-8)
    with pytest.raises(ValueError, match="not accepted"):
        descent.neuron_flow_path(X[0], y[0], w0[0][:3], t_end, np.tanh, np.cosh)


@pytest.fixture(scope="module")
def candidates():
    data = separable_gaussians(30, 10, margin=0.1, seed=0)
    return data, {L: convex.fourier_stationary_point(data.X, data.y, L) for L in (1, 2, 3)}


def test_stationary_points_meet_their_kkt_conditions_and_differ(candidates):
    data, cand = candidates
    for L, beta in cand.items():
        assert np.min(data.y * (data.X @ beta)) == pytest.approx(1.0, abs=1e-6)
        assert convex.fourier_kkt_residual(beta, data.X, data.y, L) < 1e-4
    # the l1 solution is not stationary for p = 2/3 (else the depth-3 candidate would be it)
    assert convex.fourier_kkt_residual(cand[2], data.X, data.y, 3) > 1e-2
    for a in (1, 2):
        for b in range(a + 1, 4):
            assert descent.angle_to(cand[a], cand[b])[0] > 0.05


def test_angle_ratio_passes_the_right_limit_and_fails_every_wrong_one(candidates):
    data, cand = candidates
    for right in cand:
        assert convex.angle_ratio(cand[right], cand, right) < 1e-3
        # near the right candidate (a small perturbation) still passes
        rng = np.random.default_rng(right)
        near = cand[right] + 1e-3 * np.linalg.norm(cand[right]) * rng.standard_normal(10)
        assert convex.angle_ratio(near, cand, right) < convex.SEPARATION
        for wrong in cand:
            if wrong != right:  # handing in the wrong limit fails the chapter's check
                assert convex.angle_ratio(cand[wrong], cand, right) >= 1.0 > convex.SEPARATION
    with pytest.raises(ValueError, match="right=4"):
        convex.angle_ratio(cand[1], cand, 4)


def test_judge_limit_measures_the_gap_first_and_judges_only_apart_candidates(candidates):
    data, cand = candidates
    for right in cand:
        v = convex.judge_limit(cand[right], cand, right)
        assert v.testable and v.gap == convex.candidate_gap(cand, right) >= convex.MIN_CANDIDATE_GAP
        assert v.ratio < 1e-3 and v.angle < 1e-6
        for wrong in cand:
            if wrong != right:  # a wrong candidate still fails on a testable data set
                assert convex.judge_limit(cand[wrong], cand, right).ratio >= 1.0
        # the floor is applied as stated: just above the gap the same data set is untestable
        above = convex.judge_limit(cand[right], cand, right, min_gap=v.gap * (1 + 1e-9))
        assert not above.testable and np.isnan(above.ratio)
        with pytest.raises(ValueError, match="candidates coincide"):
            convex.angle_ratio(cand[right], cand, right, min_gap=v.gap * (1 + 1e-9))


def test_coinciding_candidates_are_refused_and_reported_untestable():
    # data set 3 of the chapter's full scale: ten active constraints in d = 10 pin all three
    # candidate limits to one point, so no trained direction can be judged against them
    data = separable_gaussians(30, 10, margin=0.1, seed=3)
    cand = {L: convex.fourier_stationary_point(data.X, data.y, L) for L in (1, 2, 3)}
    assert (np.abs(data.y * (data.X @ cand[1]) - 1) < 1e-6).sum() == 10
    for right in cand:
        gap = convex.candidate_gap(cand, right)
        assert gap < 1e-6
        with pytest.raises(ValueError, match="candidates coincide"):
            convex.angle_ratio(cand[right], cand, right)
        v = convex.judge_limit(cand[right], cand, right)
        assert not v.testable and np.isnan(v.ratio) and v.gap == gap
    # an exactly zero gap is refused even without a floor, and the message names the value
    e = np.eye(10)
    same = {1: e[0], 2: 2.0 * e[0], 3: e[1]}
    with pytest.raises(ValueError, match=r"is 0\.0 rad"):
        convex.angle_ratio(e[0] + 0.1 * e[1], same, 1, min_gap=0.0)
    assert convex.angle_ratio(e[0] + 0.1 * e[1], same, 3, min_gap=0.0) > 0  # e1 vs e0: apart
    with pytest.raises(ValueError, match="right=4"):
        convex.candidate_gap(cand, 4)


def test_linear_network_builds_both_families_and_names_a_bad_kind():
    from ibbook.models.theory import CircularConvLinear, DeepLinearFC, linear_network
    fc, conv = linear_network("FC", 6, 3, seed=1), linear_network("conv", 6, 2, init_scale=0.5)
    assert isinstance(fc, DeepLinearFC) and isinstance(conv, CircularConvLinear)
    assert fc.beta().shape == (6,) and conv.beta().shape == (6,)
    with pytest.raises(ValueError, match="kind='mlp' is not accepted"):
        linear_network("mlp", 6, 2)


def test_style_legend_names_the_styles_before_the_labelled_lines():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbook import plotting
    fig, ax = plt.subplots()
    for k in range(5):
        ax.plot([0, 1], [k, k + 1], color=f"C{k}")  # five instances, no labels
    ax.plot([0, 1], [0, 0], "k:", label="reference")
    leg = plotting.style_legend(ax, [("exp loss, 5 instances", {"ls": "-"}),
                                     ("logistic loss", {"ls": "--"})])
    assert [t.get_text() for t in leg.get_texts()] == ["exp loss, 5 instances", "logistic loss",
                                                      "reference"]
    plt.close(fig)
