"""Image-quality metrics, each knowing its direction, and their aggregation.

PSNR uses ``data_range = 1``. SSIM is that of Wang et al. (2004) through scikit-image, with a
Gaussian window of sigma 1.5, ``use_sample_covariance=False`` and ``data_range = 1``.
Both are computed per image on the whole image, then aggregated with their spread and N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

DATA_RANGE = 1.0


def _f64(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB with ``data_range = 1`` (computed in float64).

    The formula of ``skimage.metrics.peak_signal_noise_ratio``, ``10 log10(range^2 / MSE)``
    with the MSE in float64, written here because that module imports scipy.stats (slow to
    import, unused). A test checks it equals scikit-image's value.
    """
    error = np.mean((_f64(clean) - _f64(estimate)) ** 2, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return float(10 * np.log10((DATA_RANGE**2) / error))


def structural_similarity(*args, **kwargs):
    """``skimage.metrics.structural_similarity``, imported on first use without the rest of
    ``skimage.metrics`` (which imports scipy.stats)."""
    try:
        from skimage.metrics._structural_similarity import structural_similarity as ssim_
    except ImportError:  # another layout of scikit-image: the public name
        from skimage.metrics import structural_similarity as ssim_
    return ssim_(*args, **kwargs)


def ssim(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Structural similarity of Wang et al. 2004 (Gaussian window, sigma 1.5; in float64)."""
    return float(
        structural_similarity(
            _f64(clean),
            _f64(estimate),
            data_range=DATA_RANGE,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


@dataclass(frozen=True)
class Metric:
    """A metric: its function, unit, and which direction is better."""

    name: str
    function: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool
    unit: str
    label: str


METRICS: dict[str, Metric] = {
    "psnr": Metric("psnr", psnr, True, "dB", "PSNR"),
    "ssim": Metric("ssim", ssim, True, "", "SSIM"),
}


def score(clean: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one image pair (clean first)."""
    return {name: metric.function(clean, estimate) for name, metric in METRICS.items()}


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation (ddof=1) and count of per-image values."""

    mean: float
    std: float
    n: int

    def format(self, digits: int) -> str:
        """``mean ± std`` rounded to ``digits`` decimals."""
        if self.n == 0:
            return "–"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"


def summarise(values: np.ndarray | list[float]) -> Summary:
    """Aggregate per-image values; NaNs (failed cells) are excluded from N."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]  # an infinite PSNR (exact output) is a value
    n = int(values.size)
    if n == 0:
        return Summary(float("nan"), float("nan"), 0)
    if n == 1:
        std = 0.0
    elif np.isfinite(values).all():
        std = float(values.std(ddof=1))
    else:  # an infinite value has no spread around an infinite mean
        std = float("nan")
    return Summary(float(values.mean()), std, n)
