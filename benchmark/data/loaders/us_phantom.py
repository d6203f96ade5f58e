"""Procedural ultrasound phantoms: clean echogenicity maps for the ``speckle`` noise kind.

No package ships clean ultrasound (a B-mode image is speckled as acquired), so the default
ultrasound data are drawn: each image is an echogenicity map, the mean backscattered intensity
``x`` in [0, 1] that multiplicative speckle ``y = x n`` (:mod:`benchmark.core.noise.speckle`)
then modulates. An image is a function of its id alone: the generator is PCG64 seeded with the
first 128 bits of the SHA-256 of the id (``us-phantom/p0042``), so ids that differ give
different phantoms and an id gives the same phantom on every machine.

What one phantom holds (sizes for 256 x 256; every length scales with the image):

- tissue: 3 to 5 layers across the image (skin, fat, muscle, deeper tissue), each of its own
  echogenicity (0.25-0.6), with boundaries curved by low-frequency sines; each layer's
  intensity is modulated by smooth texture (white noise low-pass filtered with a Gaussian of
  6 px, +-15%) and every boundary between layers is a bright interface line (0.7-0.9, 1.5-3 px);
- 1 to 3 anechoic cysts: ellipses of semi-axes 10-30 px at :data:`ANECHOIC` (0.02, the noise
  floor of a real scanner: a cyst of exactly 0 would be noise-free under multiplicative
  speckle);
- 1 to 3 hyperechoic inclusions: ellipses of semi-axes 4-14 px at 0.8-1.0;
- every edge softened by a Gaussian blur of 1 px (the system's resolution), then clipped to
  [0.02, 1].
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.data.loaders.common import range_indices

if TYPE_CHECKING:
    from benchmark.data.schema import Card

#: Intensity of an anechoic cyst, and the floor of every phantom.
ANECHOIC = 0.02
#: Side of the phantoms when the card gives no ``[loader] size``.
SIZE = (256, 256)


def phantom_rng(image_id: str) -> np.random.Generator:
    """PCG64 seeded with the first 128 bits of the SHA-256 of ``image_id``."""
    digest = hashlib.sha256(image_id.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _ellipse(shape: tuple[int, int], rng: np.random.Generator, axes: tuple[float, float],
             margin: float) -> np.ndarray:
    """A filled ellipse of random centre (``margin`` from the edges), axes and angle."""
    h, w = shape
    cy, cx = rng.uniform(margin, h - margin), rng.uniform(margin, w - margin)
    a, b = rng.uniform(*axes, size=2)
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def phantom(image_id: str, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The echogenicity map of phantom ``image_id``: float32, ``size``, in [0.02, 1].

    Parameters
    ----------
    image_id : str
        The image's id; it alone decides the phantom.
    size : tuple of int
        ``(height, width)`` in pixels.

    Returns
    -------
    numpy.ndarray
        Mean backscattered intensity, speckle-free.

    Examples
    --------
    >>> a = phantom("us-phantom/p0001", (64, 64))
    >>> bool((a == phantom("us-phantom/p0001", (64, 64))).all()), a.dtype
    (True, dtype('float32'))
    >>> bool((a != phantom("us-phantom/p0002", (64, 64))).any())
    True
    """
    from scipy import ndimage

    rng = phantom_rng(image_id)
    h, w = size
    scale = min(h, w) / 256.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)

    layers = int(rng.integers(3, 6))
    depths = np.sort(rng.uniform(0.08, 0.85, size=layers - 1)) * h
    boundaries = []
    for depth in depths:
        amplitude = rng.uniform(2, 12) * scale
        period = rng.uniform(0.6, 2.0) * w
        phase = rng.uniform(0, 2 * np.pi)
        boundaries.append(depth + amplitude * np.sin(2 * np.pi * xx[0] / period + phase))
    layer = np.zeros((h, w), dtype=int)
    for line in boundaries:
        layer += yy >= line[None, :]
    levels = rng.uniform(0.25, 0.6, size=layers)
    texture = ndimage.gaussian_filter(rng.standard_normal((h, w)), 6 * scale)
    texture *= 0.15 / max(texture.std(), 1e-12)
    image = levels[layer] * (1.0 + np.clip(texture, -0.3, 0.3))

    interfaces = np.zeros((h, w), dtype=bool)
    for line in boundaries:
        thickness = rng.uniform(1.5, 3) * scale
        interfaces |= np.abs(yy - line[None, :]) <= thickness / 2
    image[interfaces] = rng.uniform(0.7, 0.9)

    for _ in range(int(rng.integers(1, 4))):
        image[_ellipse((h, w), rng, (10 * scale, 30 * scale), 32 * scale)] = ANECHOIC
    for _ in range(int(rng.integers(1, 4))):
        image[_ellipse((h, w), rng, (4 * scale, 14 * scale), 16 * scale)] = rng.uniform(0.8, 1.0)

    image = ndimage.gaussian_filter(image, 1.0 * scale)
    return np.clip(image, ANECHOIC, 1.0).astype(np.float32)


def image_ids(card: Card, split: str) -> list[str]:
    """Ids of the phantoms of ``split`` (``us-phantom/p0220``), from the card's index ranges."""
    return [f"{card.name}/p{k:04d}" for k in range_indices(card, split)]


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The phantoms of ``split``: one per index of the card's half-open ``[splits]`` ranges,
    drawn at the card's ``[loader] size`` (default 256 x 256)."""
    size = tuple(card.loader.size or SIZE)
    ids = image_ids(card, split)
    return ids, [phantom(image_id, size) for image_id in ids], (
        f"procedural, in [0.02, 1], drawn at {size[0]}x{size[1]} (nothing padded)")
