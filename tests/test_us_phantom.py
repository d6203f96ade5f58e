"""The us-phantom card (procedural ultrasound) and pydicom's real ultrasound frame."""

import numpy as np
import pytest

from benchmark.core.errors import BenchError
from benchmark.data.cards import image_ids, load_card, load_images
from benchmark.data.loaders.us_phantom import ANECHOIC, phantom


@pytest.fixture(scope="module")
def card():
    return load_card("us-phantom")


@pytest.fixture(scope="module")
def test_split(card):
    return load_images(card, "test")


def test_splits_never_share_an_image(card, test_split):
    ids = {split: image_ids(card, split) for split in ("train", "validation", "test")}
    assert [len(v) for v in ids.values()] == [200, 20, 20]
    every = [i for v in ids.values() for i in v]
    assert len(set(every)) == len(every)
    assert list(test_split.ids) == ids["test"]
    others = [phantom(i) for i in ids["validation"][:3] + ids["train"][:3]]
    for a in test_split.images[:3]:  # no two drawn images are the same picture
        assert not any(np.array_equal(a, b) for b in others)


def test_a_phantom_is_a_function_of_its_id(test_split):
    np.testing.assert_array_equal(test_split.images[0], phantom("us-phantom/p0220"))
    assert not np.array_equal(test_split.images[0], test_split.images[1])


def test_phantoms_hold_tissue_cysts_and_inclusions(test_split):
    for image in test_split.images:
        assert image.shape == (256, 256) and image.dtype == np.float32
        assert image.min() >= ANECHOIC and image.max() <= 1
        assert (image <= ANECHOIC + 1e-6).mean() > 0.002  # an anechoic cyst
        assert (image >= 0.75).any()  # a hyperechoic inclusion or interface
        tissue = image[(image > 0.2) & (image < 0.7)]
        assert tissue.size > 0.5 * image.size and tissue.std() > 0.02  # textured tissue


def test_a_card_size_draws_at_that_size(tmp_path):
    (tmp_path / "small.toml").write_text(
        'name = "small"\n[loader]\nkind = "us-phantom"\nsize = [64, 96]\n'
        '[splits]\ntest = [[0, 2]]\n')
    images = load_images(load_card(str(tmp_path / "small.toml")), "test")
    assert [im.shape for im in images.images] == [(64, 96), (64, 96)]
    assert images.ids == ("small/p0000", "small/p0001")


def test_pydicom_ultrasound_frame_is_grey_and_in_range():
    from benchmark.data.loaders.real_ultrasound import pydicom_ultrasound

    image = pydicom_ultrasound(3, size=(256, 256))
    assert image.shape == (256, 256) and image.dtype == np.float32
    assert 0 <= image.min() < 0.05 and 0.3 < image.max() <= 1  # dark background, bright tissue
    with pytest.raises(BenchError, match="frame 30 .* give 0 to 29"):
        pydicom_ultrasound(30)
