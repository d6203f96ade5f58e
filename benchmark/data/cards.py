"""Clean images: dataset cards in, checked float32 images in [0, 1] out."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.images import check_clean_image, fit_to_size
from benchmark.data.loaders import LOADERS
from benchmark.core.paths import CARDS_DIR
from benchmark.core.registry import unknown_name
from benchmark.data.schema import Card, Loader, parse_card


@dataclass(frozen=True)
class ImageSet:
    """Clean images of one dataset split, with stable ids and their normalisation."""

    dataset: str
    split: str
    ids: tuple[str, ...]
    images: tuple[np.ndarray, ...]
    normalisation: str

    def __len__(self) -> int:
        return len(self.ids)

    def head(self, n: int | None) -> "ImageSet":
        """The first ``n`` images (all when ``n`` is None)."""
        if n is None:
            return self
        return ImageSet(self.dataset, self.split, self.ids[:n], self.images[:n], self.normalisation)

    def image(self, image_id: str) -> np.ndarray:
        """The clean image with id ``image_id``."""
        return self.images[self.ids.index(image_id)]

    def fingerprint(self) -> str:
        """Short hash of ids and pixels: changes when the split's content changes."""
        digest = hashlib.sha256()
        for image_id, image in zip(self.ids, self.images):
            digest.update(image_id.encode())
            digest.update(np.ascontiguousarray(image).tobytes())
        return digest.hexdigest()[:12]


def card_names() -> list[str]:
    """Names of the dataset cards in ``datasets/``."""
    return sorted(p.stem for p in CARDS_DIR.glob("*.toml"))


def read_card(path: str | Path) -> Card:
    """The checked :class:`Card` in the TOML file ``path``.

    Raises
    ------
    BenchError
        One line naming the file: unreadable, not TOML (with the parser's message), or not a
        valid card (see :func:`benchmark.data.schema.parse_card`).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise BenchError(f"dataset card {path} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise BenchError(f"dataset card {path} is not valid TOML: not UTF-8 text; give a "
                         "TOML text file") from None
    except OSError as error:
        raise BenchError(f"cannot read dataset card {path}: {error.strerror or error}") from None
    return parse_card(data, source=str(path), root=path.parent, default_name=path.stem)


def load_card(name: str) -> Card:
    """Read ``datasets/<name>.toml`` (or a path to a card)."""
    path = Path(name) if name.endswith(".toml") else CARDS_DIR / f"{name}.toml"
    if not path.is_file():
        if name.endswith(".toml"):
            raise BenchError(f"dataset card {path} does not exist; give a .toml file or one of: "
                             f"{', '.join(card_names())}")
        raise unknown_name("dataset", name, card_names())
    return read_card(path)


def folder_card(path: str | Path) -> Card:
    """A card for ``--data DIR``: a folder of images, one split named ``all``."""
    directory = Path(path).resolve()
    return Card(name=f"folder:{directory}", loader=Loader(kind="folder", path=str(directory)),
                root=directory.parent)


def apply_size_policy(card: Card, images, normalisation: str):
    """The size policy: native sizes, unless the card's ``[loader] size = [H, W]`` asks for one
    size; then every image is centre-cropped or zero-padded to it (never resampled)."""
    size = card.loader.size
    if not size:
        return list(images), normalisation
    if "padded" not in normalisation:
        normalisation += f"; centre-cropped/zero-padded to {size[0]}x{size[1]}"
    return [fit_to_size(np.asarray(image), size) for image in images], normalisation


def load_images(card: Card, split: str) -> ImageSet:
    """Load and check every image of ``split`` described by ``card`` (a
    :class:`~benchmark.data.curves.CurveSet` for a curve card)."""
    if card.data == "curve":
        from benchmark.data.curves import Simulation, simulate

        return simulate(card.name, card.simulation or Simulation(), split, card.root)
    ids, images, normalisation = LOADERS[card.loader.kind](card, split, card.root)
    images, normalisation = apply_size_policy(card, images, normalisation)
    checked = tuple(check_clean_image(image, image_id) for image_id, image in zip(ids, images))
    return ImageSet(card.name, split, tuple(ids), checked, normalisation)


def load_dataset(name: str = "mni152", split: str = "test") -> ImageSet:
    """Images of a named dataset card's split (the embedded default: MNI152 test slices)."""
    return load_images(load_card(name), split)


def image_ids(card: Card, split: str) -> list[str] | None:
    """The ids of ``split`` without reading pixels, when the card's loader can tell them."""
    from benchmark.data.loaders import ID_LISTERS

    if card.data == "curve":
        return list(load_images(card, split).ids)  # simulated in well under a second
    lister = ID_LISTERS.get(card.loader.kind)
    return None if lister is None else lister(card, split)
