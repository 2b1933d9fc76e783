"""Unit tests for ibbook.attacks: closed-form attacks, DeepFool, Fourier attack, noise bounds."""
import numpy as np
import pytest
import torch

from ibbook import attacks, convex, norms
from ibbook.data.synthetic import separable_gaussians


@pytest.fixture
def lin():
    rng = np.random.default_rng(0)
    return rng.standard_normal(7), 0.3, rng.standard_normal(7)


def test_constraint_set_matches_argmax():
    rng = np.random.default_rng(1)
    W, w0 = rng.standard_normal((4, 2)), rng.standard_normal(4)
    pts = rng.uniform(-3, 3, (2000, 2))
    for t in range(4):
        A, b = attacks.constraint_set(W, w0, t)
        assert A.shape == (2, 3) and b.shape == (3,)
        inside = np.all(pts @ A <= b, axis=1)
        assert np.array_equal(inside, np.argmax(pts @ W.T + w0, 1) == t)
    # the lecture's figure caption sign (b_i = w_i0 - w_t0) would be wrong
    A, b = attacks.constraint_set(W, w0, 0)
    assert not np.array_equal(np.all(pts @ A <= -b, axis=1), np.argmax(pts @ W.T + w0, 1) == 0)
    with pytest.raises(ValueError, match="t=7 is not accepted"):
        attacks.constraint_set(W, w0, 7)


@pytest.mark.parametrize("norm", ["l2", "linf", "l1"])
def test_min_norm_attack_lands_on_boundary_at_dual_distance(lin, norm):
    w, w0, x0 = lin
    xs = attacks.min_norm_attack(w, w0, x0, norm)
    assert abs(w @ xs + w0) < 1e-12
    dist = norms.vector_norm(xs - x0, norm)
    assert dist == pytest.approx(abs(w @ x0 + w0) / norms.vector_norm(w, norms.DUALS[norm]))
    # any other boundary point is at least as far: random boundary points
    rng = np.random.default_rng(2)
    for _ in range(200):
        z = x0 + rng.standard_normal(7)
        z -= (w @ z + w0) / (w @ w) * w
        assert norms.vector_norm(z - x0, norm) >= dist - 1e-12


def test_theorem2_formula(lin):
    w, w0, x0 = lin
    expected = x0 - (w @ x0 + w0) / (w @ w) * w
    assert np.allclose(attacks.min_norm_attack(w, w0, x0, "l2"), expected)


@pytest.mark.parametrize("norm", ["l2", "linf", "l1"])
def test_max_allowable_attack_is_worst_case(lin, norm):
    w, _, x0 = lin
    eta = 0.4
    xa = attacks.max_allowable_attack(w, x0, eta, norm, y=1.0)
    assert norms.vector_norm(xa - x0, norm) == pytest.approx(eta)
    drop = w @ (x0 - xa)
    assert drop == pytest.approx(eta * norms.vector_norm(w, norms.DUALS[norm]))
    rng = np.random.default_rng(3)
    r = rng.standard_normal((500, 7))
    r *= eta / norms.vector_norm(r, norm)[:, None]
    assert np.all(-(r @ w) <= drop + 1e-12)


def test_linf_attack_is_fgsm_sign_step(lin):
    w, _, x0 = lin
    assert np.array_equal(attacks.max_allowable_attack(w, x0, 0.1, "linf", y=-1.0), x0 + 0.1 * np.sign(w))


def test_regularization_attack_is_stationary(lin):
    w, w0, x0 = lin
    x = attacks.regularization_attack(w, x0, 0.7)
    assert np.allclose((x - x0) + 0.7 * w, 0)
    with pytest.raises(ValueError, match="lam=0"):
        attacks.regularization_attack(w, x0, 0)


