"""Noise models, each draw seeded from the identity of its cell.

Units: images are float32 in [0, 1]; ``sigma`` is a fraction of that range. One module of this
package per kind (``gaussian``, ``rician``) holds its :class:`~.model.NoiseModel`: parameters,
sampler, sigma estimator, the methods that apply, and its fair transforms. Every module of the
package is imported here, so adding a kind is adding one file (see ``docs/noise.md``).

No clipping unless asked. The generator for a cell is derived from (image id, noise kind,
sigma, seed) by SHA-256, so every method sees the identical noisy image and a re-run gives the
same bits, whatever the order or the process the cell runs in.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from typing import TYPE_CHECKING, Iterable

import numpy as np

from benchmark.core.noise.model import (FairTransform, NoiseModel, get_noise_model, noise_kinds,
                                        register_noise, report_kinds, unregister_noise)

if TYPE_CHECKING:
    from benchmark.core.contract import Denoiser, Noise

__all__ = ["FairTransform", "NoiseModel", "add_noise", "applicable", "cell_rng",
           "get_noise_model", "noise_kinds", "register_noise", "report_kinds",
           "unregister_noise"]

#: Kinds listed first, in this order (the paper's); any other module follows alphabetically.
_FIRST = ("gaussian", "rician")
for _name in sorted((m.name for m in pkgutil.iter_modules(__path__) if m.name != "model"),
                    key=lambda name: (name not in _FIRST, _FIRST.index(name)
                                      if name in _FIRST else 0, name)):
    importlib.import_module(f"{__name__}.{_name}")  # each module registers its kind


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
    """Draw the noisy version of ``clean`` for one cell, with the sampler of ``noise.kind``.

    Parameters
    ----------
    clean : numpy.ndarray
        Clean image (or curve, or volume) in [0, 1], any shape.
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
    >>> from benchmark.core.contract import Noise
    >>> x = np.full((4, 4), 0.5, np.float32)
    >>> a = add_noise(x, Noise("rician", 0.1), image_id="demo")
    >>> b = add_noise(x, Noise("rician", 0.1), image_id="demo")
    >>> bool((a == b).all())
    True
    """
    rng = cell_rng(image_id, noise, seed)
    model = get_noise_model(noise.kind)
    noisy = model.sample(np.asarray(clean, dtype=np.float64), noise.sigma, rng)
    if clip:
        noisy = np.clip(noisy, 0.0, 1.0)
    return noisy.astype(np.float32)


def applicable(kind: str, methods: Iterable[Denoiser]) -> list[Denoiser]:
    """The ``methods`` that make sense under noise ``kind`` (the model decides), in order."""
    model = get_noise_model(kind)
    return [method for method in methods if model.accepts(method)]
