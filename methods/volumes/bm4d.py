"""Block-matching and 4-D filtering of volumes (the ``bm4d`` package; non-commercial licence)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register

#: The package's named profiles used here.
PROFILES = ("np", "refilter")


@register(
    "bm4d",
    params={"profile": "np"},
    grid={"profile": ["np"]},  # ~85 s a 10 x 256 x 256 slab: no search
    noise_kinds=("gaussian",),
    data="volume",
    cost=600.0,
    summary="BM4D, sigma_psd = sigma, hard thresholding then Wiener, Gaussian noise only "
            "(bm4d package)",
)
def bm4d(volume: np.ndarray, noise: Noise, *, profile: str) -> np.ndarray:
    """BM4D (Maggioni et al. 2013; Mäkinen et al. 2020) on the volume, told the true level.

    It models additive white Gaussian noise, so it applies to Gaussian noise only; under
    Rician noise its fair variants (``bm4d.rician-bc``, ``bm4d.rician-vst``) run it on
    Gaussianised data. Runs on one thread (``num_threads = 1``), like ``bm3d`` (the
    package's automatic default uses every core, and its aggregation order then varies).

    Examples
    --------
    >>> volume = np.full((6, 16, 16), 0.5, np.float32)
    >>> bm4d(volume, Noise("gaussian", 0.1), profile="np").shape
    (6, 16, 16)
    """
    import bm4d as bm4d_package  # the package shares this module's name

    if profile not in PROFILES:
        raise ValueError(f"bm4d profile {profile!r} is not one of {', '.join(PROFILES)}")
    settings = {"np": bm4d_package.BM4DProfile,
                "refilter": bm4d_package.BM4DProfileRefilter}[profile]()
    settings.num_threads = 1
    return bm4d_package.bm4d(np.asarray(volume, dtype=np.float64), sigma_psd=noise.sigma,
                             profile=settings)
