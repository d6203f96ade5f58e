"""What every file-reading loader shares: skipped inputs, split selection, slice checks.

A loader that reads user files returns a :class:`Scan`: the images plus what ``bench data info``
shows (modality, source dtype and range) and the inputs it skipped with the reason. Skipped
inputs are never dropped silently: :func:`finish` raises under ``strict`` and otherwise logs one
warning line that counts and names them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.data.schema import Card

log = logging.getLogger("benchmark.data.cards")

#: How many skipped names a one-line warning or error lists before "and N more".
LISTED = 8

#: Smallest side kept: SSIM's Gaussian window (sigma 1.5) spans 11 pixels.
MIN_SIDE = 11


@dataclass
class Scan:
    """Images read by a loader, with what was skipped and facts about the source."""

    ids: list[str] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    normalisation: str = ""
    modality: str = "unknown"
    source_dtype: str = "unknown"
    source_range: tuple[float, float] | None = None
    files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        """Record an input (file or slice) left out, and why."""
        self.skipped.append((name, reason))

    def widen(self, values: np.ndarray) -> None:
        """Extend the source intensity range with the finite values of ``values``."""
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            if self.source_range is not None:
                low, high = min(low, self.source_range[0]), max(high, self.source_range[1])
            self.source_range = (low, high)

    def loaded(self) -> tuple[list[str], list[np.ndarray], str]:
        """The loader contract's ``(ids, images, normalisation)``."""
        return self.ids, self.images, self.normalisation


def skipped_line(scan: Scan, where: str | None) -> str:
    """One line counting the skipped inputs and naming the first few with their reasons."""
    shown = "; ".join(f"{name} ({reason})" for name, reason in scan.skipped[:LISTED])
    more = len(scan.skipped) - LISTED
    return (f"{where + ': ' if where else ''}skipped {len(scan.skipped)} input(s): {shown}"
            + (f"; and {more} more" if more > 0 else ""))


def finish(scan: Scan, where: str, *, strict: bool) -> Scan:
    """Raise if nothing is left or (under ``strict``) anything was skipped; else return ``scan``."""
    if scan.skipped and strict:
        raise BenchError(skipped_line(scan, where) + "; fix or remove them, or drop --strict")
    if not scan.images:
        reasons = f" ({skipped_line(scan, None)})" if scan.skipped else ""
        raise BenchError(f"{where}: no usable image{reasons}; point --data at valid images")
    return scan


def warn_skipped(scan: Scan, where: str) -> None:
    """Log the one-line summary of skipped inputs (the CLI shows it on stderr)."""
    if scan.skipped:
        log.warning("bench: warning: %s (use --strict to make this an error)",
                    skipped_line(scan, where))


def is_strict(card: Card) -> bool:
    """Whether the card (or ``--strict``) asks for skipped inputs to be errors."""
    return card.loader.strict


def add_slice(scan: Scan, image_id: str, image: np.ndarray) -> None:
    """Keep a normalised slice, or skip it when it has non-finite values or is constant.

    The raw volume's NaN/inf voxels are never replaced by a number: the slice holding them is
    left out and named. A constant slice (empty background, or flat after windowing) has no
    structure to denoise and undefined SSIM, so it is left out too.
    """
    if min(image.shape) < MIN_SIDE:
        scan.skip(image_id, f"{image.shape[0]}x{image.shape[1]} is smaller than SSIM's "
                            f"{MIN_SIDE}x{MIN_SIDE} window")
    elif not np.isfinite(image).all():
        scan.skip(image_id, f"{int((~np.isfinite(image)).sum())} NaN/inf values")
    elif float(image.min()) == float(image.max()):
        scan.skip(image_id, f"constant slice (= {float(image.min()):g})")
    else:
        scan.ids.append(image_id)
        scan.images.append(np.ascontiguousarray(image, dtype=np.float32))


def split_files(files: list[Path], base: Path, card: Card, split: str) -> list[Path]:
    """The files of ``split``, chosen by the card's ``[splits.NAME]`` table.

    A split is ``include`` (glob patterns on the path relative to the data folder; default all),
    optionally ``exclude``, and optionally ``buckets = [lo, hi]``: only the files whose subject
    (the first match of the card's ``[splits] group`` regex in the relative path, default the
    whole path) hashes into ``[lo, hi)`` of 100 buckets. Hashing by subject keeps every slice of
    one subject in one split. Without ``[splits]`` the only split is ``all``.
    """
    splits = card.splits
    if not splits:
        if split not in ("all", "test"):
            raise BenchError(f"{card.name} has a single split 'all', not {split!r}; drop --split, "
                             "or write a dataset card with [splits] for it")
        return files
    if split not in splits:
        raise BenchError(f"dataset {card.name!r} has no split {split!r}; "
                         f"use one of: {', '.join(splits)}")
    spec = splits[split]
    group = splits.group
    chosen = []
    for path in files:
        rel = path.relative_to(base).as_posix() if path != base else path.name
        if not any(fnmatch.fnmatch(rel, p) for p in spec.include):
            continue
        if any(fnmatch.fnmatch(rel, p) for p in spec.exclude):
            continue
        if spec.buckets is not None:
            match = re.search(group, rel) if group else None
            subject = match.group(0) if match else rel
            bucket = int(hashlib.sha256(subject.encode()).hexdigest(), 16) % 100
            low, high = spec.buckets
            if not low <= bucket < high:
                continue
        chosen.append(path)
    return chosen


def range_indices(card: Card, split: str) -> list[int]:
    """The indices of ``split`` from the card's half-open ``[splits]`` ranges (the procedural
    phantom cards)."""
    splits = card.splits
    if split not in splits:
        raise BenchError(f"dataset {card.name!r} has no split {split!r}; "
                         f"use one of: {', '.join(splits)}")
    return [k for start, stop in splits[split].ranges for k in range(start, stop)]


def slices_of(card: Card, split: str) -> Any:
    """The ``slices`` of ``[splits.NAME]`` when it sets them (slabs of one volume), else the loader's."""
    if split in card.splits and card.splits[split].slices is not None:
        return card.splits[split].slices
    return card.loader.slices


def slice_range(length: int, spec: Any, step: int = 1) -> range:
    """Indices along an axis of ``length`` from a card's ``slices = [start, stop]``.

    Integers are indices (negative counts from the end, half-open like Python); floats are
    fractions of the length, so ``[0.25, 0.75]`` is the central half of any volume.
    """
    if spec is None:
        return range(0, length, step)
    if not (isinstance(spec, (list, tuple)) and len(spec) == 2):
        raise BenchError(f"slices = {spec!r}; give [start, stop] (indices or fractions)")
    bounds = [int(round(v * length)) if isinstance(v, float) else int(v) for v in spec]
    return range(*slice(*bounds).indices(length))[::step]
