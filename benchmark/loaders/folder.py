"""A folder of PNG or TIFF images, 8- or 16-bit (or float already in [0, 1])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmark.errors import BenchError

SUFFIXES = (".png", ".tif", ".tiff")


def read_image(path: Path) -> np.ndarray:
    """Read one file with tifffile (TIFF) or imageio (PNG), keeping its dtype."""
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            import tifffile

            return np.asarray(tifffile.imread(path))
        import imageio.v3 as iio

        return np.asarray(iio.imread(path))
    except Exception as error:  # any decoder failure is a bad file to the user
        raise BenchError(f"cannot read image {path}: {error.__class__.__name__}; "
                         "remove or replace the file") from None


def normalise(image: np.ndarray) -> np.ndarray:
    """Integers are divided by their type's maximum (255, 65535); floats are kept as they are."""
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    return image.astype(np.float32)


def load(card: dict[str, Any], split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """Every PNG/TIFF file in the card's folder (split ``all``), sorted by name."""
    directory = Path(card["loader"]["path"])
    if not directory.is_absolute():
        directory = root / directory
    if not directory.is_dir():
        raise BenchError(f"--data {directory} is not a folder; give a folder of PNG or TIFF files")
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in SUFFIXES)
    if not files:
        raise BenchError(
            f"--data {directory} holds no .png, .tif or .tiff images; point it at a folder of them"
        )
    if split not in ("all", "test"):
        raise BenchError(f"a folder has a single split 'all', not {split!r}; drop --split")
    ids = [f"{directory.name}/{p.name}" for p in files]
    images = [normalise(read_image(p)) for p in files]
    return ids, images, "integers divided by their type's maximum; floats as stored"
