"""A folder (searched recursively) of PNG, JPEG or TIFF images, 8- or 16-bit, grey or colour.

Integers are divided by their type's maximum (255, 65535); float images must already lie in
[0, 1]. Colour images are converted to grey (BT.709 luminance) with a warning. A multi-page TIFF
gives one image per page. Unreadable files, NaN/inf, constant or out-of-range images are skipped
and listed (``strict`` makes them errors).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.limits import check_image, check_volume
from benchmark.data.loaders.common import (Scan, add_slice, finish, is_strict, log, split_files,
                                      warn_skipped)
from benchmark.data.loaders.intensity import dtype_scale, to_grey
from benchmark.data.loaders.location import require_location

if TYPE_CHECKING:
    from benchmark.data.schema import Card

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@contextlib.contextmanager
def _our_size_guard():
    """Pillow's own bomb check off for this read: :func:`header_shape` has checked the size
    against our limit, which a user may have raised above Pillow's."""
    from PIL import Image

    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def header_shape(path: Path) -> tuple[int, int, int]:
    """``(pages, rows, columns)`` of an image file from its header, decoding no pixel."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            return len(tif.pages), int(page.imagelength), int(page.imagewidth)
    from PIL import Image

    with _our_size_guard(), Image.open(path) as image:  # lazy: reads the header only
        width, height = image.size
        return int(getattr(image, "n_frames", 1)), int(height), int(width)


def decode(path: Path) -> np.ndarray:
    """Read one file with tifffile (TIFF) or imageio/Pillow (PNG, JPEG), keeping its dtype."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        return np.asarray(tifffile.imread(path))
    import imageio.v3 as iio

    with _our_size_guard():
        return np.asarray(iio.imread(path, plugin="pillow"))


def check_size(path: Path, card: Card | None = None) -> None:
    """Refuse a file over the pixel or voxel limit from its header (unreadable headers pass:
    :func:`decode` then says what is wrong)."""
    try:
        pages, rows, columns = header_shape(path)
    except Exception:  # not an image we can parse: the decoder reports it
        return
    check_image((rows, columns), str(path), card)
    if pages > 1:
        check_volume((pages, rows, columns), str(path), card)


def read_image(path: Path) -> np.ndarray:
    """:func:`decode`, with any decoder failure as a one-line BenchError."""
    check_size(path)
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


def scan(card: Card, split: str, root: Path) -> Scan:
    """Read every image of ``split`` in the card's folder (or the single file it names)."""
    where = require_location(card)
    files = [where] if where.is_file() else image_files(where)
    base = where.parent if where.is_file() else where
    if not files:
        raise BenchError(f"{where} holds no .png, .jpg, .tif or .tiff images; "
                         "point --data at a folder of them")
    files = split_files(files, base, card, split)
    result = Scan(files=len(files), modality=card.modality or "unknown")
    dtypes, colour = set(), 0
    for path in files:
        name = f"{base.name}/{path.relative_to(base).as_posix()}"
        check_size(path, card)
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


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The loader contract: ``(ids, images, normalisation)`` of the folder's ``split``."""
    result = scan(card, split, root)
    warn_skipped(result, str(require_location(card)))
    return result.loaded()
