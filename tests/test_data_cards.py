"""The shipped cards load their expected layout (tiny synthetic stand-ins found through the env var)."""

from __future__ import annotations

import numpy as np
import pytest
from dicom_factory import write_dicom

from benchmark.data.cards import load_card, load_images
from benchmark.core.errors import BenchError


def splits_of(card):
    """Each split's ids, or an empty list for a split the few synthetic subjects left empty."""
    out = {}
    for split in ("train", "validation", "test"):
        try:
            out[split] = list(load_images(card, split).ids)
        except BenchError as error:
            assert "no usable image" in str(error) or "holds no" in str(error)
            out[split] = []
    return out


def test_ixi_card_splits_by_subject(tmp_path, monkeypatch):
    import nibabel as nib

    rng = np.random.default_rng(0)
    for number in range(2, 22):
        volume = rng.uniform(0, 500, (16, 16, 20)).astype(np.float32)
        nib.save(nib.Nifti1Image(volume, np.eye(4)), tmp_path / f"IXI{number:03d}-Guys-0{number}-T1.nii.gz")
    monkeypatch.setenv("BENCH_DATA_IXI_T1", str(tmp_path))
    splits = splits_of(load_card("ixi-t1"))
    subjects = {k: {i.split("-")[0] for i in ids} for k, ids in splits.items()}
    assert sum(len(s) for s in subjects.values()) == 20  # every subject in exactly one split
    assert not (subjects["train"] & subjects["test"]) and not (subjects["train"] & subjects["validation"])
    assert all(i.endswith(("/z007", "/z012")) for ids in splits.values() for i in ids)  # [0.35, 0.65], step 5


def test_pancreas_card_windows_dicom_series_by_patient(tmp_path, monkeypatch):
    for patient in range(1, 9):
        for k in range(8):
            write_dicom(tmp_path / "Pancreas-CT" / f"PANCREAS_{patient:04d}" / "s" / f"1-{k:03d}.dcm",
                        (np.arange(256).reshape(16, 16) * 4 + k).astype(np.int16), slope=1,
                        intercept=-1024, position=(0, 0, -k), series=f"1.2.{patient}")
    monkeypatch.setenv("BENCH_DATA_PANCREAS_CT", str(tmp_path))
    card = load_card("pancreas-ct")
    splits = splits_of(card)
    assert sum(len(ids) for ids in splits.values()) == 8  # 8 patients x slices [0.3, 0.7) step 4 = 1
    patients = [i.split("/")[1] for ids in splits.values() for i in ids]
    assert len(set(patients)) == 8
    some = next(k for k, ids in splits.items() if ids)
    assert "CT window abdomen" in load_images(card, some).normalisation


def test_kaggle_card_reads_the_upstream_folders(tmp_path, monkeypatch):
    import imageio.v3 as iio

    for part in ("Training", "Testing"):
        for label in ("glioma", "notumor"):
            (tmp_path / part / label).mkdir(parents=True)
            for k in range(3):
                iio.imwrite(tmp_path / part / label / f"{k}.jpg",
                            (np.arange(400).reshape(20, 20) % 200 + k).astype(np.uint8))
    monkeypatch.setenv("BENCH_DATA_KAGGLE_BRAIN_TUMOR", str(tmp_path))
    splits = splits_of(load_card("kaggle-brain-tumor"))
    assert len(splits["test"]) == 6 and all("/Testing/" in i for i in splits["test"])
    assert len(splits["train"]) + len(splits["validation"]) == 6


def test_card_without_files_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_DATA", str(tmp_path))
    with pytest.raises(BenchError, match="bench data fetch brainweb.*BENCH_DATA_BRAINWEB"):
        load_images(load_card("brainweb"), "test")
