"""TwoNN and the Id correlation test: known dimensions, agreement with dadapy, the test's verdicts."""
import numpy as np
import pytest

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
