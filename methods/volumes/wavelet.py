"""3-D wavelet shrinkage with BayesShrink (scikit-image, PyWavelets)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


@register(
    "wavelet-3d",
    params={"wavelet": "db2", "mode": "soft"},
    grid={"wavelet": ["db1", "db2", "sym8"], "mode": ["soft", "hard"]},
    data="volume",
    summary="3-D wavelet soft thresholding, BayesShrink, true sigma (scikit-image/PyWavelets)",
)
def wavelet_3d(volume: np.ndarray, noise: Noise, *, wavelet: str, mode: str) -> np.ndarray:
    """BayesShrink thresholding of a separable 3-D wavelet decomposition, given sigma.

    ``denoise_wavelet`` on a 3-D array decomposes along all three axes; the number of levels
    is scikit-image's default for the thinnest axis (so a 10-slice slab gets few levels).

    Examples
    --------
    >>> volume = np.zeros((6, 8, 8), np.float32)
    >>> wavelet_3d(volume, Noise("gaussian", 0.1), wavelet="db2", mode="soft").shape
    (6, 8, 8)
    """
    import warnings

    from skimage.restoration import denoise_wavelet  # on use: it pulls scipy.stats

    with warnings.catch_warnings():  # a thin axis allows few levels; PyWavelets says so
        warnings.filterwarnings("ignore", message=".*[Ll]evel value.*too high.*")
        return denoise_wavelet(volume, sigma=noise.sigma, wavelet=wavelet, mode=mode,
                               method="BayesShrink", rescale_sigma=True)
