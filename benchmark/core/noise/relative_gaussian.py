"""Gaussian noise relative to each curve's mean, the noise of the DCE-MRI curve track.

``y = x + sigma * mean(x) * n``, ``n ~ N(0, 1)``, one standard deviation per curve: ``sigma``
is the noise level as a fraction of that curve's mean concentration (``0.2`` is "20% noise").
It applies to curve denoisers only (data ``"curve"``, stacks ``(N, T)``); curves are in their
own units (mM), not in [0, 1]. Estimator: each curve divided by its mean, second differences
of its last three quarters (after the bolus, where the signal is smooth and the differences
are noise), the MAD of those pooled over the curves, divided by 0.6745 sqrt(6) (the standard
deviation of a second difference of unit white noise is sqrt(6)). Within 5% on the dce-sim
validation curves at 5-50% noise. No fair transform: the 1-D denoisers take the level in
these units.
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
    level_max_reason = "is above 100% of each curve's mean; give a fraction of it, e.g. 0.2"

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``clean + sigma * mean(clean, last axis) * N(0, 1)``."""
        scale = sigma * np.abs(np.mean(clean, axis=-1, keepdims=True))
        return clean + scale * rng.standard_normal(clean.shape)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Pooled MAD of second differences of the mean-normalised curves' last 3/4."""
        curves = np.atleast_2d(np.asarray(noisy, dtype=np.float64))
        means = np.abs(curves.mean(axis=-1, keepdims=True))
        scaled = curves[means[:, 0] > 0] / means[means[:, 0] > 0]
        steps = np.diff(scaled[:, scaled.shape[-1] // 4:], n=2, axis=-1).ravel()
        if steps.size == 0:
            return float("nan")
        mad = np.median(np.abs(steps - np.median(steps)))
        return float(mad / (0.6745 * np.sqrt(6)))
