"""Training crops from a corpus card: sources drawn by share, small images tiled, augmented.

For each crop of a batch, in this order, every draw from the epoch's generator:

1. the source, with the probabilities of the card's ``share`` values;
2. a random ``crop x crop`` window of a random image of that source; a source whose images are
   smaller than the crop on a side (the MNI152 coronal and sagittal images, 50 rows high) fills
   the window with pieces of several of its images, row band by row band (never padding, never
   reading outside an image);
3. with ``augment``: a horizontal flip (probability 1/2) and 0-3 quarter turns, then the
   intensity augmentation of the card's ``[augment]``
   (:class:`benchmark.data.corpus.Augment`): inversion, gamma, contrast and offset.

Without ``augment`` (``bench train --no-augment``): windows only.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from benchmark.data.cards import ImageSet
from benchmark.data.corpus import Augment


@dataclass(frozen=True)
class IntensityDraw:
    """One crop's intensity augmentation: ``x -> c * (1 - x if inverted else x) ** gamma + o``."""

    inverted: bool
    gamma: float
    contrast: float
    offset: float

    def apply(self, patch: np.ndarray) -> np.ndarray:
        """The augmented ``patch`` (float32, in [0, 1] when ``patch`` is)."""
        x = 1.0 - patch if self.inverted else patch
        if self.gamma != 1.0:
            x = np.power(np.clip(x, 0.0, 1.0), self.gamma)
        return (self.contrast * x + self.offset).astype(np.float32)


def draw_intensity(rng: np.random.Generator, spec: Augment) -> IntensityDraw:
    """Draw one crop's intensity augmentation from ``spec``.

    Always takes the same number of draws from ``rng``, whatever is switched on.

    Examples
    --------
    >>> draw_intensity(np.random.default_rng(0), Augment())  # the defaults change nothing
    IntensityDraw(inverted=False, gamma=1.0, contrast=1.0, offset=0.0)
    """
    u = rng.random(6)
    inverted = bool(u[0] < spec.invert)
    gamma = 1.0
    if u[1] < spec.gamma_probability:
        low, high = np.log(spec.gamma[0]), np.log(spec.gamma[1])
        gamma = float(np.exp(low + (high - low) * u[2]))
    contrast, offset = 1.0, 0.0
    if u[3] < spec.contrast_probability:
        contrast = float(spec.contrast[0] + (spec.contrast[1] - spec.contrast[0]) * u[4])
        top = min(spec.offset[1], 1.0 - contrast)
        offset = float(spec.offset[0] + max(top - spec.offset[0], 0.0) * u[5])
    return IntensityDraw(inverted, gamma, contrast, offset)


def window(images: Sequence[np.ndarray], rng: np.random.Generator, crop: int) -> np.ndarray:
    """A ``crop x crop`` window of a random image; of several, tiled, when they are smaller."""
    image = images[int(rng.integers(len(images)))]
    h, w = image.shape
    if h >= crop and w >= crop:
        top, left = int(rng.integers(h - crop + 1)), int(rng.integers(w - crop + 1))
        return image[top:top + crop, left:left + crop]
    out = np.empty((crop, crop), np.float32)
    row = 0
    while row < crop:  # one band of rows a piece, each from a newly drawn image
        if row:
            image = images[int(rng.integers(len(images)))]
            h, w = image.shape
        rows = min(h, crop - row)
        top = int(rng.integers(h - rows + 1))
        column = 0
        while column < crop:  # an image narrower than the crop: pieces side by side
            cols = min(w, crop - column)
            left = int(rng.integers(w - cols + 1))
            out[row:row + rows, column:column + cols] = image[top:top + rows, left:left + cols]
            column += cols
        row += rows
    return out


class CorpusSampler:
    """Batches of training crops from the sources of a corpus card (see the module docstring).

    Parameters
    ----------
    sources : sequence of (name, ImageSet)
        Each source's training images.
    shares : sequence of float
        The probability that a crop comes from each source (they add up to 1).
    augment : Augment, optional
        The intensity augmentation (None: geometric augmentation only).

    Examples
    --------
    >>> flat = ImageSet("toy", "train", ("a",), (np.full((8, 40), 0.5, np.float32),), "none")
    >>> CorpusSampler([("toy", flat)], [1.0]).sample(np.random.default_rng(0), batch=2,
    ...                                              crop=16).shape
    (2, 16, 16)
    """

    def __init__(self, sources: Sequence[tuple[str, ImageSet]], shares: Sequence[float],
                 augment: Augment | None = None):
        self.names = [name for name, _ in sources]
        self.sets = [images for _, images in sources]
        self.shares = np.asarray(shares, np.float64)
        self.augment = augment or Augment()
        empty = [name for name, images in sources if not len(images)]
        if empty:
            from benchmark.core.errors import BenchError

            raise BenchError(f"corpus source {empty[0]!r} has no training image; fix its card")

    def __len__(self) -> int:
        return sum(len(images) for images in self.sets)

    def fingerprint(self) -> str:
        """Short hash of every source's content and share."""
        digest = hashlib.sha256()
        for name, images, share in zip(self.names, self.sets, self.shares):
            digest.update(f"{name}:{share!r}:{images.fingerprint()}".encode())
        return digest.hexdigest()[:12]

    def draw(self, rng: np.random.Generator, *, batch: int, crop: int, augment: bool = True
             ) -> tuple[np.ndarray, np.ndarray, list[IntensityDraw | None]]:
        """A batch of crops, the source index of each, and each crop's intensity draw."""
        out = np.empty((batch, crop, crop), np.float32)
        chosen = rng.choice(len(self.sets), size=batch, p=self.shares)
        draws: list[IntensityDraw | None] = []
        for i, index in enumerate(chosen):
            patch = window(self.sets[index].images, rng, crop)
            if augment:
                if rng.random() < 0.5:
                    patch = patch[:, ::-1]
                patch = np.rot90(patch, int(rng.integers(4)))
                draws.append(draw_intensity(rng, self.augment))
                patch = draws[-1].apply(patch)
            else:
                draws.append(None)
            out[i] = patch
        return out, chosen, draws

    def sample(self, rng: np.random.Generator, *, batch: int, crop: int, augment: bool = True
               ) -> np.ndarray:
        """A ``(batch, crop, crop)`` float32 stack of training crops in [0, 1]."""
        return self.draw(rng, batch=batch, crop=crop, augment=augment)[0]

    def steps_per_pass(self, batch: int) -> int:
        """Batches in one pass over the images (what an epoch is when no ``steps`` is given)."""
        return max(1, math.ceil(len(self) / batch))
