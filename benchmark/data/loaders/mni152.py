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


#: The template file inside nilearn's package data (what ``load_mni152_template`` reads).
TEMPLATE_FILE = "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"


def template(resolution: int = 1) -> np.ndarray:
    """The template as ``nilearn.datasets.load_mni152_template(resolution).get_fdata()`` gives
    it: float32 scaled to a maximum of 1, as float64. At 1 mm the file is read with nibabel
    directly (``import nilearn.datasets`` alone takes over a second); other resolutions are
    resampled by nilearn.
    """
    import importlib.util

    spec = importlib.util.find_spec("nilearn")
    if spec is None:
        raise BenchError("the mni152 dataset needs nilearn, which ships its template: "
                         "pip install nilearn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / TEMPLATE_FILE
    if resolution != 1 or not path.is_file():
        from nilearn.datasets import load_mni152_template

        return np.asarray(load_mni152_template(resolution=resolution).get_fdata(),
                          dtype=np.float64)
    import nibabel

    data = np.asarray(nibabel.load(path).dataobj).astype(np.float32)
    data /= data.max()
    return data.astype(np.float64)


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """Axial slices of the template for ``split``, rotated anterior-up and padded to size."""
    spec = card.loader
    volume = template(spec.resolution)
    if card.normalisation.method != "volume-max":
        raise BenchError(f"mni152 card: unknown normalisation {card.normalisation.method!r}; "
                         "use volume-max")
    volume /= volume.max()
    axis = AXES[spec.axis]
    size = spec.size or volume.shape[:2]
    images = [  # plain indexing: np.take copies the column-ordered volume (0.1 s a slice)
        fit_to_size(np.rot90(volume[(slice(None),) * axis + (z,)]).astype(np.float32), size)
        for z in slice_indices(card, split)
    ]
    return image_ids(card, split), images, "divided by the volume maximum; zero-padded to {}x{}".format(*size)
