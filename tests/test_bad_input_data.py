"""Bad data input gives one line and exit 2, at once: malformed cards, memory bombs, bad --init.

Every input is made here, in tmp_path. The oversize files are small on disk (compressed
zeros) and are refused from their headers, before a pixel is decoded.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np
import pytest

from benchmark.cli import main


def bench(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err) -> str:
    """The single error line of a refused command (asserting the contract on the way)."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err
    assert "Traceback" not in err
    return lines[0]


# --- dataset cards ---------------------------------------------------------------------------

GOOD_LOADER = '[loader]\nkind = "folder"\npath = "images"\n'
CARDS = {
    "malformed": ('name = "x"\n[loader\nkind = "folder"\n', "is not valid TOML"),
    "no-loader": ('name = "x"\ntitle = "no loader"\n', "has no [loader] table"),
    "unknown-key": ('name = "x"\n' + GOOD_LOADER + "sise = [128, 128]\n",
                    "unknown key 'sise' in [loader]"),
    "unknown-table": ('name = "x"\n' + GOOD_LOADER + '[normalization]\nmethod = "none"\n',
                      "unknown key 'normalization' in the top level"),
    "wrong-type": ('name = "x"\n' + GOOD_LOADER + 'step = "two"\n',
                   "step = 'two' in [loader]"),
    "unknown-kind": ('name = "x"\n[loader]\nkind = "nifty"\n', "did you mean 'nifti'?"),
}

COMMANDS = {
    "run": ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "gaussian-filter",
            "--quiet", "--jobs", "1", "--dataset"],
    "data info": ["data", "info"],
    "data fetch": ["data", "fetch"],
}


