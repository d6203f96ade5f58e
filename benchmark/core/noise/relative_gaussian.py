"""Gaussian noise relative to each curve's mean, the noise of the DCE-MRI curve track.

``y = x + sigma * mean(x) * n``, ``n ~ N(0, 1)``, one standard deviation per curve: ``sigma``
is the noise level as a fraction of that curve's mean concentration (``0.2`` is "20% noise").
It applies to curve denoisers only (data ``"curve"``, stacks ``(N, T)``); curves are in their
own units (mM), not in [0, 1]. Estimator: the median over curves of the MAD of first
differences, divided by sqrt(2) and by the curve's mean (first differences cancel a smooth
signal; a curve of 32 samples gives a rough estimate). No fair transform: the 1-D denoisers
take the level in these units.
"""

from __future__ import annotations

import numpy as np

from benchmark.core.noise.model import NoiseModel, register_noise


@register_noise
class RelativeGaussianNoise(NoiseModel):
    """Additive Gaussian noise whose standard deviation is ``sigma`` times each curve's mean."""

    kind = "relative-gaussian"
    parameters = {"sigma": "noise standard deviation as a fraction of each curve's mean "
                           "(0.05-0.5: 5-50% noise)"}
    data = ("curve",)

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``clean + sigma * mean(clean, last axis) * N(0, 1)``."""
        scale = sigma * np.abs(np.mean(clean, axis=-1, keepdims=True))
        return clean + scale * rng.standard_normal(clean.shape)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Median over curves of MAD(first differences) / (0.6745 sqrt 2) / |mean|."""
        curves = np.atleast_2d(np.asarray(noisy, dtype=np.float64))
        steps = np.diff(curves, axis=-1)
        mad = np.median(np.abs(steps - np.median(steps, axis=-1, keepdims=True)), axis=-1)
        means = np.abs(curves.mean(axis=-1))
        ratio = mad / (0.6745 * np.sqrt(2)) / np.where(means > 0, means, np.inf)
        return float(np.median(ratio))
