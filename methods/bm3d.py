"""Block-matching and 3-D filtering (the ``bm3d`` package; non-commercial licence)."""

from __future__ import annotations

import numpy as np

from benchmark.contract import Noise
from benchmark.registry import register


@register(
    "bm3d",
    params={"profile": "np"},
    cost=60.0,
    summary="BM3D, sigma_psd = sigma, hard thresholding then Wiener (bm3d package)",
)
def bm3d(image: np.ndarray, noise: Noise, *, profile: str) -> np.ndarray:
    """BM3D (Dabov et al. 2007; Mäkinen et al. 2020) told the true noise level."""
    import bm3d as bm3d_package  # the package shares this module's name

    return bm3d_package.bm3d(image, sigma_psd=noise.sigma, profile=profile)
