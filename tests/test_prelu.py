"""Unit tests for ibbook.prelu: the pReLU layer and network, the closed-form classifiers F and
F^(p), their exact radii, the line search, gradient flow and neuron alignment."""
import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from ibbook import prelu
from ibbook.data.synthetic import orthogonal_clusters


def test_p1_is_a_relu_network():
    net = prelu.PReLUNet(6, 5, 1, dtype=torch.float64)
    x = torch.randn(20, 6, dtype=torch.float64)
    ref = torch.relu(x @ net.hidden.weight.T) @ net.v.weight.T
    assert torch.allclose(net(x), ref[:, 0], atol=1e-14)


@pytest.mark.parametrize("p", [1, 2, 3, 4.5])
def test_homogeneity_in_weights_and_inputs(p):
    torch.manual_seed(0)
    net = prelu.PReLUNet(6, 5, p, dtype=torch.float64)
    x = torch.randn(20, 6, dtype=torch.float64)
    f0 = net(x)
    assert torch.allclose(net(3.0 * x), 3.0 ** p * f0, rtol=1e-10)
    with torch.no_grad():
        net.hidden.weight.mul_(2.0)  # each neuron is 1-homogeneous in w_j
    assert torch.allclose(net(x), 2.0 * f0, rtol=1e-10)
    with torch.no_grad():
        net.v.weight.mul_(0.5)
    assert torch.allclose(net(x), f0, rtol=1e-10)


