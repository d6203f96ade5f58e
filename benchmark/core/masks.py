"""Anatomy masks from the clean image, and metrics restricted to them.

The recipe (deterministic; documented in the dataset cards):

1. threshold: pixels of the clean image above ``threshold`` (0.05 of the normalised range);
2. closing with a disk of radius ``closing_radius`` (3 px) to bridge thin dark gaps (sulci);
3. holes filled (ventricles, dark CSF inside the head belong to the anatomy);
4. connected pieces smaller than ``min_size`` (64 px) removed.

A card may set another recipe in its ``[anatomy]`` table; ``method = "whole-image"``
(``MaskRecipe(whole=True)``) makes the mask the whole image, for natural images, which have no
anatomy (:mod:`benchmark.data.anatomy` reads the card's recipe).

Metrics on the mask: PSNR from the mean squared error over the mask's pixels (data range 1);
SSIM as the mean of the SSIM map (the same Wang 2004 settings as the whole-image SSIM) over the
mask, so windows near the edge still see their true neighbourhood; the mean intensity error as
the mean of ``denoised - clean`` over the mask (signed: negative when the output is darker than
the clean image, the distortion a denoiser trained on other data can make). A cell whose mask
is empty gets NaN for all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.core.metrics import DATA_RANGE, structural_similarity


@dataclass(frozen=True)
class MaskRecipe:
    """Parameters of the anatomy mask (see the module docstring)."""

    threshold: float = 0.05
    closing_radius: int = 3
    min_size: int = 64
    whole: bool = False  # the whole image is the "anatomy" (natural images)


DEFAULT_RECIPE = MaskRecipe()


def anatomy_mask(clean: np.ndarray, recipe: MaskRecipe = DEFAULT_RECIPE) -> np.ndarray:
    """Boolean mask of the anatomy in a clean 2-D image (True inside).

    Examples
    --------
    >>> image = np.zeros((32, 32), np.float32); image[8:24, 8:24] = 0.5; image[14:18, 14:18] = 0
    >>> int(anatomy_mask(image).sum())  # the dark hole inside is filled
    256
    """
    if recipe.whole:
        return np.ones(np.shape(clean), dtype=bool)
    from scipy import ndimage  # on use, as below: keeps start-up fast
    from skimage import morphology

    mask = np.asarray(clean) > recipe.threshold
    if recipe.closing_radius > 0:
        mask = ndimage.binary_closing(np.pad(mask, recipe.closing_radius),
                                      structure=morphology.disk(recipe.closing_radius))
        mask = mask[(slice(recipe.closing_radius, -recipe.closing_radius),) * 2]
    mask = ndimage.binary_fill_holes(mask)
    return morphology.remove_small_objects(mask, max_size=recipe.min_size - 1)


def anatomy_scores(clean: np.ndarray, estimate: np.ndarray,
                   mask: np.ndarray | None = None,
                   recipe: MaskRecipe = DEFAULT_RECIPE) -> dict[str, float]:
    """Scores on the anatomy only: ``psnr_anatomy``, ``ssim_anatomy``, ``mean_error_anatomy``
    (mean of ``estimate - clean`` over the mask) and ``anatomy_fraction``.

    ``mask`` defaults to :func:`anatomy_mask` of ``clean`` with ``recipe``.

    Examples
    --------
    >>> clean = np.zeros((32, 32)); clean[8:24, 8:24] = 0.5
    >>> scores = anatomy_scores(clean, clean * 0.9)  # 10% darker inside, same background
    >>> round(scores["mean_error_anatomy"], 6), round(scores["anatomy_fraction"], 4)
    (-0.05, 0.25)
    """
    clean = np.asarray(clean, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    mask = anatomy_mask(clean, recipe) if mask is None else mask
    if not mask.any():
        return {"psnr_anatomy": float("nan"), "ssim_anatomy": float("nan"),
                "mean_error_anatomy": float("nan"), "anatomy_fraction": 0.0}
    mse = float(np.mean((clean[mask] - estimate[mask]) ** 2))
    _, ssim_map = structural_similarity(clean, estimate, data_range=DATA_RANGE,
                                        gaussian_weights=True, sigma=1.5,
                                        use_sample_covariance=False, full=True)
    return {
        "psnr_anatomy": float("inf") if mse == 0 else float(10 * np.log10(DATA_RANGE**2 / mse)),
        "ssim_anatomy": float(ssim_map[mask].mean()),
        "mean_error_anatomy": float(np.mean(estimate[mask] - clean[mask])),
        "anatomy_fraction": float(mask.mean()),
    }