def test_bad_inputs_name_the_value(lin):
    w, w0, x0 = lin
    with pytest.raises(ValueError, match="norm='l3' is not accepted"):
        attacks.min_norm_attack(w, w0, x0, "l3")
    with pytest.raises(ValueError, match="eta=-1"):
        attacks.max_allowable_attack(w, x0, -1)
    with pytest.raises(ValueError, match="shape"):
        norms.dual_maximiser(np.ones((2, 2)), "l2")
    with pytest.raises(ValueError, match="bound=0"):
        attacks.foolbox_model(attacks.linear_module(w), 0)


def test_robust_radius_equals_margin_of_max_margin_classifier():
    data = separable_gaussians(20, 5, margin=0.2, seed=3)
    for p in norms.LP_NORMS:
        c = convex.max_margin_classifier(data.X, data.y, norms.DUALS[p])
        r = attacks.robust_radius(c.w, data.X, data.y, p)
        assert r.min() == pytest.approx(c.margin, rel=1e-6)


@pytest.mark.parametrize("norm", ["l2", "linf", "l1"])
def test_maximally_robust_classifier_matches_max_margin(norm):
    data = separable_gaussians(15, 4, margin=0.3, seed=5)
    rob = attacks.maximally_robust_classifier(data.X, data.y, norm)
    mm = convex.max_margin_classifier(data.X, data.y, norms.DUALS[norm], bias=True)
    assert rob.radius == pytest.approx(mm.margin, rel=1e-5)
    r = attacks.robust_radius(rob.w, data.X, data.y, norm, rob.b)
    assert r.min() >= rob.radius * (1 - 1e-6)
    # a wrong pairing (same norm instead of dual) gives a different value for l1/linf
    if norm != "l2":
        wrong = convex.max_margin_classifier(data.X, data.y, norm, bias=True)
        assert abs(wrong.margin - rob.radius) > 1e-3 * rob.radius


def test_fourier_linf_attack_attains_dual_norm():
    rng = np.random.default_rng(4)
    for d in (5, 8, 13):
        w = rng.standard_normal(d)
        delta = attacks.fourier_linf_attack(w, 2.0)
        assert delta.dtype == float
        assert np.abs(np.fft.fft(delta, norm="ortho")).max() == pytest.approx(2.0)
        assert w @ delta == pytest.approx(2.0 * np.abs(np.fft.fft(w, norm="ortho")).sum())
    assert np.allclose(attacks.robust_radius(w, w[None], [1.0], "fourier_linf"),
                       w @ w / np.abs(np.fft.fft(w, norm="ortho")).sum())


def test_deepfool_linear_one_step_and_foolbox_conventions(lin):
    w, w0, x0 = lin
    wt = torch.tensor(w)
    res = attacks.deepfool_two_class(lambda x: x @ wt + w0, x0, steps=10)
    # one step lands on the boundary; rounding decides the side, so at most one more step
    assert abs(res.g[1]) < 1e-12 and res.iterations <= 2
    assert np.allclose(res.x, attacks.min_norm_attack(w, w0, x0, "l2"))
    res2 = attacks.deepfool_two_class(lambda x: x @ wt + w0, x0, overshoot=0.02, extra=1e-4)
    assert res2.success and np.sign(w @ res2.x + w0) != np.sign(w @ x0 + w0)
    exact = abs(w @ x0 + w0) / np.linalg.norm(w)
    assert np.linalg.norm(res2.x - x0) == pytest.approx(1.02 * (exact + 1e-4))
    with pytest.raises(ValueError, match="steps=0"):
        attacks.deepfool_two_class(lambda x: x @ wt, x0, steps=0)


def test_foolbox_wrapper_deepfool_on_linear_model(lin):
    fb = attacks.foolbox()
    w, w0, x0 = lin
    fm = attacks.foolbox_model(attacks.linear_module(w, w0), 100.0)
    adv, ok = attacks.foolbox_attack(fm, fb.attacks.L2DeepFoolAttack(overshoot=0.0), x0[None],
                                     [int(w @ x0 + w0 > 0)])
    assert ok.all()
    exact = abs(w @ x0 + w0) / np.linalg.norm(w)
    assert np.linalg.norm(adv[0] - x0) == pytest.approx(exact + 1e-4, abs=1e-7)
    with pytest.raises(ValueError, match="labels"):
        attacks.foolbox_attack(fm, fb.attacks.L2DeepFoolAttack(), x0[None], [2])


