"""The automatic train/validation split of a user's folder (``bench train --data PATH``).

Every image of the folder belongs to a *group*, and a group lies wholly in one split, so no
slice of one volume (nor, where the headers say so, of one patient) is in both:

- DICOM: the ``PatientID`` when the folder holds two patients or more; with one patient, the
  ``SeriesInstanceUID`` (each series a group: the patient is then in both splits, but no
  volume is);
- NIfTI and PNG/JPEG/TIFF: the first component of the file's path under the folder: the
  top-level subfolder (put each subject's or volume's files in one), or the file itself when
  it lies directly in the folder (a NIfTI file is one volume).

The groups are ordered by the SHA-256 of their key and the first
``max(1, round(VALIDATION_SHARE * groups))`` are validation, the rest train: the same folder
always gives the same split, whatever order the files were listed in. Fewer than two groups
cannot be split: a one-line error says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.data.cards import ImageSet
    from benchmark.data.schema import Card

#: The fraction of groups that go to validation (at least one group; at least one stays train).
VALIDATION_SHARE = 0.2


@dataclass(frozen=True)
class GroupSplit:
    """Which groups went where, and what a group is (``by``)."""

    by: str
    train: tuple[str, ...]
    validation: tuple[str, ...]

    def summary(self) -> dict[str, object]:
        """What a checkpoint records: counts and short hashes of the keys (a PatientID is not
        written into a file that may be shared)."""
        return {"by": self.by, "train_groups": len(self.train),
                "validation_groups": len(self.validation),
                "validation_keys_sha256": [key_hash(k)[:12] for k in self.validation]}


def key_hash(key: str) -> str:
    """The SHA-256 (hex) of a group key: the order of groups in the split."""
    return hashlib.sha256(key.encode()).hexdigest()


def split_groups(keys: list[str], where: str, by: str) -> GroupSplit:
    """Order the distinct ``keys`` by hash; the first :data:`VALIDATION_SHARE` are validation.

    Examples
    --------
    >>> s = split_groups(["p1", "p2", "p3", "p4", "p5", "p1"], "toy", "file")
    >>> len(s.validation), len(s.train), set(s.validation) & set(s.train)
    (1, 4, set())
    """
    distinct = sorted(set(keys), key=key_hash)
    if len(distinct) < 2:
        only = f" ({by} {distinct[0]!r})" if distinct else ""
        raise BenchError(f"--data {where}: every image comes from one {by}{only}, so it cannot "
                         "be split into train and validation; add another subject (a "
                         "subfolder or file of its own), or write a card with [splits]")
    count = min(len(distinct) - 1, max(1, round(VALIDATION_SHARE * len(distinct))))
    return GroupSplit(by, tuple(sorted(distinct[count:])), tuple(sorted(distinct[:count])))


def _file_of(card: Card, image_id: str) -> str:
    """The path under the folder of the file an image id comes from."""
    kind = card.loader.kind
    if kind == "nifti":
        return image_id.rsplit("/", 1)[0]
    if kind == "folder":
        return image_id.split("/", 1)[1].split("#p", 1)[0]
    return image_id.split("#f", 1)[0]  # dicom


def _dicom_groups(base: Path, files: list[Path]) -> tuple[str, dict[str, str]]:
    from benchmark.data.loaders.dicom import read_dataset

    headers = {}
    for path in files:
        try:
            ds = read_dataset(path, header_only=True)
        except BenchError:  # not an image: the loader skips and lists it
            continue
        headers[path.relative_to(base).as_posix()] = (
            str(ds.get("PatientID", "") or "").strip(),
            str(ds.get("SeriesInstanceUID", "") or "").strip())
    patients = {patient for patient, _ in headers.values()}
    if len(patients) >= 2 and "" not in patients:
        return "PatientID", {name: patient for name, (patient, _) in headers.items()}
    return "SeriesInstanceUID", {name: series or "no-series-uid"
                                 for name, (_, series) in headers.items()}


def file_groups(card: Card) -> tuple[str, dict[str, str]]:
    """What a group is for this folder, and the group of each of its files (by the path under
    the folder), from paths and DICOM headers only: no pixel is decoded."""
    from benchmark.data.loaders import dicom, folder, nifti
    from benchmark.data.loaders.location import require_location

    where = require_location(card)
    base = where.parent if where.is_file() else where
    kind = card.loader.kind
    if kind == "dicom":
        return _dicom_groups(base, dicom.candidate_files(where))
    if where.is_file():
        files = [where]
    elif kind == "nifti":
        files = sorted(p for p in where.rglob("*") if nifti.is_volume(p))
    else:
        files = folder.image_files(where)
    names = [p.relative_to(base).as_posix() for p in files]
    return "top-level subfolder or file", {name: name.split("/", 1)[0] for name in names}


def check_splittable(card: Card) -> GroupSplit:
    """The split of a ``--data`` folder's groups, or the one-line error when there is none."""
    by, groups = file_groups(card)
    return split_groups(list(groups.values()), str(card.loader.path), by)


def group_keys(card: Card, images: ImageSet) -> tuple[str, list[str]]:
    """What a group is for this folder, and the group key of every image of ``images``."""
    by, groups = file_groups(card)
    return by, [groups[_file_of(card, image_id)] for image_id in images.ids]


def split_images(card: Card, images: ImageSet) -> tuple[ImageSet, ImageSet, GroupSplit]:
    """``images`` (every image of a ``--data`` folder) as train and validation ImageSets."""
    from benchmark.data.cards import ImageSet

    by, keys = group_keys(card, images)
    split = split_groups(keys, str(card.loader.path), by)
    chosen = set(split.validation)
    parts = {}
    for name, keep in (("train", lambda k: k not in chosen), ("validation", lambda k: k in chosen)):
        picks = [i for i, key in enumerate(keys) if keep(key)]
        parts[name] = ImageSet(images.dataset, name, tuple(images.ids[i] for i in picks),
                               tuple(images.images[i] for i in picks), images.normalisation)
    return parts["train"], parts["validation"], split
