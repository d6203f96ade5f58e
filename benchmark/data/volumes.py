"""Whole volumes: a card's or a ``--data`` series' slices stacked back into volumes.

A volume is a float32 array ``(D, H, W)`` in [0, 1]: ``D`` consecutive slices, loaded and
normalised exactly as the slices of the image track (:func:`benchmark.data.cards.load_images`),
so a volume cell and the slice cells of the same slices see the same pixels. How slices group
into volumes:

- MNI152 card (``nilearn-mni152``): each half-open range of the split's ``[splits]`` is one
  volume (a slab), id ``mni152/z034-044``; the test split's two slabs of 10 slices share no
  slice with the training or validation slabs;
- NIfTI (``--data`` or a card): the kept slices of one file along its slice axis, id
  ``<file>/z000-181`` (a run broken by a skipped slice makes two volumes);
- DICOM: the slices of one multi-frame file (``<file>#f...``) or of one folder, in slice order
  (id: the file, or the folder).

Folders of PNG/JPEG/TIFF images and scikit-image's images hold no volumes: ``--volumes`` on
them is an error. Each volume is checked against the voxel limit
(:func:`benchmark.data.limits.check_volume`) and needs :data:`MIN_SLICES` slices.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.limits import check_volume

if TYPE_CHECKING:
    from benchmark.data.cards import ImageSet
    from benchmark.data.schema import Card

#: Fewest slices in a volume: 3-D SSIM's window needs 3 along every axis (win_size >= 3).
MIN_SLICES = 3
#: Loader kinds whose slices come from volumes.
VOLUME_KINDS = ("nilearn-mni152", "nifti", "dicom")


@dataclass(frozen=True)
class VolumeSet:
    """Clean volumes of one split, with stable ids, the slice ids of each, and their
    normalisation. ``image(volume_id)`` gives a ``(D, H, W)`` volume (the name every split
    type shares)."""

    dataset: str
    split: str
    ids: tuple[str, ...]
    volumes: tuple[np.ndarray, ...]
    slice_ids: tuple[tuple[str, ...], ...]
    normalisation: str
    data = "volume"

    def __len__(self) -> int:
        return len(self.ids)

    def head(self, n: int | None) -> "VolumeSet":
        """The first ``n`` volumes (all when ``n`` is None)."""
        if n is None:
            return self
        return VolumeSet(self.dataset, self.split, self.ids[:n], self.volumes[:n],
                         self.slice_ids[:n], self.normalisation)

    def image(self, volume_id: str) -> np.ndarray:
        """The clean volume with id ``volume_id``, ``(D, H, W)`` float32."""
        return self.volumes[self.ids.index(volume_id)]

    def fingerprint(self) -> str:
        """Short hash of ids and voxels: changes when the split's content changes."""
        digest = hashlib.sha256()
        for volume_id, volume in zip(self.ids, self.volumes):
            digest.update(volume_id.encode())
            digest.update(np.ascontiguousarray(volume).tobytes())
        return digest.hexdigest()[:12]


def require_volumes(card: Card) -> None:
    """Refuse, in one line, a card whose slices do not come from volumes."""
    if card.data != "image":
        raise BenchError(f"--volumes: {card.name} holds {card.data}s, not images of volumes; "
                         "drop --volumes")
    if card.loader.kind not in VOLUME_KINDS:
        what = ("a folder of 2-D images" if card.loader.kind == "folder"
                else f"2-D images ({card.loader.kind})")
        raise BenchError(f"--volumes: {card.name} is {what}, not volumes; give a NIfTI file or "
                         "a DICOM series with --data, or a card of volumes such as mni152")


def mni152_volume_ids(card: Card, split: str) -> list[str]:
    """Ids of the slabs of ``split`` (``mni152/z034-044``), without loading the template."""
    from benchmark.data.loaders.mni152 import slice_indices

    slice_indices(card, split)  # an unknown split is an error here
    return [f"{card.name}/z{start:03d}-{stop:03d}" for start, stop in card.splits[split].ranges]


def volume_ids(card: Card, split: str) -> list[str] | None:
    """The volume ids of ``split`` without reading pixels, when they can be told (MNI152)."""
    require_volumes(card)
    if card.loader.kind == "nilearn-mni152":
        return mni152_volume_ids(card, split)
    return None


_INDEXED = re.compile(r"^(?P<file>.+)/(?P<axis>[xyz])(?P<index>\d+)$")
_FRAME = re.compile(r"^(?P<file>.+)#f(?P<index>\d+)$")


