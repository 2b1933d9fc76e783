"""TwoNN and the Id correlation test: known dimensions, agreement with dadapy, the test's verdicts."""
import numpy as np
import pytest
import torch

from ibbook import intrinsic_dim
from ibbook import intrinsic_dim as I


def embedded_gaussian(n=1500, d=5, ambient=100, seed=0):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((ambient, d)))[0]
    return rng.standard_normal((n, d)) @ basis.T


@pytest.mark.parametrize("d", [2, 5])
def test_two_nn_finds_the_dimension_of_an_embedded_gaussian(d):
    x = embedded_gaussian(d=d)
    assert I.two_nn_id(x) == pytest.approx(d, rel=0.1)


def test_two_nn_equals_dadapy():
    x = embedded_gaussian(n=800, d=7, ambient=40, seed=3)
    for frac in (0.9, 1.0):
        assert I.two_nn_id(x, frac) == pytest.approx(I.dadapy_two_nn(x, frac), rel=1e-9)
    assert I.two_nn_id(x, algorithm="ml") == pytest.approx(I.dadapy_two_nn(x, algorithm="ml"), rel=1e-9)


def test_fast_test_equals_the_dadapy_loop_shuffle_by_shuffle():
    rng = np.random.default_rng(1)
    a = rng.random((400, 30))
    b = np.sin(3 * a) + 0.1 * rng.standard_normal((400, 30))
    perms = I.shuffle_permutations(400, 5, seed=2)
    fast = I.id_correlation_test(a, b, permutations=perms)
    ref = I.id_correlation_test_dadapy(a, b, permutations=perms)
    assert fast.id == pytest.approx(ref.id, rel=1e-9)
    np.testing.assert_allclose(fast.shuffled, ref.shuffled, rtol=1e-9)


def test_rows_the_float32_pass_cannot_decide_are_redone_exactly(monkeypatch):
    # With only two candidates almost every row is "unsure" and recomputed in float64.
    monkeypatch.setattr(I, "CANDIDATES", 2)
    rng = np.random.default_rng(4)
    a, b = rng.random((300, 8)), rng.random((300, 8))
    perms = I.shuffle_permutations(300, 3, seed=0)
    fast = I.id_correlation_test(a, b, permutations=perms)
    ref = I.id_correlation_test_dadapy(a, b, permutations=perms)
    np.testing.assert_allclose(np.r_[fast.id, fast.shuffled], np.r_[ref.id, ref.shuffled], rtol=1e-9)


def test_the_test_detects_a_spiral_and_not_independent_data():
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 4 * np.pi, 1000)
    spiral = I.id_correlation_test((t * np.cos(t))[:, None], (t * np.sin(t))[:, None], n_shuffles=20)
    assert spiral.id < 1.3 and spiral.shuffled_mean > 1.7
    assert spiral.p_value < 1e-6 and spiral.p_permutation == pytest.approx(1 / 21)
    indep = I.id_correlation_test(rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2)), n_shuffles=20)
    # Under independence the Id is one more draw from the shuffled distribution (z is about N(0, 1)).
    assert abs(indep.z) < 3 and indep.shuffled_mean == pytest.approx(4, rel=0.15)


def test_bad_inputs_are_named():
    x = embedded_gaussian(n=50)
    with pytest.raises(ValueError, match="mu_fraction=1.5"):
        I.two_nn_id(x, mu_fraction=1.5)
    with pytest.raises(ValueError, match="algorithm='fit'"):
        I.two_nn_id(x, algorithm="fit")
    with pytest.raises(ValueError, match="a has 50 rows and b 40"):
        I.id_correlation_test(x, x[:40])
    with pytest.raises(ValueError, match="duplicate"):
        I.two_nn_id(np.vstack([x, x[:1]]))
    with pytest.raises(ValueError, match="n_shuffles=1"):
        I.id_correlation_test(x, x, n_shuffles=1)


def test_linear_baselines():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    assert I.pearson_r2(x, 2 * x + 1) == pytest.approx(1)
    assert I.pearson_r2(x, rng.standard_normal(500)) < 0.02
    a = rng.random((200, 30))
    assert np.allclose(I.cosine_similarities(a, 3 * a), 1)
    assert I.canonical_correlation(a, a @ rng.standard_normal((30, 30)), n_components=30) == pytest.approx(1, abs=1e-9)
    assert I.canonical_correlation(a, rng.random((200, 30)), n_components=3) < 0.35


def test_rejection_rate_is_low_without_and_high_with_dependence():
    def independent(rng):
        return rng.standard_normal((300, 1)), rng.standard_normal((300, 1))

    def dependent(rng):
        t = rng.uniform(-2, 2, (300, 1))
        return t, np.sin(3 * t) + 0.002 * rng.standard_normal((300, 1))  # noise below the neighbour spacing

    fpr, z = I.rejection_rate(independent, 12, n_shuffles=10)
    power, _ = I.rejection_rate(dependent, 4, n_shuffles=10)
    assert len(z) == 12 and fpr <= 0.25 and power == 1.0


