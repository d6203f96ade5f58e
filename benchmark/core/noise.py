"""Noise models, each draw seeded from the identity of its cell.

Units: images are float32 in [0, 1]; ``sigma`` is a fraction of that range.

- Gaussian: ``y = x + sigma * n``, ``n ~ N(0, 1)`` (the paper's "noise factor 0.1").
- Rician: ``y = |x + sigma * (n1 + i n2)|``, ``n1, n2 ~ N(0, 1)`` independent (magnitude MRI).

No clipping unless asked. The generator for a cell is derived from (image id, noise kind,
sigma, seed) by SHA-256, so every method sees the identical noisy image and a re-run gives the
same bits, whatever the order or the process the cell runs in.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np

from benchmark.core.contract import NOISE_KINDS, Noise


def _gaussian(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return clean + sigma * rng.standard_normal(clean.shape)


def _rician(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    real = clean + sigma * rng.standard_normal(clean.shape)
    imaginary = sigma * rng.standard_normal(clean.shape)
    return np.hypot(real, imaginary)


#: One sampler per noise kind: ``(clean float64, sigma, rng) -> noisy float64``.
SAMPLERS: dict[str, Callable[[np.ndarray, float, np.random.Generator], np.ndarray]] = {
    "gaussian": _gaussian,
    "rician": _rician,
}
assert set(SAMPLERS) == set(NOISE_KINDS), "every noise kind needs a sampler"


def cell_rng(image_id: str, noise: Noise, seed: int = 0) -> np.random.Generator:
    """The random generator of one cell, derived from its identity.

    Parameters
    ----------
    image_id : str
        Stable identifier of the clean image (e.g. ``"mni152/z040"``).
    noise : Noise
        Kind and level.
    seed : int
        Replicate number of the sweep.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator seeded with the first 128 bits of the SHA-256 of the identity.
    """
    identity = f"{image_id}|{noise.kind}|{noise.sigma!r}|{int(seed)}"
    digest = hashlib.sha256(identity.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def add_noise(
    clean: np.ndarray,
    noise: Noise,
    *,
    image_id: str,
    seed: int = 0,
    clip: bool = False,
) -> np.ndarray:
    """Draw the noisy version of ``clean`` for one cell.

    Parameters
    ----------
    clean : numpy.ndarray
        Clean image in [0, 1], any shape.
    noise : Noise
        Kind and level.
    image_id : str
        Identity of the clean image; part of the seed.
    seed : int
        Replicate number; part of the seed.
    clip : bool
        Clip the result to [0, 1]. Off by default: clipping changes the noise distribution.

    Returns
    -------
    numpy.ndarray
        float32 array of ``clean``'s shape.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.full((4, 4), 0.5, np.float32)
    >>> a = add_noise(x, Noise("rician", 0.1), image_id="demo")
    >>> b = add_noise(x, Noise("rician", 0.1), image_id="demo")
    >>> bool((a == b).all())
    True
    """
    rng = cell_rng(image_id, noise, seed)
    noisy = SAMPLERS[noise.kind](np.asarray(clean, dtype=np.float64), noise.sigma, rng)
    if clip:
        noisy = np.clip(noisy, 0.0, 1.0)
    return noisy.astype(np.float32)
