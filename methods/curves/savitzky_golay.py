"""Savitzky-Golay smoothing of a curve (scipy.signal)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "savitzky-golay", params={"window": 7, "order": 2},
    grid={"window": [5, 7, 9, 11], "order": [2, 3]},
    uses_sigma=False, data="curve", cost=0.05,
    summary="Savitzky-Golay filter: local polynomial of `order` over `window` samples "
            "(scipy.signal.savgol_filter)",
)
def savitzky_golay(curve: np.ndarray, noise: Noise, *, window: int, order: int) -> np.ndarray:
    """Least-squares polynomial of degree ``order`` fitted over ``window`` samples around each
    sample; at the ends, the polynomial fitted to the first/last ``window`` samples.

    A window longer than the curve is shortened to the longest odd length that fits.

    Examples
    --------
    >>> line = np.arange(8.0)
    >>> np.allclose(savitzky_golay(line, None, window=5, order=2), line)
    True
    """
    from scipy.signal import savgol_filter

    window = min(int(window), len(curve) - (1 - len(curve) % 2))
    return savgol_filter(curve, window_length=window, polyorder=min(int(order), window - 1),
                         mode="interp")
