"""Running median of a curve (scipy.ndimage)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "median-1d", params={"window": 3}, grid={"window": [3, 5, 7]},
    uses_sigma=False, data="curve", cost=0.05,
    summary="running median over `window` samples (scipy.ndimage.median_filter)",
)
def median_1d(curve: np.ndarray, noise: Noise, *, window: int) -> np.ndarray:
    """The median of the ``window`` samples centred on each sample; ends repeated.

    Examples
    --------
    >>> median_1d(np.array([0.0, 9.0, 1.0, 2.0]), None, window=3).tolist()
    [0.0, 1.0, 2.0, 2.0]
    """
    from scipy.ndimage import median_filter

    return median_filter(curve, size=int(window), mode="nearest")
