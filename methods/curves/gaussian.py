"""Gaussian smoothing of a curve (scipy.ndimage)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "gaussian-1d", params={"width": 1.0}, grid={"width": [0.5, 1.0, 1.5, 2.0, 3.0]},
    uses_sigma=False, data="curve", cost=0.05,
    summary="Gaussian smoothing, standard deviation `width` samples "
            "(scipy.ndimage.gaussian_filter1d)",
)
def gaussian_1d(curve: np.ndarray, noise: Noise, *, width: float) -> np.ndarray:
    """Convolve with a Gaussian of standard deviation ``width`` samples; ends repeated.

    Examples
    --------
    >>> gaussian_1d(np.array([0.0, 0.0, 4.0, 0.0, 0.0]), None, width=1.0).round(2).tolist()
    [0.22, 0.97, 1.6, 0.97, 0.22]
    """
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(curve, sigma=float(width), mode="nearest")