# ---------------------------------------------------------------- bad input and round-off (issue 20)

@pytest.mark.parametrize("trial", range(8))
def test_a_duplicated_row_is_refused_every_time_whatever_the_scale(trial):
    rng = np.random.default_rng(trial)
    x = rng.random((200, 3072)) * 10.0 ** rng.integers(-8, 9)
    x[11] = x[5]
    with pytest.raises(ValueError, match=r"duplicate points .* e\.g\. rows \[5, 11\]"):
        intrinsic_dim.two_nn_id(x, mu_fraction=1.0)
    with pytest.raises(ValueError, match="duplicate points"):
        intrinsic_dim.id_correlation_test(x, x, n_shuffles=3)


def test_near_duplicates_and_scale_do_not_change_the_estimate():
    rng = np.random.default_rng(0)
    x = rng.random((300, 40))
    x[7] = x[3] + 1e-9  # a genuine, very near neighbour (Gram round-off would be ~1e-14 of |x|^2)
    d = ((x[:, None] - x[None]) ** 2).sum(-1)  # exact reference from the differences
    np.fill_diagonal(d, np.inf)
    two = np.sort(d, 1)[:, :2]
    ref = intrinsic_dim.two_nn_from_ratios(np.sqrt(two[:, 1] / two[:, 0]))
    for s in (1e-6, 1.0, 1e6):
        assert intrinsic_dim.two_nn_id(x * s) == pytest.approx(ref, rel=1e-9)
    a, b = x[:, :20], x[:, 20:]
    t1 = intrinsic_dim.id_correlation_test(a, b, n_shuffles=4)
    t2 = intrinsic_dim.id_correlation_test(a * 1e15, b * 1e15, n_shuffles=4)  # float32 range: 1e30 squared
    assert t2.id == pytest.approx(t1.id, rel=1e-9) and np.allclose(t2.shuffled, t1.shuffled, rtol=1e-9)


def test_non_finite_input_is_named():
    x = np.random.default_rng(0).random((20, 3))
    x[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"x holds 1 non-finite values \(nan or inf\), in rows \[4\]"):
        intrinsic_dim.two_nn_id(x)


def test_too_small_mu_fraction_names_the_product_and_the_minimum():
    with pytest.raises(ValueError, match=r"N·mu_fraction = 5·0.1 = 0.5 keeps 0 ratios; .* at least 2"):
        intrinsic_dim.two_nn_id(np.random.default_rng(0).standard_normal((5, 2)), mu_fraction=0.1)
    a = np.random.default_rng(1).standard_normal((10, 3))
    with pytest.raises(ValueError, match=r"N·mu_fraction = 10·0.05"):
        intrinsic_dim.id_correlation_test(a, a[::-1], mu_fraction=0.05)


def test_id_test_prints_z_p_and_the_shuffled_mean_and_std():
    t = intrinsic_dim.IdTest(id=10.0, shuffled=np.array([11.0, 12.0, 13.0]), n_points=50, mu_fraction=0.9)
    text = str(t)
    assert "Z=-2.00" in text and "p=0.023" in text and "12.000 ± 1.000" in text and "N=50" in text


def test_swap_test_finds_the_tied_partner_and_matches_the_id_test():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(300, 2, generator=g)
    e = torch.cat([z, 0.01 * torch.randn(300, 6, generator=g)], 1)
    a = torch.cat([z @ torch.randn(2, 2, generator=g), 0.01 * torch.randn(300, 6, generator=g)], 1)
    b = torch.cat([torch.randn(300, 2, generator=g), 0.01 * torch.randn(300, 6, generator=g)], 1)
    out = I.swap_test(e, a, b, n_swaps=60, seed=1)
    assert out["id_a"] == pytest.approx(I.id_correlation_test(e, a, n_shuffles=2).id, rel=1e-9)
    assert out["id_b"] == pytest.approx(I.id_correlation_test(e, b, n_shuffles=2).id, rel=1e-9)
    assert out["z"] < -3 and out["p_permutation"] == pytest.approx(1 / 61)
    same = I.swap_test(e, a, a + 1e-4 * torch.randn(300, 8, generator=g), n_swaps=60, seed=1)
    assert abs(same["z"]) < 3  # exchangeable partners: no tie to tell apart
    with pytest.raises(ValueError, match="at least 20 rows"):
        I.swap_test(e[:10], a[:10], b[:10])


def test_within_class_permutations_keep_every_row_in_its_class():
    labels = np.array([0, 1, 0, 2, 1, 0, 2, 2, 1, 3])
    perms = I.within_class_permutations(labels, 30, seed=2)
    assert perms.shape == (30, 10)
    for p in perms:
        assert sorted(p) == list(range(10)) and (labels[p] == labels).all()
    assert (perms[:, 9] == 9).all()  # a class of one stays put
    assert len({tuple(p) for p in perms}) > 1
    with pytest.raises(ValueError, match="n_shuffles=1"):
        I.within_class_permutations(labels, 1)
