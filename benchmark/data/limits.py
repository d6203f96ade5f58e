"""Size guards: how many pixels an image and voxels a volume may have, checked from headers.

Every file-reading loader asks :func:`check_image` or :func:`check_volume` with the shape read
from the file's header (PIL, tifffile, pydicom, nibabel), before a byte of pixel data is
decoded, so a small compressed file that would expand to many gigabytes is refused at once.

The defaults keep loading within a few GiB on a 24 GiB machine. Measured peaks (resident
memory over that of a tiny input): a 256^3 int16 NIfTI volume takes about 33 bytes a voxel
(the stored values, the float64 volume, its normalised copy, the float32 slices kept), a
4096^2 16-bit PNG about 18 bytes a pixel, DICOM somewhat more (float64 modality values). So

- :data:`MAX_PIXELS` = 2**26 (8192 x 8192, 67 Mpx) peaks near 2.5 GiB for one image even at
  DICOM's rate, and is four times a large mammogram (about 4096 x 4096);
- :data:`MAX_VOXELS` = 100 M (e.g. 512 x 512 x 381) peaks near 3.1 GiB, ten times an IXI or
  BrainWeb volume (7-10 Mvox), leaving most of the memory to the run, which holds and copies
  the slices; a 512^3 volume (134 M) must be asked for.

Raise them with ``BENCH_MAX_PIXELS`` / ``BENCH_MAX_VOXELS`` (a count, ``K``/``M``/``G`` suffixes
allowed), with ``--max-pixels`` / ``--max-voxels`` where a command takes data options, or in a
card's ``[loader]`` (``max_pixels``, ``max_voxels``).
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING, Sequence

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.data.schema import Card

MAX_PIXELS = 1 << 26
MAX_VOXELS = 100_000_000

class TooLarge(BenchError):
    """An image or volume over its size limit: an error, never a skipped input."""


_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_count(text: str, what: str) -> int:
    """``'64M'`` -> 64000000; a positive count with an optional K, M, G or T suffix.

    Examples
    --------
    >>> parse_count("1.5G", "--max-voxels")
    1500000000
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)\s*", str(text), re.IGNORECASE)
    value = int(float(match.group(1)) * _SUFFIX[match.group(2).upper()]) if match else 0
    if value < 1:
        raise BenchError(f"{what} {text!r}: give a positive count such as 100000000 or 100M")
    return value


def max_pixels(card: Card | None = None) -> int:
    """The pixel limit: the card's ``[loader] max_pixels``, ``BENCH_MAX_PIXELS`` or the default."""
    if card is not None and card.loader.max_pixels:
        return card.loader.max_pixels
    text = os.environ.get("BENCH_MAX_PIXELS")
    return parse_count(text, "BENCH_MAX_PIXELS") if text else MAX_PIXELS


def max_voxels(card: Card | None = None) -> int:
    """The voxel limit: the card's ``[loader] max_voxels``, ``BENCH_MAX_VOXELS`` or the default."""
    if card is not None and card.loader.max_voxels:
        return card.loader.max_voxels
    text = os.environ.get("BENCH_MAX_VOXELS")
    return parse_count(text, "BENCH_MAX_VOXELS") if text else MAX_VOXELS


def _shape(shape: Sequence[int]) -> str:
    return " x ".join(str(int(n)) for n in shape)


def _count(number: int, unit: str) -> str:
    """``134217728, 'vox'`` -> ``'134.2 Mvox'``; small counts in full."""
    return f"{number / 1e6:.1f} M{unit}" if number >= 100_000 else f"{number:,} {unit}"


def check_image(shape: Sequence[int], where: str, card: Card | None = None) -> None:
    """Refuse a 2-D image (rows, columns) over the pixel limit, before it is decoded."""
    pixels, limit = math.prod(int(n) for n in shape), max_pixels(card)
    if pixels > limit:
        raise TooLarge(f"{where}: an image of {_shape(shape)} = {_count(pixels, 'px')} is over "
                       f"the limit of {_count(limit, 'px')}; if you trust the file and have the "
                       "memory, raise it with --max-pixels N or BENCH_MAX_PIXELS=N")


def check_volume(shape: Sequence[int], where: str, card: Card | None = None) -> None:
    """Refuse a volume (or a stack of pages or frames) over the voxel limit, before decoding."""
    voxels, limit = math.prod(int(n) for n in shape), max_voxels(card)
    if voxels > limit:
        raise TooLarge(f"{where}: a volume of {_shape(shape)} = {_count(voxels, 'vox')} is "
                       f"over the limit of {_count(limit, 'vox')}; if you trust the file and have "
                       "the memory, raise it with --max-voxels N or BENCH_MAX_VOXELS=N")
