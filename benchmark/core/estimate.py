"""Blind mode: the noise level estimated from the noisy image itself.

- Gaussian noise: scikit-image's :func:`~skimage.restoration.estimate_sigma` (the median
  absolute deviation of the finest diagonal wavelet coefficients, Donoho & Johnstone 1994).
- Rician noise: the air around the anatomy, where the signal is 0 and the magnitude follows a
  Rayleigh law of scale sigma. The air is found without the clean image: the Rayleigh peak is
  the mode of the histogram of the darkest half of the pixels, then sigma is refined by the
  second moment of the pixels below ``1.5 sigma``, corrected for the truncation (a fixed point).
  Needs some air in the image (any MR slice padded to a square has plenty).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmark.core.errors import BenchError

#: Sigma sources a sweep accepts: the true level, or one estimated from each noisy image.
SIGMA_SOURCES: tuple[str, ...] = ("oracle", "estimated")

_TRUNCATION = 1.5  # pixels below 1.5 sigma: 68% of the air, little tissue


def estimate_gaussian(noisy: np.ndarray) -> float:
    """Sigma of additive Gaussian noise by the wavelet MAD estimator (scikit-image)."""
    from skimage.restoration import estimate_sigma

    return float(estimate_sigma(np.asarray(noisy, dtype=np.float64), channel_axis=None))


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
    values = np.asarray(noisy, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    dark = values[values <= np.median(values)]
    if dark.size < 64 or dark.max() <= 0:
        raise BenchError("cannot estimate Rician sigma: the image has no air (background) "
                         "pixels; use --sigma-source oracle")
    counts, edges = np.histogram(dark, bins=64)
    counts = np.convolve(counts, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(counts))
    sigma = 0.5 * (edges[peak] + edges[peak + 1])  # a Rayleigh law's mode is its scale
    factor = _truncated_rayleigh_factor(_TRUNCATION)
    for _ in range(iterations):
        below = values[values < _TRUNCATION * sigma]
        if below.size < 16:
            break
        sigma = float(np.sqrt(np.mean(below**2) / factor))
    return float(sigma)


#: One estimator per noise kind: ``noisy image -> sigma``.
ESTIMATORS: dict[str, Callable[[np.ndarray], float]] = {
    "gaussian": estimate_gaussian,
    "rician": estimate_rician_background,
}


def estimate_sigma(noisy: np.ndarray, kind: str) -> float:
    """Estimate the noise level of ``noisy`` for noise ``kind`` (see :data:`ESTIMATORS`)."""
    if kind not in ESTIMATORS:
        raise BenchError(f"no sigma estimator for noise {kind!r}; use --sigma-source oracle")
    return ESTIMATORS[kind](noisy)


def check_sigma_source(source: str) -> str:
    """``source`` if it is one of :data:`SIGMA_SOURCES`, else a one-line error."""
    if source not in SIGMA_SOURCES:
        raise BenchError(f"--sigma-source {source!r}: use one of {', '.join(SIGMA_SOURCES)}")
    return source
