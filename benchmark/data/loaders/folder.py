"""A folder (searched recursively) of PNG, JPEG or TIFF images, 8- or 16-bit, grey or colour.

Integers are divided by their type's maximum (255, 65535); float images must already lie in
[0, 1]. Colour images are converted to grey (BT.709 luminance) with a warning. A multi-page TIFF
gives one image per page. Unreadable files, NaN/inf, constant or out-of-range images are skipped
and listed (``strict`` makes them errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.loaders.common import (Scan, add_slice, finish, is_strict, log, split_files,
                                      warn_skipped)
from benchmark.data.loaders.intensity import dtype_scale, to_grey
from benchmark.data.loaders.location import require_location

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def decode(path: Path) -> np.ndarray:
    """Read one file with tifffile (TIFF) or imageio/Pillow (PNG, JPEG), keeping its dtype."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        return np.asarray(tifffile.imread(path))
    import imageio.v3 as iio

    return np.asarray(iio.imread(path, plugin="pillow"))


def read_image(path: Path) -> np.ndarray:
    """:func:`decode`, with any decoder failure as a one-line BenchError."""
    try:
        return decode(path)
    except Exception as error:  # any decoder failure is a bad file to the user
        raise BenchError(f"cannot read image {path}: {error.__class__.__name__}; "
                         "remove or replace the file") from None


def normalise(image: np.ndarray) -> np.ndarray:
    """Integers are divided by their type's maximum (255, 65535); floats are kept as they are."""
    return dtype_scale(image)[0].astype(np.float32)


def image_files(directory: Path) -> list[Path]:
    """The image files under ``directory`` (recursive, hidden files left out), sorted by path."""
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(directory).parts))


def planes(image: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """The 2-D grey planes of a decoded file, and whether colour was converted."""
    if image.ndim == 2:
        return [image], False
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        return [to_grey(image)], True
    if image.ndim == 3 and image.shape[-1] == 2:  # grey + alpha
        return [image[..., 0]], False
    if image.ndim == 3:  # multi-page TIFF
        return list(image), False
    raise BenchError(f"image of shape {image.shape} is neither grey, colour nor a page stack")


def scan(card: dict[str, Any], split: str, root: Path) -> Scan:
    """Read every image of ``split`` in the card's folder (or the single file it names)."""
    where = require_location(card)
    files = [where] if where.is_file() else image_files(where)
    base = where.parent if where.is_file() else where
    if not files:
        raise BenchError(f"{where} holds no .png, .jpg, .tif or .tiff images; "
                         "point --data at a folder of them")
    files = split_files(files, base, card, split)
    result = Scan(files=len(files), modality=card.get("modality", "unknown"))
    dtypes, colour = set(), 0
    for path in files:
        name = f"{base.name}/{path.relative_to(base).as_posix()}"
        try:
            raw = decode(path)
        except Exception as error:  # any decoder failure: skipped and named
            result.skip(name, f"cannot read: {type(error).__name__}")
            continue
        try:
            grey, converted = planes(raw)
        except BenchError as error:
            result.skip(name, str(error))
            continue
        colour += converted
        dtypes.add(str(raw.dtype))
        for page, plane in enumerate(grey):
            image_id = name if len(grey) == 1 else f"{name}#p{page:03d}"
            result.widen(np.asarray(plane, np.float64))
            scale = np.iinfo(raw.dtype).max if np.issubdtype(raw.dtype, np.integer) else 1.0
            value = np.asarray(plane, np.float64) / scale
            if np.isfinite(value).all() and (value.min() < 0 or value.max() > 1):
                result.skip(image_id, f"float values in [{value.min():g}, {value.max():g}], "
                                      "not [0, 1]")
                continue
            add_slice(result, image_id, value)
    result.source_dtype = "/".join(sorted(dtypes)) or "unknown"
    kinds = sorted({dtype_scale(np.zeros(1, d))[1] for d in dtypes})
    result.normalisation = "; ".join(kinds) or "none"
    record = base / "conversion.json"  # written by 'bench data convert': keep the provenance
    if record.is_file():
        try:
            made = json.loads(record.read_text())
            result.modality = str(made.get("modality", result.modality))
            result.normalisation += (f"; written by 'bench data convert' from {made['kind']} "
                                     f"after: {made['normalisation']}")
        except (ValueError, KeyError, TypeError):
            log.warning("bench: warning: %s is not a readable conversion record; ignored", record)
    if colour:
        result.normalisation += f"; {colour} colour image(s) converted to grey (BT.709 luminance)"
        log.warning("bench: warning: %s: %d colour image(s) converted to grey (BT.709 luminance)",
                    where, colour)
    for dtype in dtypes & {"uint16"}:
        if result.source_range and result.source_range[1] < 4096:
            log.warning("bench: warning: %s: 16-bit images reach only %g of 65535, so [0, 1] "
                        "and sigma are relative to 65535; rescale them to the full range",
                        where, result.source_range[1])
    return finish(result, str(where), strict=is_strict(card))


def load(card: dict[str, Any], split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The loader contract: ``(ids, images, normalisation)`` of the folder's ``split``."""
    result = scan(card, split, root)
    warn_skipped(result, str(require_location(card)))
    return result.loaded()
