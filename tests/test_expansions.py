"""Tests of ibbook.expansions: spectra, ReLU/SReLU expansions, total curvature, ReLU neuron, KKT."""
import numpy as np
import pytest

from ibbook import expansions as E
from ibbook import fourier


def test_odd_activations_have_only_odd_harmonics_and_relu_matches_its_series():
    for name in ("tanh", "hardtanh", "identity"):
        amp = E.harmonic_amplitudes(name, gain=2.0, n_harmonics=8, samples_per_period=512)
        assert amp[2::2].max() < 1e-10 and amp[1] > 0.5
    relu = E.harmonic_amplitudes("relu", 1.0, 8, 2048)
    exact = E.relu_sine_harmonics(8)
    assert np.abs(relu - exact).max() < 1e-5
    assert exact[0] == pytest.approx(1 / np.pi) and exact[1] == 0.5 and exact[3] == 0.0
    # a wrong series (say 1/k^2 instead of 1/(k^2-1)) would be caught
    assert abs(relu[2] - 2 / (np.pi * 4)) > 1e-2


def test_square_of_cosines_spectrum_matches_measurement_and_adds_coinciding_peaks():
    n = 256
    t = np.arange(n) / n
    for f1, f2 in ((3, 7), (5, 15)):  # 15 - 5 = 2 * 5: two peaks coincide
        sig = (np.cos(2 * np.pi * f1 * t) + np.cos(2 * np.pi * f2 * t)) ** 2
        freq, amp = fourier.amplitude_spectrum(sig, 1 / n)
        pred = np.zeros_like(amp)
        for fr, a in E.square_of_cosines_spectrum(f1, f2).items():
            pred[int(round(fr))] += a
        assert np.abs(amp - pred).max() < 1e-10
    assert E.square_of_cosines_spectrum(5, 15)[10.0] == 1.5
    with pytest.raises(ValueError, match="f1=3, f2=3"):
        E.square_of_cosines_spectrum(3, 3)


def test_gaussian_mixture_derivatives_and_fourier_transform():
    g = E.random_gaussian_mixture(3, seed=1)
    x = np.linspace(-3, 3, 7)
    h = 1e-4
    assert np.allclose(g.d1(x), (g(x + h) - g(x - h)) / (2 * h), atol=1e-6)
    assert np.allclose(g.d2(x), (g(x + h) - 2 * g(x) + g(x - h)) / h ** 2, atol=1e-4)
    grid = np.linspace(-12, 12, 24001)
    for k in (0.0, 0.7, 2.5):
        direct = np.trapz(g(grid) * np.exp(-1j * k * grid), grid)
        assert abs(direct - g.fourier(k)) < 1e-8


@pytest.mark.parametrize("w", [0.4, 0.7])
def test_relu_and_corrected_srelu_expansions_reconstruct_f_and_printed_eq14_does_not(w):
    g = E.random_gaussian_mixture(2, seed=3)
    beta = np.linspace(-10, 10, 10001)
    x = np.linspace(-5, 5, 51)
    assert np.abs(E.expand(x, beta, g.d2(beta)) - g(x)).max() < 1e-5
    N = int(np.ceil(20 / w))
    d = E.srelu_coefficients(g.d2, beta, w, N)
    assert np.abs(E.expand(x, beta, d, "srelu", w) - g(x)).max() < 1e-5
    wrong = E.srelu_coefficients(g.d2, beta, w, N, factor="1/w")
    assert np.abs(E.expand(x, beta, wrong, "srelu", w) - g(x)).max() > 1e-2
    # small w: d tends to f' (a left Riemann sum, error O(w))
    errs = [np.abs(E.srelu_coefficients(g.d2, x, v, int(20 / v)) - g.d1(x)).max()
            for v in (0.1, 0.01)]
    assert errs[1] < 0.05 and errs[1] < errs[0] / 5


