"""DICOM (or NIfTI) to PNG, with the modality transform and a window, never a raw cast.

The values written are the loader's normalised [0, 1] images (HU through the chosen window for
CT, the robust percentile for MR) scaled to 8 or 16 bits and rounded, so the PNG folder loads
back (``--data DST``) to the same images within half a grey level. The folder is written in a
unique temporary sibling made for this call (never an existing ``DST.partial``) and renamed at
the end: an error leaves nothing half-written, and nothing else is removed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.loaders import SCANNERS
from benchmark.data.loaders.common import Scan

if TYPE_CHECKING:
    from benchmark.data.schema import Card


def png_name(image_id: str) -> str:
    """``sub/a.dcm`` -> ``sub/a.png``; ``m.dcm#f003`` -> ``m_f003.png``; ``v.nii.gz/z040`` -> ``v/z040.png``."""
    name = image_id.replace("#", "_")
    for suffix in (".dcm", ".nii.gz", ".nii", ".mnc"):
        name = name.replace(suffix + "_", "_").replace(suffix + "/", "/")
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name + ".png"


def quantise(image: np.ndarray, bits: int) -> np.ndarray:
    """[0, 1] -> unsigned integers of ``bits`` (8 or 16), rounded to nearest."""
    if bits not in (8, 16):
        raise BenchError(f"--bits {bits}: PNG takes 8 or 16")
    top = (1 << bits) - 1
    return np.round(np.clip(image, 0.0, 1.0) * top).astype(np.uint8 if bits == 8 else np.uint16)


def convert(card: Card, destination: Path, *, bits: int = 8) -> tuple[Scan, Path]:
    """Write every image of ``card`` (a DICOM or NIfTI path card) as PNG under ``destination``.

    Also writes ``conversion.json`` (source, bits, normalisation, files, skipped inputs).

    Raises
    ------
    BenchError
        For a source that is not DICOM/NIfTI, an existing non-empty destination, or bad input.
    """
    import imageio.v3 as iio

    kind = card.loader.kind
    if kind not in ("dicom", "nifti"):
        raise BenchError(f"{card.loader.path} holds {kind} images, not DICOM or NIfTI; "
                         "it needs no conversion (use it with --data directly)")
    if bits not in (8, 16):
        raise BenchError(f"--bits {bits}: PNG takes 8 or 16")
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BenchError(f"{destination} already exists and is not an empty folder; "
                         "choose a new destination or remove it")
    scan = SCANNERS[kind](card, "all", card.root)
    made = [p for p in destination.parents if not p.exists()]  # removed again on failure
    try:  # a fresh, unique folder of ours next to DST: nothing of the user's is touched
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial",
                                        dir=destination.parent))
    except OSError as error:
        raise BenchError(f"cannot write {destination}: {error.strerror or error}") from None
    files = {}
    try:
        for image_id, image in zip(scan.ids, scan.images):
            target = partial / png_name(image_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            iio.imwrite(target, quantise(image, bits))
            files[image_id] = target.relative_to(partial).as_posix()
        record = {"source": card.loader.path, "kind": kind, "bits": bits,
                  "normalisation": scan.normalisation, "modality": scan.modality,
                  "files": files, "skipped": [list(s) for s in scan.skipped]}
        (partial / "conversion.json").write_text(json.dumps(record, indent=1) + "\n")
        partial.chmod(0o755)  # mkdtemp makes it private; DST is an ordinary folder
        partial.rename(destination)  # replaces only an empty DST (rename(2)); else OSError
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        for parent in made:  # innermost first; only folders this call made, and only if empty
            try:
                parent.rmdir()
            except OSError:
                break
        if isinstance(error, OSError):
            raise BenchError(f"cannot write {destination}: {error.strerror or error}") from None
        raise
    return scan, destination
