import numpy as np
import pytest
import tifffile
import imageio.v3 as iio

from benchmark.data.cards import folder_card, image_ids, load_card, load_dataset, load_images
from benchmark.core.errors import BenchError, UnknownNameError
from benchmark.data.loaders.mni152 import slice_indices


def test_mni152_splits_are_disjoint_with_gaps_and_enough_test_slices():
    card = load_card("mni152")
    splits = {name: slice_indices(card, name) for name in ("train", "validation", "test")}
    assert len(splits["test"]) >= 16
    owner = {z: name for name, zs in splits.items() for z in zs}
    assert len(owner) == sum(len(zs) for zs in splits.values()), "a slice is in two splits"
    for z, name in owner.items():  # no slice of another split within 4 slices
        for near in range(z - 4, z + 5):
            assert owner.get(near, name) == name, f"z={z} ({name}) next to z={near}"


def test_mni152_test_images_are_normalised_2d_and_listed_without_loading(mni_test):
    assert mni_test.dataset == "mni152" and mni_test.split == "test"
    assert list(mni_test.ids) == image_ids(load_card("mni152"), "test")
    for image in mni_test.images:
        assert image.shape == (256, 256) and image.dtype == np.float32
        assert image.min() >= 0 and image.max() <= 1
        assert (image > 0.1).mean() > 0.1, "a test slice should hold brain"


def test_unknown_dataset_and_split():
    with pytest.raises(UnknownNameError, match="Did you mean: mni152"):
        load_card("mni153")
    with pytest.raises(BenchError, match="no split 'tset'"):
        load_dataset("mni152", "tset")


@pytest.mark.parametrize("suffix, dtype, peak", [
    (".png", np.uint8, 255), (".png", np.uint16, 65535),
    (".tif", np.uint8, 255), (".tif", np.uint16, 65535),
])
def test_folder_of_8_and_16_bit_images(tmp_path, suffix, dtype, peak):
    raw = (np.arange(32 * 40).reshape(32, 40) % (peak + 1)).astype(dtype)
    path = tmp_path / f"a{suffix}"
    (tifffile.imwrite if suffix == ".tif" else iio.imwrite)(path, raw)
    images = load_images(folder_card(tmp_path), "all")
    assert images.ids == (f"{tmp_path.name}/a{suffix}",)
    np.testing.assert_allclose(images.images[0], raw / peak, rtol=1e-6)


def test_fingerprint_changes_with_content(small_set):
    other = type(small_set)(small_set.dataset, small_set.split, small_set.ids,
                            tuple(img * 0.5 for img in small_set.images), small_set.normalisation)
    assert small_set.fingerprint() != other.fingerprint()
