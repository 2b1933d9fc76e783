"""The unitary DFT convention and the amplitude spectrum."""
import numpy as np
import pytest

from ibbook import fourier


def test_dft_matrix_is_unitary_and_matches_the_fft():
    F = fourier.dft_matrix(9)
    assert np.allclose(F @ F.conj().T, np.eye(9))
    x = np.random.default_rng(0).standard_normal(9)
    assert np.allclose(F @ x, fourier.fourier_coefficients(x))
    assert fourier.fourier_norm(x, 2) == pytest.approx(np.linalg.norm(x))  # Parseval
    assert fourier.fourier_norm(x, 1) == pytest.approx(np.abs(F @ x).sum())


def test_amplitude_spectrum_shows_cosine_amplitudes_at_their_frequencies():
    t = np.arange(1000) * 0.01  # 10 time units
    freq, amp = fourier.amplitude_spectrum(0.5 + 2 * np.cos(2 * np.pi * 3 * t) + 0.7 * np.sin(2 * np.pi * 7 * t), 0.01)
    peaks = {round(float(f), 6): round(float(a), 6) for f, a in zip(freq, amp) if a > 1e-6}
    assert peaks == {0.0: 0.5, 3.0: 2.0, 7.0: 0.7}


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="p=3 is not accepted"):
        fourier.fourier_norm(np.ones(4), 3)
    with pytest.raises(ValueError, match="dt=0 is not accepted"):
        fourier.amplitude_spectrum(np.ones(4), 0)
    with pytest.raises(ValueError, match="d=0 is not accepted"):
        fourier.dft_matrix(0)


def test_fourier_sparsity_counts_the_energy_of_the_largest_coefficients():
    d = 8
    assert fourier.fourier_sparsity(np.cos(2 * np.pi * np.arange(d) / d), 2) == pytest.approx(1.0)
    assert fourier.fourier_sparsity(np.eye(d)[0], 2) == pytest.approx(2 / d)


def _plane_wave(h, w, ky, kx, channels=3):
    yy, xx = np.mgrid[:h, :w]
    wave = np.cos(2 * np.pi * (ky * yy / h + kx * xx / w))
    return np.stack([wave] * channels)


def test_a_plane_wave_puts_its_energy_at_its_radius_and_angle():
    x = _plane_wave(32, 32, 0, 3)  # horizontal frequency 3
    radius, frac = fourier.radial_energy(x)
    assert frac[3] == pytest.approx(1.0) and radius[3] == 3
    centres, ang = fourier.angular_energy(x, n_bins=12)
    assert ang[0] == pytest.approx(1.0) and centres[0] == pytest.approx(7.5)
    # the transposed image turns the energy by 90 degrees
    _, ang_t = fourier.angular_energy(x.transpose(0, 2, 1), n_bins=12)
    assert ang_t[6] == pytest.approx(1.0)
    assert fourier.mean_radial_frequency(x) == pytest.approx(3.0)
    diag = _plane_wave(32, 32, 4, 4)
    assert fourier.mean_radial_frequency(diag) == pytest.approx(np.hypot(4, 4))
    assert fourier.angular_energy(diag, 4)[1][1] == pytest.approx(1.0)  # the 45-90 degree sector


def test_centred_spectrum_and_image_norms():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 8, 8))
    spec = fourier.centred_spectrum(x)
    assert spec.shape == x.shape
    # zero frequency sits at (H // 2, W // 2) and equals the unitary DC coefficient
    assert np.allclose(spec[..., 4, 4], np.abs(x.sum(axis=(-2, -1))) / 8)
    l2 = fourier.image_fourier_norm(x, 2)
    assert l2.shape == (5,) and np.allclose(l2, np.linalg.norm(x.reshape(5, -1), axis=1))  # Parseval
    l1 = fourier.image_fourier_norm(x, 1, image_dims=2)
    assert l1.shape == (5, 3) and np.all(l1 >= fourier.image_fourier_norm(x, 2, image_dims=2))
    # a constant image is as sparse as possible: all its energy is at radius 0
    assert fourier.radial_energy(np.ones((8, 8)))[1][0] == pytest.approx(1.0)


def test_bad_image_input_is_named():
    with pytest.raises(ValueError, match=r"shape \(4,\) is not accepted"):
        fourier.centred_spectrum(np.ones(4))
    with pytest.raises(ValueError, match="n_bins=0 is not accepted"):
        fourier.angular_energy(np.ones((4, 4)), 0)
    with pytest.raises(ValueError, match="image_dims=4 is not accepted"):
        fourier.image_fourier_norm(np.ones((2, 4, 4)), 1, image_dims=4)


# Helpers of the Fourier-bias chapter: average spectra, energy beyond a radius, spectral support.


def test_average_spectrum_and_energy_above_a_radius():
    x = np.stack([_plane_wave(16, 16, 0, 2), 2 * _plane_wave(16, 16, 5, 0)])  # (2, 3, 16, 16)
    avg = fourier.average_spectrum(x)
    assert avg.shape == (16, 16)
    assert np.allclose(avg, fourier.centred_spectrum(x).mean(axis=(0, 1)))
    # energies 1 : 4 at radii 2 and 5
    assert fourier.energy_above(x, 3) == pytest.approx(0.8)
    assert fourier.energy_above(x, 1) == pytest.approx(1.0)
    assert fourier.energy_above(x, 6) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="cutoff=-1 is not accepted"):
        fourier.energy_above(x, -1)


def test_spectral_support_and_the_discrete_uncertainty_principle():
    n = 16
    assert fourier.spectral_support(_plane_wave(n, n, 3, 1, channels=1), 0.99) == 2  # a conjugate pair
    delta = np.zeros((n, n))
    delta[0, 0] = 1.0  # a one-pixel filter: white spectrum
    assert fourier.spectral_support(delta, 1.0) == n * n
    assert fourier.spectral_support(delta, 0.5) == n * n // 2
    # Donoho-Stark: |supp g| * |supp F g| >= n^2 for every k×k filter g
    rng = np.random.default_rng(0)
    for k in (1, 2, 3, 5, 8, 16):
        g = np.zeros((n, n))
        g[:k, :k] = rng.standard_normal((k, k))
        assert k * k * fourier.spectral_support(g, 1.0) >= n * n
    with pytest.raises(ValueError, match="energy=0 is not accepted"):
        fourier.spectral_support(delta, 0)
