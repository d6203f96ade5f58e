"""Training-time augmentation of clean images: crops, flips, 90-degree turns, intensity scaling."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def sample_batch(images: Sequence[np.ndarray], rng: np.random.Generator, *, batch: int,
                 crop: int, augment: bool = True,
                 scale: tuple[float, float] | None = (0.8, 1.2)) -> np.ndarray:
    """A ``(batch, crop, crop)`` float32 stack of random crops of ``images``.

    With ``augment``: a random flip, a random number of 90-degree turns and an intensity factor
    drawn from ``scale`` (none when ``scale`` is ``None``); a crop whose maximum then exceeds 1
    is divided by it, so every crop stays in [0, 1]. Without: crops only. Every draw comes from
    ``rng``.
    """
    out = np.empty((batch, crop, crop), np.float32)
    for i in range(batch):
        image = images[rng.integers(len(images))]
        h, w = image.shape
        size_h, size_w = min(crop, h), min(crop, w)
        top, left = rng.integers(h - size_h + 1), rng.integers(w - size_w + 1)
        patch = image[top:top + size_h, left:left + size_w]
        if (size_h, size_w) != (crop, crop):  # small images: reflect up to the crop size
            patch = np.pad(patch, ((0, crop - size_h), (0, crop - size_w)), mode="reflect")
        if augment:
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            patch = np.rot90(patch, int(rng.integers(4)))
            if scale is not None:
                patch = patch * rng.uniform(*scale)
                top_value = patch.max()
                if top_value > 1:
                    patch = patch / top_value
        out[i] = patch
    return out
