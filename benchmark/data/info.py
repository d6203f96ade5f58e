"""What a dataset card or ``--data PATH`` would load: counts, shapes, dtype, ranges, normalisation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from benchmark.data.cards import apply_size_policy, load_images
from benchmark.data.images import check_clean_image
from benchmark.data.loaders import SCANNERS

if TYPE_CHECKING:
    from benchmark.data.schema import Card


@dataclass
class DataInfo:
    """The facts ``bench data info`` prints."""

    name: str
    kind: str
    split: str
    count: int
    files: int | None
    shapes: dict[str, int]
    dtype: str
    modality: str
    source_range: tuple[float, float] | None
    normalised_range: tuple[float, float]
    normalisation: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines, one fact each; every skipped input is listed."""
        shapes = ", ".join(f"{s} ({n})" for s, n in self.shapes.items())
        unit = " HU" if self.modality == "CT" and self.kind == "dicom" else ""
        source = (f"[{self.source_range[0]:g}, {self.source_range[1]:g}]{unit}"
                  if self.source_range else "not reported by this loader")
        out = [
            f"dataset:        {self.name} (loader {self.kind}, split {self.split})",
            f"images:         {self.count}" + (f" from {self.files} file(s)" if self.files else ""),
            f"shape:          {shapes}",
            f"source dtype:   {self.dtype}",
            f"modality:       {self.modality}",
            f"source range:   {source}",
            f"loaded range:   [{self.normalised_range[0]:g}, {self.normalised_range[1]:g}] (float32)",
            f"normalisation:  {self.normalisation}",
            f"skipped:        {len(self.skipped)}",
        ]
        out += [f"  {name}: {reason}" for name, reason in self.skipped]
        return out


def describe(card: Card, split: str) -> DataInfo:
    """Load ``split`` of ``card`` as the benchmark would, and report what came in and what not.

    Raises
    ------
    BenchError
        Exactly when loading it for a run would (bad input, nothing usable, ``strict`` skips).
    """
    kind = card.loader.kind
    if kind in SCANNERS:
        scan = SCANNERS[kind](card, split, card.root)
        images, normalisation = apply_size_policy(card, scan.images, scan.normalisation)
        images = [check_clean_image(image, image_id) for image_id, image in zip(scan.ids, images)]
        facts = dict(files=scan.files, dtype=scan.source_dtype, modality=scan.modality,
                     source_range=scan.source_range, skipped=scan.skipped)
    else:  # a loader without a scan (the MNI template): what it returns is all there is
        loaded = load_images(card, split)
        images, normalisation = list(loaded.images), loaded.normalisation
        facts = dict(files=None, dtype="float32", modality=card.modality or "unknown",
                     source_range=None, skipped=[])
    shapes = Counter(f"{image.shape[0]}x{image.shape[1]}" for image in images)
    low = min(float(np.min(image)) for image in images)
    high = max(float(np.max(image)) for image in images)
    return DataInfo(name=card.name, kind=kind, split=split, count=len(images),
                    shapes=dict(shapes.most_common()), normalised_range=(low, high),
                    normalisation=normalisation, **facts)
