"""Shared fixtures: small real MRI images, made once per session."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.data.cards import ImageSet, load_dataset


@pytest.fixture(scope="session")
def mni_test() -> ImageSet:
    """The MNI152 test split (20 axial slices, 256 x 256)."""
    return load_dataset("mni152", "test")


@pytest.fixture(scope="session")
def small_image(mni_test) -> np.ndarray:
    """A 96 x 96 crop of a real test slice, brain and background both present."""
    image = mni_test.images[len(mni_test) // 2]
    return np.ascontiguousarray(image[72:168, 72:168])


@pytest.fixture(scope="session")
def small_set(mni_test) -> ImageSet:
    """Three 64 x 64 crops of test slices, as an ImageSet (fast sweeps)."""
    images = tuple(np.ascontiguousarray(img[96:160, 80:144]) for img in mni_test.images[:3])
    return ImageSet("mni152-crops", "test", mni_test.ids[:3], images, "crop of mni152")


@pytest.fixture(scope="session")
def small_volume() -> np.ndarray:
    """A 10 x 64 x 64 crop of the first MNI152 test slab (brain and background both present)."""
    from benchmark.data.cards import load_card
    from benchmark.data.volumes import load_volumes

    slab = load_volumes(load_card("mni152"), "test").volumes[0]
    return np.ascontiguousarray(slab[:, 96:160, 80:144])



_SPLITS: dict = {}


@pytest.fixture
def cached_splits(monkeypatch):
    """Training reads each split of a card once per session (reading the MNI152 volume is the
    slow part of a tiny training run)."""
    import methods.deep.training.training as training
    from benchmark.data.cards import load_images

    def cached(card, split):
        key = (card.name, split)
        if key not in _SPLITS:
            _SPLITS[key] = load_images(card, split)
        return _SPLITS[key]

    monkeypatch.setattr(training, "load_images", cached)
