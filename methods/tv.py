"""Total-variation denoising, Chambolle's projection algorithm (scikit-image)."""

from __future__ import annotations

import numpy as np
from skimage.restoration import denoise_tv_chambolle

from benchmark.contract import Noise
from benchmark.registry import register


@register(
    "tv",
    params={"weight_per_sigma": 1.0, "max_num_iter": 200},
    summary="Total variation (Chambolle), weight = weight_per_sigma * sigma (scikit-image)",
)
def tv_chambolle(
    image: np.ndarray, noise: Noise, *, weight_per_sigma: float, max_num_iter: int
) -> np.ndarray:
    """TV denoising with a weight proportional to the noise level.

    At sigma 0.1 the weight is 0.1, scikit-image's default.
    """
    return denoise_tv_chambolle(
        image, weight=weight_per_sigma * noise.sigma, max_num_iter=max_num_iter
    )
