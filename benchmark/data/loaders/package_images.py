"""Real images that installed packages ship as data files (no download): a training source.

Each entry of :data:`PACKAGE_IMAGES` names one file inside an installed package, how it is read
and how it becomes a grey float image in [0, 1]. A card of kind ``package-images`` lists entry
names in its ``[splits]`` (``train = ["matplotlib/s1045", ...]``); ids are
``<card>/<entry name>``.

Left out on purpose (:data:`EXCLUDED`): files any report evaluates on or that are test fixtures
of their package: dipy's diffusion volumes (``S0_10slices.nii.gz``, the b0 volume of the
generalisation table, and the ``small_*``/``aniso_vox``/``test_piesno`` files), pydicom's and
nibabel's test files, and nilearn's MNI152 derivatives (masks and tissue maps of the same
template whose test slabs the default split holds).
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.loaders.intensity import percentile_scale, to_grey

if TYPE_CHECKING:
    from benchmark.data.schema import Card


def _raw_uint16_256(path: Path) -> np.ndarray:
    # matplotlib's own example reads it this way: little-endian uint16, 256 x 256, gzipped
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), "<u2").reshape(256, 256)


def _npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _picture(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    return np.asarray(iio.imread(path))


@dataclass(frozen=True)
class PackageImage:
    """One image file shipped inside an installed package."""

    package: str                            # import name of the package
    path: str                               # the file, relative to the package's folder
    read: Callable[[Path], np.ndarray]      # raw pixels
    scale: str                              # percentile, dtype-max or none
    what: str                               # what the image shows
    licence: str                            # as far as the package states it

    def location(self) -> Path:
        """The file inside the installed package (a one-line error when it is missing)."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise BenchError(f"package image {self.path}: the package {self.package!r} is not "
                             f"installed; pip install {self.package}")
        where = Path(spec.submodule_search_locations[0]) / self.path
        if not where.is_file():
            raise BenchError(f"package image {where} is missing from the installed "
                             f"{self.package}; reinstall it")
        return where

    def load(self) -> tuple[np.ndarray, str]:
        """The image as float32 grey in [0, 1], and how it was normalised."""
        raw = self.read(self.location())
        grey = to_grey(raw) if raw.ndim == 3 else raw
        if self.scale == "percentile":
            image, how = percentile_scale(np.asarray(grey, np.float64))
        elif self.scale == "dtype-max":
            image, how = grey / np.iinfo(raw.dtype).max, "divided by the dtype maximum"
        else:
            image, how = np.clip(grey, 0.0, 1.0), "stored in [0, 1]"
        return np.asarray(image, np.float32), how


#: The images, by entry name (``<package>/<file stem>``).
PACKAGE_IMAGES: dict[str, PackageImage] = {
    "matplotlib/s1045": PackageImage(
        "matplotlib", "mpl-data/sample_data/s1045.ima.gz", _raw_uint16_256, "percentile",
        "a sagittal MR slice of a human head and neck, 256 x 256, 16-bit (the image of "
        "matplotlib's 'MRI with EEG' example)",
        "shipped inside matplotlib under the matplotlib licence (PSF-based); matplotlib does "
        "not document the scan's origin"),
    "matplotlib/grace_hopper": PackageImage(
        "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", _picture, "dtype-max",
        "a photograph of Rear Admiral Grace Hopper, 600 x 512, colour -> grey",
        "public domain (U.S. Navy photograph), shipped inside matplotlib"),
    "dipy/t1_coronal_slice": PackageImage(
        "dipy", "data/files/t1_coronal_slice.npy", _npy, "none",
        "a skull-stripped T1-weighted coronal brain slice, 256 x 256, stored in [0, 1]",
        "shipped inside dipy under dipy's BSD 3-clause licence; dipy does not document the "
        "subject"),
}

#: Package files never used as images here, and why (checked by the tests).
EXCLUDED: dict[str, str] = {
    "dipy/data/files/S0_10slices.nii.gz": "dipy's b0 volume: the generalisation table "
                                          "evaluates on it",
    "dipy/data/files/aniso_vox.nii.gz": "a diffusion (b0-like) volume; kept out with the b0",
    "dipy/data/files/small_64D.nii": "diffusion test data of dipy",
    "dipy/data/files/small_101D.nii.gz": "diffusion test data of dipy",
    "dipy/data/files/small_25.nii.gz": "diffusion test data of dipy",
    "dipy/data/files/test_piesno.nii.gz": "a test fixture of dipy's PIESNO",
    "pydicom/data/test_files": "pydicom's DICOM test files stay fixtures of the loader tests",
    "nibabel/tests/data": "nibabel's test files",
    "nilearn/datasets/data": "the MNI152 template and its masks/tissue maps: only the mni152 "
                             "card's train slabs may be trained on",
}


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The images of ``split`` (entry names of :data:`PACKAGE_IMAGES` in the card's splits)."""
    splits = card.splits
    if split not in splits:
        raise BenchError(f"dataset {card.name!r} has no split {split!r}; "
                         f"use one of: {', '.join(splits)}")
    ids, images, methods = [], [], []
    for name in splits[split].images:
        if name not in PACKAGE_IMAGES:
            raise BenchError(f"dataset {card.name!r}: no package image {name!r}; use one of: "
                             f"{', '.join(PACKAGE_IMAGES)}")
        image, how = PACKAGE_IMAGES[name].load()
        ids.append(f"{card.name}/{name}")
        images.append(image)
        methods.append(f"{name}: {how}")
    return ids, images, "; ".join(methods)
