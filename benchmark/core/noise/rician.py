"""Rician noise (magnitude MRI): ``y = |x + sigma * (n1 + i n2)|``, ``n1, n2 ~ N(0, 1)``.

Parameter: ``sigma``, the standard deviation of each of the two underlying Gaussian channels,
a fraction of the [0, 1] intensity range (so air, where ``x = 0``, averages
``sigma * sqrt(pi / 2)`` and ``E[y^2] = x^2 + 2 sigma^2``).

Estimator: the air around the anatomy, where the magnitude follows a Rayleigh law of scale
sigma. The air is found without the clean image: the Rayleigh peak is the mode of the
histogram of the darkest half of the pixels, then sigma is refined by the second moment of the
pixels below ``1.5 sigma``, corrected for the truncation (a fixed point). Needs some air in
the image (any MR slice padded to a square has plenty).

Fair transforms, each giving every eligible classical method a variant (see
:class:`~benchmark.core.noise.model.FairTransform`):

- ``rician-bc``: the method's output ``d`` corrected as ``x = sqrt(max(d^2 - 2 sigma^2, 0))``.
- ``rician-vst``: the variance-stabilising transform of Foi (ISBI 2011): a forward transform
  ``f`` that makes the noise roughly Gaussian with unit variance, the Gaussian denoiser, and
  the exact unbiased inverse (the inverse of ``nu -> E[f(z)]`` for ``z ~ Rice(nu, 1)``), both
  computed from the Rician moments by numerical integration (see :mod:`.rician_vst`).

A wrapped method is called with ``Noise("gaussian", sigma)``, so its per-sigma parameters keep
their meaning and its tuning grid applies to the variant too.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.core.noise.model import FairTransform, NoiseModel, register_noise
from benchmark.core.noise.rician_vst import bias_correct, vst_denoise

_TRUNCATION = 1.5  # pixels below 1.5 sigma: 68% of the air, little tissue


def _truncated_rayleigh_factor(c: float) -> float:
    """``E[y^2 | y < c sigma] / sigma^2`` for a Rayleigh law of scale sigma."""
    tail = np.exp(-(c**2) / 2)
    return 2.0 * (1.0 - (c**2 / 2) * tail / (1.0 - tail))


def estimate_rician_background(noisy: np.ndarray, *, iterations: int = 20) -> float:
    """Sigma of Rician noise from the Rayleigh-distributed air of a magnitude image.

    Parameters
    ----------
    noisy : numpy.ndarray
        Magnitude image with some air (signal 0) in it.
    iterations : int
        Fixed-point iterations of the truncated second moment (converges in a few).

    Returns
    -------
    float
        The estimated sigma.

    Raises
    ------
    BenchError
        If the image has no dark peak that could be air.
    """
    values, peak = air_peak(noisy, "Rician")
    # a Rayleigh law's mode is its scale
    return refine_in_air(values, peak, _TRUNCATION, _truncated_rayleigh_factor(_TRUNCATION),
                         iterations)


def air_peak(noisy: np.ndarray, law: str) -> tuple[np.ndarray, float]:
    """The finite pixels of ``noisy`` and the mode of the darkest half's histogram (the air's
    peak), or a one-line error naming ``law`` when there is no air."""
    values = np.asarray(noisy, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    dark = values[values <= np.median(values)]
    if dark.size < 64 or dark.max() <= 0:
        raise BenchError(f"cannot estimate {law} sigma: the image has no air (background) "
                         "pixels; use --sigma-source oracle")
    counts, edges = np.histogram(dark, bins=64)
    counts = np.convolve(counts, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(counts))
    return values, 0.5 * (edges[peak] + edges[peak + 1])


def refine_in_air(values: np.ndarray, sigma: float, cut: float, factor: float,
                  iterations: int) -> float:
    """Fixed point of sigma from the second moment of the pixels below ``cut * sigma``, whose
    truncated second moment is ``factor * sigma^2``."""
    for _ in range(iterations):
        below = values[values < cut * sigma]
        if below.size < 16:
            break
        sigma = float(np.sqrt(np.mean(below**2) / factor))
    return float(sigma)


def _gaussian(sigma: float):
    from benchmark.core.contract import Noise

    return Noise("gaussian", sigma)


def _bias_corrected(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def corrected(item: np.ndarray, noise, **params) -> np.ndarray:
        out = function(item, _gaussian(noise.sigma), **params)
        return bias_correct(out, noise.sigma).astype(np.float32)

    return corrected


def _stabilised(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def stabilised(item: np.ndarray, noise, **params) -> np.ndarray:
        gaussian = _gaussian(noise.sigma)
        out = vst_denoise(item, noise.sigma, lambda x: function(x, gaussian, **params))
        return out.astype(np.float32)

    return stabilised


@register_noise
class RicianNoise(NoiseModel):
    """Rician noise of underlying Gaussian standard deviation ``sigma`` per channel."""

    kind = "rician"
    parameters = {
        "sigma": "standard deviation of each of the real and imaginary Gaussian channels, a "
                 "fraction of the [0, 1] intensity range",
    }
    fair_transforms = (
        FairTransform("rician-bc", "output bias-corrected: sqrt(max(d^2 - 2 sigma^2, 0))",
                      _bias_corrected),
        FairTransform("rician-vst", "Rician VST (Foi 2011): forward, Gaussian denoiser, exact "
                      "unbiased inverse", _stabilised),
    )

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``hypot(clean + sigma n1, sigma n2)``: all of ``n1`` is drawn, then all of ``n2``."""
        real = clean + sigma * rng.standard_normal(clean.shape)
        imaginary = sigma * rng.standard_normal(clean.shape)
        return np.hypot(real, imaginary)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Sigma from the Rayleigh-distributed air (:func:`estimate_rician_background`)."""
        return estimate_rician_background(noisy)
