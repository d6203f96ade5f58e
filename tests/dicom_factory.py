"""Small DICOM files written with pydicom for the tests (no file leaves the test's tmp_path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"


def write_dicom(path: Path, pixels: np.ndarray, *, modality: str = "CT", series: str = "1.2.3",
                slope: float | None = None, intercept: float | None = None,
                position: tuple | None = None, instance: int | None = None,
                window: tuple[float, float] | None = None, patient: str = "test") -> Path:
    """Write ``pixels`` (rows, cols) or (frames, rows, cols), uint16 or int16, as a DICOM file."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE if modality == "CT" else MR_IMAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID, ds.StudyInstanceUID = modality, series, "1.2.3.0"
    ds.PatientID = patient
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if position is not None:
        ds.ImagePositionPatient = list(position)
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    if instance is not None:
        ds.InstanceNumber = instance
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