def test_noise_mc_matches_erfc_and_feller_bound_detects_wrong_bound():
    rng = np.random.default_rng(5)
    n, d, eps = 200_000, 16, 0.3
    k = attacks.noise_success_mc(np.ones(d), eps, n, rng)
    p = float(attacks.erfc_prediction(d, eps))
    assert abs(k / n - p) < 5 * np.sqrt(p * (1 - p) / n)
    bound = attacks.feller_bound(np.ones(d), eps)
    assert attacks.binomial_lower(k, n) <= bound
    assert attacks.binomial_lower(k, n) > bound / 2  # a halved "bound" is refuted
    assert attacks.binomial_lower(0, 10) == 0.0 and attacks.binomial_upper(10, 10) == 1.0
    assert attacks.binomial_lower(5, 100) < 0.05 < attacks.binomial_upper(5, 100)
    with pytest.raises(ValueError, match="eps=0"):
        attacks.feller_bound(np.ones(3), 0)
    with pytest.raises(ValueError, match="k=5, n=3"):
        attacks.binomial_lower(5, 3)


def test_robust_accuracy_with_apgd_on_a_tiny_linear_classifier():
    torch.manual_seed(0)
    x = torch.rand(40, 1, 4, 4)
    y = (x.flatten(1).mean(1) > 0.5).long()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.stack([-torch.ones(16), torch.ones(16)]) / 16)
        model[1].bias.copy_(torch.tensor([0.5, -0.5]))
    clean = attacks.robust_accuracy(model, x, y, norm="Linf", eps=0.0)
    assert clean == 1.0
    # the margin |mean - 0.5| of every image is below 0.5, so an l-inf attack of 0.5 breaks all
    assert attacks.robust_accuracy(model, x, y, norm="Linf", eps=0.5, steps=10) == 0.0
    weak = attacks.robust_accuracy(model, x, y, norm="L2", eps=0.01, steps=10)
    assert 0.0 < weak <= 1.0
    # per image: the robust images (a small l2 attack breaks exactly those with a tiny margin)
    each = attacks.robust_accuracy(model, x, y, norm="L2", eps=0.01, steps=10, per_image=True,
                                   batch_size=7)
    assert each.shape == (40,) and each.dtype == bool and each.mean() == weak
    margin = (x.flatten(1).mean(1) - 0.5).abs().numpy()
    assert (margin[~each] < margin[each].min()).all()
    # the gradient-free Square attack breaks every image at 0.5 too
    assert attacks.robust_accuracy(model, x, y, norm="Linf", eps=0.5, steps=50, attack="square") == 0.0
    with pytest.raises(ValueError, match="norm='L1' is not accepted"):
        attacks.robust_accuracy(model, x, y, norm="L1", eps=0.1)
    with pytest.raises(ValueError, match="attack='fgsm' is not accepted"):
        attacks.robust_accuracy(model, x, y, norm="L2", eps=0.1, attack="fgsm")


# ------------------------------------------------------------------ image attacks: FMN, failures, checks

