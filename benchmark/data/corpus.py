"""Training corpora: a card of kind ``corpus`` mixes the splits of other cards, with shares.

A corpus card (``benchmark/data/datasets/train-corpus.toml``) has one ``[sources.NAME]`` table
a source (:class:`Source`): the card it draws from, that card's split for training and (if
any) for validation, the share of training crops it gives, and its licence. ``[augment]``
(:class:`Augment`) documents the intensity augmentation the trainer applies to every crop.

MNI152 in three orientations: a coronal or sagittal plane crosses every axial slab, so a
source on the ``nilearn-mni152`` card with ``axis = "coronal"`` or ``"sagittal"`` takes, of
each plane, only its rows inside the split's slabs (half-open ranges ``[z0, z1)`` of axial
slices), and stacks them in their anatomical order, superior up: for the shipped card's five
train slabs of 10 slices, a 50-row image of each coronal (197 wide) or sagittal (233 wide)
position, with a seam where the rows of the other splits were left out. No voxel outside the
split's slabs is read into them (tested with a marked template). The trainer fills a crop
taller than 50 rows from several such images (:mod:`methods.deep.training.corpus`).

Splits of a corpus: ``train`` (every source's ``split``) and ``validation`` (the sources that
name a ``validation`` split). It has no test split: evaluate on the sources' own test splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from pathlib import Path

    from benchmark.data.cards import ImageSet
    from benchmark.data.schema import Card

#: Orientations of an MNI152 source (the voxel axis each cuts along).
ORIENTATIONS = {"sagittal": 0, "coronal": 1, "axial": 2}
#: The splits a corpus card has.
CORPUS_SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Source:
    """``[sources.NAME]``: one card's split and the share of training crops it gives."""

    card: str                       # a shipped card's name, or a .toml path
    share: float                    # the expected fraction of training crops from this source
    split: str = "train"            # the card's split trained on
    validation: str | None = None   # the card's split validated on (None: not validated on)
    axis: str = "axial"             # nilearn-mni152 only: axial, coronal or sagittal
    licence: str = ""
    description: str = ""


@dataclass(frozen=True)
class Augment:
    """``[augment]``: the intensity augmentation of training crops (applied in this order).

    ``invert``: probability of ``x -> 1 - x``. ``gamma``: with probability
    ``gamma_probability``, ``x -> x ** g`` with ``log g`` uniform over ``log gamma``.
    ``contrast``/``offset``: with probability ``contrast_probability``, ``x -> c x + o`` with
    ``c`` uniform over ``contrast`` and ``o`` uniform over ``[offset[0], min(offset[1], 1 - c)]``,
    so the crop stays in [0, 1] without clipping. The defaults change nothing.
    """

    invert: float = 0.0
    gamma: tuple[float, float] = (1.0, 1.0)
    gamma_probability: float = 0.0
    contrast: tuple[float, float] = (1.0, 1.0)
    offset: tuple[float, float] = (0.0, 0.0)
    contrast_probability: float = 0.0


def check_corpus(card: Card, source: str) -> None:
    """The checks a corpus card must pass when it is read (one-line errors naming the file)."""
    if card.loader.kind != "corpus":
        if card.sources:
            raise BenchError(f"[sources] in {source} needs [loader] kind = \"corpus\"")
        return
    if not card.sources:
        raise BenchError(f"{source} is a corpus without sources; add a [sources.NAME] table "
                         "with card = ... and share = ...")
    for name, item in card.sources.items():
        if not item.share > 0:
            raise BenchError(f"share = {item.share} in [sources.{name}] of {source} must be > 0")
        if item.axis not in ORIENTATIONS:
            raise BenchError(f"axis = {item.axis!r} in [sources.{name}] of {source}; use axial, "
                             "coronal or sagittal")
    total = sum(item.share for item in card.sources.values())
    if abs(total - 1.0) > 1e-6:
        raise BenchError(f"the shares in [sources] of {source} add up to {total:g}; make them "
                         "add up to 1")
    spec = card.augment or Augment()
    for what in ("invert", "gamma_probability", "contrast_probability"):
        value = getattr(spec, what)
        if not 0 <= value <= 1:
            raise BenchError(f"{what} = {value} in [augment] of {source} is a probability; "
                             "give a number in [0, 1]")
    ranges = {"gamma": (0, float("inf")), "contrast": (0, 1), "offset": (0, 1)}
    for what, (low, high) in ranges.items():
        lo, hi = getattr(spec, what)
        if not (low <= lo <= hi <= high and (what == "offset" or lo > 0)):
            raise BenchError(f"{what} = {[lo, hi]} in [augment] of {source}; give [lo, hi] "
                             f"with {low} {'<=' if what == 'offset' else '<'} lo <= hi <= {high}")
    if spec.offset[0] > 1 - spec.contrast[1]:
        raise BenchError(f"offset = {list(spec.offset)} in [augment] of {source}: the lowest "
                         f"offset must be <= 1 - the highest contrast ({1 - spec.contrast[1]:g})"
                         " so that crops stay in [0, 1]")


