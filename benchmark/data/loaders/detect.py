"""``--data PATH``: tell a file or folder's kind (DICOM, NIfTI, image folder) and make its card."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from benchmark.core.errors import BenchError
from benchmark.data.loaders import dicom, folder, nifti
from benchmark.data.schema import Card, Loader, Normalisation

#: Kind of a --data path -> the loader kind in :data:`benchmark.data.loaders.LOADERS`.
KINDS = ("dicom", "nifti", "folder")


def kind_of(path: Path) -> str:
    """``dicom``, ``nifti`` or ``folder`` (PNG/JPEG/TIFF) for a file or a folder's files.

    Raises
    ------
    BenchError
        For a missing path, an empty folder, a folder with none of these kinds, or a folder
        mixing kinds.
    """
    if not path.exists():
        raise BenchError(f"--data {path} does not exist; give a DICOM, NIfTI or image file or folder")
    files = [path] if path.is_file() else [
        p for p in path.rglob("*") if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)]
    if not files:
        raise BenchError(f"--data {path} is an empty folder; give a folder of DICOM, NIfTI or images")
    counts = Counter()
    for p in files:
        if nifti.is_volume(p):
            counts["nifti"] += 1
        elif p.suffix.lower() in folder.SUFFIXES:
            counts["folder"] += 1
        elif p.name not in dicom.SKIPPED_NAMES and dicom.is_dicom(p):
            counts["dicom"] += 1
    if not counts:
        if path.is_file():  # let the DICOM reader say what is wrong with a single odd file
            return "dicom"
        raise BenchError(f"--data {path} holds no DICOM, NIfTI (.nii, .nii.gz) or PNG/JPEG/TIFF "
                         f"file ({len(files)} other file(s)); point it at medical images")
    if len(counts) > 1:
        mix = ", ".join(f"{n} {k}" for k, n in counts.most_common())
        raise BenchError(f"--data {path} mixes kinds of files ({mix}); give a folder of one kind")
    return next(iter(counts))


def path_card(path: str | Path, *, window: str | None = None, strict: bool = False) -> Card:
    """A card for ``--data PATH``: one split ``all``; ``window`` is a CT window (DICOM, NIfTI in HU).

    The card's name holds the kind, the absolute path and any option that changes pixels, so
    results of different windows never share cells in the store.
    """
    where = Path(path).expanduser().resolve()
    kind = kind_of(where)
    name, normalisation = f"{kind}:{where}", Normalisation()
    if window is not None:
        if kind == "folder":
            raise BenchError("--window applies to DICOM or NIfTI in Hounsfield units, not to "
                             "PNG/JPEG/TIFF images; drop --window")
        normalisation = Normalisation(method="window", window=window)
        name += f"?window={window}"
    return Card(name=name, loader=Loader(kind=kind, path=str(where), strict=strict),
                root=where.parent, normalisation=normalisation)
