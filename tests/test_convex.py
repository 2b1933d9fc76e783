"""The exact convex programs: optimality, agreement between formulations, bad input."""
import numpy as np
import pytest

from ibbook import convex, norms
from ibbook.data.synthetic import separable_gaussians


@pytest.fixture(scope="module")
def data():
    return separable_gaussians(40, 8, margin=0.2, seed=3)


@pytest.mark.parametrize("name", convex.NORMS)
def test_min_norm_and_max_margin_programs_give_the_same_classifier(data, name):
    a = convex.min_norm_classifier(data.X, data.y, name)
    b = convex.max_margin_classifier(data.X, data.y, name)
    assert a.margin == pytest.approx(b.margin, rel=1e-6)
    assert np.allclose(a.w, b.w, atol=1e-5)
    assert norms.vector_norm(a.w, name) == pytest.approx(1.0, rel=1e-6)
    assert convex.margin(a.w, data.X, data.y, name) == pytest.approx(a.margin, rel=1e-6)


@pytest.mark.parametrize("name", convex.NORMS)
def test_no_random_unit_classifier_beats_the_max_margin(data, name):
    best = convex.max_margin_classifier(data.X, data.y, name).margin
    rng = np.random.default_rng(0)
    teacher = data.w
    for _ in range(200):  # perturbations of the teacher, which separates the data
        w = teacher + 0.3 * rng.standard_normal(teacher.shape)
        assert convex.margin(w, data.X, data.y, name) <= best + 1e-7


def test_l2_svm_matches_the_kkt_conditions(data):
    svm = convex.min_norm_classifier(data.X, data.y, "l2")
    w_min = svm.w / svm.margin  # the unnormalised solution, margin-one constraints
    active = data.y * (data.X @ w_min) < 1 + 1e-6
    # w_min is a non-negative combination of the active y_i x_i
    Z = (data.y[:, None] * data.X)[active]
    coef, *_ = np.linalg.lstsq(Z.T, w_min, rcond=None)
    assert np.allclose(Z.T @ coef, w_min, atol=1e-6) and np.all(coef > -1e-6)


def test_fourier_l1_norm_matches_the_dft():
    w = np.random.default_rng(1).standard_normal(12)
    assert norms.vector_norm(w, "fourier_l1") == pytest.approx(np.abs(np.fft.fft(w)).sum() / np.sqrt(12))
    assert norms.vector_norm(w, "fourier_linf") == pytest.approx(np.abs(np.fft.fft(w)).max() / np.sqrt(12))
    assert norms.dual_norm("l1") == "linf" and norms.dual_norm("fourier_l1") == "fourier_linf"


def test_bias_term_is_used_when_asked():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])  # separable by x0 = 2.5 only, not through the origin
    fitted = convex.max_margin_classifier(X, y, "l2", bias=True)
    assert fitted.margin == pytest.approx(0.5, abs=1e-6) and fitted.b == pytest.approx(-2.5, abs=1e-5)
    with pytest.raises(RuntimeError, match="not separable"):
        convex.max_margin_classifier(X, y, "l2", bias=False)


def test_relu_projection_is_feasible_and_nearest():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, 12))
    y = np.maximum(X @ rng.standard_normal(12), 0)
    w0 = rng.standard_normal(12)
    p = convex.relu_projection(X, y, w0)
    assert np.allclose(np.maximum(X @ p.w, 0), y, atol=1e-6)
    assert p.dist == pytest.approx(np.linalg.norm(p.w - w0))
    # any other zero-loss point (the projection moved along the equality constraints' null space) is farther
    null = np.linalg.svd(X)[2][5:]
    for _ in range(50):
        other = p.w + null.T @ rng.standard_normal(7) * 0.1
        if np.allclose(np.maximum(X @ other, 0), y, atol=1e-9):
            assert np.linalg.norm(other - w0) >= p.dist - 1e-9


def test_bad_input_is_named():
    X, y = np.ones((3, 2)), np.array([1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="norm='l3' is not accepted; use one of 'l1', 'l2'"):
        convex.min_norm_classifier(X, y, "l3")
    with pytest.raises(ValueError, match=r"labels \[0.0, 1.0\] are not accepted"):
        convex.min_norm_classifier(X, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="targets .* are not accepted"):
        convex.relu_projection(X, np.array([-1.0, 0.0, 1.0]), np.zeros(2))


def test_fourier_kkt_residual_detects_stationarity():
    d = 8
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, d))
    teacher = rng.standard_normal(d)
    y = np.sign(X @ teacher)
    l2 = convex.min_norm_classifier(X, y, "l2").w
    f1 = convex.min_norm_classifier(X, y, "fourier_l1").w
    assert convex.fourier_kkt_residual(l2, X, y, depth=1) < 1e-6
    assert convex.fourier_kkt_residual(f1, X, y, depth=2) < 1e-4
    # the exact solution of one problem is not stationary for the other
    assert convex.fourier_kkt_residual(l2, X, y, depth=2) > 1e-2
    assert convex.fourier_kkt_residual(f1, X, y, depth=1) > 1e-2
    with pytest.raises(ValueError, match="depth=0 is not accepted"):
        convex.fourier_kkt_residual(l2, X, y, depth=0)
    with pytest.raises(ValueError, match="misclassifies"):
        convex.fourier_kkt_residual(-l2, X, y, depth=1)


def test_relu_projection_holds_rows_of_very_different_sizes_to_the_tolerance():
    # the same zero-loss set with one row scaled by 1e-40: the projection must not change
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 6))
    y = np.array([1.0, 0.0, 0.0, 2.0])
    w0 = rng.standard_normal(6)
    p = convex.relu_projection(X, y, w0)
    scaled = X.copy()
    scaled[1] *= 1e-40
    assert np.allclose(convex.relu_projection(scaled, y, w0).w, p.w, atol=1e-7)


def test_fourier_stationary_point_bad_depth_is_named():
    X, y = np.ones((3, 4)), np.array([1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="depth=0 is not accepted"):
        convex.fourier_stationary_point(X, y, 0)
