"""Natural images that scikit-image ships inside its package (no download): a pretraining domain.

Each image is converted to grey (``skimage.color.rgb2gray`` for colour images) and divided by
the maximum of its dtype (255 for uint8), so it lies in [0, 1]. A function that returns
several images (``stereo_motorcycle``: left view, right view, disparity) gives its first.
The card's ``train`` and ``validation`` splits pretrain the UNet encoder offline
(``bench pretrain``); its ``test`` split, images no training reads, is scored by the
generalisation table of ``bench report`` (:mod:`benchmark.report.generalisation`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.data.schema import Card


def grey01(image: np.ndarray) -> np.ndarray:
    """``image`` (grey or RGB, uint8 or bool) as a float32 grey image in [0, 1]."""
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    image = img_as_float(image)
    if image.ndim == 3:
        image = rgb2gray(image[..., :3])
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The images of ``split`` (names of ``skimage.data`` functions in the card's ``[splits]``)."""
    import skimage.data

    splits = card.splits
    if split not in splits:
        raise BenchError(f"dataset {card.name!r} has no split {split!r}; "
                         f"use one of: {', '.join(splits)}")
    names = splits[split].images
    images = []
    for name in names:
        if not hasattr(skimage.data, name):
            raise BenchError(f"dataset {card.name!r}: skimage.data has no image {name!r}; "
                             "fix the card's [splits]")
        image = getattr(skimage.data, name)()
        if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
            image = image[0]
        images.append(grey01(image))
    ids = [f"{card.name}/{name}" for name in names]
    return ids, images, "greyscale (rgb2gray), divided by the dtype maximum"
