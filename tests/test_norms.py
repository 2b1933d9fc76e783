"""Unit tests for ibbook.norms: norms, duals, and the ball projection / support computed from the ball alone."""
import cvxpy as cp
import numpy as np
import pytest

from ibbook import norms

_ORD = {"l2": 2, "linf": "inf", "l1": 1}


@pytest.mark.parametrize("name", norms.LP_NORMS)
def test_ball_projection_is_the_euclidean_projection(name):
    rng = np.random.default_rng(0)
    for _ in range(20):
        d = int(rng.integers(1, 12))
        v = 2 * rng.standard_normal(d)
        p = norms.ball_projection(v, name, radius=0.7)
        u = cp.Variable(d)
        cp.Problem(cp.Minimize(cp.sum_squares(u - v)), [cp.norm(u, _ORD[name]) <= 0.7]).solve(solver="CLARABEL")
        assert np.allclose(p, u.value, atol=1e-6)
        assert norms.vector_norm(p, name) <= 0.7 + 1e-12
    inside = np.full(4, 0.1)
    assert np.array_equal(norms.ball_projection(inside, name), inside)  # points in the ball stay


def test_ball_projection_of_rows_and_bad_inputs():
    rng = np.random.default_rng(1)
    V = rng.standard_normal((5, 6)) * 3
    P = norms.ball_projection(V, "l1")
    assert P.shape == V.shape
    assert np.allclose([norms.ball_projection(v, "l1") for v in V], P)
    with pytest.raises(ValueError, match="radius=0 is not accepted"):
        norms.ball_projection(V, "l1", radius=0)
    with pytest.raises(ValueError, match="norm='fourier_l1' is not accepted"):
        norms.ball_projection(V, "fourier_l1")
    with pytest.raises(ValueError, match=r"shape \(0,\) is not accepted"):
        norms.ball_projection(np.zeros(0), "l2")


@pytest.mark.parametrize("name", norms.LP_NORMS)
def test_ball_support_reaches_the_dual_norm_without_using_it(name):
    rng = np.random.default_rng(2)
    for _ in range(50):
        d = int(rng.integers(1, 20))
        w = rng.standard_normal(d)
        if rng.random() < 0.3:
            w = np.round(w)  # ties and zeros: the maximiser is not unique
            if not w.any():
                continue
        u, value = norms.ball_support(w, name)
        assert norms.vector_norm(u, name) <= 1 + 1e-12
        assert value == pytest.approx(w @ u, rel=1e-15)
        assert value == pytest.approx(norms.vector_norm(w, norms.dual_norm(name)), rel=1e-12)
    # a generic solver agrees on the value
    w = rng.standard_normal(9)
    u = cp.Variable(9)
    prob = cp.Problem(cp.Maximize(w @ u), [cp.norm(u, _ORD[name]) <= 1])
    prob.solve(solver="CLARABEL")
    assert norms.ball_support(w, name)[1] == pytest.approx(prob.value, rel=1e-6)


def test_ball_support_value_is_not_the_primal_norm():
    # the check of Lemma 2.1 relies on this: the sup over the l-inf ball is ||w||_1, not ||w||_inf
    w = np.array([3.0, -1.0, 2.0])
    assert norms.ball_support(w, "linf")[1] == pytest.approx(6.0)
    assert norms.ball_support(w, "l1")[1] == pytest.approx(3.0)
    assert norms.ball_support(np.zeros(3), "l2") == (pytest.approx(np.zeros(3)), 0.0)
