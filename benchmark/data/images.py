"""Checks every clean image passes before it enters the benchmark."""

from __future__ import annotations

import numpy as np

from benchmark.core.errors import BenchError


def check_clean_image(image: np.ndarray, source: str) -> np.ndarray:
    """Return ``image`` as a float32 2-D array in [0, 1], or explain what is wrong with it.

    Parameters
    ----------
    image : numpy.ndarray
        A normalised grey-level image.
    source : str
        Where it came from (a file name or slice id), for the error message.

    Raises
    ------
    BenchError
        For colour or non-2-D images, NaN or infinite values, a constant image, or values
        outside [0, 1].
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        raise BenchError(
            f"{source} is a colour image (shape {image.shape}); convert it to grey-level first"
        )
    if image.ndim != 2:
        raise BenchError(f"{source} has shape {image.shape}; the benchmark takes 2-D images")
    image = image.astype(np.float32, copy=False)
    if not np.isfinite(image).all():
        raise BenchError(f"{source} contains NaN or infinite values; fix or remove the image")
    low, high = float(image.min()), float(image.max())
    if low == high:
        raise BenchError(
            f"{source} is constant (every pixel = {low:g}); metrics are undefined, remove it"
        )
    if low < 0 or high > 1:
        raise BenchError(
            f"{source} has values in [{low:g}, {high:g}] after normalisation; expected [0, 1]"
        )
    return image


def fit_to_size(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop or zero-pad a 2-D image to ``size`` (height, width)."""
    out = np.zeros(size, dtype=image.dtype)
    src, dst = [], []
    for have, want in zip(image.shape, size):
        if have >= want:
            start = (have - want) // 2
            src.append(slice(start, start + want))
            dst.append(slice(0, want))
        else:
            start = (want - have) // 2
            src.append(slice(0, have))
            dst.append(slice(start, start + have))
    out[tuple(dst)] = image[tuple(src)]
    return out
