"""Wavelet soft thresholding of a curve (PyWavelets)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "wavelet-1d", params={"wavelet": "db2", "level": 2, "threshold_scale": 1.0},
    grid={"threshold_scale": [0.25, 0.5, 0.75, 1.0, 1.5], "level": [1, 2, 3]},
    data="curve", cost=0.1,
    summary="wavelet soft thresholding at threshold_scale x the universal threshold of the "
            "noise level (PyWavelets)",
)
def wavelet_1d(curve: np.ndarray, noise: Noise, *, wavelet: str, level: int,
               threshold_scale: float) -> np.ndarray:
    """Soft-threshold the detail coefficients of a ``level``-level DWT, keep the approximation.

    The threshold is ``threshold_scale * sd * sqrt(2 ln T)`` (Donoho-Johnstone's universal
    threshold) with ``sd = noise.sigma * |mean(curve)|``, the noise standard deviation in mM
    of relative-Gaussian noise. Symmetric extension; the level is capped at the deepest the
    curve's length allows.

    Examples
    --------
    >>> from benchmark.core.contract import Noise
    >>> curve = np.linspace(0.0, 1.0, 32)
    >>> out = wavelet_1d(curve, Noise("relative-gaussian", 0.1), wavelet="db2", level=2,
    ...                  threshold_scale=1.0)
    >>> out.shape, bool(np.abs(out - curve).max() < 0.1)
    ((32,), True)
    """
    import pywt

    wavelet_ = pywt.Wavelet(wavelet)
    level = max(1, min(int(level), pywt.dwt_max_level(len(curve), wavelet_.dec_len)))
    coeffs = pywt.wavedec(curve, wavelet_, mode="symmetric", level=level)
    sd = float(noise.sigma) * abs(float(np.mean(curve)))
    threshold = float(threshold_scale) * sd * np.sqrt(2 * np.log(len(curve)))
    coeffs[1:] = [pywt.threshold(c, threshold, mode="soft") for c in coeffs[1:]]
    return pywt.waverec(coeffs, wavelet_, mode="symmetric")[:len(curve)]