@pytest.mark.parametrize("case", list(CARDS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_card_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch, case, command):
    monkeypatch.chdir(tmp_path)  # a default store would be created here: none must be
    text, expected = CARDS[case]
    card = tmp_path / "card.toml"
    card.write_text(text)
    store = tmp_path / "s.sqlite"
    extra = ["--store", store] if command == "run" else []
    code, out, err = bench(capsys, *COMMANDS[command], card, *extra)
    line = one_line_error(code, err)
    assert expected in line and str(card) in line
    assert not store.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["card.toml"]


def test_unknown_key_suggests_the_closest_valid_one(tmp_path):
    from benchmark.core.errors import BenchError
    from benchmark.data.cards import read_card

    card = tmp_path / "c.toml"
    card.write_text(GOOD_LOADER + "sise = [128, 128]\n")
    with pytest.raises(BenchError) as error:
        read_card(card)
    assert str(error.value) == f"unknown key 'sise' in [loader] of {card}; did you mean 'size'?"


def test_a_valid_card_reads_into_typed_fields(tmp_path):
    from benchmark.data.cards import read_card

    card = tmp_path / "c.toml"
    card.write_text(GOOD_LOADER + "size = [64, 48]\nslices = [0.25, 0.75]\n"
                    '[splits]\ngroup = "S\\\\d+"\n[splits.test]\nbuckets = [80, 100]\n')
    parsed = read_card(card)
    assert parsed.name == "c" and parsed.root == tmp_path
    assert parsed.loader.size == (64, 48) and parsed.loader.slices == (0.25, 0.75)
    assert parsed.splits.group == r"S\d+" and parsed.splits["test"].buckets == (80, 100)


# --- size guards -----------------------------------------------------------------------------

def zlib_tiff(path: Path, side: int) -> Path:
    """A zlib TIFF of side x side zeros, written tile by tile (no full-size array)."""
    import tifffile

    tile = np.zeros((1024, 1024), np.uint8)
    count = (-(-side // 1024)) ** 2
    tifffile.imwrite(path, (tile for _ in range(count)), shape=(side, side), dtype=np.uint8,
                     tile=(1024, 1024), compression="zlib")
    return path


def deflated_dicom(path: Path, side: int) -> Path:
    """A Deflated Explicit VR Little Endian CT of side x side int16 zeros, streamed."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset, write_file_meta_info
    from pydicom.uid import DeflatedExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds = Dataset()
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID, ds.PatientID = "CT", "1.2.3", "test"
    ds.Rows = ds.Columns = side
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    head = DicomBytesIO()
    head.is_little_endian, head.is_implicit_VR = True, False
    write_file_meta_info(head, meta)
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, ds)
    size = side * side * 2
    pixel_header = b"\xe0\x7f\x10\x00OW\x00\x00" + size.to_bytes(4, "little")
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = side * 2 * (8 if side % 8 == 0 else 1)  # whole rows: divides the pixel bytes
    with path.open("wb") as out:
        out.write(bytes(128) + b"DICM" + head.getvalue())
        out.write(packer.compress(body.getvalue() + pixel_header) + packer.flush(zlib.Z_FULL_FLUSH))
        # after a full flush the compressor forgets its history: one block's output, repeated
        packed = packer.compress(bytes(block)) + packer.flush(zlib.Z_FULL_FLUSH)
        for _ in range(size // block):
            out.write(packed)
        out.write(packer.flush())
    return path


def gzip_nifti(path: Path, side: int) -> Path:
    """A .nii.gz of side^3 uint8 zeros: nibabel's header, then the zeros streamed."""
    import nibabel as nib

    header = nib.Nifti1Header()
    header.set_data_shape((side,) * 3)
    header.set_data_dtype(np.uint8)
    header["vox_offset"] = 352
    block = bytes(1 << 22)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(header.binaryblock + bytes(4))
        for _ in range(side ** 3 // len(block)):
            out.write(block)
        out.write(bytes(side ** 3 % len(block)))
    return path


def large_png(path: Path, side: int) -> Path:
    """A greyscale PNG of side x side zeros, its IDAT compressed row by row."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    packer, row = zlib.compressobj(9), bytes(side + 1)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8,
                                                                         0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


BOMBS = {
    "tiff-10000": (lambda d: zlib_tiff(d / "big.tif", 10000), "100.0 Mpx"),
    "dicom-16000": (lambda d: deflated_dicom(d / "big.dcm", 16000), "256.0 Mpx"),
    "nifti-512": (lambda d: gzip_nifti(d / "big.nii.gz", 512), "134.2 Mvox"),
    "png-10000": (lambda d: large_png(d / "big.png", 10000), "100.0 Mpx"),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_an_oversize_file_is_refused_from_its_header(tmp_path, capsys, case):
    import resource

    make, size = BOMBS[case]
    folder = tmp_path / "data"
    folder.mkdir()
    bomb = make(folder)
    assert bomb.stat().st_size < 2 << 20  # a small file on disk...
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, out, err = bench(capsys, "run", "--noise", "gaussian", "--sigma", "0.1", "--methods",
                           "gaussian-filter", "--data", folder, "--store", tmp_path / "s.sqlite",
                           "--quiet", "--jobs", "1")
    line = one_line_error(code, err)
    assert str(bomb) in line and size in line and "--max-" in line
    # ...that would take gigabytes decoded: the peak grew by less than 200 MiB (kB units)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
    assert not (tmp_path / "s.sqlite").exists()


def test_data_info_and_convert_refuse_the_same_way(tmp_path, capsys):
    bomb = gzip_nifti(tmp_path / "big.nii.gz", 512)
    for argv in (["data", "info", bomb], ["data", "convert", bomb, tmp_path / "png"]):
        line = one_line_error(*bench(capsys, *argv)[::2])
        assert "134.2 Mvox" in line
    assert not (tmp_path / "png").exists()


def test_the_limits_are_raised_by_option_environment_or_card(tmp_path, capsys, monkeypatch):
    import imageio.v3 as iio

    from benchmark.data.cards import load_images
    from benchmark.data.loaders.detect import path_card
    from benchmark.data.limits import TooLarge

    iio.imwrite(tmp_path / "a.jpg", (np.arange(64 * 48).reshape(64, 48) % 200).astype(np.uint8))
    card = path_card(tmp_path / "a.jpg")
    monkeypatch.setenv("BENCH_MAX_PIXELS", "3000")
    with pytest.raises(TooLarge, match=r"64 x 48 = 3,072 px is over the limit of 3,000 px"):
        load_images(card, "all")
    assert len(load_images(card.with_loader(max_pixels=3072), "all")) == 1
    code, out, err = bench(capsys, "data", "info", tmp_path / "a.jpg", "--max-pixels", "3.1K")
    assert code == 0 and "images:         1" in out
    monkeypatch.setenv("BENCH_MAX_PIXELS", "4K")
    assert len(load_images(card, "all")) == 1
    line = one_line_error(*bench(capsys, "data", "info", tmp_path / "a.jpg",
                                 "--max-pixels", "lots")[::2])
    assert "--max-pixels 'lots'" in line


def test_a_multi_frame_stack_counts_as_a_volume(tmp_path, monkeypatch):
    import tifffile

    from benchmark.data.cards import load_images
    from benchmark.data.loaders.detect import path_card
    from benchmark.data.limits import TooLarge

    pages = (np.arange(5 * 32 * 32).reshape(5, 32, 32) % 250).astype(np.uint8)
    tifffile.imwrite(tmp_path / "stack.tif", pages)
    monkeypatch.setenv("BENCH_MAX_VOXELS", "5000")
    with pytest.raises(TooLarge, match="5 x 32 x 32"):
        load_images(path_card(tmp_path), "all")
    monkeypatch.setenv("BENCH_MAX_VOXELS", "6000")
    assert len(load_images(path_card(tmp_path), "all")) == 5


def test_the_deflated_dicom_factory_makes_a_readable_file(tmp_path):
    """The bomb above is a real DICOM: at a small size it loads, through the bounded header."""
    from benchmark.data.loaders.dicom import read_dataset

    path = deflated_dicom(tmp_path / "small.dcm", 1024)
    header = read_dataset(path, header_only=True)
    assert (header.Rows, header.Columns) == (1024, 1024) and "PixelData" not in header
    full = read_dataset(path)
    assert full.pixel_array.shape == (1024, 1024) and not full.pixel_array.any()


# --- bench train --init ----------------------------------------------------------------------

def _cdae_checkpoint(path: Path, *, width: int = 32, said_width: int = 32) -> Path:
    from methods.deep.checkpoints import save_checkpoint
    from methods.deep.nets import build

    state = build("cdae", {"width": width}).state_dict()
    save_checkpoint(path, state, {"architecture": "cdae", "arch_config": {"width": said_width},
                                  "noise": [{"kind": "gaussian", "sigma_min": 0.1,
                                             "sigma_max": 0.1}]})
    return path


def _not_safetensors(tmp_path):
    path = tmp_path / "init.safetensors"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a checkpoint" * 10)
    return path, "not a readable safetensors file"


def _truncated(tmp_path):
    path = _cdae_checkpoint(tmp_path / "init.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])
    return path, "truncated"


def _wrong_shape(tmp_path):
    # metadata says the default width (32) but the tensors are of a width-8 model
    return _cdae_checkpoint(tmp_path / "init.safetensors", width=8), "do not fit cdae"


def _other_config(tmp_path):
    return (_cdae_checkpoint(tmp_path / "init.safetensors", width=8, said_width=8),
            "give a checkpoint of the same model")


@pytest.mark.parametrize("make", [_not_safetensors, _truncated, _wrong_shape, _other_config])
def test_train_init_refuses_a_bad_file_before_training(tmp_path, capsys, monkeypatch, make):
    import methods.deep.training.training as training

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "train", no_training)
    monkeypatch.setattr(training, "load_card", no_training)
    path, expected = make(tmp_path)
    code, out, err = bench(capsys, "train", "cdae", "--noise", "gaussian", "--sigma", "0.1",
                           "--init", path, "--out", tmp_path / "out.safetensors", "--quiet")
    line = one_line_error(code, err)
    assert expected in line and str(path) in line
    assert not (tmp_path / "out.safetensors").exists()


def test_a_good_init_file_passes_the_check(tmp_path):
    from benchmark.workflows._train import check_init

    path = _cdae_checkpoint(tmp_path / "init.safetensors")
    check_init(str(path), "cdae", {}, str(tmp_path / "out.safetensors"))  # no error