def _group_key(card: Card, slice_id: str) -> tuple[str, str, int | None]:
    """``(volume name, axis letter, index)`` of a slice id; the index None when slices are
    grouped by order only (DICOM single-frame files: by folder)."""
    if card.loader.kind in ("nilearn-mni152", "nifti"):
        match = _INDEXED.match(slice_id)
        if match:
            return match["file"], match["axis"], int(match["index"])
    match = _FRAME.match(slice_id)
    if match:
        return match["file"], "f", int(match["index"])
    parent = str(PurePosixPath(slice_id).parent)
    return (parent if parent != "." else card.name), "", None


def group_slices(card: Card, split: str, slice_ids: list[str]) -> list[tuple[str, list[int]]]:
    """The volumes of ``split`` as ``(volume id, positions in slice_ids)``, in order."""
    if card.loader.kind == "nilearn-mni152":
        position = {slice_id: k for k, slice_id in enumerate(slice_ids)}
        return [(volume_id, [position[f"{card.name}/z{z:03d}"] for z in range(start, stop)])
                for volume_id, (start, stop) in zip(mni152_volume_ids(card, split),
                                                    card.splits[split].ranges)]
    runs: list[tuple[tuple[str, str], list[int], list[int | None]]] = []
    for k, slice_id in enumerate(slice_ids):
        name, axis, index = _group_key(card, slice_id)
        if runs and runs[-1][0] == (name, axis) and (
                index is None or runs[-1][2][-1] is None or index == runs[-1][2][-1] + 1):
            runs[-1][1].append(k)
            runs[-1][2].append(index)
        else:
            runs.append(((name, axis), [k], [index]))
    named = []
    for (name, axis), positions, indices in runs:
        if indices[0] is None:
            named.append((name, positions))
        else:
            named.append((f"{name}/{axis}{indices[0]:03d}-{indices[-1] + 1:03d}", positions))
    return named


def stack_volumes(card: Card, slices: "ImageSet") -> VolumeSet:
    """Group an :class:`~benchmark.data.cards.ImageSet` of slices into volumes.

    Raises
    ------
    BenchError
        When no volume of :data:`MIN_SLICES` slices or more is left (thinner runs are skipped
        with a warning naming them), when a volume's slices differ in size, or when a volume
        is over the voxel limit.
    """
    from benchmark.data.loaders.common import log

    ids, volumes, members, thin = [], [], [], []
    for volume_id, positions in group_slices(card, slices.split, list(slices.ids)):
        if len(positions) < MIN_SLICES:
            thin.append(f"{volume_id} ({len(positions)} slice(s))")
            continue
        shapes = {slices.images[k].shape for k in positions}
        if len(shapes) > 1:
            raise BenchError(f"--volumes: the slices of {volume_id} differ in size "
                             f"({', '.join('x'.join(map(str, s)) for s in sorted(shapes))}); "
                             "give one series a folder, or set [loader] size in a card")
        shape = (len(positions), *next(iter(shapes)))
        check_volume(shape, volume_id, card)
        ids.append(volume_id)
        volumes.append(np.stack([slices.images[k] for k in positions]).astype(np.float32))
        members.append(tuple(slices.ids[k] for k in positions))
    if thin:
        log.warning("bench: warning: --volumes: skipped %d volume(s) of fewer than %d slices: %s",
                    len(thin), MIN_SLICES, "; ".join(thin[:8]))
    if not ids:
        raise BenchError(f"--volumes: {card.name} has no volume of {MIN_SLICES} or more "
                         f"consecutive slices in split {slices.split!r}")
    return VolumeSet(slices.dataset, slices.split, tuple(ids), tuple(volumes), tuple(members),
                     slices.normalisation + "; slices stacked into volumes")


def load_volumes(card: Card, split: str) -> VolumeSet:
    """The volumes of ``split`` described by ``card`` (see the module's grouping rules).

    Examples
    --------
    >>> from benchmark.data.cards import load_card
    >>> volumes = load_volumes(load_card("mni152"), "test")
    >>> volumes.ids, volumes.image(volumes.ids[0]).shape
    (('mni152/z034-044', 'mni152/z090-100'), (10, 256, 256))
    """
    from benchmark.data.cards import load_images

    require_volumes(card)
    return stack_volumes(card, load_images(card, split))
