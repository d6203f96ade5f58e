"""Training pairs for noise kinds drawn on whole images (``NoiseModel.whole_image``).

The default training draws clean crops and adds noise to each crop
(:func:`methods.deep.training.training._noisy_batch`), which is right when the noise is drawn
pixel by pixel and scored against the clean image. A kind whose noise depends on the whole image
(``ldct``: a reconstruction of the whole slice's projections) or whose reference is not the
clean image (``ldct``: the noiseless reconstruction) needs its noise drawn on whole images, and
crops of the noisy image and of :meth:`~benchmark.core.noise.model.NoiseModel.reference` taken at
the same window. When any kind of a run is such a kind, every crop of the run comes from here.

Each epoch first draws a pool of :func:`pool_size` pairs, every draw from the epoch's generator:
an image of the training set, a kind of the run (uniformly) and a level (uniformly in its
range), the noise drawn on the whole image by :func:`benchmark.core.noise.add_noise` (seeded
from the run seed, the epoch and the pair's index, so a resumed run draws the same pool) and the
kind's reference of the clean image. Each crop of the epoch's batches is then a random window of
a random pair, the same window of the noisy image and of the reference; with ``augment``, the
same random flip and quarter turns of both (no intensity scaling: scaling a noisy image would
change the noise's relation to its signal).

Drawing a pool rather than a noisy image per crop bounds the cost of the slow samplers: a
low-dose CT pair of a 256-pixel slice (projection, noisy and noiseless reconstructions) takes
seconds on a CPU core (``docs/training.md`` gives the measurements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.noise import add_noise, get_noise_model

#: Whole-image pairs drawn per epoch, at most (never more than the epoch's crops).
POOL_SIZE = 16


def needed(noises: Sequence[tuple[str, float, float]]) -> bool:
    """Whether a run with these ``(kind, lo, hi)`` noises trains on whole-image pairs.

    Examples
    --------
    >>> needed([("gaussian", 0.05, 0.15)]), needed([("ldct", 0.0625, 0.5)])
    (False, True)
    """
    return any(get_noise_model(kind).whole_image for kind, _, _ in noises)


def pool_size(steps: int, batch: int) -> int:
    """Pairs drawn per epoch: :data:`POOL_SIZE`, or the epoch's crops when fewer."""
    return max(1, min(POOL_SIZE, steps * batch))


@dataclass(frozen=True)
class Pool:
    """One epoch's whole-image pairs: ``noisy[k]`` and ``reference[k]`` of the same shape,
    ``noisy[k]`` drawn at level ``levels[k]``."""

    noisy: tuple[np.ndarray, ...]
    reference: tuple[np.ndarray, ...]
    levels: tuple[float, ...]

    def batch(self, rng: np.random.Generator, *, batch: int, crop: int,
              augment: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(noisy, reference, levels)``: two ``(batch, crop, crop)`` float32 stacks, crop
        ``i`` of both from the same pair, window, flip and turns, and its pair's level (for the
        networks that take it). An image smaller than the crop is reflected up to it (as
        :func:`methods.deep.training.augment.sample_batch` does)."""
        noisy = np.empty((batch, crop, crop), np.float32)
        reference = np.empty_like(noisy)
        levels = np.empty(batch, np.float32)
        for i in range(batch):
            k = int(rng.integers(len(self.noisy)))
            levels[i] = self.levels[k]
            h, w = self.noisy[k].shape
            size_h, size_w = min(crop, h), min(crop, w)
            top, left = int(rng.integers(h - size_h + 1)), int(rng.integers(w - size_w + 1))
            flip, turns = (rng.random() < 0.5, int(rng.integers(4))) if augment else (False, 0)
            for image, out in ((self.noisy[k], noisy), (self.reference[k], reference)):
                patch = image[top:top + size_h, left:left + size_w]
                if (size_h, size_w) != (crop, crop):
                    patch = np.pad(patch, ((0, crop - size_h), (0, crop - size_w)),
                                   mode="reflect")
                if flip:
                    patch = patch[:, ::-1]
                out[i] = np.rot90(patch, turns)
        return noisy, reference, levels


def draw_pool(images: Sequence[np.ndarray] | None, noises: Sequence[tuple[str, float, float]],
              rng: np.random.Generator, *, size: int, epoch: int, seed: int) -> Pool:
    """The epoch's :class:`Pool` of ``size`` pairs drawn from the whole ``images``.

    Raises
    ------
    BenchError
        When ``images`` is None (a corpus: its crops are drawn piece by piece, never whole).
    """
    if images is None:
        kinds = ", ".join(kind for kind, _, _ in noises if get_noise_model(kind).whole_image)
        raise BenchError(f"--noise {kinds} is drawn on whole images; a corpus gives crops only: "
                         "give a dataset card (--dataset) or a folder (--data) instead")
    noisy, reference, levels = [], [], []
    for k in range(size):
        clean = images[int(rng.integers(len(images)))]
        kind, lo, hi = noises[int(rng.integers(len(noises)))]
        noise = Noise(kind, rng.uniform(lo, hi) if hi > lo else lo)
        noisy.append(add_noise(clean, noise, image_id=f"train/e{epoch}/pool{k}", seed=seed))
        reference.append(np.asarray(get_noise_model(kind).reference(clean), np.float32))
        levels.append(noise.sigma)
    return Pool(tuple(noisy), tuple(reference), tuple(levels))
