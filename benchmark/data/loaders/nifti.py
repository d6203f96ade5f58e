"""NIfTI volumes (.nii, .nii.gz; also MINC .mnc) read with nibabel, cut into 2-D slices.

Each volume is reoriented to the closest RAS+ orientation (``nibabel.as_closest_canonical``), so
``axis = "axial"`` (2), ``"coronal"`` (1) and ``"sagittal"`` (0) mean the same for every file;
slices are rotated anterior/superior-up like the MNI card. ``slices = [start, stop]`` (indices or
fractions) and ``step`` choose the slices; a 4-D file gives its ``volume`` (default 0). Slices with NaN/inf
voxels are skipped, unless the card sets ``non_finite = "zero"`` (resampled volumes often hold NaN
outside the field of view): then they become 0 before normalisation, and the normalisation
string says how many. Each
volume is normalised on its own by the card's ``[normalisation]`` (default: robust percentile).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.loaders.common import (Scan, add_slice, finish, is_strict, slice_range,
                                      slices_of, split_files, warn_skipped)
from benchmark.data.limits import TooLarge, check_volume
from benchmark.data.loaders.intensity import normalise_volume
from benchmark.data.loaders.location import require_location

if TYPE_CHECKING:
    from benchmark.data.schema import Card

SUFFIXES = (".nii", ".nii.gz", ".mnc", ".mnc.gz")
AXES = {"sagittal": 0, "coronal": 1, "axial": 2, 0: 0, 1: 1, 2: 2}


def is_volume(path: Path) -> bool:
    """Whether ``path`` is named like a NIfTI or MINC file."""
    return path.is_file() and path.name.lower().endswith(SUFFIXES)


def read_volume(path: Path, volume: int = 0, card: Card | None = None) -> tuple[np.ndarray, str]:
    """The canonical-oriented 3-D data of ``path`` as float64, and its stored dtype.

    The shape is read from the header and checked against the voxel limit
    (:func:`benchmark.data.limits.check_volume`) before any voxel is decompressed.

    Raises
    ------
    BenchError
        When nibabel cannot parse the file, or the data are not 3-D (or 4-D with ``volume``).
    TooLarge
        When the volume is over the voxel limit.
    """
    import nibabel as nib

    try:
        image = nib.load(path)  # the header only: data stay on disk until asked for
    except ImportError as error:  # MINC2 is HDF5
        raise BenchError(f"reading it needs the Python package {error.name!r}; pip install it"
                         ) from None
    except Exception as error:  # nibabel raises many kinds for a damaged file
        raise BenchError(f"not a readable NIfTI/MINC file ({type(error).__name__})") from None
    shape = tuple(int(n) for n in image.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) == 4:
        if not 0 <= volume < shape[3]:
            raise BenchError(f"4-D file with {shape[3]} volumes; volume = {volume} is out of range")
    elif len(shape) != 3:
        raise BenchError(f"data of shape {shape}; expected a 3-D volume")
    check_volume(shape[:3], str(path), card)
    try:
        if len(shape) == 4:
            image = image.slicer[:, :, :, volume]  # reads this volume only
        elif image.ndim > 3:
            image = image.slicer[(slice(None),) * 3 + (0,) * (image.ndim - 3)]
        image = nib.as_closest_canonical(image)
        dtype = str(image.get_data_dtype())
        data = np.asarray(image.dataobj, dtype=np.float64)  # scl_slope/inter applied
    except Exception as error:  # nibabel raises many kinds for a damaged file
        raise BenchError(f"not a readable NIfTI/MINC file ({type(error).__name__})") from None
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    return data, dtype


def scan(card: Card, split: str, root: Path) -> Scan:
    """Slices of every volume of ``split``, each volume normalised on its own."""
    spec = card.loader
    where = require_location(card)
    base = where.parent if where.is_file() else where
    files = [where] if where.is_file() else sorted(p for p in where.rglob("*") if is_volume(p))
    if not files:
        raise BenchError(f"{where} holds no .nii, .nii.gz or .mnc file; point --data at one")
    axis_name = spec.axis
    axis = AXES[axis_name]
    files = split_files(files, base, card, split)
    result = Scan(files=len(files), modality=card.modality or "MR")
    dtypes, methods, filled = set(), set(), 0
    for path in files:
        name = path.relative_to(base).as_posix()
        try:
            data, dtype = read_volume(path, spec.volume, card)
            bad = ~np.isfinite(data)
            if spec.non_finite == "zero" and bad.any():  # asked for by the card, recorded
                data[bad] = 0.0
                filled += int(bad.sum())
            normalised, how = normalise_volume(data, card.normalisation, "percentile")
        except TooLarge:
            raise
        except BenchError as error:
            result.skip(name, str(error))
            continue
        dtypes.add(dtype)
        result.widen(data)
        methods.add(how)
        chosen = slice_range(data.shape[axis], slices_of(card, split), spec.step)
        for index in chosen:
            # plain indexing is a view; np.take copies through a slow path on this F-order array
            plane = np.rot90(normalised[(slice(None),) * axis + (index,)])
            add_slice(result, f"{name}/{'xyz'[axis]}{index:03d}", plane)
    result.source_dtype = "/".join(sorted(dtypes)) or "unknown"
    if len(methods) > 1:  # several volumes: the rule without each volume's numbers
        methods = {how.split(": ", 1)[-1] for how in methods}
    result.normalisation = (f"per volume: {'; '.join(sorted(methods))}; "
                            f"{axis_name} slices of the RAS-reoriented volume")
    if filled:
        result.normalisation += f"; {filled} NaN/inf voxels set to 0 first (non_finite = 'zero')"
    return finish(result, str(where), strict=is_strict(card))


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The loader contract: ``(ids, images, normalisation)`` of the card's ``split``."""
    result = scan(card, split, root)
    warn_skipped(result, str(require_location(card)))
    return result.loaded()