def linear_three_class(n=50, d=20, seed=0):
    """A 3-class linear model on 1x4x5 'images' in [0.25, 0.75], their predicted labels and the exact
    minimal l2 perturbation that leaves the class: min over k != y of (f_y - f_k) / ||w_y - w_k||."""
    g = torch.Generator().manual_seed(seed)
    W, b = 2 * torch.randn(3, d, generator=g), 0.2 * torch.randn(3, generator=g)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(d, 3)).eval()
    with torch.no_grad():
        model[1].weight.copy_(W)
        model[1].bias.copy_(b)
    x = 0.25 + 0.5 * torch.rand(n, 1, 4, 5, generator=g)
    f = x.flatten(1).double() @ W.double().T + b.double()
    y = f.argmax(1)
    gaps = (f.gather(1, y[:, None]) - f) / (W.double()[y][:, None, :] - W.double()[None]).norm(dim=2)
    gaps[torch.arange(n), y] = float("inf")
    exact, k = gaps.min(1)
    step = W.double()[y] - W.double()[k]
    x_star = x.flatten(1).double() - exact[:, None] * step / step.norm(dim=1, keepdim=True)
    assert x_star.min() > 0 and x_star.max() < 1  # the minimal points lie inside the box [0, 1]
    return model, x, y, exact


@pytest.mark.parametrize("steps", [10, 100])  # 1000 steps: the same (about 23 s)
def test_l2_fmn_reaches_the_exact_minimum_on_a_multiclass_linear_model(steps):
    model, x, y, exact = linear_three_class()
    res = attacks.attack_images(model, x, y, attacks.image_attack("l2_fmn", steps=steps), eps=None,
                                progress=False)
    assert res.success.all() and res.failures == {}
    ratio = res.norms(2).double() / exact
    assert ratio.min() > 1 - 1e-4 and ratio.max() < 1.01  # DeepFool (overshoot 0.02): about 1.02
    # foolbox 3.3.4's own l2 FMN never projects: adversarial, but far from minimal
    old = attacks.attack_images(model, x, y, attacks.image_attack("l2_fmn_foolbox", steps=steps), eps=None,
                                progress=False)
    ratio = old.norms(2).double() / exact
    assert old.success.all() and ratio.min() > 1.5 and ratio.median() > 3


def test_l2_fmn_projection_shrinks_onto_the_ball_and_slack_is_checked():
    import eagerpy as ep
    atk = attacks.image_attack("l2_fmn")
    x0 = ep.astensor(torch.zeros(2, 3))
    x = ep.astensor(torch.tensor([[3.0, 4.0, 0.0], [0.3, 0.4, 0.0]]))
    out = atk.project(x, x0, ep.astensor(torch.tensor([1.0, 1.0]))).raw
    assert torch.allclose(out, torch.tensor([[0.6, 0.8, 0.0], [0.3, 0.4, 0.0]]) * torch.tensor([[1 + 1e-4], [1.0]]))
    with pytest.raises(ValueError, match="radius_slack=0.5 is not accepted; use 0 <= radius_slack <= 0.01"):
        attacks.image_attack("l2_fmn", radius_slack=0.5)


def tie_model():
    """f_0 = <(1, 1, 1, 1), x> - 2 + 2^-6, f_1 = 0: at x = 0.5 the minimal step lands exactly on f_0 = f_1
    in float32 (a tie, which argmax gives to class 0)."""
    model = torch.nn.Linear(4, 2).eval()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 1, 1, 1], [0, 0, 0, 0]]))
        model.bias.copy_(torch.tensor([-2 + 2**-6, 0.0]))
    x = torch.tensor([[0.5] * 4, [0.25] * 4])  # the second is misclassified (f_0 < 0)
    return model, x, torch.tensor([0, 0])


