"""Bilateral filter (OpenCV)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "bilateral",
    params={"range_per_sigma": 2.0, "spatial_sigma": 2.0},
    grid={"range_per_sigma": [1.0, 2.0, 3.0], "spatial_sigma": [1.0, 2.0, 3.0]},
    summary="Bilateral filter, range sigma = range_per_sigma * sigma (OpenCV)",
)
def bilateral(
    image: np.ndarray, noise: Noise, *, range_per_sigma: float, spatial_sigma: float
) -> np.ndarray:
    """Edge-preserving bilateral filter.

    The range kernel's standard deviation is ``range_per_sigma * sigma`` intensity units, so
    that noise-sized differences are averaged and edges several sigma tall are kept. The window
    diameter is derived by OpenCV from ``spatial_sigma`` (pixels).
    """
    import cv2  # on use: keeps start-up fast

    return cv2.bilateralFilter(
        np.ascontiguousarray(image, dtype=np.float32),
        d=-1,
        sigmaColor=range_per_sigma * noise.sigma,
        sigmaSpace=spatial_sigma,
        borderType=cv2.BORDER_REFLECT,
    )
