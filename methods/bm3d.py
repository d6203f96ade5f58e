"""Block-matching and 3-D filtering (the ``bm3d`` package; non-commercial licence)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register

#: The package's named profiles.
PROFILES = ("np", "high", "refilter", "vn")


@register(
    "bm3d",
    params={"profile": "np"},
    cost=60.0,
    summary="BM3D, sigma_psd = sigma, hard thresholding then Wiener (bm3d package)",
)
def bm3d(image: np.ndarray, noise: Noise, *, profile: str) -> np.ndarray:
    """BM3D (Dabov et al. 2007; Mäkinen et al. 2020) told the true noise level.

    Runs on one thread (``num_threads = 1``). The package's default (0, automatic) uses every
    core through its own thread pool, which neither OpenMP variables nor threadpoolctl limit,
    and its aggregation order then varies: two identical calls differed by up to 6e-7 here. On
    one thread the output is bit-exact; the runner parallelises across cells instead.
    """
    import bm3d as bm3d_package  # the package shares this module's name

    if profile not in PROFILES:
        raise ValueError(f"bm3d profile {profile!r} is not one of {', '.join(PROFILES)}")
    settings = {
        "np": bm3d_package.BM3DProfile,
        "high": bm3d_package.BM3DProfileHigh,
        "refilter": bm3d_package.BM3DProfileRefilter,
        "vn": bm3d_package.BM3DProfileVN,
    }[profile]()
    settings.num_threads = 1
    return bm3d_package.bm3d(image, sigma_psd=noise.sigma, profile=settings)
