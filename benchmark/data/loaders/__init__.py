"""Loaders behind the dataset cards: one module a source kind.

A loader takes the card (a dict read from TOML), a split name and the card's folder, and returns
``(ids, images, normalisation)``: stable image ids, 2-D float arrays in [0, 1], and a one-line
description of the normalisation applied.

Kinds: ``nilearn-mni152`` (the embedded template), ``skimage-data`` (scikit-image's own
natural images, for pretraining), ``package-images`` (real images other installed packages
ship), ``ct-phantom`` (procedural CT phantoms in HU, the default of low-dose
CT noise), ``us-phantom`` (procedural ultrasound echogenicity maps, the clean data of the
``speckle`` noise kind), ``folder`` (PNG/JPEG/TIFF), ``nifti`` (nibabel), ``dicom`` (pydicom),
and ``corpus`` (a training mixture of other cards, :mod:`benchmark.data.corpus`). The
file-reading ones also have a ``scan`` (in
:data:`SCANNERS`) that reports skipped inputs and the source's dtype, modality and range, for
``bench data info``; :mod:`benchmark.data.loaders.detect` makes a card for ``--data PATH``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmark.data import corpus
from benchmark.data.loaders import (common, ct_phantom, dicom, folder, mni152, nifti, package_images,
                                    skimage_data, us_phantom)

Loaded = tuple[list[str], list[np.ndarray], str]

LOADERS: dict[str, Callable[..., Loaded]] = {
    "nilearn-mni152": mni152.load,
    "folder": folder.load,
    "nifti": nifti.load,
    "dicom": dicom.load,
    "skimage-data": skimage_data.load,
    "package-images": package_images.load,
    "corpus": corpus.load,
    "us-phantom": us_phantom.load,
    "ct-phantom": ct_phantom.load,
}

#: File-reading loaders that also report what they skipped and the source's range (data info).
SCANNERS: dict[str, Callable[..., "common.Scan"]] = {
    "folder": folder.scan,
    "nifti": nifti.scan,
    "dicom": dicom.scan,
}

#: Loaders that can list a split's image ids cheaply, without reading pixels.
ID_LISTERS: dict[str, Callable[..., list[str]]] = {
    "nilearn-mni152": mni152.image_ids,
    "us-phantom": us_phantom.image_ids,
    "ct-phantom": ct_phantom.image_ids,
}
