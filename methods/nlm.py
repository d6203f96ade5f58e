"""Non-local means (scikit-image)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "nlm",
    params={"h_per_sigma": 0.8, "patch_size": 5, "patch_distance": 6},
    grid={"h_per_sigma": [0.6, 0.8, 1.0, 1.2]},
    cost=4.0,
    summary="Non-local means, h = h_per_sigma * sigma, fast mode (scikit-image)",
)
def nlm(
    image: np.ndarray, noise: Noise, *, h_per_sigma: float, patch_size: int, patch_distance: int
) -> np.ndarray:
    """Fast non-local means with the noise variance subtracted from patch distances.

    ``h = 0.8 sigma`` with ``sigma`` passed is scikit-image's documented recipe for fast mode.
    """
    from skimage.restoration import denoise_nl_means  # on use: it pulls scipy.stats

    return denoise_nl_means(
        image,
        h=h_per_sigma * noise.sigma,
        sigma=noise.sigma,
        patch_size=patch_size,
        patch_distance=patch_distance,
        fast_mode=True,
    )
