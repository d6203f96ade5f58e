"""Blind mode: the noise level estimated from the noisy image itself.

Each noise model holds its own estimator (see :mod:`benchmark.core.noise` and
``docs/noise.md``): scikit-image's wavelet MAD for Gaussian noise, the Rayleigh-distributed air
for Rician noise. This module only picks the sigma source of a sweep.
"""

from __future__ import annotations

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.core.noise import get_noise_model
from benchmark.core.noise.rician import estimate_rician_background  # noqa: F401  (re-export)

#: Sigma sources a sweep accepts: the true level, or one estimated from each noisy image.
SIGMA_SOURCES: tuple[str, ...] = ("oracle", "estimated")


def estimate_gaussian(noisy: np.ndarray) -> float:
    """Sigma of additive Gaussian noise by the wavelet MAD estimator (scikit-image)."""
    return get_noise_model("gaussian").estimate_sigma(noisy)


def estimate_sigma(noisy: np.ndarray, kind: str) -> float:
    """Estimate the noise level of ``noisy`` with the estimator of noise ``kind``'s model."""
    model = get_noise_model(kind)
    try:
        return model.estimate_sigma(noisy)
    except NotImplementedError:
        raise BenchError(f"no sigma estimator for noise {kind!r}; use --sigma-source oracle"
                         ) from None


def check_sigma_source(source: str) -> str:
    """``source`` if it is one of :data:`SIGMA_SOURCES`, else a one-line error."""
    if source not in SIGMA_SOURCES:
        raise BenchError(f"--sigma-source {source!r}: use one of {', '.join(SIGMA_SOURCES)}")
    return source
