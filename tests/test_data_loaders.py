"""Loaders on files the tests write: DICOM (pydicom), NIfTI (nibabel), PNG/TIFF; and pydicom's own."""

from __future__ import annotations

import dataclasses
import logging
import shutil

import numpy as np
import pytest
from dicom_factory import write_dicom

from benchmark.data.cards import load_images
from benchmark.core.errors import BenchError
from benchmark.data.loaders.detect import path_card
from benchmark.data.loaders.intensity import WINDOWS, parse_window, window
from benchmark.data.schema import Normalisation


def load(path, split="all", **options):
    return load_images(path_card(path, **options), split)


def ramp(rows=16, cols=16, start=0, dtype=np.uint16):
    return (np.arange(rows * cols).reshape(rows, cols) + start).astype(dtype)


# --- CT: rescale to HU, then a window -------------------------------------------------------

def test_ct_rescale_and_abdomen_window_match_hand_computed_values(tmp_path):
    stored = ramp()
    stored.flat[:5] = [0, 512, 537, 612, 1000]  # slope 2, intercept -1024: HU -1024, 0, 50, 200, 976
    write_dicom(tmp_path / "ct" / "a.dcm", stored, slope=2, intercept=-1024)
    image = load(tmp_path / "ct", window="abdomen").images[0]
    # abdomen = centre 50, width 400: y = (HU - 50) / 400 + 0.5, clipped to [0, 1]
    assert image.flat[:5].tolist() == pytest.approx([0.0, 0.375, 0.5, 0.875, 1.0])


def test_ct_window_from_the_file_and_custom_window(tmp_path):
    stored = ramp(start=1000)  # HU = stored - 1000 = 0 .. 255
    write_dicom(tmp_path / "ct" / "a.dcm", stored, slope=1, intercept=-1000, window=(100, 200))
    from_file = load(tmp_path / "ct")
    assert from_file.images[0][0, 0] == pytest.approx(0.0)        # HU 0 = 100 - 200/2
    assert from_file.images[0].flat[150] == pytest.approx(0.75)   # HU 150
    assert "from the file" in from_file.normalisation
    custom = load(tmp_path / "ct", window="128,256").images[0]
    assert custom.flat[64] == pytest.approx(0.25)                  # (64 - 128) / 256 + 0.5


def test_window_presets_and_bad_window():
    assert window(np.array([-1350.0, -600.0, 150.0]), *WINDOWS["lung"]).tolist() == [0.0, 0.5, 1.0]
    assert set(WINDOWS) == {"brain", "subdural", "abdomen", "lung", "bone", "ldct"}
    with pytest.raises(BenchError, match="preset"):
        parse_window("liver")


def test_ct_without_window_asks_for_one(tmp_path):
    write_dicom(tmp_path / "ct" / "a.dcm", ramp(), slope=1, intercept=-1024)
    with pytest.raises(BenchError, match="--window"):
        load(tmp_path / "ct")


def test_pydicom_ct_small_in_hounsfield_units(tmp_path):
    from pydicom import dcmread
    from pydicom.data import get_testdata_file

    source = get_testdata_file("CT_small.dcm")
    shutil.copy(source, tmp_path / "CT_small.dcm")
    stored = dcmread(source).pixel_array.astype(float)  # RescaleSlope 1, RescaleIntercept -1024
    image = load(tmp_path / "CT_small.dcm", window="bone").images[0]
    expected = np.clip((stored - 1024 - 400) / 1800 + 0.5, 0, 1)
    np.testing.assert_allclose(image, expected, atol=1e-6)


# --- series order, multi-frame, MR ----------------------------------------------------------

def test_shuffled_series_is_ordered_by_position_along_the_normal(tmp_path):
    for name, z in zip("cabed", [0.0, 1.0, 4.0, 2.0, 3.0]):  # file names do not follow z
        write_dicom(tmp_path / "s" / f"{name}.dcm", ramp(start=int(z) * 100), modality="MR",
                    position=(0, 0, z), instance=int(10 - z))  # InstanceNumber reversed: ignored
    loaded = load(tmp_path / "s")
    assert list(loaded.ids) == ["c.dcm", "a.dcm", "e.dcm", "d.dcm", "b.dcm"]
    means = [float(img.mean()) for img in loaded.images]
    assert means == sorted(means)


