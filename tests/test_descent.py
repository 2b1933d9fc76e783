"""Steepest descent on linear classifiers: directions, convergence to the max margin, bad input."""
import numpy as np
import pytest

from ibbook import convex, descent
from ibbook.data.synthetic import separable_gaussians


@pytest.fixture(scope="module")
def data():
    return separable_gaussians(30, 6, margin=0.3, seed=5)


@pytest.mark.parametrize("loss", descent.LOSSES)
def test_gradients_match_finite_differences(data, loss):
    Z = data.y[:, None] * data.X
    w = np.random.default_rng(0).standard_normal(6) * 0.3
    value, g = descent.loss_and_grad(w, Z, loss)
    e = np.eye(6) * 1e-6
    fd = [(descent.loss_and_grad(w + e[j], Z, loss)[0] - descent.loss_and_grad(w - e[j], Z, loss)[0]) / 2e-6
          for j in range(6)]
    assert np.allclose(g, fd, atol=1e-7)
    log_value, log_g = descent.log_exp_loss_grad(w, Z)
    exp_value, exp_g = descent.loss_and_grad(w, Z, "exp")
    assert log_value == pytest.approx(np.log(exp_value)) and np.allclose(log_g, exp_g / exp_value)


def test_steepest_steps_are_the_dual_norm_maximisers():
    g = np.array([0.5, -2.0, 1.0])
    assert np.allclose(descent.steepest_step(g, "l2"), -g)
    assert np.allclose(descent.steepest_step(g, "linf"), -3.5 * np.sign(g))
    assert np.allclose(descent.steepest_step(g, "l1"), [0.0, 2.0, 0.0])
    for geometry in descent.GEOMETRIES:  # <step, -g> equals ||g||_*^2 for each geometry
        dual = {"l2": 2, "linf": 1, "l1": np.inf}[geometry]
        assert -descent.steepest_step(g, geometry) @ g == pytest.approx(np.linalg.norm(g, dual) ** 2)


@pytest.mark.parametrize("geometry", descent.GEOMETRIES)
def test_margins_approach_the_max_margin_of_each_geometry(data, geometry):
    run = descent.steepest_descent(data.X, data.y, geometry=geometry, lr=0.2, steps=4000, normalised=True)
    best = convex.max_margin_classifier(data.X, data.y, geometry).margin
    got = convex.margin(run.w[-1], data.X, data.y, geometry)
    assert 0.9 * best < got <= best + 1e-9


def test_gd_direction_converges_to_the_svm(data):
    svm = convex.min_norm_classifier(data.X, data.y, "l2")
    run = descent.steepest_descent(data.X, data.y, lr=0.5, steps=3000, normalised=True)
    angles = descent.angle_to(run.w[1:], svm.w)
    assert angles[-1] < np.radians(0.5) and angles[-1] < angles[len(angles) // 2]
    plain = descent.steepest_descent(data.X, data.y, loss="logistic", lr=1.0, steps=3000)
    assert plain.steps[0] == 0 and plain.steps[-1] == 3000 and np.all(np.diff(plain.loss) <= 1e-12)


def test_bad_input_is_named(data):
    with pytest.raises(ValueError, match="geometry='l3' is not accepted"):
        descent.steepest_descent(data.X, data.y, geometry="l3")
    with pytest.raises(ValueError, match="normalised=True with loss='logistic' is not accepted"):
        descent.steepest_descent(data.X, data.y, loss="logistic", normalised=True)
    with pytest.raises(ValueError, match="steps=0"):
        descent.steepest_descent(data.X, data.y, steps=0)


def _relu_instances(B, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, 6, 15)) / np.sqrt(15)
    wt = rng.standard_normal((B, 15))
    y = np.maximum(np.einsum("bnd,bd->bn", X, wt), 0)
    return X, y, wt + 0.5 * rng.standard_normal((B, 15))


def test_relu_neuron_gradient_matches_finite_differences_and_gd_satisfies_theorem():
    X, y, w0 = _relu_instances(20)
    h = 1e-6
    e = np.zeros(15)
    e[3] = h
    fd = (descent.relu_neuron_loss(X, y, w0 + e) - descent.relu_neuron_loss(X, y, w0 - e)) / (2 * h)
    assert np.allclose(fd, descent.relu_neuron_grad(X, y, w0)[:, 3], atol=1e-6)
    w = descent.relu_neuron_gd(X, y, w0, lr=0.1, steps=4000)
    fitted = descent.relu_neuron_loss(X, y, w) < 1e-12
    assert fitted.sum() >= 5
    for b in np.flatnonzero(fitted):
        dist = convex.relu_projection(X[b], y[b], w0[b]).dist
        assert np.linalg.norm(w[b] - w0[b]) <= 2 * dist + 1e-9
    b = int(np.flatnonzero(fitted)[0])
    flow = descent.relu_neuron_flow(X[b], y[b], w0[b], t_end=400.0)
    assert np.linalg.norm(flow - w[b]) < 1e-2 * np.linalg.norm(w[b] - w0[b])


def test_relu_neuron_inputs_are_validated():
    X, y, w0 = _relu_instances(2)
    with pytest.raises(ValueError, match="are not accepted"):
        descent.relu_neuron_loss(X, y[:, :3], w0)
    with pytest.raises(ValueError, match="lr=0"):
        descent.relu_neuron_gd(X, y, w0, lr=0, steps=3)
    with pytest.raises(ValueError, match="a batch of 2 instances"):
        descent.relu_neuron_flow(X, y, w0, 1.0)


def test_flow_path_starts_at_w0_and_ends_at_the_flow():
    X, y, w0 = _relu_instances(1)
    t, path = descent.relu_neuron_flow_path(X[0], y[0], w0[0], 5.0)
    assert t[0] == 0 and t[-1] == pytest.approx(5.0) and path.shape == (len(t), 15)
    assert np.array_equal(path[0], w0[0])
    assert np.array_equal(path[-1], descent.relu_neuron_flow(X[0], y[0], w0[0], 5.0))


def test_watched_run_validates_its_input():
    X, y, w0 = _relu_instances(2)
    with pytest.raises(ValueError, match="steps=0"):
        descent.relu_neuron_gd_watched(X, y, w0, w0, lr=0.1, steps=0)
    with pytest.raises(ValueError, match="w_ref of shape \\(2, 3\\) is not accepted"):
        descent.relu_neuron_gd_watched(X, y, w0, w0[:, :3], lr=0.1, steps=1)