def test_neuron_formula_and_normalised_input():
    net = prelu.PReLUNet(3, 1, 3, dtype=torch.float64)
    w = torch.tensor([[1.0, 2.0, 2.0]], dtype=torch.float64)  # norm 3
    with torch.no_grad():
        net.hidden.weight.copy_(w)
        net.v.weight.fill_(1.0)
    x = torch.tensor([[1.0, 1.0, 0.0], [-1.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(net(x), torch.tensor([27.0 / 9.0, 0.0], dtype=torch.float64))
    layer = prelu.PReLULayer(3, 1, 3, normalize_input=True, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(w)
    assert torch.allclose(layer(2 * x), 2 * layer(x))  # 1-homogeneous in x


def test_mnist_model_subtracts_the_mean_and_gives_logits():
    mean = torch.full((1, 28, 28), 0.5)
    net = prelu.mnist_prelu(3, 16, mean=mean)
    assert net(torch.rand(4, 1, 28, 28)).shape == (4, 10)
    assert torch.allclose(net(mean[None]), net.v.bias[None], atol=1e-6)  # centred zero input
    from ibbook.models import build_model
    assert build_model("prelu_mlp", p=2, width=8).p == 2.0


def test_teachers_and_the_exact_radius_of_F():
    c = orthogonal_clusters(200, 30, 3, 5, alpha=0.05, seed=1)
    F = prelu.relu_teacher(c.mu_pos, c.mu_neg)
    lab = np.where(np.arange(8) < 3, 1.0, -1.0)
    with torch.no_grad():
        assert np.all(np.sign(F(torch.tensor(c.centres)).numpy()) == lab)
        F3 = prelu.prelu_teacher(c.centres, 3, 3)
        assert np.allclose(F3(torch.tensor(c.centres)).numpy(), lab)
    r = prelu.relu_teacher_radius(c.centres, lab, c.mu_pos, c.mu_neg)
    assert np.allclose(r, 1 / np.sqrt(8))
    d0 = prelu.attack_direction(c.mu_pos, c.mu_neg)
    line = prelu.radius_along(F, c.centres, lab, -lab[:, None] * d0, t_max=2.0)
    assert np.allclose(line, 1 / np.sqrt(8), atol=1e-9)
    # noisy points: the exact radius is a lower bound of every line search, attained by one
    X, y = c.X[:50], c.y[:50]
    exact = prelu.relu_teacher_radius(X, y, c.mu_pos, c.mu_neg)
    rng = np.random.default_rng(0)
    dirs = rng.standard_normal((50, 30))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    assert np.all(prelu.radius_along(F, X, y, dirs, t_max=20.0, n_grid=50) >= exact - 1e-9)


def test_centre_radius_of_Fp_matches_a_numerical_minimum():
    for p, k_neg in [(3, 4), (2, 3), (1, 3), (1.5, 4), (4, 2)]:
        closed = prelu.prelu_teacher_centre_radius(p, k_neg)
        # coordinates: own positive centre a (from 1) and the k_neg negatives b (from 0)
        cons = {"type": "eq", "fun": lambda z: np.maximum(z[0], 0) ** p - np.sum(np.maximum(z[1:], 0) ** p)}
        best = min(minimize(lambda z: (1 - z[0]) ** 2 + np.sum(z[1:] ** 2), z0, constraints=[cons],
                            method="SLSQP").fun
                   for z0 in np.random.default_rng(0).uniform(0.05, 1, (20, k_neg + 1)))
        assert abs(np.sqrt(best) - closed) < 1e-4, (p, k_neg)
    assert np.isclose(prelu.prelu_teacher_centre_radius(3, 10), np.sqrt(2) / 2)
    assert np.isclose(prelu.prelu_teacher_centre_radius(1, 3), 0.5)


def test_gradient_flow_aligns_relu_neurons_with_class_averages():
    c = orthogonal_clusters(60, 20, 2, 2, alpha=0.02, seed=0)
    net = prelu.small_init(prelu.PReLUNet(20, 6, 1, dtype=torch.float64), 1e-4, seed=0)
    assert torch.allclose(net.v.weight.abs()[0], net.hidden.weight.norm(dim=1))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    try:
        hist = prelu.fit_gradient_flow(net, c.X, c.y, steps=600, lr=0.5, n_records=5)
    finally:
        torch.set_num_threads(threads)
    assert hist.loss[-1] < 0.1 and hist.steps[-1] == 600 and len(hist.W) == len(hist.steps)
    al = prelu.neuron_alignment(hist.W[-1], hist.v[-1], c.centres, 2)
    own = np.where(al.sign > 0, al.cos_pos, al.cos_neg)
    assert al.weighted(own) > 0.95 and np.isclose(al.weight.sum(), 1.0)


@pytest.mark.parametrize("call,match", [
    (lambda: prelu.PReLUNet(3, 2, 0.5), "p=0.5 is not accepted"),
    (lambda: prelu.PReLUNet(0, 2, 1), "d=0 is not accepted"),
    (lambda: prelu.PReLUNet(3, 2, 1, out=0), "out=0 is not accepted"),
    (lambda: prelu.small_init(prelu.PReLUNet(3, 2, 1), 0.0), "scale=0.0 is not accepted"),
    (lambda: prelu.prelu_teacher(np.eye(3), 3, 3), "k_pos=3 is not accepted"),
    (lambda: prelu.prelu_teacher_centre_radius(3, 0), "k_neg=0 is not accepted"),
    (lambda: prelu.fit_gradient_flow(prelu.PReLUNet(3, 2, 1), np.ones((2, 3)), np.ones(2), steps=5, lr=0.1,
                                     loss="hinge"), "loss='hinge' is not accepted"),
    (lambda: prelu.attack_direction(np.ones(3), np.ones(3)), "mu_pos == mu_neg is not accepted"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_cluster_noise_is_alpha_over_sqrt_d_per_coordinate():
    # noise of norm about alpha whatever d (Min & Vidal's code), not alpha * sqrt(d)
    for d in (50, 800):
        c = orthogonal_clusters(400, d, 2, 2, alpha=0.3, seed=0)
        noise = c.X - c.centres[c.k]
        assert abs(np.linalg.norm(noise, axis=1).mean() - 0.3) < 0.02
        assert abs(noise.std() - 0.3 / np.sqrt(d)) < 0.05 * 0.3 / np.sqrt(d)


def test_step_size_grows_with_K_and_the_guard_stops_a_loss_increase():
    assert prelu.flow_lr(32, 0.125) == 4.0 and prelu.flow_lr(4, 0.125) == 0.5
    c = orthogonal_clusters(80, 20, 2, 2, alpha=0.05, seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        def run(guard):
            net = prelu.small_init(prelu.PReLUNet(20, 8, 1, dtype=torch.float64), 1e-4, seed=0)
            return prelu.fit_gradient_flow(net, c.X, c.y, steps=300, lr=400.0, n_records=300, guard=guard)
        guarded = run(True)
        assert guarded.halvings > 0 and guarded.lr < 400.0
        assert np.all(np.diff(guarded.loss) <= 1e-12)  # never uphill
        try:  # without the guard the same step goes uphill (or diverges)
            unguarded = run(False)
            assert unguarded.halvings == 0 and np.any(np.diff(unguarded.loss) > 1e-6)
        except FloatingPointError:
            pass
    finally:
        torch.set_num_threads(threads)


def test_certified_radius_of_Fp_is_a_lower_bound_and_exact_at_the_centres():
    K, k_pos = 6, 3
    c = orthogonal_clusters(120, 12, k_pos, K - k_pos, alpha=0.5, seed=2)
    lab = np.where(np.arange(K) < k_pos, 1.0, -1.0)
    assert np.allclose(prelu.prelu_teacher_radius_bound(c.centres, lab, c.centres, k_pos, 3), np.sqrt(2) / 2)
    for p in (2, 3, 4):
        F = prelu.prelu_teacher(c.centres, k_pos, p)
        bound = prelu.prelu_teacher_radius_bound(c.X, c.y, c.centres, k_pos, p)
        # every flip found along many directions (random ones and toward each wrong-class
        # centre) lies at least as far as the bound; the bound is not vacuous either
        rng = np.random.default_rng(p)
        found = np.full(len(c.X), np.inf)
        dirs = [rng.standard_normal(12) for _ in range(20)] + [m for m in c.centres]
        for dvec in dirs:
            dvec = np.broadcast_to(dvec / np.linalg.norm(dvec), c.X.shape)
            for sgn in (1, -1):
                found = np.minimum(found, prelu.radius_along(F, c.X, c.y, sgn * dvec, t_max=3.0, n_grid=60))
        with torch.no_grad():
            ok = np.sign(F(torch.tensor(c.X)).numpy()) == c.y
        assert np.all(found[ok] >= bound[ok] - 1e-9), p
        assert np.median(bound[ok]) > 0.4 and np.all(bound[~ok] == 0)
    # a wrong formula (e.g. forgetting the 1/sqrt(2)) would exceed a flip found by the line search
    F3 = prelu.prelu_teacher(c.centres, k_pos, 3)
    mid_dir = np.broadcast_to(c.centres[k_pos] - c.centres[0], (1, 12)) / np.sqrt(2)
    at_centre = prelu.radius_along(F3, c.centres[:1], lab[:1], mid_dir, t_max=2.0)
    assert at_centre[0] < np.sqrt(2) * prelu.prelu_teacher_radius_bound(c.centres[:1], lab[:1], c.centres,
                                                                         k_pos, 3)[0]


def test_cost_count_is_4nDh_per_gradient_step_plus_the_attacks():
    from ibbook import reproduce
    s = {"ks": (4,), "alphas": (0.1,), "ps": (1,), "gf_steps": 10, "n_per_k": 2, "width_per_k": 3, "dim": 5,
         "mnist_steps": 0, "mnist_seeds": 1, "mnist_ps": (1,), "mnist_width": 7,
         "n_test": 0, "ddn_steps": 9, "n_attack": 0, "apgd_steps": 11}
    per_run = lambda K: 10 * 4 * (2 * K) * (3 * K) * 5
    # the sweep's one run, the poster's 12 runs at K = 10, the precision check's one run
    assert reproduce._prelu_flops(s) == per_run(4) + 12 * per_run(10) + per_run(4)
    s2 = {**s, "mnist_steps": 3}
    assert reproduce._prelu_flops(s2) - reproduce._prelu_flops(s) == 3 * 1000 * 6 * 784 * 7
    # attacks: DDN (6 D h per step) and two line searches (240 forward passes of 2 D h) per
    # test point of every trained net (14 nets); APGD on MNIST, 4 budgets
    s3 = {**s, "n_test": 2}
    attack = lambda K: 2 * 5 * 3 * K * (6 * 9 + 2 * 2 * 240)
    assert reproduce._prelu_flops(s3) - reproduce._prelu_flops(s) == 2 * attack(4) + 12 * attack(10)
    s4 = {**s, "n_attack": 5}
    assert reproduce._prelu_flops(s4) - reproduce._prelu_flops(s) == 5 * 11 * 4 * 6 * 784 * 7


@pytest.mark.parametrize("call,match", [
    (lambda: prelu.flow_lr(0, 0.1), "K=0 is not accepted"),
    (lambda: prelu.flow_lr(4, -1.0), "lr_per_k=-1.0 is not accepted"),
    (lambda: prelu.prelu_teacher_radius_bound(np.eye(4), np.ones(4), np.eye(4), 2, 1.5),
     "p=1.5 is not accepted; the bound needs p >= 2"),
    (lambda: prelu.prelu_teacher_radius_bound(np.eye(4), np.zeros(4), np.eye(4), 2, 3),
     r"labels \[0.0\] are not accepted"),
    (lambda: prelu.fit_gradient_flow(prelu.PReLUNet(3, 2, 1), np.ones((2, 3)), np.ones(3), steps=5, lr=0.1),
     r"X \(2, 3\), y \(3,\) are not accepted"),
])
def test_new_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_disagreement_probes_are_where_the_teachers_differ():
    from ibbook.data.synthetic import orthogonal_clusters
    c = orthogonal_clusters(8, 20, 2, 2, alpha=0.0, seed=3)
    P, sF = prelu.disagreement_probes(c.centres, 2, 50, np.random.default_rng(0))
    assert P.shape == (50, 20) and set(np.unique(sF)) <= {-1.0, 1.0}
    with torch.no_grad():
        a = np.sign(prelu.relu_teacher(c.mu_pos, c.mu_neg)(torch.as_tensor(P)).numpy())
        b = np.sign(prelu.prelu_teacher(c.centres, 2, 3)(torch.as_tensor(P)).numpy())
    assert (a == sF).all() and (b == -sF).all()
    # the two classifiers never disagree when they are the same classifier (p = 1)
    with pytest.raises(ValueError, match="n=5 disagreement probes were asked for, but 2 batches"):
        prelu.disagreement_probes(c.centres, 2, 5, np.random.default_rng(0), p=1.0,
                                  batch=64, max_batches=2)


def test_opposite_centre_direction_reaches_the_prelu_boundary_at_the_midpoint():
    from ibbook.data.synthetic import orthogonal_clusters
    c = orthogonal_clusters(8, 20, 2, 2, alpha=0.0, seed=3)
    lab = np.array([1.0, 1.0, -1.0, -1.0])
    d = prelu.opposite_centre_directions(c.centres, lab, c.centres, 2)
    assert np.allclose(np.linalg.norm(d, axis=1), 1)
    # each centre heads for a centre of the other class
    tgt = c.centres + np.sqrt(2) * d
    assert all(np.isclose(np.abs(tgt[i] @ c.centres.T).max(), 1) for i in range(4))
    assert all((tgt[i] @ c.centres[:2].T).max() < 0.5 for i in (0, 1))
    F3 = prelu.prelu_teacher(c.centres, 2, 3)
    r = prelu.radius_along(F3, c.centres, lab, d, t_max=2.0)
    assert np.allclose(r, np.sqrt(2) / 2, atol=1e-9)  # the exact radius of F^(3) at a centre
    with pytest.raises(ValueError, match="labels"):
        prelu.opposite_centre_directions(c.centres, np.array([1, 0, 1, 1.0]), c.centres, 2)


def test_run_intervals_one_record_per_run_and_names_a_missing_column():
    import pandas as pd

    runs = pd.DataFrame({"K": [4, 8], "alpha": [0.05, 0.3], "m": [0.7, 0.8], "lo": [0.6, 0.75],
                         "hi": [0.72, 0.9]})
    got = prelu.run_intervals(runs, "m", "lo", "hi")
    assert got == [{"K": 4, "alpha": 0.05, "estimate": 0.7, "lo": 0.6, "hi": 0.72},
                   {"K": 8, "alpha": 0.3, "estimate": 0.8, "lo": 0.75, "hi": 0.9}]
    with pytest.raises(KeyError, match="'up'"):
        prelu.run_intervals(runs, "m", "lo", "up")