def test_series_without_positions_is_ordered_by_instance_number(tmp_path):
    for name, number in zip("abc", [3, 1, 2]):
        write_dicom(tmp_path / "s" / f"{name}.dcm", ramp(start=number * 10), modality="MR",
                    instance=number)
    assert list(load(tmp_path / "s").ids) == ["b.dcm", "c.dcm", "a.dcm"]


def test_multiframe_file_gives_one_image_a_frame(tmp_path):
    frames = np.stack([ramp(start=k * 50) for k in range(3)])
    write_dicom(tmp_path / "m.dcm", frames, slope=1, intercept=0)
    loaded = load(tmp_path / "m.dcm", window="0,600")
    assert list(loaded.ids) == ["m.dcm#f000", "m.dcm#f001", "m.dcm#f002"]
    assert loaded.images[2][0, 0] == pytest.approx(100 / 600 + 0.5)


def test_mr_series_is_scaled_by_one_robust_percentile(tmp_path):
    stored = np.arange(800, dtype=np.uint16).reshape(2, 20, 20)  # values 0..799 over two slices
    for k in range(2):
        write_dicom(tmp_path / "mr" / f"{k}.dcm", stored[k], modality="MR", instance=k)
    loaded = load(tmp_path / "mr")
    top = 0.995 * 799  # numpy's linear 99.5th percentile of 0..799
    assert loaded.images[0].flat[100] == pytest.approx(100 / top, rel=1e-5)
    assert loaded.images[1].flat[399] == pytest.approx(1.0)  # 799 > top: clipped
    assert "99.5th percentile" in loaded.normalisation


def test_window_on_mr_is_refused(tmp_path):
    write_dicom(tmp_path / "mr" / "a.dcm", ramp(), modality="MR")
    with pytest.raises(BenchError, match="Hounsfield"):
        load(tmp_path / "mr", window="brain")


# --- bad input ---------------------------------------------------------------------------------

def test_truncated_and_non_dicom_files_are_skipped_and_listed(tmp_path, caplog):
    from pydicom.data import get_testdata_file

    folder = tmp_path / "mr"
    folder.mkdir()
    shutil.copy(get_testdata_file("MR_small.dcm"), folder)
    shutil.copy(get_testdata_file("MR_truncated.dcm"), folder)
    (folder / "notes.txt").write_text("not an image")
    with caplog.at_level(logging.WARNING, logger="benchmark.data.cards"):
        loaded = load(folder)
    assert list(loaded.ids) == ["MR_small.dcm"]
    assert "skipped 2 input(s)" in caplog.text
    assert "MR_truncated.dcm" in caplog.text and "notes.txt" in caplog.text
    with pytest.raises(BenchError, match="skipped 2 input"):
        load(folder, strict=True)


def test_mixed_modalities_are_an_error(tmp_path):
    write_dicom(tmp_path / "x" / "ct.dcm", ramp(), slope=1, intercept=0, series="1")
    write_dicom(tmp_path / "x" / "mr.dcm", ramp(), modality="MR", series="2")
    with pytest.raises(BenchError, match="mixes modalities"):
        load(tmp_path / "x", window="brain")


def test_empty_and_missing_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BenchError, match="empty folder"):
        path_card(tmp_path / "empty")
    with pytest.raises(BenchError, match="does not exist"):
        path_card(tmp_path / "nothing")


# --- NIfTI -------------------------------------------------------------------------------------

def write_nifti(path, volume):
    import nibabel as nib

    nib.save(nib.Nifti1Image(volume, np.eye(4)), path)
    return path


