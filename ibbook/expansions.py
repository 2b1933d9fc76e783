"""Functions of one variable: activations on a sine, ReLU / SReLU expansions, total curvature.

- activations and their spectra on a sine (Figure 1 of the lecture): :data:`ACTIVATIONS`,
  :func:`activation`, :func:`harmonic_amplitudes`, :func:`relu_sine_harmonics`,
  :func:`square_of_cosines_spectrum`;
- the ReLU expansion ``f = int c(b) relu(x - b) db`` with ``c = f''`` and the saturated-ReLU
  (SReLU) expansion ``f = int d(b) srelu_b(x) db`` with ``d(b) = w sum_{n>=0} f''(b - n w)``:
  :func:`srelu`, :func:`srelu_coefficients`, :func:`expand`, :class:`GaussianMixture` (smooth test
  functions with a closed-form Fourier transform), :func:`srelu_norm_fourier` (the corrected
  version of the lecture's boxed formula), :func:`lecture_boxed_formula` (as printed) and
  :func:`expansion_errors` (all the checks of eqs. 6-14 on one test function);
- total curvature ``int |f''|`` of a function sampled on a grid and of the linear spline through
  data points (its minimum over interpolants): :func:`total_curvature`,
  :func:`spline_total_curvature`, :func:`linear_spline`.

Fourier transform convention for functions on the line: ``f^(k) = int f(x) exp(-i k x) dx``
(angular frequency ``k``), so that Parseval reads ``int |f|^2 dx = (1 / 2 pi) int |f^(k)|^2 dk``.

Used by: implicit-bias theory chapter (``chapters/implicit_bias.ipynb``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ibbook.fourier import amplitude_spectrum
from ibbook.params import check_choice

# --------------------------------------------------------------------------- activations


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, t)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda t: t,
    "softplus": _softplus,
    "tanh": np.tanh,
    "relu": lambda t: np.maximum(t, 0.0),
    "hardtanh": lambda t: np.clip(t, -1.0, 1.0),
    "square": lambda t: t ** 2,
}


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The activation ``name`` (one of :data:`ACTIVATIONS`) as a NumPy function."""
    check_choice("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]


def harmonic_amplitudes(name: str, gain: float = 1.0, n_harmonics: int = 10,
                        samples_per_period: int = 256, periods: int = 4) -> np.ndarray:
    """Amplitudes of harmonics ``0..n_harmonics`` of ``sigma(gain * sin(2 pi t))``.

    Entry ``k`` is the amplitude ``A_k`` of ``A_k cos(2 pi k t + phi_k)`` in the signal (entry 0 is
    its mean), read off :func:`ibbook.fourier.amplitude_spectrum` over a whole number of periods.
    """
    f = activation(name)
    for label, v in (("n_harmonics", n_harmonics), ("samples_per_period", samples_per_period),
                     ("periods", periods)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{label}={v!r} is not accepted; use an integer >= 1")
    if samples_per_period <= 2 * n_harmonics:
        raise ValueError(f"samples_per_period={samples_per_period} is not accepted; use more than "
                         f"2 * n_harmonics = {2 * n_harmonics} (Nyquist)")
    dt = 1.0 / samples_per_period
    t = np.arange(periods * samples_per_period) * dt
    freq, amp = amplitude_spectrum(f(gain * np.sin(2 * np.pi * t)), dt)
    idx = np.rint(np.arange(n_harmonics + 1) * periods).astype(int)
    assert np.allclose(freq[idx], np.arange(n_harmonics + 1))
    return amp[idx]


def relu_sine_harmonics(n_harmonics: int = 10) -> np.ndarray:
    """Exact harmonic amplitudes of ``relu(sin(2 pi t))``.

    ``relu(sin x) = 1/pi + sin(x)/2 - (2/pi) sum_{k even >= 2} cos(k x) / (k^2 - 1)``: mean
    ``1/pi``, fundamental ``1/2``, even harmonics ``2 / (pi (k^2 - 1))``, odd ones above 1 vanish.
    """
    k = np.arange(n_harmonics + 1)
    amp = np.where(k % 2 == 0, 2.0 / (np.pi * np.maximum(k ** 2 - 1, 1)), 0.0)
    amp[0] = 1.0 / np.pi
    if n_harmonics >= 1:
        amp[1] = 0.5
    return amp


def square_of_cosines_spectrum(f1: float, f2: float) -> dict[float, float]:
    """Predicted amplitude spectrum of ``(cos(2 pi f1 t) + cos(2 pi f2 t))^2``.

    ``= 1 + cos(2 w1 t)/2 + cos(2 w2 t)/2 + cos((w1 + w2) t) + cos((w1 - w2) t)``: peaks of height
    1 at 0, 1/2 at ``2 f1`` and ``2 f2``, 1 at ``f1 + f2`` and at ``|f1 - f2|`` (all cosines have
    zero phase, so coinciding frequencies add). Returns ``{frequency: amplitude}``.
    """
    if not (f1 > 0 and f2 > 0 and f1 != f2):
        raise ValueError(f"f1={f1!r}, f2={f2!r} are not accepted; use two different positive frequencies")
    out: dict[float, float] = {}
    for f, a in ((0.0, 1.0), (2 * f1, 0.5), (2 * f2, 0.5), (f1 + f2, 1.0), (abs(f1 - f2), 1.0)):
        out[float(f)] = out.get(float(f), 0.0) + a
    return out


# --------------------------------------------------------------------------- expansions


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(x, 0.0)


def srelu(x: np.ndarray, beta, w: float) -> np.ndarray:
    """Saturated ReLU ``(relu(x - beta) - relu(x - beta - w)) / w``: 0, then a ramp of slope
    ``1/w`` on ``[beta, beta + w]``, then 1 (lecture eq. 8)."""
    if not w > 0:
        raise ValueError(f"w={w!r} is not accepted; use a positive saturation width")
    x = np.asarray(x, dtype=float)
    return (relu(x - beta) - relu(x - beta - w)) / w


@dataclass(frozen=True)
class GaussianMixture:
    """``f(x) = sum_j a_j exp(-(x - mu_j)^2 / (2 s_j^2))``: smooth, fast-decaying, with closed-form
    derivatives and Fourier transform (a test function for the expansions)."""

    a: np.ndarray
    mu: np.ndarray
    s: np.ndarray

    def _parts(self, x):
        x = np.asarray(x, dtype=float)[..., None]
        u = (x - self.mu) / self.s
        return u, self.a * np.exp(-0.5 * u ** 2)

    def __call__(self, x) -> np.ndarray:
        return self._parts(x)[1].sum(-1)

    def d1(self, x) -> np.ndarray:
        """``f'(x)``."""
        u, g = self._parts(x)
        return (-u / self.s * g).sum(-1)

    def d2(self, x) -> np.ndarray:
        """``f''(x)``."""
        u, g = self._parts(x)
        return ((u ** 2 - 1) / self.s ** 2 * g).sum(-1)

    def fourier(self, k) -> np.ndarray:
        """``f^(k) = int f(x) exp(-i k x) dx`` (complex)."""
        k = np.asarray(k, dtype=float)[..., None]
        terms = self.a * self.s * np.sqrt(2 * np.pi) * np.exp(-0.5 * (self.s * k) ** 2 - 1j * k * self.mu)
        return terms.sum(-1)


def random_gaussian_mixture(n_bumps: int = 3, seed: int = 0) -> GaussianMixture:
    """A random :class:`GaussianMixture`: amplitudes in [-1, 1], centres in [-2, 2], widths in [0.3, 1]."""
    if isinstance(n_bumps, bool) or not isinstance(n_bumps, (int, np.integer)) or n_bumps < 1:
        raise ValueError(f"n_bumps={n_bumps!r} is not accepted; use an integer >= 1")
    rng = np.random.default_rng(seed)
    return GaussianMixture(a=rng.uniform(-1, 1, n_bumps), mu=rng.uniform(-2, 2, n_bumps),
                           s=rng.uniform(0.3, 1.0, n_bumps))


def srelu_coefficients(f2: Callable[[np.ndarray], np.ndarray], beta, w: float, n_terms: int,
                       factor: str = "w") -> np.ndarray:
    """Coefficient function of the SReLU expansion, ``d(b) = w sum_{n=0}^{N-1} f''(b - n w)``.

    Differentiating ``f = int d(b) srelu_b db`` twice gives ``f'' = (d(x) - d(x - w)) / w``, so
    ``d = w (1 - T_{-w})^{-1} f''`` (derived in the chapter). ``factor="1/w"`` gives the lecture's
    eq. 14 as printed, ``(1/w) sum f''(b - n w)``, to show that it does not reconstruct ``f``.
    With ``N`` terms the expansion reproduces ``f(x) - f(x - N w)``.
    """
    check_choice("factor", factor, ("w", "1/w"))
    if not w > 0:
        raise ValueError(f"w={w!r} is not accepted; use a positive saturation width")
    if isinstance(n_terms, bool) or not isinstance(n_terms, (int, np.integer)) or n_terms < 1:
        raise ValueError(f"n_terms={n_terms!r} is not accepted; use an integer >= 1")
    beta = np.asarray(beta, dtype=float)
    total = sum(f2(beta - n * w) for n in range(int(n_terms)))
    return (w if factor == "w" else 1.0 / w) * total


def expand(x, beta, coef, unit: str = "relu", w: float = 1.0) -> np.ndarray:
    """``int coef(b) unit_b(x) db`` by the trapezoid rule on the grid ``beta``.

    ``unit="relu"``: ``relu(x - b)``; ``"srelu"``: :func:`srelu` with width ``w``.
    """
    check_choice("unit", unit, ("relu", "srelu"))
    x = np.asarray(x, dtype=float)
    beta = np.asarray(beta, dtype=float)
    coef = np.asarray(coef, dtype=float)
    if beta.ndim != 1 or coef.shape != beta.shape:
        raise ValueError(f"beta {beta.shape} and coef {coef.shape} are not accepted; use two 1-D arrays "
                         "of the same length")
    if len(beta) < 2 or not np.allclose(np.diff(beta), np.diff(beta).mean()):
        raise ValueError("beta is not accepted; use an evenly spaced grid of >= 2 points")
    weights = np.full(len(beta), np.diff(beta).mean())
    weights[[0, -1]] /= 2
    if unit == "relu":
        units = relu(x[:, None] - beta[None, :])
    else:
        units = srelu(x[:, None], beta[None, :], w)
    return units @ (coef * weights)


def _dirichlet_sq(k: np.ndarray, w: float, n_terms: int) -> np.ndarray:
    """``|sum_{n=0}^{N-1} exp(-i n w k)|^2 = sin^2(N w k / 2) / sin^2(w k / 2)`` (``N^2`` at the poles)."""
    den = np.sin(0.5 * w * k) ** 2
    safe = den > 1e-20
    out = np.full_like(k, float(n_terms) ** 2)
    out[safe] = np.sin(0.5 * n_terms * w * k[safe]) ** 2 / den[safe]
    return out


def srelu_norm_fourier(fhat: Callable[[np.ndarray], np.ndarray], w: float, n_terms: int,
                       k_max: float = 60.0, n_k: int = 400_001) -> float:
    """``||d||_2^2`` from the Fourier side (corrected boxed formula):

    ``(1 / 2 pi) int w^2 k^4 sin^2(N w k / 2) / sin^2(w k / 2) |f^(k)|^2 dk``,
    integrated by the trapezoid rule on ``[-k_max, k_max]``.
    """
    k = np.linspace(-k_max, k_max, n_k)
    integrand = w ** 2 * k ** 4 * _dirichlet_sq(k, w, n_terms) * np.abs(fhat(k)) ** 2
    return float(np.trapz(integrand, k) / (2 * np.pi))


def lecture_boxed_formula(fhat: Callable[[np.ndarray], np.ndarray], w: float, n_terms: int,
                          k_max: float = 60.0, n_k: int = 400_001) -> complex:
    """The lecture's boxed formula as printed: ``int k^4 / w^2 sin^2(..)/sin^2(..) f^(k)^2 dk``
    (``f^`` squared, not its modulus; no ``1 / 2 pi``). Complex in general."""
    k = np.linspace(-k_max, k_max, n_k)
    integrand = k ** 4 / w ** 2 * _dirichlet_sq(k, w, n_terms) * fhat(k) ** 2
    return complex(np.trapz(integrand, k))


def l2_norm_sq(values, grid) -> float:
    """``int |g|^2`` of samples ``values`` on ``grid`` (trapezoid rule)."""
    return float(np.trapz(np.abs(np.asarray(values)) ** 2, np.asarray(grid, dtype=float)))


def expansion_errors(g: GaussianMixture, w: float, n_terms: int, beta, x) -> dict[str, float]:
    """The checks of eqs. 6-14 on one test function ``g`` (section 3 of the implicit-bias chapter).

    ``beta`` (evenly spaced, 1-D) is the grid of the expansions, ``x`` (1-D) where ``f`` is rebuilt;
    ``w`` the saturation width and ``n_terms`` the ``N`` of :func:`srelu_coefficients`. Returns:

    - ``"relu error"``, ``"srelu error"``, ``"srelu error, eq. 14 as printed"``: largest
      ``|expansion - f|`` on ``x`` with ``c = f''``, the corrected ``d`` and the printed ``1/w``;
    - ``"|f''|^2 rel. error"``: Parseval for ``f''`` (``int k^4 |f^|^2 dk / 2 pi`` on
      ``[-60, 60]``) against direct integration on ``[beta_0, beta_end + N w]``;
    - ``"|d|^2 rel. error"``: the corrected boxed formula (:func:`srelu_norm_fourier`) against
      direct integration of ``d^2`` on that range (the support of the truncated ``d``);
    - ``"box as printed / |d|^2"`` (:func:`lecture_boxed_formula`) and ``"|d|^2 / |f''|^2"``.

    With ``N w`` beyond the support of ``f``, the first two errors and the relative errors are at
    quadrature level; a wrong constant in ``d`` shows in ``"srelu error"``.
    """
    beta = np.asarray(beta, dtype=float)
    x = np.asarray(x, dtype=float)
    f_true = g(x)
    d_ok = srelu_coefficients(g.d2, beta, w, n_terms)
    d_lec = srelu_coefficients(g.d2, beta, w, n_terms, factor="1/w")
    wide = np.linspace(beta[0], beta[-1] + n_terms * w, 40_001)  # support of the truncated d
    direct_d = l2_norm_sq(srelu_coefficients(g.d2, wide, w, n_terms), wide)
    direct_c = l2_norm_sq(g.d2(wide), wide)
    kk = np.linspace(-60, 60, 400_001)
    fourier_c = np.trapz(kk ** 4 * np.abs(g.fourier(kk)) ** 2, kk) / (2 * np.pi)
    fourier_d = srelu_norm_fourier(g.fourier, w, n_terms)
    boxed = lecture_boxed_formula(g.fourier, w, n_terms)
    return {
        "relu error": float(np.abs(expand(x, beta, g.d2(beta)) - f_true).max()),
        "srelu error": float(np.abs(expand(x, beta, d_ok, "srelu", w) - f_true).max()),
        "srelu error, eq. 14 as printed": float(np.abs(expand(x, beta, d_lec, "srelu", w) - f_true).max()),
        "|f''|^2 rel. error": float(abs(fourier_c - direct_c) / direct_c),
        "|d|^2 rel. error": float(abs(fourier_d - direct_d) / direct_d),
        "box as printed / |d|^2": float(abs(boxed) / direct_d),
        "|d|^2 / |f''|^2": float(direct_d / direct_c),
    }


# --------------------------------------------------------------------------- total curvature


def total_curvature(x, f) -> float:
    """``int |f''|`` of a function sampled at increasing ``x``: the total variation of its
    finite-difference slope, ``sum |slope_{i+1} - slope_i|`` (exact for piecewise-linear ``f``
    whose kinks lie on the grid, a lower bound converging to ``int |f''|`` otherwise)."""
    x = np.asarray(x, dtype=float)
    f = np.asarray(f, dtype=float)
    if x.ndim != 1 or f.shape != x.shape or len(x) < 3 or np.any(np.diff(x) <= 0):
        raise ValueError(f"x {x.shape}, f {f.shape} are not accepted; use 1-D arrays of the same length "
                         ">= 3 with x strictly increasing")
    return float(np.abs(np.diff(np.diff(f) / np.diff(x))).sum())


def spline_total_curvature(x, y) -> float:
    """``int |f''|`` of the linear spline through ``(x_i, y_i)`` on their convex hull: the sum of
    its slope jumps. It is the minimum of ``int_{x_1}^{x_n} |f''|`` over all interpolants (mean
    value theorem on consecutive intervals)."""
    order = np.argsort(np.asarray(x, dtype=float))
    return total_curvature(np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order])


def linear_spline(x_data, y_data, x) -> np.ndarray:
    """The linear spline through ``(x_data, y_data)`` evaluated at ``x`` (constant outside the hull)."""
    order = np.argsort(np.asarray(x_data, dtype=float))
    return np.interp(x, np.asarray(x_data, dtype=float)[order], np.asarray(y_data, dtype=float)[order])
