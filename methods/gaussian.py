"""Gaussian low-pass filter (scipy.ndimage)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "gaussian-filter",
    params={"width_per_sigma": 10.0},
    grid={"width_per_sigma": [5.0, 7.5, 10.0, 15.0, 20.0]},
    summary="Gaussian low-pass filter, width = width_per_sigma * sigma px (scipy.ndimage)",
)
def gaussian_filter(image: np.ndarray, noise: Noise, *, width_per_sigma: float) -> np.ndarray:
    """Blur with a Gaussian kernel whose standard deviation (pixels) grows with the noise.

    At sigma 0.1 the kernel has a standard deviation of 1 pixel. Borders are reflected.
    """
    from scipy import ndimage  # on use: keeps `bench methods` and start-up fast

    return ndimage.gaussian_filter(image, sigma=width_per_sigma * noise.sigma, mode="reflect")