def test_nifti_axial_slices_with_range_and_nan_slice(tmp_path):
    volume = np.random.default_rng(0).uniform(0, 100, (20, 24, 16)).astype(np.float32)
    volume[3, 3, 6] = np.nan
    write_nifti(tmp_path / "v.nii.gz", volume)
    card = path_card(tmp_path / "v.nii.gz")
    card = card.with_loader(slices=(4, 8))
    loaded = load_images(card, "all")
    assert list(loaded.ids) == ["v.nii.gz/z004", "v.nii.gz/z005", "v.nii.gz/z007"]  # z006: NaN
    assert loaded.images[0].shape == (24, 20)  # rotated anterior-up
    finite = volume[np.isfinite(volume)]
    top, low = np.percentile(finite, 99.5), finite.min()
    expected = np.clip((np.rot90(volume[:, :, 5]) - low) / (top - low), 0, 1)
    np.testing.assert_allclose(loaded.images[1], expected, rtol=1e-5, atol=1e-6)
    card = card.with_loader(strict=True)
    with pytest.raises(BenchError, match="NaN"):
        load_images(card, "all")


def test_nifti_that_does_not_parse_is_named(tmp_path):
    folder = tmp_path / "vols"
    folder.mkdir()
    write_nifti(folder / "good.nii", np.arange(13 * 12 * 3, dtype=np.float32).reshape(13, 12, 3))
    (folder / "bad.nii.gz").write_bytes(b"\x1f\x8b not really gzip")
    loaded = load(folder)
    assert len(loaded) == 3
    with pytest.raises(BenchError, match="bad.nii.gz .not a readable NIfTI"):
        load(folder, strict=True)


def test_constant_slices_are_skipped(tmp_path):
    volume = np.zeros((12, 12, 4), np.float32)
    volume[..., 1:3] = np.arange(144, dtype=np.float32).reshape(12, 12, 1)
    write_nifti(tmp_path / "c.nii", volume)
    assert list(load(tmp_path / "c.nii").ids) == ["c.nii/z001", "c.nii/z002"]


# --- PNG / TIFF folders --------------------------------------------------------------------

def test_png_8_and_16_bit_and_rgb_with_warning(tmp_path, caplog):
    import imageio.v3 as iio

    folder = tmp_path / "png"
    folder.mkdir()
    iio.imwrite(folder / "a8.png", ramp(dtype=np.uint8))
    iio.imwrite(folder / "b16.png", (ramp() * 200).astype(np.uint16))
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = ramp(dtype=np.uint8)
    iio.imwrite(folder / "c.png", rgb)
    with caplog.at_level(logging.WARNING, logger="benchmark.data.cards"):
        loaded = load(folder)
    assert loaded.image("png/a8.png").flat[255] == pytest.approx(1.0)
    assert loaded.image("png/b16.png").flat[10] == pytest.approx(2000 / 65535)
    assert loaded.image("png/c.png").flat[255] == pytest.approx(0.2125, abs=1e-4)  # BT.709 red
    assert "converted to grey" in caplog.text


def test_size_policy_crops_or_pads_every_loader(tmp_path):
    write_nifti(tmp_path / "v.nii", np.arange(30 * 20 * 2, dtype=np.float32).reshape(30, 20, 2))
    card = path_card(tmp_path / "v.nii")
    card = card.with_loader(size=(16, 40))
    loaded = load_images(card, "all")
    assert {img.shape for img in loaded.images} == {(16, 40)}
    assert "zero-padded to 16x40" in loaded.normalisation


# --- more of pydicom's shipped files, and odd image files ----------------------------------------

def copy_testdata(folder, *names):
    from pydicom.data import get_testdata_file

    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(get_testdata_file(name), folder)
    return folder


def test_pydicom_mr_ignores_the_file_window_and_rle_decodes_the_same(tmp_path):
    plain = load(copy_testdata(tmp_path / "a", "MR_small.dcm")).images[0]
    rle = load(copy_testdata(tmp_path / "b", "MR_small_RLE.dcm")).images[0]
    np.testing.assert_array_equal(plain, rle)
    assert plain.max() == 1.0 and plain.min() == 0.0  # percentile scaling, not the 600/1600 window


def test_pydicom_rgb_file_is_converted_to_grey_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="benchmark.data.cards"):
        loaded = load(copy_testdata(tmp_path / "rgb", "SC_rgb_rle.dcm"))
    assert loaded.images[0].ndim == 2 and "converted to grey" in caplog.text


