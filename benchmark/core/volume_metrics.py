"""Metrics of a denoised volume: on the whole volume (3-D) and slice by slice (2-D).

PSNR is computed over every voxel (``data_range = 1``). SSIM is scikit-image's
``structural_similarity`` on the 3-D arrays, with the image settings (Gaussian window of sigma
1.5, ``use_sample_covariance=False``, ``data_range = 1``). Its window spans 11 voxels; a volume
thinner than that along an axis (the MNI152 test slabs are 10 slices deep) gets the largest odd
``win_size`` that fits (:func:`ssim_window`). The window only sets the border left out of the
mean: the Gaussian filtering is the same (sigma 1.5, reflected borders), but on a 10-slice slab
the mean covers the 2 central slices rather than all 10 (with ``win_size = 9``).

The slice-wise columns are the image metrics (:mod:`benchmark.core.metrics`) of each axial
slice, averaged over the volume; the anatomy columns use the slices' anatomy masks
(:mod:`benchmark.core.masks`) stacked into a 3-D mask.
"""

from __future__ import annotations

import numpy as np

from benchmark.core.masks import anatomy_mask
from benchmark.core.metrics import DATA_RANGE, psnr, ssim, structural_similarity

#: SSIM's window: 11 taps for sigma 1.5, as for images.
SSIM_WINDOW = 11


def ssim_window(shape: tuple[int, ...]) -> int:
    """The ``win_size`` given to scikit-image: 11, or the largest odd size under the thinnest
    side of ``shape``.

    Examples
    --------
    >>> ssim_window((10, 64, 64)), ssim_window((32, 64, 64))
    (9, 11)
    """
    side = min(shape)
    return min(SSIM_WINDOW, side if side % 2 else side - 1)


def ssim_3d(clean: np.ndarray, estimate: np.ndarray, *, full: bool = False):
    """SSIM of two volumes on the whole 3-D array (float64); with ``full``, also the SSIM map.

    Examples
    --------
    >>> volume = np.linspace(0, 1, 7 * 16 * 16).reshape(7, 16, 16)
    >>> round(float(ssim_3d(volume, volume)), 6)
    1.0
    """
    return structural_similarity(
        np.asarray(clean, dtype=np.float64), np.asarray(estimate, dtype=np.float64),
        data_range=DATA_RANGE, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        win_size=ssim_window(np.shape(clean)), full=full)


def score_volume(clean: np.ndarray, estimate: np.ndarray) -> dict:
    """A volume cell's scores: ``psnr`` and ``ssim`` on the volume, and in ``extra`` the mean
    per-slice ``psnr_slices`` / ``ssim_slices`` and the anatomy scores of the volume.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.random((7, 16, 16))
    >>> scores = score_volume(clean, clean + 0.1)
    >>> round(scores["psnr"], 6), sorted(scores["extra"])[:2]
    (20.0, ['anatomy_fraction', 'psnr_anatomy'])
    """
    clean = np.asarray(clean, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    value, ssim_map = ssim_3d(clean, estimate, full=True)
    extra = {"psnr_slices": float(np.mean([psnr(c, e) for c, e in zip(clean, estimate)])),
             "ssim_slices": float(np.mean([ssim(c, e) for c, e in zip(clean, estimate)]))}
    mask = np.stack([anatomy_mask(c) for c in clean])
    if mask.any():
        mse = float(np.mean((clean[mask] - estimate[mask]) ** 2))
        extra.update(
            psnr_anatomy=float("inf") if mse == 0 else float(10 * np.log10(DATA_RANGE**2 / mse)),
            ssim_anatomy=float(ssim_map[mask].mean()))
    else:
        extra.update(psnr_anatomy=float("nan"), ssim_anatomy=float("nan"))
    extra["anatomy_fraction"] = float(mask.mean())
    return {"psnr": psnr(clean, estimate), "ssim": float(value), "extra": extra}
