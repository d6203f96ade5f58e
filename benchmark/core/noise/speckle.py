"""Ultrasound speckle: multiplicative Gamma noise on intensity, ``y = x n``, ``n ~ Gamma(L, 1/L)``.

Parameter: the level (the ``sigma`` field of ``Noise("speckle", L)``) is ``L``, the number of
looks. Higher is less noise: ``E[n] = 1`` and ``Var[n] = 1 / L``, so ``E[y] = x`` and the
standard deviation of ``y`` is ``x / sqrt(L)``, proportional to the signal. Documented levels
(:data:`LEVELS`), heavy to light speckle:

===== ===================== ===================================== ==========================
L     std of ``y`` / ``x``  log-domain std ``sqrt(trigamma(L))``  bias ``E[log n]``
===== ===================== ===================================== ==========================
1     1.000                 1.283                                 -0.577
2     0.707                 0.782                                 -0.270
4     0.500                 0.533                                 -0.129
8     0.354                 0.367                                 -0.063
16    0.250                 0.254                                 -0.031
===== ===================== ===================================== ==========================

Relation to the Rayleigh amplitude model: fully developed speckle is the sum of many random
phasors, a circular complex Gaussian field, so its amplitude ``A`` is Rayleigh distributed and
its intensity ``I = A^2`` exponential: one look, ``L = 1`` (Gamma(1, 1) is the exponential law
of mean 1, and ``sqrt(x n)`` is then Rayleigh of scale ``sqrt(x / 2)``). Averaging ``L``
independent looks (compounding, frequency or spatial) gives a Gamma law of shape ``L``; its
amplitude ``sqrt(y)`` is Nakagami of shape ``L``. The draws are white (one sample per speckle
cell) and on intensity, before the log compression of a scanner's display. Levels up to
:data:`LOOKS_MAX` are accepted.

Estimator (blind mode, :func:`estimate_looks`): in the log domain the noise is additive,
``log y = log x + log n``, with ``Var[log n] = trigamma(L)``. The diagonal Haar coefficient
``d = (l1 - l2 - l3 + l4) / 2`` of each 2 x 2 block of ``log y`` removes the smooth ``log x``;
its law under pure noise has characteristic function ``|phi(t / 2)|^4`` with
``phi(t) = Gamma(L + i t) / Gamma(L) L^(-i t)``, so the median of ``|d|`` is known exactly for
each ``L`` (Gil-Pelaez inversion) and the observed median of ``|d|`` (robust to the blocks
that straddle an edge) is inverted numerically for ``L``. Pixels of exactly 0 (air) are left
out.

Fair transform ``speckle-log`` (homomorphic filtering): ``z = log(max(y, FLOOR))``, rescaled
into about [0, 1] by ``(z - log FLOOR) / -log FLOOR``; the wrapped Gaussian denoiser is called
with ``Noise("gaussian", sqrt(trigamma(L)) / -log FLOOR)``; its output goes back through the
inverse of the rescaling, the bias of the log ``E[log n] = digamma(L) - log L`` is subtracted,
and ``exp`` maps it back to intensity.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmark.core.noise.model import FairTransform, NoiseModel, register_noise

#: The documented levels (numbers of looks), heavy to light speckle.
LEVELS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
#: Most looks accepted: the speckle's relative standard deviation is then 0.3%, below the
#: 8-bit quantisation of the data at full scale.
LOOKS_MAX = 1e5
#: Intensity floor of the log transform (1e-4 of full scale: below it ``log`` is cut).
FLOOR = 1e-4
_LOG_SPAN = -np.log(FLOOR)  # the rescaled log maps [FLOOR, 1] to [0, 1]


def log_bias(looks: float) -> float:
    """``E[log n] = digamma(L) - log(L)`` for ``n ~ Gamma(L, 1/L)``.

    Examples
    --------
    >>> round(log_bias(1.0), 4)  # minus Euler's constant
    -0.5772
    """
    from scipy.special import digamma

    return float(digamma(looks) - np.log(looks))


def log_std(looks: float) -> float:
    """``sqrt(Var[log n]) = sqrt(trigamma(L))`` for ``n ~ Gamma(L, 1/L)``.

    Examples
    --------
    >>> round(log_std(1.0), 4)  # pi / sqrt(6)
    1.2825
    """
    from scipy.special import polygamma

    return float(np.sqrt(polygamma(1, looks)))


def _haar_abs_cdf(m: float, looks: float) -> float:
    """``P(|d| <= m)`` for ``d = (l1 - l2 - l3 + l4) / 2``, ``l_k = log n_k`` i.i.d.

    Gil-Pelaez: ``P(|d| <= m) = 2 / pi int_0^inf sin(t m) / t phi_d(t) dt``, with
    ``phi_d(t) = |Gamma(L + i t / 2) / Gamma(L)|^4`` (real, even); integrated in ``u = t s``,
    ``s`` the standard deviation of ``d``, where the integrand has died out by ``u = 60``.
    """
    from scipy import integrate
    from scipy.special import gammaln, loggamma

    s = log_std(looks)
    base = gammaln(looks)

    def integrand(u: float) -> float:
        t = u / s
        return np.sin(t * m) / u * np.exp(4 * (loggamma(looks + 0.5j * t).real - base))

    return float(2 / np.pi * integrate.quad(integrand, 0, 60.0, limit=400)[0])


def _haar_log(noisy: np.ndarray) -> np.ndarray:
    """Diagonal Haar coefficients of ``log y`` over the 2 x 2 blocks free of zeros."""
    y = np.asarray(noisy, dtype=np.float64)
    y = y.reshape((-1,) + y.shape[-2:])
    h, w = (y.shape[-2] // 2) * 2, (y.shape[-1] // 2) * 2
    a, b = y[:, 0:h:2, 0:w:2], y[:, 0:h:2, 1:w:2]
    c, e = y[:, 1:h:2, 0:w:2], y[:, 1:h:2, 1:w:2]
    lit = (a > 0) & (b > 0) & (c > 0) & (e > 0)
    a, b, c, e = a[lit], b[lit], c[lit], e[lit]
    return (np.log(a) - np.log(b) - np.log(c) + np.log(e)) / 2


def estimate_looks(noisy: np.ndarray) -> float:
    """The number of looks of a speckled image, from the log-domain Haar coefficients.

    Parameters
    ----------
    noisy : numpy.ndarray
        A 2-D image, or a stack/volume whose last two axes are images, of intensity ``x n``.

    Returns
    -------
    float
        The ``L`` whose exact median of ``|d|`` equals the observed one, within
        [0.05, :data:`LOOKS_MAX`]; ``nan`` when no 2 x 2 block is free of zeros.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = 0.5 * rng.gamma(4.0, 1 / 4.0, size=(128, 128))
    >>> bool(abs(estimate_looks(y) / 4 - 1) < 0.1)
    True
    """
    from scipy.optimize import brentq

    d = _haar_log(noisy)
    if d.size == 0:
        return float("nan")
    median = float(np.median(np.abs(d)))
    low, high = np.log(0.05), np.log(LOOKS_MAX)
    if median <= 0 or _haar_abs_cdf(median, LOOKS_MAX) <= 0.5:
        return float(LOOKS_MAX)
    if _haar_abs_cdf(median, 0.05) >= 0.5:
        return 0.05
    root = brentq(lambda g: _haar_abs_cdf(median, float(np.exp(g))) - 0.5, low, high,
                  xtol=1e-6)
    return float(np.exp(root))


def homomorphic_denoise(image: np.ndarray, looks: float,
                        gaussian_denoiser: Callable[[np.ndarray, float], np.ndarray]
                        ) -> np.ndarray:
    """Denoise speckled ``image`` in the log domain with a Gaussian denoiser (homomorphic).

    Parameters
    ----------
    image : numpy.ndarray
        Speckled intensity ``x n``, ``n ~ Gamma(L, 1/L)``.
    looks : float
        ``L``.
    gaussian_denoiser : callable
        ``gaussian_denoiser(z, s)`` maps ``z``, with additive noise of standard deviation
        ``s``, to its estimate.

    Returns
    -------
    numpy.ndarray
        float64 estimate of ``x``: ``exp`` of the denoised log minus ``E[log n]``.

    Examples
    --------
    An ideal smoother of a flat region (its mean) gives back the region's intensity:

    >>> rng = np.random.default_rng(1)
    >>> y = 0.3 * rng.gamma(2.0, 1 / 2.0, size=(64, 64))
    >>> out = homomorphic_denoise(y, 2.0, lambda z, s: np.full_like(z, z.mean()))
    >>> bool(abs(out.mean() / 0.3 - 1) < 0.02)
    True
    """
    z = (np.log(np.maximum(np.asarray(image, dtype=np.float64), FLOOR)) + _LOG_SPAN) / _LOG_SPAN
    sigma = min(log_std(looks) / _LOG_SPAN, 1.0)  # 1 (the Gaussian maximum) below 0.12 looks
    denoised = np.asarray(gaussian_denoiser(z.astype(np.float32), sigma), dtype=np.float64)
    return np.exp(denoised * _LOG_SPAN - _LOG_SPAN - log_bias(looks))


def _gaussian(sigma: float):
    from benchmark.core.contract import Noise

    return Noise("gaussian", sigma)


def _homomorphic(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def wrapped(item: np.ndarray, noise, **params) -> np.ndarray:
        out = homomorphic_denoise(item, noise.sigma,
                                  lambda z, s: function(z, _gaussian(s), **params))
        return out.astype(np.float32)

    return wrapped


@register_noise
class SpeckleNoise(NoiseModel):
    """Multiplicative Gamma speckle of ``L`` looks (the ``sigma`` field) on intensity."""

    kind = "speckle"
    parameters = {
        "sigma": "L, the number of looks of speckle multiplying the [0, 1] intensity range: "
                 "y = x n, n ~ Gamma(L, 1/L), mean 1, variance 1/L (higher is less noise; "
                 "documented levels 1, 2, 4, 8, 16)",
    }
    fair_transforms = (
        FairTransform("speckle-log", "homomorphic: log(max(y, 1e-4)) rescaled to [0, 1], "
                      "Gaussian denoiser at sigma sqrt(trigamma(L)) / log(1e4), exp with the "
                      "bias of the log digamma(L) - log(L) removed", _homomorphic),
    )
    data = ("image",)
    level_max = LOOKS_MAX
    level_max_reason = ("is above 1e5 looks, where speckle (relative standard deviation "
                        "1/sqrt(L) = 0.3%) is below the 8-bit quantisation of the data; give a "
                        "number of looks, e.g. 4")
    label = "Ultrasound speckle"
    level_name, level_axis = "looks", "looks L (higher is less noise)"
    report_level, report_levels = 4.0, LEVELS
    default_dataset = "us-phantom"

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``clean * n``, ``n ~ Gamma(shape L, scale 1/L)`` (negative intensities count as 0)."""
        return np.maximum(clean, 0.0) * rng.gamma(sigma, 1.0 / sigma, size=np.shape(clean))

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """The number of looks from the log-domain Haar coefficients (:func:`estimate_looks`)."""
        return estimate_looks(noisy)
