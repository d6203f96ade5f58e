"""Moving average of a curve (scipy.ndimage)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "moving-average", params={"window": 3}, grid={"window": [3, 5, 7, 9]},
    uses_sigma=False, data="curve", cost=0.05,
    summary="centred moving average over `window` samples (scipy.ndimage.uniform_filter1d)",
)
def moving_average(curve: np.ndarray, noise: Noise, *, window: int) -> np.ndarray:
    """The mean of the ``window`` samples centred on each sample; ends repeated.

    Examples
    --------
    >>> moving_average(np.array([0.0, 3.0, 0.0, 3.0]), None, window=3).round(1).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(curve, size=int(window), mode="nearest")