def test_truncated_srelu_expansion_gives_f_minus_its_shift():
    g = E.random_gaussian_mixture(2, seed=5)
    w, N = 0.5, 4
    beta = np.linspace(-10, 10, 20001)
    x = np.linspace(-4, 4, 41)
    rec = E.expand(x, beta, E.srelu_coefficients(g.d2, beta, w, N), "srelu", w)
    assert np.abs(rec - (g(x) - g(x - N * w))).max() < 1e-5


def test_corrected_boxed_formula_equals_direct_norm_and_printed_one_does_not():
    g = E.random_gaussian_mixture(3, seed=7)
    w = 0.6
    N = int(np.ceil(20 / w))
    grid = np.linspace(-10, 10 + N * w, 40001)
    direct = E.l2_norm_sq(E.srelu_coefficients(g.d2, grid, w, N), grid)
    assert E.srelu_norm_fourier(g.fourier, w, N) == pytest.approx(direct, rel=1e-8)
    assert abs(abs(E.lecture_boxed_formula(g.fourier, w, N)) / direct - 1) > 0.1
    # a wrong constant (say a missing 1/2pi) would be detected
    assert 2 * np.pi * E.srelu_norm_fourier(g.fourier, w, N) != pytest.approx(direct, rel=1e-2)


def test_expansion_inputs_are_validated():
    with pytest.raises(ValueError, match="w=0 is not accepted"):
        E.srelu(np.zeros(3), 0.0, 0)
    with pytest.raises(ValueError, match="unit='tanh' is not accepted"):
        E.expand(np.zeros(2), np.linspace(0, 1, 5), np.zeros(5), "tanh")
    with pytest.raises(ValueError, match="evenly spaced"):
        E.expand(np.zeros(2), np.array([0, 1, 3.0]), np.zeros(3))
    with pytest.raises(ValueError, match="factor='w2' is not accepted"):
        E.srelu_coefficients(np.cos, np.zeros(2), 0.5, 3, factor="w2")
    with pytest.raises(ValueError, match="activation='gelu' is not accepted"):
        E.activation("gelu")
    with pytest.raises(ValueError, match="Nyquist"):
        E.harmonic_amplitudes("relu", n_harmonics=10, samples_per_period=16)


def test_total_curvature_of_splines_and_its_minimality():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([0.0, 1.0, 0.0, 2.0])
    assert E.spline_total_curvature(x, y) == pytest.approx(2 + 3)
    assert E.spline_total_curvature(x[::-1], y[::-1]) == pytest.approx(5)
    grid = np.linspace(0, 3, 3001)
    assert E.total_curvature(grid, E.linear_spline(x, y, grid)) == pytest.approx(5)
    # another interpolant (spline plus a bump vanishing at the data) has more curvature
    other = E.linear_spline(x, y, grid) + 0.3 * np.sin(np.pi * grid)
    assert np.allclose(np.interp(x, grid, other), y, atol=1e-12)
    assert E.total_curvature(grid, other) > 5.5
    with pytest.raises(ValueError, match="strictly increasing"):
        E.total_curvature(np.array([0.0, 0.0, 1.0]), np.zeros(3))


def test_expansion_errors_pass_the_corrected_formulas_and_catch_the_printed_ones():
    g = E.random_gaussian_mixture(3, seed=100)
    beta = np.linspace(-10, 10, 4001)
    x = np.linspace(-6, 6, 61)
    w = 0.5
    err = E.expansion_errors(g, w, int(np.ceil(20 / w)), beta, x)
    assert err["relu error"] < 1e-4 and err["srelu error"] < 1e-4
    assert err["|f''|^2 rel. error"] < 1e-6 and err["|d|^2 rel. error"] < 1e-6
    # the printed eq. 14 (1/w instead of w) and the printed box are off by far more
    assert err["srelu error, eq. 14 as printed"] > 1e-2
    assert abs(err["box as printed / |d|^2"] - 1) > 0.1
    # too few terms (N w well inside the support of f) leave f(x) - f(x - N w): caught
    short = E.expansion_errors(g, w, 4, beta, x)
    assert short["srelu error"] > 1e-2