def test_pydicom_multiframe_too_small_for_ssim_is_refused(tmp_path):
    with pytest.raises(BenchError, match="smaller than SSIM"):
        load(copy_testdata(tmp_path / "dose", "rtdose.dcm"))  # 15 frames of 10x10


def test_dicom_slice_range_is_taken_along_the_ordered_series(tmp_path):
    for name, z in zip("dcba", [0.0, 1.0, 2.0, 3.0]):
        write_dicom(tmp_path / "s" / f"{name}.dcm", ramp(start=int(z) * 100), modality="MR",
                    position=(0, 0, z))
    card = path_card(tmp_path / "s")
    card = card.with_loader(slices=(1, 3))
    assert list(load_images(card, "all").ids) == ["c.dcm", "b.dcm"]


def test_unreadable_and_non_finite_image_files_are_skipped(tmp_path, caplog):
    import tifffile

    folder = tmp_path / "imgs"
    folder.mkdir()
    good = ramp().astype(np.float32) / 255
    tifffile.imwrite(folder / "good.tif", good)
    bad = good.copy()
    bad[2, 2] = np.inf
    tifffile.imwrite(folder / "inf.tif", bad)
    (folder / "garbage.png").write_bytes(b"\x89PNG not really")
    with caplog.at_level(logging.WARNING, logger="benchmark.data.cards"):
        loaded = load(folder)
    assert list(loaded.ids) == ["imgs/good.tif"]
    assert "garbage.png (cannot read: " in caplog.text and "inf.tif (1 NaN/inf values)" in caplog.text


def test_card_window_as_centre_width_list_and_garbled_file_window(tmp_path):
    stored = ramp(start=1000)  # HU 0 .. 255
    write_dicom(tmp_path / "ct" / "a.dcm", stored, slope=1, intercept=-1000, window=("", ""))
    card = path_card(tmp_path / "ct")
    with pytest.raises(BenchError, match="without WindowCenter"):  # empty values: no window
        load_images(card, "all")
    card = dataclasses.replace(card, normalisation=Normalisation("window", window=(128, 256)))
    assert load_images(card, "all").images[0].flat[64] == pytest.approx(0.25)


def test_nifti_non_finite_zero_is_explicit_and_recorded(tmp_path):
    volume = np.random.default_rng(1).uniform(0, 100, (12, 12, 2)).astype(np.float32)
    volume[0, :3, 1] = np.nan
    write_nifti(tmp_path / "v.nii", volume)
    card = path_card(tmp_path / "v.nii")
    assert list(load_images(card, "all").ids) == ["v.nii/z000"]
    card = card.with_loader(non_finite="zero")
    loaded = load_images(card, "all")
    assert list(loaded.ids) == ["v.nii/z000", "v.nii/z001"]
    assert "3 NaN/inf voxels set to 0" in loaded.normalisation
    assert np.count_nonzero(np.rot90(loaded.images[1], -1)[0, :3]) == 0


@pytest.mark.parametrize("axis", ["sagittal", "coronal", "axial"])
def test_nifti_slices_are_the_volume_planes_rotated(tmp_path, axis):
    """Each slice is the plane of the (canonical) volume, normalised and rotated: the same
    values np.take gives, through a view instead of a copy."""
    import nibabel as nib

    volume = np.random.default_rng(1).uniform(1, 100, (14, 13, 12)).astype(np.float32)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), tmp_path / "v.nii.gz")
    card = path_card(tmp_path / "v.nii.gz").with_loader(axis=axis)
    loaded = load_images(card, "all")
    index = {"sagittal": 0, "coronal": 1, "axial": 2}[axis]
    scale = np.percentile(volume.astype(np.float64), 99.5) - volume.min()
    assert len(loaded) == volume.shape[index]
    for k, image in enumerate(loaded.images):
        expected = np.clip((np.rot90(np.take(volume, k, axis=index)) - volume.min()) / scale, 0, 1)
        np.testing.assert_allclose(image, expected, atol=1e-6)