def _source_card(source: Source) -> Card:
    from benchmark.data.cards import load_card

    card = load_card(source.card)
    if card.loader.kind == "corpus":
        raise BenchError(f"source card {source.card!r} is itself a corpus; name its sources")
    if source.axis != "axial" and card.loader.kind != "nilearn-mni152":
        raise BenchError(f"axis = {source.axis!r} for the source card {source.card!r}: "
                         "orientations apply to the nilearn-mni152 card only")
    return card


def mni152_planes(card: Card, split: str, axis: str) -> ImageSet:
    """Coronal or sagittal planes of the template cut down to the slabs of ``split``.

    For each position along the cutting axis, the plane's rows inside every half-open range
    ``[z0, z1)`` of the card's ``split``, stacked superior-up, divided by the volume's maximum
    as the card says. Planes that are all background (constant) are left out.
    """
    from benchmark.data.cards import ImageSet
    from benchmark.data.loaders import mni152

    if split not in card.splits:
        raise BenchError(f"dataset {card.name!r} has no split {split!r}; use one of: "
                         f"{', '.join(card.splits)}")
    volume = mni152.template(card.loader.resolution)
    volume = volume / volume.max()
    cut = ORIENTATIONS[axis]
    letter = "xy"[cut]
    rows = [z for z0, z1 in card.splits[split].ranges for z in range(z0, z1)]
    ids, images = [], []
    for index in range(volume.shape[cut]):
        plane = (volume[index] if cut == 0 else volume[:, index])[:, rows]  # (width, rows)
        image = np.ascontiguousarray(np.rot90(plane), dtype=np.float32)  # superior up
        if float(image.min()) == float(image.max()):
            continue
        ids.append(f"{card.name}/{axis}/{letter}{index:03d}/{split}-slabs")
        images.append(image)
    how = (f"divided by the volume maximum; {axis} planes cut to the rows of the {split} "
           "slabs, stacked")
    return ImageSet(card.name, split, tuple(ids), tuple(images), how)


def source_images(source: Source, split: str) -> ImageSet:
    """The images a source gives to the corpus split ``split`` (its training or validation
    split of its card)."""
    from benchmark.data.cards import load_images

    card = _source_card(source)
    which = source.split if split == "train" else source.validation
    if which is None:
        raise BenchError(f"source {source.card!r} has no validation split in this corpus")
    if source.axis == "axial":
        return load_images(card, which)
    return mni152_planes(card, which, source.axis)


def corpus_sources(card: Card, split: str = "train") -> list[tuple[str, Source, ImageSet]]:
    """``(name, source, images)`` of every source that gives images to ``split``."""
    if split not in CORPUS_SPLITS:
        raise BenchError(f"dataset {card.name!r} is a training corpus with splits "
                         f"{', '.join(CORPUS_SPLITS)}, not {split!r}; evaluate on its sources' "
                         "own test splits")
    return [(name, source, source_images(source, split))
            for name, source in card.sources.items()
            if split == "train" or source.validation is not None]


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The loader contract: every source's images of ``split``, one after another."""
    ids, images, parts = [], [], []
    for name, _, images_of in corpus_sources(card, split):
        ids += images_of.ids
        images += images_of.images
        parts.append(f"{name}: {images_of.normalisation}")
    return ids, images, " | ".join(parts)
