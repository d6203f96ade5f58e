"""Simple exponential smoothing of a curve (scipy.signal)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "exp-smoothing", params={"alpha": 0.5}, grid={"alpha": [0.2, 0.3, 0.5, 0.7, 0.9]},
    uses_sigma=False, data="curve", cost=0.05,
    summary="simple exponential smoothing s_t = alpha y_t + (1 - alpha) s_(t-1), s_0 = y_0 "
            "(scipy.signal.lfilter)",
)
def exp_smoothing(curve: np.ndarray, noise: Noise, *, alpha: float) -> np.ndarray:
    """Causal exponential smoothing started at the first sample.

    Being causal, it delays the curve: the bolus peak comes out later and lower the smaller
    ``alpha`` is (a known cost of this filter on fast uptake).

    Examples
    --------
    >>> exp_smoothing(np.array([1.0, 3.0, 3.0]), None, alpha=0.5).tolist()
    [1.0, 2.0, 2.5]
    """
    from scipy.signal import lfilter

    alpha = float(alpha)
    smoothed, _ = lfilter([alpha], [1.0, alpha - 1.0], curve, zi=[(1.0 - alpha) * curve[0]])
    return smoothed
