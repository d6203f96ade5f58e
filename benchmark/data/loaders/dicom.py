"""DICOM read with pydicom: single files, series folders, multi-frame files.

Files are grouped by SeriesInstanceUID; a series is ordered along its slice normal
(ImagePositionPatient projected on the cross product of ImageOrientationPatient), else by
InstanceNumber, else by file name. Stored values go through the modality transform first
(RescaleSlope/RescaleIntercept, or a Modality LUT), which gives Hounsfield units for CT. Then,
per series:

- CT: a window in HU -> [0, 1] (DICOM LINEAR_EXACT): a preset (brain, subdural, abdomen, lung,
  bone), ``CENTRE,WIDTH``, or ``file`` (the series' own WindowCenter/WindowWidth, the default);
- anything else (MR, ...): the robust percentile scaling of :func:`percentile_scale`, computed
  over the slices of the series that are loaded (after ``slices``/``step``);
- MONOCHROME1 images are inverted afterwards so that bright means high signal.

A card's ``slices``/``step`` pick slices of each ordered series from the headers alone, so
only those are decoded. Files that are not DICOM, hold no pixel data, or whose pixels cannot be decoded are skipped and
listed (``strict`` makes them errors); a folder mixing modalities is an error.
"""

from __future__ import annotations

import io
import warnings
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.limits import check_image, check_volume
from benchmark.data.loaders.common import (Scan, add_slice, finish, is_strict, log, slice_range,
                                      slices_of, split_files, warn_skipped)
from benchmark.data.loaders.intensity import normalise_volume, parse_window, to_grey, window
from benchmark.data.loaders.location import require_location

if TYPE_CHECKING:
    from benchmark.data.schema import Card, Normalisation

SKIPPED_NAMES = {"DICOMDIR"}

#: Most bytes of a deflated file inflated to read its header (pydicom would inflate it all).
HEADER_BUDGET = 8 << 20
PIXEL_DATA = 0x7FE00010


