"""Statistics over test images: bootstrap confidence intervals and paired Wilcoxon tests.

Every resampling is seeded, so a table is the same on every run. With few images the tests have
little power: a two-sided Wilcoxon signed-rank test on N pairs cannot give p below
``2 / 2**N`` (0.125 for N = 4), so no difference is called significant below N = 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    """A mean with its bootstrap confidence interval and N."""

    mean: float
    low: float
    high: float
    n: int

    def format(self, digits: int) -> str:
        """``mean [low, high]`` (``mean`` alone for N = 1, ``–`` for N = 0)."""
        if self.n == 0:
            return "–"
        if not np.isfinite(self.low):
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def bootstrap_ci(values, *, level: float = LEVEL, n_resamples: int = 2000,
                 seed: int = 0) -> Interval:
    """Mean and percentile-bootstrap confidence interval over per-image values.

    Parameters
    ----------
    values : array_like
        One value per test image; NaN and infinite values are dropped.
    level : float
        Confidence level (default 0.95).
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling (the interval is reproducible).

    Returns
    -------
    Interval
        NaN bounds when fewer than 2 values, or when all are equal (the interval is the mean).

    Examples
    --------
    >>> bootstrap_ci([1.0, 2.0, 3.0, 4.0]).format(2)
    '2.50 [1.50, 3.50]'
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]  # NaN: failed cell; inf PSNR: exact output
    n = int(values.size)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(values.mean())
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), n)
    if np.ptp(values) == 0:
        return Interval(mean, mean, mean, n)
    result = stats.bootstrap((values,), np.mean, confidence_level=level, n_resamples=n_resamples,
                             method="percentile", rng=np.random.default_rng(seed))
    return Interval(mean, float(result.confidence_interval.low),
                    float(result.confidence_interval.high), n)


def paired_wilcoxon(a, b) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of paired values ``a`` vs ``b``.

    Pairs with a NaN are dropped. Returns 1.0 when every difference is 0 and NaN with no pairs.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = ~np.isnan(a) & ~np.isnan(b)
    differences = a[keep] - b[keep]
    if differences.size == 0:
        return float("nan")
    if not differences.any():
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="wilcox",
                                alternative="two-sided").pvalue)


def compare(values: dict[str, "dict[str, float]"], reference: str) -> dict[str, tuple[float, int]]:
    """Wilcoxon p-value and N of pairs of every method against ``reference``.

    ``values`` maps method -> {image_id: value}; pairs are matched on image id.
    """
    ref = values.get(reference, {})
    out = {}
    for name, per_image in values.items():
        common = sorted(set(per_image) & set(ref))
        a = [per_image[i] for i in common]
        b = [ref[i] for i in common]
        out[name] = (paired_wilcoxon(a, b) if name != reference else float("nan"), len(common))
    return out
