"""What a training run trains and validates on: a card's splits, a corpus, or a user's folder.

:func:`training_data` turns a :class:`~methods.deep.training.training.TrainConfig` into a
:class:`TrainingData`: the validation images, a function that draws batches of training crops,
the name and fingerprint recorded in the checkpoint, and any further metadata:

- a card (``--dataset CARD``): its ``train`` and ``validation`` splits; crops as
  :func:`methods.deep.training.augment.sample_batch` draws them;
- a corpus card (kind ``corpus``, e.g. ``train-corpus``): its sources, drawn by share and
  augmented as :mod:`methods.deep.training.corpus` says; validation from the sources that name
  a validation split;
- a folder (``--data PATH``): every image of it, split by group
  (:mod:`benchmark.data.autosplit`).

``config.resize`` (the ``ct-autoencoder`` preset) resizes every training and validation image
to ``resize x resize`` first (scikit-image ``resize``, bilinear with anti-aliasing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.cards import ImageSet, load_card, load_images
from methods.deep.training.augment import sample_batch

if TYPE_CHECKING:
    from methods.deep.training.training import TrainConfig

#: ``draw(rng, batch=..., crop=..., augment=...)`` -> a (batch, crop, crop) float32 stack.
Draw = Callable[..., np.ndarray]


@dataclass
class TrainingData:
    """The data of a training run (see the module docstring)."""

    name: str                    # the checkpoint's ``dataset``
    train_count: int             # training images (an epoch without ``steps`` passes them once)
    train_fingerprint: str
    validation: ImageSet
    draw: Draw
    metadata: dict[str, Any] = field(default_factory=dict)
    train: ImageSet | None = None  # the training images, when one set (not a corpus)


def _pick(images: ImageSet, fraction: float) -> ImageSet:
    """Evenly spaced ``fraction`` of ``images`` (all when 1)."""
    if not 0 < fraction <= 1:
        raise BenchError(f"--train-fraction {fraction}: give a number in (0, 1]")
    if fraction == 1:
        return images
    keep = max(1, round(len(images) * fraction))
    picks = np.linspace(0, len(images) - 1, keep).round().astype(int)
    return ImageSet(images.dataset, images.split, tuple(images.ids[i] for i in picks),
                    tuple(images.images[i] for i in picks), images.normalisation)


def resized(images: ImageSet, size: int | None) -> ImageSet:
    """Every image resized to ``size x size`` (bilinear, anti-aliased, clipped to [0, 1])."""
    if not size:
        return images
    from skimage.transform import resize

    out = tuple(np.clip(resize(x, (size, size), order=1, anti_aliasing=True,
                               preserve_range=True), 0.0, 1.0).astype(np.float32)
                for x in images.images)
    return ImageSet(images.dataset, images.split, images.ids, out,
                    images.normalisation + f"; resized to {size}x{size} (bilinear, anti-aliased)")


def _split(load: Callable[..., ImageSet], card, split: str) -> ImageSet:
    """``load(card, split)``, saying which split of which card is empty when it is."""
    try:
        return load(card, split)
    except BenchError as error:
        if "no usable image" not in str(error):
            raise
        raise BenchError(f"dataset {card.name!r}: its {split} split has no usable image (too "
                         "few subjects in its folder?); add data, or train on the folder with "
                         "--data PATH, which splits any two subjects") from None


def _plain(images: ImageSet) -> Draw:
    def draw(rng, *, batch: int, crop: int, augment: bool = True) -> np.ndarray:
        return sample_batch(images.images, rng, batch=batch, crop=crop, augment=augment)
    return draw


def _corpus(card, config: TrainConfig, load) -> TrainingData:
    from benchmark.data.corpus import corpus_sources
    from methods.deep.training.corpus import CorpusSampler

    sources = [(name, resized(_pick(images, config.train_fraction), config.resize))
               for name, _, images in corpus_sources(card, "train")]
    sampler = CorpusSampler(sources, [s.share for s in card.sources.values()], card.augment)
    validation = resized(load(card, "validation"), config.resize)
    shares = {name: source.share for name, source in card.sources.items()}
    return TrainingData(card.name, len(sampler), sampler.fingerprint(), validation,
                        sampler.sample, {"corpus_shares": shares,
                                         "augment": vars(card.augment) if card.augment else {},
                                         # the component cards: in-domain for the report's notes
                                         "sources": sorted({source.card for source
                                                            in card.sources.values()})})


def _folder(config: TrainConfig, load) -> TrainingData:
    from benchmark.data.autosplit import split_images
    from benchmark.data.loaders.detect import path_card

    card = path_card(config.data, window=config.window)
    train, validation, split = split_images(card, load(card, "all"))
    train = resized(_pick(train, config.train_fraction), config.resize)
    return TrainingData(card.name, len(train), train.fingerprint(),
                        resized(validation, config.resize), _plain(train),
                        {"data_split": split.summary()}, train)


def training_data(config: TrainConfig, load: Callable[..., ImageSet] = load_images,
                  read_card: Callable[[str], Any] = load_card) -> TrainingData:
    """The data ``config`` trains on (``load`` reads a card's split and ``read_card`` a card:
    tests pass a cache or a guard)."""
    if config.data:
        data = _folder(config, load)
    else:
        card = read_card(config.dataset)
        if card.loader.kind == "corpus":
            data = _corpus(card, config, load)
        else:
            train = resized(_pick(_split(load, card, "train"), config.train_fraction),
                            config.resize)
            validation = resized(_split(load, card, "validation"), config.resize)
            data = TrainingData(card.name, len(train), train.fingerprint(), validation,
                                _plain(train), train=train)
    if config.preset:
        data.metadata["preset"] = config.preset
    return data
