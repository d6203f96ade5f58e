"""The MNI ICBM152 2009a T1 template that nilearn ships (no download)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.images import fit_to_size

if TYPE_CHECKING:
    from benchmark.data.schema import Card

#: ``[loader] axis`` names of the template's voxel axes.
AXES = {"sagittal": 0, "coronal": 1, "axial": 2, 0: 0, 1: 1, 2: 2}


def slice_indices(card: Card, split: str) -> list[int]:
    """Slice indices of ``split`` from the card's half-open ranges."""
    splits = card.splits
    if split not in splits:
        raise BenchError(
            f"dataset {card.name!r} has no split {split!r}; use one of: {', '.join(splits)}"
        )
    return [z for start, stop in splits[split].ranges for z in range(start, stop)]


def image_ids(card: Card, split: str) -> list[str]:
    """Ids of the slices of ``split`` (``mni152/z040``), without loading the volume."""
    return [f"{card.name}/z{z:03d}" for z in slice_indices(card, split)]


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """Axial slices of the template for ``split``, rotated anterior-up and padded to size."""
    from nilearn.datasets import load_mni152_template

    spec = card.loader
    volume = np.asarray(
        load_mni152_template(resolution=spec.resolution).get_fdata(), dtype=np.float64
    )
    if card.normalisation.method != "volume-max":
        raise BenchError(f"mni152 card: unknown normalisation {card.normalisation.method!r}; "
                         "use volume-max")
    volume /= volume.max()
    axis = AXES[spec.axis]
    size = spec.size or volume.shape[:2]
    images = [
        fit_to_size(np.rot90(volume[(slice(None),) * axis + (z,)]).astype(np.float32), size)
        for z in slice_indices(card, split)
    ]
    return image_ids(card, split), images, "divided by the volume maximum; zero-padded to {}x{}".format(*size)
