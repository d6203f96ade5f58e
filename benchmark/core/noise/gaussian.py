"""Additive white Gaussian noise: ``y = x + sigma * n``, ``n ~ N(0, 1)``.

Parameter: ``sigma``, the standard deviation, a fraction of the [0, 1] intensity range (the
paper's "noise factor 0.1" is ``sigma = 0.1``). Estimator: scikit-image's wavelet MAD
(:func:`skimage.restoration.estimate_sigma`, Donoho & Johnstone 1994). Every method applies;
no fair transform is needed (the methods are Gaussian denoisers).
"""

from __future__ import annotations

import numpy as np

from benchmark.core.noise.model import NoiseModel, register_noise


@register_noise
class GaussianNoise(NoiseModel):
    """Additive white Gaussian noise of standard deviation ``sigma``."""

    kind = "gaussian"

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``clean + sigma * N(0, 1)``, one standard normal draw per element."""
        return clean + sigma * rng.standard_normal(clean.shape)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Sigma by the wavelet MAD estimator (scikit-image), per 2-D image or N-D array."""
        from skimage.restoration import estimate_sigma

        return float(estimate_sigma(np.asarray(noisy, dtype=np.float64), channel_axis=None))