def is_dicom(path: Path) -> bool:
    """Whether ``path`` has the ``DICM`` marker at byte 128 or a ``.dcm`` suffix."""
    if path.suffix.lower() == ".dcm":
        return True
    try:
        with path.open("rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def candidate_files(where: Path) -> list[Path]:
    """``where`` itself, or every non-hidden file below it, sorted by path."""
    if where.is_file():
        return [where]
    return sorted(p for p in where.rglob("*") if p.is_file() and p.name not in SKIPPED_NAMES
                  and not any(part.startswith(".") for part in p.relative_to(where).parts))


def _deflated_header(path: Path):
    """The header of a Deflated Explicit VR file, inflating at most :data:`HEADER_BUDGET` bytes.

    pydicom inflates a deflated file whole even to stop before its pixels, so a small file can
    take gigabytes before its size is known; None when ``path`` is not deflated.
    """
    from pydicom.filereader import _read_file_meta_info, read_dataset, read_preamble
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    with path.open("rb") as handle:
        if read_preamble(handle, False) is None:
            return None
        meta = _read_file_meta_info(handle)
        if meta.get("TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
            return None
        inflater, head = zlib.decompressobj(-zlib.MAX_WBITS), bytearray()
        while len(head) < HEADER_BUDGET:
            chunk = inflater.unconsumed_tail or handle.read(1 << 16)
            if not chunk:
                break
            head += inflater.decompress(chunk, HEADER_BUDGET - len(head))
    ds = read_dataset(io.BytesIO(bytes(head)), False, True,
                      stop_when=lambda tag, vr, length: tag == PIXEL_DATA)
    ds.file_meta = meta
    return ds


def _read(path: Path, header_only: bool):
    """pydicom's reader; files without the preamble are accepted only when they look like images."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if header_only:
        try:
            ds = _deflated_header(path)
        except InvalidDicomError:
            ds = None
        if ds is not None:
            return ds
    try:
        return pydicom.dcmread(path, stop_before_pixels=header_only)
    except InvalidDicomError:
        ds = pydicom.dcmread(path, force=True, stop_before_pixels=header_only)
        if "SOPClassUID" not in ds and "Rows" not in ds:
            raise BenchError("not a DICOM file") from None
        return ds


def read_dataset(path: Path, *, header_only: bool = False):
    """The pydicom dataset of ``path``, or a BenchError with the reason.

    ``header_only`` stops before the pixel data (fast sorting of a large series).
    """
    try:
        with warnings.catch_warnings():  # pydicom warns about odd values; outcomes are reported
            warnings.simplefilter("ignore")
            ds = _read(path, header_only)
    except BenchError:
        raise
    except PermissionError:
        raise BenchError("permission denied") from None
    except Exception as error:  # truncated or garbled headers raise many kinds
        raise BenchError(f"not a readable DICOM file ({type(error).__name__})") from None
    has_pixels = "Rows" in ds if header_only else any(
        tag in ds for tag in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))
    if not has_pixels:
        raise BenchError(f"no pixel data (a {ds.get('Modality', 'non-image')} object)")
    return ds


def header_int(ds, keyword: str, default: int = 1) -> int:
    """An integer header value (NumberOfFrames, SamplesPerPixel), or a BenchError naming it."""
    value = ds.get(keyword, default)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise BenchError(f"bad {keyword} {str(value)!r} in the header") from None


def _rescale_items(ds) -> list[tuple[float, float]] | None:
    """Per-frame (slope, intercept) from the top level or the functional groups."""
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        return [(float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0))]
    per_frame = []
    for item in ds.get("PerFrameFunctionalGroupsSequence", []):
        seq = item.get("PixelValueTransformationSequence")
        if not seq:
            per_frame = []
            break
        per_frame.append((float(seq[0].get("RescaleSlope", 1)), float(seq[0].get("RescaleIntercept", 0))))
    if per_frame:
        return per_frame
    for item in ds.get("SharedFunctionalGroupsSequence", []):
        seq = item.get("PixelValueTransformationSequence")
        if seq:
            return [(float(seq[0].get("RescaleSlope", 1)), float(seq[0].get("RescaleIntercept", 0)))]
    return None


def modality_values(ds, frames: np.ndarray) -> tuple[np.ndarray, str]:
    """Stored values -> modality values (HU for CT): slope/intercept or the Modality LUT."""
    items = _rescale_items(ds)
    if items is None and "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        return np.asarray(apply_modality_lut(frames, ds), np.float64), "Modality LUT"
    if items is None:
        return frames.astype(np.float64), "stored values (no RescaleSlope/Intercept)"
    values = frames.astype(np.float64)
    if len(items) == 1:
        slope, intercept = items[0]
        sign = "-" if intercept < 0 else "+"
        return (values * slope + intercept,
                f"stored x {slope:g} {sign} {abs(intercept):g} (RescaleSlope/Intercept)")
    if len(items) != len(values):
        raise BenchError(f"{len(items)} per-frame rescale items for {len(values)} frames")
    for k, (slope, intercept) in enumerate(items):
        values[k] = values[k] * slope + intercept
    return values, "per-frame RescaleSlope/Intercept"


def frames_of(ds) -> tuple[np.ndarray, bool]:
    """Decoded pixels as (frames, rows, cols) grey, and whether colour was converted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels = np.asarray(ds.pixel_array)
    except Exception as error:  # missing decoder, truncated data, bad header values
        text = " ".join(str(error).split())[:90]
        raise BenchError(f"pixel data cannot be decoded ({type(error).__name__}: {text})") from None
    frames = header_int(ds, "NumberOfFrames")
    colour = header_int(ds, "SamplesPerPixel") > 1
    if frames == 1:
        pixels = pixels[None]
    if colour:
        pixels = np.stack([to_grey(frame) for frame in pixels])
    return pixels, colour


def order_key(ds, path: Path) -> tuple:
    """Sort key inside a series: position along the slice normal, InstanceNumber, file name."""
    position, orientation = ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient")
    if position is not None and orientation is not None and len(orientation) == 6:
        normal = np.cross(np.asarray(orientation[:3], float), np.asarray(orientation[3:], float))
        return (0, float(np.dot(normal, np.asarray(position, float))), path.name)
    number = ds.get("InstanceNumber")
    if number is not None and str(number).strip():
        return (1, float(number), path.name)
    return (2, 0.0, path.name)


def file_window(datasets: list) -> tuple[float, float] | None:
    """The most common (WindowCenter, WindowWidth) of a series (first value of each), if any."""
    found = []
    for ds in datasets:
        centre, width = ds.get("WindowCenter"), ds.get("WindowWidth")
        if centre is None or width is None:
            continue
        try:
            pair = tuple(float(v[0]) if hasattr(v, "__len__") and not isinstance(v, str)
                         else float(v) for v in (centre, width))
        except (TypeError, ValueError, IndexError):  # empty or garbled values: no window
            continue
        if pair[1] > 0:
            found.append(pair)
    return Counter(found).most_common(1)[0][0] if found else None


def normalise_series(values: list[np.ndarray], datasets: list, modality: str,
                     spec: Normalisation, where: str) -> tuple[list[np.ndarray], str]:
    """Map one series' modality values to [0, 1] (see the module docstring)."""
    method = spec.method or ("window" if modality == "CT" else "percentile")
    if method == "window":
        if modality != "CT":
            raise BenchError(f"{where}: a CT window was asked for a {modality} series; windows "
                             "are in Hounsfield units, drop --window for non-CT data")
        chosen = spec.window or "file"
        if isinstance(chosen, (list, tuple)):  # a card's [centre, width]
            chosen = ",".join(str(v) for v in chosen)
        label, cw = parse_window(chosen)
        if cw is None:
            cw = file_window(datasets)
            if cw is None:
                raise BenchError(f"{where}: CT without WindowCenter/WindowWidth; choose "
                                 "--window brain, subdural, abdomen, lung, bone or CENTRE,WIDTH")
            label = "from the file"
        how = f"CT window {label} (centre {cw[0]:g}, width {cw[1]:g} HU, DICOM LINEAR_EXACT)"
        return [window(v, *cw).astype(np.float32) for v in values], how
    flat = np.concatenate([v.ravel() for v in values])
    scaled, how = normalise_volume(flat, spec, "percentile")
    out, start = [], 0
    for v in values:
        out.append(scaled[start:start + v.size].reshape(v.shape))
        start += v.size
    return out, how


def scan(card: Card, split: str, root: Path) -> Scan:
    """Read, order, rescale and normalise every DICOM image of ``split``."""
    with warnings.catch_warnings():  # pydicom warns on odd header values as they are read;
        warnings.filterwarnings("ignore", module=r"pydicom\.")  # the outcome is reported instead
        return _scan(card, split)


def _scan(card: Card, split: str) -> Scan:
    spec = card.loader
    where = require_location(card)
    base = where.parent if where.is_file() else where
    files = candidate_files(where)
    if not files:
        raise BenchError(f"{where} is an empty folder; point --data at DICOM files")
    files = split_files(files, base, card, split)
    result = Scan(files=len(files))
    series: dict[str, list[tuple[Any, Path]]] = defaultdict(list)
    for path in files:  # first pass: headers only, to group, check and order
        try:
            ds = read_dataset(path, header_only=True)
            frames, rows, columns = (header_int(ds, key) for key in
                                     ("NumberOfFrames", "Rows", "Columns"))
        except BenchError as error:
            result.skip(path.relative_to(base).as_posix(), str(error))
            continue
        check_image((rows, columns), str(path), card)  # before any pixel is decoded
        if frames > 1:
            check_volume((frames, rows, columns), str(path), card)
        series[str(ds.get("SeriesInstanceUID", "no-series-uid"))].append((ds, path))
    modalities = Counter(str(ds.get("Modality", "OT")) for members in series.values()
                         for ds, _ in members)
    if len(modalities) > 1:
        counts = ", ".join(f"{m} ({n} files)" for m, n in modalities.most_common())
        raise BenchError(f"{where} mixes modalities: {counts}; point --data at one modality's "
                         "files (a folder per modality)")
    result.modality = next(iter(modalities), "unknown")
    dtypes, descriptions, colour = set(), [], 0
    for uid, members in sorted(series.items(), key=lambda kv: min(p for _, p in kv[1])):
        members.sort(key=lambda item: order_key(*item))
        entries = [(ds, path, k) for ds, path in members
                   for k in range(header_int(ds, "NumberOfFrames"))]
        chosen = slice_range(len(entries), slices_of(card, split), spec.step)
        wanted: dict[Path, list[int]] = defaultdict(list)
        for i in chosen:
            wanted[entries[i][1]].append(entries[i][2])
        ids, values, kept, rescale = [], [], [], ""
        for ds, path in members:  # second pass: decode only the chosen slices
            if path not in wanted:
                continue
            name = path.relative_to(base).as_posix()
            try:
                full = read_dataset(path)
                frames, converted = frames_of(full)
                hu, rescale = modality_values(full, frames)
            except BenchError as error:
                result.skip(name, str(error))
                continue
            colour += converted
            dtypes.add(str(frames.dtype))
            kept.append(ds)
            for k in wanted[path]:
                if k >= len(hu):
                    result.skip(f"{name}#f{k:03d}", f"frame missing: the file holds {len(hu)}")
                    continue
                ids.append(name if len(hu) == 1 else f"{name}#f{k:03d}")
                values.append(hu[k].astype(np.float32))  # exact for integer HU; half the memory
        if not values:
            continue
        for v in values:
            result.widen(v)
        normalised, how = normalise_series(values, kept, result.modality,
                                           card.normalisation, str(where))
        if str(kept[0].get("PhotometricInterpretation", "")) == "MONOCHROME1":
            normalised = [1.0 - v for v in normalised]
            how += "; MONOCHROME1 inverted"
        descriptions.append(f"{result.modality}: {rescale}; {how}")
        for image_id, image in zip(ids, normalised):
            add_slice(result, image_id, image)
    if colour:
        log.warning("bench: warning: %s: %d colour DICOM file(s) converted to grey", where, colour)
    result.source_dtype = "/".join(sorted(dtypes)) or "unknown"
    unique = list(dict.fromkeys(descriptions))
    result.normalisation = " | ".join(unique[:3]) + (f" | and {len(unique) - 3} more series"
                                                     if len(unique) > 3 else "")
    return finish(result, str(where), strict=is_strict(card))


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The loader contract: ``(ids, images, normalisation)`` of the card's ``split``."""
    result = scan(card, split, root)
    warn_skipped(result, str(require_location(card)))
    return result.loaded()
