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