@pytest.mark.parametrize("steps", [10, 100])
def test_fmn_failures_are_listed_with_their_reason(steps):
    model, x, y = tie_model()
    # foolbox's linf FMN lands on the tie, where its epsilon update stops growing: nothing found
    res = attacks.attack_images(model, x, y, attacks.image_attack("linf_fmn", steps=steps), eps=None,
                                progress=False)
    assert res.success.tolist() == [False, False]
    assert res.failures == {
        0: "no misclassified point found: the attack returned the clean image (none of its iterates was "
           "misclassified); clean logit margin 0.0156",
        1: "misclassified before the attack"}
    # the corrected l2 FMN crosses the tie thanks to its radius slack (without it, it fails the same way)
    fixed = attacks.attack_images(model, x, y, attacks.image_attack("l2_fmn", steps=steps), eps=None,
                                  progress=False)
    assert fixed.success.tolist() == [True, False] and list(fixed.failures) == [1]
    assert float(fixed.norms(2)[0]) == pytest.approx(2**-7, rel=1e-3)  # exact: 2^-6 / ||(1, 1, 1, 1)||
    no_slack = attacks.attack_images(model, x, y, attacks.image_attack("l2_fmn", steps=steps, radius_slack=0.0),
                                     eps=None, progress=False)
    assert not no_slack.success[0] and 0 in no_slack.failures
    pgd = attacks.attack_images(model, x, y, "linf_pgd", eps=0.001, progress=False)
    assert pgd.failures[0] == "no misclassified point within eps=0.001; clean logit margin 0.0156"


def test_robust_accuracy_checks_n_classes_against_the_model(monkeypatch):
    x = torch.rand(6, 1, 2, 2)
    for k in (2, 3):
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, k))
        y = torch.zeros(6, dtype=torch.long)
        with pytest.raises(ValueError, match=rf"attack='autoattack' is not accepted for a model with {k} classes: "
                                             r"AutoAttack needs at least 4 .*; use attack='apgd-ce'"):
            attacks.robust_accuracy(model, x, y, norm="Linf", eps=8 / 255, attack="autoattack", n_classes=k)
        with pytest.raises(ValueError, match=rf"n_classes=10 is not accepted: the model outputs {k} logits; "
                                             rf"use n_classes={k} or None"):
            attacks.robust_accuracy(model, x, y, norm="Linf", eps=8 / 255, n_classes=10)
    # 4 classes are enough for the real AutoAttack: class = largest pixel, which a budget of 0.5 always flips
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 4, bias=False)).eval()
    with torch.no_grad():
        model[1].weight.copy_(10 * torch.eye(4))
    y = x.flatten(1).argmax(1)
    assert attacks.robust_accuracy(model, x, y, norm="Linf", eps=0.5, attack="autoattack", n_classes=4) == 0.0
    # None (the default) reads the width; AutoAttack gets it
    import torchattacks
    seen = []

    class FakeAutoAttack:
        def __init__(self, model, **kw):
            seen.append(kw["n_classes"])

        def __call__(self, xb, yb):
            return xb

    monkeypatch.setattr(torchattacks, "AutoAttack", FakeAutoAttack)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 10))
    attacks.robust_accuracy(model, x, torch.zeros(6, dtype=torch.long), norm="L2", eps=0.1, attack="autoattack")
    assert seen == [10]


def test_image_attacks_reject_inputs_outside_the_unit_box():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    x = torch.tensor([[0.0, 17.0, 255.0, 3.0]]).view(1, 1, 2, 2).repeat(4, 1, 1, 1)
    y = torch.zeros(4, dtype=torch.long)
    msg = r"x has values from 0 to 255; the image attacks need values in \[0, 1\]"
    with pytest.raises(ValueError, match=msg):
        attacks.robust_accuracy(model, x, y, norm="Linf", eps=8 / 255)
    with pytest.raises(ValueError, match=msg):
        attacks.robust_accuracy(model, x, y, norm="Linf", eps=0.0)
    with pytest.raises(ValueError, match=msg):
        attacks.attack_images(model, x, y, "linf_pgd", eps=8 / 255, progress=False)
    with pytest.raises(ValueError, match=r"x has values from -0.5 to 0.5; .*\[0, 1\]"):
        attacks.attack_images(model, x / 255 - 0.5, y, "l2_fmn", eps=None, progress=False)
    with pytest.raises(ValueError, match=r"x has values from nan to nan"):
        attacks.attack_images(model, torch.full_like(x, float("nan")), y, "l2_deepfool", eps=None, progress=False)
