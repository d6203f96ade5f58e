"""Wavelet shrinkage with BayesShrink, plain and shift-invariant (scikit-image, PyWavelets)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register

_WAVELET_PARAMS = {"wavelet": "db2", "mode": "soft"}


@register(
    "wavelet",
    params=dict(_WAVELET_PARAMS),
    grid={"wavelet": ["db1", "db2", "sym8"], "mode": ["soft", "hard"]},
    summary="Wavelet soft thresholding, BayesShrink, true sigma (scikit-image/PyWavelets)",
)
def wavelet(image: np.ndarray, noise: Noise, *, wavelet: str, mode: str) -> np.ndarray:
    """BayesShrink soft thresholding of an orthogonal wavelet decomposition, given sigma."""
    from skimage.restoration import denoise_wavelet  # on use: it pulls scipy.stats

    return denoise_wavelet(
        image, sigma=noise.sigma, wavelet=wavelet, mode=mode, method="BayesShrink",
        rescale_sigma=True,
    )


@register(
    "wavelet.shift-invariant",
    params={**_WAVELET_PARAMS, "max_shifts": 3},
    grid={"wavelet": ["db2", "sym8"]},
    cost=16.0,
    summary="Cycle-spinning BayesShrink over (max_shifts+1)^2 shifts (scikit-image)",
)
def shift_invariant_wavelet(
    image: np.ndarray, noise: Noise, *, wavelet: str, mode: str, max_shifts: int
) -> np.ndarray:
    """Average of BayesShrink over circular shifts 0..max_shifts in each axis (cycle spinning).

    Runs on one core (``workers=1``): the benchmark parallelises across cells instead.
    """
    from skimage.restoration import cycle_spin, denoise_wavelet

    return cycle_spin(
        image,
        func=denoise_wavelet,
        max_shifts=max_shifts,
        func_kw={"sigma": noise.sigma, "wavelet": wavelet, "mode": mode,
                 "method": "BayesShrink", "rescale_sigma": True},
        channel_axis=None,
        workers=1,
    )
