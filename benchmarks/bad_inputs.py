"""Probe ``bench`` with bad inputs, as a hostile new user would.

Every case makes its own inputs in a fresh temporary folder, runs ``bench`` as a subprocess from
an empty working folder (60 s timeout) and checks the project's rule for bad input: exit status
2, standard error exactly one non-empty line starting with ``bench: error:``, no traceback
anywhere, and nothing written: no new file in the working folder or beside the inputs, and no
input file changed. Run from the checkout::

    PYTHONPATH=$PWD python3 benchmarks/bad_inputs.py [SUBSTRING ...]

Arguments keep only the cases whose name contains one of them. Prints one row a case and a final
line ``N clean of M``; the exit status is 1 when a case is not clean.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

TIMEOUT_S = 60
# Cheap settings for the options a case does not probe: nothing long may start.
RUN = ["--methods", "gaussian-filter", "--limit", "1", "--jobs", "1", "--quiet"]
TRAIN = ["--epochs", "1", "--steps", "1", "--crop", "32", "--batch", "1", "--val-limit", "1",
         "--threads", "1", "--quiet"]


# --- inputs ------------------------------------------------------------------------------------

def png(path: Path, size: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((size, size)) * 255).astype(np.uint8)).save(path)
    return path


def good_folder(root: Path) -> Path:
    """Two small PNGs: valid data, for cases that probe another option."""
    for k in range(2):
        png(root / "good" / f"img{k}.png")
    return root / "good"


def empty_folder(root: Path) -> Path:
    (root / "empty").mkdir()
    return root / "empty"


def junk_folder(root: Path) -> Path:
    folder = root / "junk"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an image\n")
    (folder / "blob.bin").write_bytes(os.urandom(256))
    (folder / "data.csv").write_text("a,b\n1,2\n")
    return folder


def text_as_dcm(root: Path) -> Path:
    path = root / "scan.dcm"
    path.write_text("this is a text file, not DICOM\n" * 20)
    return path


def fake_nifti_gz(root: Path) -> Path:
    path = root / "brain.nii.gz"
    path.write_bytes(b"plain bytes, not gzip" * 50)
    return path


def gzip_not_nifti(root: Path) -> Path:
    path = root / "brain.nii.gz"
    path.write_bytes(gzip.compress(b"gzip, but no NIfTI header inside" * 50))
    return path


def truncated_png(root: Path) -> Path:
    whole = png(root / "whole.png", 64).read_bytes()
    (root / "whole.png").unlink()
    path = root / "cut.png"
    path.write_bytes(whole[: len(whole) // 3])
    return path


def zero_tiff(root: Path) -> Path:
    path = root / "zero.tif"
    path.write_bytes(b"")
    return path


def broken_images_folder(root: Path) -> Path:
    folder = root / "broken"
    folder.mkdir()
    whole = png(folder / "w.png", 64).read_bytes()
    (folder / "w.png").unlink()
    (folder / "cut.png").write_bytes(whole[:100])
    (folder / "zero.tif").write_bytes(b"")
    (folder / "fake.jpg").write_text("not a jpeg")
    return folder


def odd_extension(root: Path) -> Path:
    path = root / "image.xyz"
    path.write_bytes(b"\x00" * 64)
    return path


def tiff_bomb(root: Path) -> Path:
    """10000 x 10000 zeros, zlib-compressed: a few hundred KB on disk, 100 M pixels decoded."""
    import tifffile

    path = root / "bomb.tif"
    tifffile.imwrite(path, np.zeros((10000, 10000), np.uint8), compression="zlib",
                     rowsperstrip=1000)
    return path


def small_nifti(root: Path) -> Path:
    import nibabel as nib

    path = root / "vol.nii.gz"
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((16, 16, 8), dtype=np.float32),
                             np.eye(4)), str(path))
    return path


CARD_BODY = 'name = "mine"\n[loader]\nkind = "folder"\npath = "{path}"\n'


def card_not_toml(root: Path) -> Path:
    path = root / "mine.toml"
    path.write_text('name = "mine"\n[loader\nkind = folder = 3\n')
    return path


def card_unknown_key(root: Path) -> Path:
    """``sise`` for ``size`` in [loader]: a misspelt key."""
    path = root / "mine.toml"
    path.write_text(CARD_BODY.format(path=good_folder(root)) + "sise = [128, 128]\n")
    return path


def card_no_loader(root: Path) -> Path:
    path = root / "mine.toml"
    path.write_text('name = "mine"\ntitle = "no loader"\n')
    return path


def card_binary(root: Path) -> Path:
    path = root / "mine.toml"
    path.write_bytes(b"\xff\xfe\x00binary\x80\x81")
    return path


def junk_file(root: Path, name: str = "store.sqlite") -> Path:
    path = root / name
    path.write_bytes(b"this is not an SQLite database at all " * 40)
    return path


def foreign_sqlite(root: Path) -> Path:
    path = root / "theirs.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO patients (name) VALUES ('x')")
    db.commit()
    db.close()
    return path


def our_store(root: Path) -> Path:
    from benchmark.engine.store import Store

    path = root / "ours.sqlite"
    with Store(path) as store:
        store.start_run(command="probe", git_commit="", versions={}, machine="probe")
    return path


def a_file(root: Path, name: str = "taken.txt") -> Path:
    path = root / name
    path.write_text("a file where a folder is expected\n")
    return path


def dicom_folder(root: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from dicom_factory import write_dicom  # type: ignore[import-not-found]

    folder = root / "dicom"
    folder.mkdir()
    write_dicom(folder / "s1.dcm", np.arange(48 * 48, dtype=np.uint16).reshape(48, 48),
                window=(40.0, 400.0))
    return folder


# --- cases -------------------------------------------------------------------------------------

Case = tuple[str, Callable[[Path], list[str]]]


def run_args(*extra: str, data: Callable[[Path], Path] | None = None) -> Callable[[Path], list]:
    """``bench run`` with Gaussian 0.1 on ``data`` (default: a good folder) plus ``extra``."""
    def make(root: Path) -> list[str]:
        source = (data or good_folder)(root)
        return ["run", "--noise", "gaussian", "--sigma", "0.1", "--data", str(source), *RUN,
                *extra]
    return make


def sigma_case(value: str, command: str = "run") -> Callable[[Path], list[str]]:
    def make(root: Path) -> list[str]:
        if command == "run":
            return ["run", "--noise", "gaussian", "--sigma", value, "--data",
                    str(good_folder(root)), *RUN]
        if command == "report":
            return ["report", "--noise", "gaussian", "--sigma", value, "--data",
                    str(good_folder(root)), *RUN, "--no-figures"]
        return ["curves", "--noise", "gaussian", "--sigma", "0.1", value, "--data",
                str(good_folder(root)), *RUN]
    return make


def with_store(command: str, make_store: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def make(root: Path) -> list[str]:
        store = make_store(root)
        if command == "export":
            return ["export", "--store", str(store)]
        base = {"run": ["run", "--noise", "gaussian", "--sigma", "0.1"],
                "report": ["report", "--no-figures"],
                "fair": ["fair"],
                "curves": ["curves", "--sigma", "0.1"]}[command]
        return [*base, "--data", str(good_folder(root)), *RUN, "--store", str(store)]
    return make


def data_cmd(command: str, make_input: Callable[[Path], Path], *extra: str):
    def make(root: Path) -> list[str]:
        return [*command.split(), str(make_input(root)), *extra]
    return make


def card_run(make_card: Callable[[Path], Path], command: str = "run"):
    def make(root: Path) -> list[str]:
        card = str(make_card(root))
        if command == "run":
            return ["run", "--noise", "gaussian", "--sigma", "0.1", "--dataset", card, *RUN]
        if command == "report":
            return ["report", "--dataset", card, *RUN, "--no-figures"]
        return [*command.split(), card]
    return make


def train(*args: str, arch: str = "cdae", noise: str = "gaussian", sigma: str = "0.1"):
    def make(root: Path) -> list[str]:
        return ["train", arch, "--noise", noise, "--sigma", sigma, *TRAIN,
                *[a.format(root=root) for a in args]]
    return make


def plain(*args: str):
    def make(root: Path) -> list[str]:
        return [a.format(root=root) for a in args]
    return make


def prepared(prepare: Callable[[Path], object], *args: str):
    """Run ``prepare(root)`` first (it makes inputs), then ``args`` with ``{root}`` filled."""
    def make(root: Path) -> list[str]:
        prepare(root)
        return [a.format(root=root) for a in args]
    return make


CASES: list[Case] = [
    # bench run: option values
    ("run sigma negative", sigma_case("-0.1")),
    ("run sigma zero", sigma_case("0")),
    ("run sigma non-numeric", sigma_case("abc")),
    ("run sigma nan", sigma_case("nan")),
    ("run sigma inf", sigma_case("inf")),
    ("run sigma 1.5 (above the range)", sigma_case("1.5")),
    ("run sigma 11 (a percentage)", sigma_case("11")),
    ("run sigma 1e9", sigma_case("1e9")),
    ("run noise unknown", plain("run", "--noise", "poisson", "--sigma", "0.1", *RUN)),
    ("run noise empty", plain("run", "--noise", "", "--sigma", "0.1", *RUN)),
    ("run noise mistyped (did-you-mean)", plain("run", "--noise", "gausian", "--sigma", "0.1",
                                                *RUN)),
    ("run method unknown (did-you-mean)", plain("run", "--noise", "gaussian", "--sigma", "0.1",
                                                "--methods", "nlmm", "--limit", "1", "--jobs",
                                                "1")),
    ("run method glob matching nothing", plain("run", "--noise", "gaussian", "--sigma", "0.1",
                                               "--methods", "zzz*", "--limit", "1")),
    ("run dataset unknown card", plain("run", "--noise", "gaussian", "--sigma", "0.1",
                                       "--dataset", "mni153", *RUN)),
    ("run dataset card path missing", plain("run", "--noise", "gaussian", "--sigma", "0.1",
                                            "--dataset", "{root}/nope.toml", *RUN)),
    ("run split unknown", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--split",
                                "tset", *RUN)),
    ("run split on a --data folder", run_args("--split", "train")),
    ("run limit zero", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--limit", "0")),
    ("run limit negative", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--limit",
                                 "-3")),
    ("run limit non-numeric", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--limit",
                                    "few")),
    ("run jobs zero", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--limit", "1",
                            "--jobs", "0")),
    ("run jobs non-numeric", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--limit",
                                   "1", "--jobs", "many")),
    ("run seed non-numeric", run_args("--seed", "x")),
    ("run device unknown", run_args("--device", "tpu")),
    ("run sigma-source unknown", run_args("--sigma-source", "guess")),
    ("run max-pixels non-numeric", run_args("--max-pixels", "lots")),
    ("run max-pixels zero", run_args("--max-pixels", "0")),
    ("run max-pixels negative", run_args("--max-pixels", "-5")),
    ("run image over max-pixels", run_args("--max-pixels", "100")),
    ("run volume over max-voxels", run_args("--max-voxels", "100", data=small_nifti)),
    ("run data 10000^2 zlib TIFF (memory bomb)", run_args(data=tiff_bomb)),
    ("run Rician-only variant under Gaussian noise", run_args("--methods", "nlm.rician-bc")),
    ("run missing --noise", plain("run", "--sigma", "0.1", *RUN)),
    ("run --data and --dataset together", run_args("--dataset", "mni152")),
    ("run unknown option", run_args("--sigmaa", "0.1")),
    # bench run: --window
    ("run window unknown name", run_args("--window", "brian", data=dicom_folder)),
    ("run window one number", run_args("--window", "40", data=dicom_folder)),
    ("run window negative width", run_args("--window=40,-10", data=dicom_folder)),
    ("run window zero width", run_args("--window=40,0", data=dicom_folder)),
    ("run window non-numeric pair", run_args("--window", "a,b", data=dicom_folder)),
    ("run window on PNG images", run_args("--window", "brain")),
    # bench run: --data
    ("run data missing path", plain("run", "--noise", "gaussian", "--sigma", "0.1", "--data",
                                    "{root}/nowhere", *RUN)),
    ("run data empty folder", run_args(data=empty_folder)),
    ("run data folder of junk files", run_args(data=junk_folder)),
    ("run data text renamed .dcm", run_args(data=text_as_dcm)),
    ("run data .nii.gz not gzip", run_args(data=fake_nifti_gz)),
    ("run data .nii.gz gzip of junk", run_args(data=gzip_not_nifti)),
    ("run data truncated PNG", run_args(data=truncated_png)),
    ("run data zero-byte TIFF", run_args(data=zero_tiff)),
    ("run data folder of broken images", run_args(data=broken_images_folder)),
    ("run data unknown extension", run_args(data=odd_extension)),
    # bench run: cards
    ("run card not TOML", card_run(card_not_toml)),
    ("run card binary", card_run(card_binary)),
    ("run card unknown key", card_run(card_unknown_key)),
    ("run card without [loader]", card_run(card_no_loader)),
    # stores
    ("run store is a folder", with_store("run", empty_folder)),
    ("run store junk", with_store("run", junk_file)),
    ("run store foreign SQLite", with_store("run", foreign_sqlite)),
    ("run store in a missing folder", with_store("run", lambda r: r / "no" / "such" / "s.sqlite")),
    ("report store junk", with_store("report", junk_file)),
    ("report store foreign SQLite", with_store("report", foreign_sqlite)),
    ("curves store is a folder", with_store("curves", empty_folder)),
    ("fair store junk", prepared(junk_file, "fair", *RUN, "--store", "{root}/store.sqlite")),
    ("fair on a --data folder (no validation split)", prepared(good_folder, "fair", "--data",
                                                               "{root}/good", *RUN)),
    ("export store missing", plain("export", "--store", "{root}/missing.sqlite")),
    ("export store junk", with_store("export", junk_file)),
    ("export store is a folder", with_store("export", empty_folder)),
    ("export store foreign SQLite", with_store("export", foreign_sqlite)),
    ("export out in a missing folder", prepared(our_store, "export", "--store",
                                                "{root}/ours.sqlite", "--out",
                                                "{root}/no/such/out.csv")),
    ("export out is a folder", prepared(lambda r: (our_store(r), empty_folder(r)), "export",
                                        "--store", "{root}/ours.sqlite", "--out",
                                        "{root}/empty")),
    # bench report
    ("report out is a file", prepared(lambda r: (a_file(r), good_folder(r)), "report",
                                      "--data", "{root}/good", *RUN, "--out", "{root}/taken.txt")),
    ("report of other data over the default report", prepared(good_folder, "report", "--data",
                                                              "{root}/good", *RUN, "--out",
                                                              "reports")),
    ("report sigma 2", sigma_case("2", "report")),
    ("report sigma negative", sigma_case("-0.05", "report")),
    ("report noise unknown", prepared(good_folder, "report", "--noise", "speckle", "--sigma",
                                      "0.1", "--data", "{root}/good", *RUN)),
    ("report method unknown", prepared(good_folder, "report", "--methods", "bm4d", "--data",
                                       "{root}/good", "--limit", "1", "--jobs", "1")),
    ("report card not TOML", card_run(card_not_toml, "report")),
    ("report training-logs missing", prepared(good_folder, "report", "--data", "{root}/good",
                                              *RUN, "--training-logs", "{root}/nologs")),
    ("report figure-image unknown", prepared(good_folder, "report", "--data", "{root}/good",
                                             *RUN, "--figure-image", "no-such-image")),
    ("report no-run on a missing store", prepared(good_folder, "report", "--no-run", "--data",
                                                  "{root}/good", *RUN, "--store",
                                                  "{root}/none.sqlite")),
    # bench methods
    ("methods unknown option", plain("methods", "--all")),
    ("methods stray argument", plain("methods", "nlm")),
    # bench check
    ("check method unknown", plain("check", "--methods", "nml", "--jobs", "1", "--quiet")),
    ("check jobs zero", plain("check", "--jobs", "0")),
    ("check baseline missing folder", plain("check", "--baseline", "{root}/nobase",
                                            "--methods", "gaussian-filter", "--jobs", "1",
                                            "--quiet")),
    ("check baseline is a file", prepared(a_file, "check", "--baseline", "{root}/taken.txt",
                                          "--methods", "gaussian-filter", "--jobs", "1",
                                          "--quiet")),
    ("check update with a subset", plain("check", "--update", "--methods", "nlm",
                                         "--baseline", "{root}/base", "--jobs", "1")),
    # bench curves
    ("curves sigma negative", sigma_case("-0.2", "curves")),
    ("curves sigma above 1", sigma_case("1.1", "curves")),
    ("curves noise unknown", prepared(good_folder, "curves", "--noise", "salt", "--data",
                                      "{root}/good", *RUN)),
    ("curves method unknown", prepared(good_folder, "curves", "--methods", "nope", "--data",
                                       "{root}/good", "--limit", "1")),
    ("curves out is a file", prepared(lambda r: (a_file(r), good_folder(r)), "curves",
                                      "--sigma", "0.1", "--data", "{root}/good", *RUN, "--out",
                                      "{root}/taken.txt")),
    # bench data info
    ("data info missing path", plain("data", "info", "{root}/nowhere")),
    ("data info unknown card", plain("data", "info", "mni512")),
    ("data info empty folder", data_cmd("data info", empty_folder)),
    ("data info junk folder", data_cmd("data info", junk_folder)),
    ("data info text renamed .dcm", data_cmd("data info", text_as_dcm)),
    ("data info .nii.gz not gzip", data_cmd("data info", fake_nifti_gz)),
    ("data info truncated PNG", data_cmd("data info", truncated_png)),
    ("data info zero-byte TIFF", data_cmd("data info", zero_tiff)),
    ("data info card not TOML", card_run(card_not_toml, "data info")),
    ("data info card unknown key", card_run(card_unknown_key, "data info")),
    ("data info card without [loader]", card_run(card_no_loader, "data info")),
    ("data info split unknown", plain("data", "info", "mni152", "--split", "tests")),
    ("data info window unknown", data_cmd("data info", dicom_folder, "--window", "liver")),
    ("data info window on a card", plain("data", "info", "mni152", "--window", "brain")),
    ("data info 10000^2 zlib TIFF (memory bomb)", data_cmd("data info", tiff_bomb)),
    ("data info window on PNG images", data_cmd("data info", good_folder, "--window", "lung")),
    ("data info max-voxels junk", data_cmd("data info", small_nifti, "--max-voxels", "1Q")),
    # bench data fetch
    ("data fetch unknown card", plain("data", "fetch", "ixi-t3")),
    ("data fetch card not TOML", card_run(card_not_toml, "data fetch")),
    ("data fetch card without [loader]", card_run(card_no_loader, "data fetch")),
    ("data fetch a card shipped in a package", plain("data", "fetch", "mni152")),
    ("data fetch timeout negative", plain("data", "fetch", "ixi-t1", "--timeout", "-1")),
    ("data fetch timeout zero", plain("data", "fetch", "ixi-t1", "--timeout", "0")),
    ("data fetch timeout non-numeric", plain("data", "fetch", "ixi-t1", "--timeout", "soon")),
    ("data fetch max-unpacked junk", plain("data", "fetch", "ixi-t1", "--max-unpacked", "big")),
    # bench data convert
    ("data convert missing source", plain("data", "convert", "{root}/nowhere", "{root}/out")),
    ("data convert existing destination", prepared(lambda r: (dicom_folder(r), junk_folder(r)),
                                                   "data", "convert", "{root}/dicom",
                                                   "{root}/junk")),
    ("data convert onto its own source", prepared(dicom_folder, "data", "convert",
                                                  "{root}/dicom", "{root}/dicom")),
    ("data convert destination is a file", prepared(lambda r: (dicom_folder(r), a_file(r)),
                                                    "data", "convert", "{root}/dicom",
                                                    "{root}/taken.txt")),
    ("data convert bits 12", prepared(dicom_folder, "data", "convert", "{root}/dicom",
                                      "{root}/out", "--bits", "12")),
    ("data convert junk source", prepared(junk_folder, "data", "convert", "{root}/junk",
                                          "{root}/out")),
    ("data convert text renamed .dcm", prepared(text_as_dcm, "data", "convert",
                                                "{root}/scan.dcm", "{root}/out")),
    ("data convert window unknown", prepared(dicom_folder, "data", "convert", "{root}/dicom",
                                             "{root}/out", "--window", "soft")),
    ("data unknown action", plain("data", "show", "mni152")),
    # bench fair
    ("fair method unknown", prepared(good_folder, "fair", "--methods", "nlmeans", "--data",
                                     "{root}/good", *RUN[2:])),
    ("fair val-limit zero", prepared(good_folder, "fair", "--val-limit", "0", "--data",
                                     "{root}/good", *RUN)),
    ("fair metric unknown", prepared(good_folder, "fair", "--metric", "mse", "--data",
                                     "{root}/good", *RUN)),
    ("fair out is a file", prepared(lambda r: (a_file(r), good_folder(r)), "fair", "--data",
                                    "{root}/good", *RUN, "--out", "{root}/taken.txt")),
    ("fair dataset unknown card", plain("fair", "--dataset", "ixi", *RUN)),
    # bench train
    ("train architecture unknown", train(arch="resnet")),
    ("train sigma range reversed", train(sigma="0.2:0.1")),
    ("train sigma range non-numeric", train(sigma="a:b")),
    ("train sigma above 1", train(sigma="1.5")),
    ("train sigma negative", train(sigma="-0.1")),
    ("train sigma range above 1", train(sigma="0.1:3")),
    ("train noise unknown", train(noise="poisson")),
    ("train init missing file", train("--init", "{root}/none.safetensors")),
    ("train init junk file", prepared(lambda r: junk_file(r, "w.safetensors"), "train", "cdae",
                                      "--noise", "gaussian", "--sigma", "0.1", *TRAIN,
                                      "--init", "{root}/w.safetensors")),
    ("train encoder-weights unknown kind", train("--encoder-weights", "foo:bar",
                                                 arch="unet-dctda")),
    ("train encoder-weights missing file", train("--encoder-weights", "imagenet:{root}/no.pth",
                                                 arch="unet-dctda")),
    ("train perceptual-weights missing", train("--perceptual-weights", "{root}/vgg.pth")),
    ("train train-fraction zero", train("--train-fraction", "0")),
    ("train train-fraction above 1", train("--train-fraction", "1.5")),
    ("train ssim-weight above 1", train("--ssim-weight", "2")),
    ("train ssim-weight nan", train("--ssim-weight", "nan")),
    ("train lr negative", train("--lr", "-1")),
    ("train lr nan", train("--lr", "nan")),
    ("train width zero", train("--width", "0")),
    ("train residual without input-skip", train("--residual", arch="unet-dctda")),
    ("train dataset unknown card", train("--dataset", "mni512")),
    ("train too many sigmas for the kinds", train("--sigma", "0.1", "0.2", "0.3")),
    ("train out is a folder", prepared(empty_folder, "train", "cdae", "--noise", "gaussian",
                                       "--sigma", "0.1", *TRAIN, "--out", "{root}/empty")),
    ("train out not .safetensors", train("--out", "{root}/model.pth")),
    # bench pretrain
    ("pretrain missing --out", plain("pretrain", *TRAIN)),
    ("pretrain sigma range reversed", plain("pretrain", "--out", "{root}/p.safetensors",
                                            "--sigma", "0.3:0.1", *TRAIN)),
    ("pretrain noise unknown", plain("pretrain", "--out", "{root}/p.safetensors", "--noise",
                                     "poisson", *TRAIN)),
    ("pretrain out is a folder", prepared(empty_folder, "pretrain", "--out", "{root}/empty",
                                          *TRAIN)),
    ("pretrain out not .safetensors", plain("pretrain", "--out", "{root}/p.pt", *TRAIN)),
    # bench ablate
    ("ablate study unknown", plain("ablate", "--study", "all", "--noise", "gaussian", "--sigma",
                                   "0.1", *TRAIN)),
    ("ablate fractions zero", prepared(lambda r: junk_file(r, "enc.pth"), "ablate", "--study",
                                       "transfer", "--noise", "gaussian", "--sigma", "0.1",
                                       "--encoder-weights", "imagenet:{root}/enc.pth",
                                       "--fractions", "0", *TRAIN)),
    ("ablate fractions above 1", prepared(lambda r: junk_file(r, "enc.pth"), "ablate",
                                          "--study", "transfer", "--noise", "gaussian",
                                          "--sigma", "0.1", "--encoder-weights",
                                          "imagenet:{root}/enc.pth", "--fractions", "2",
                                          *TRAIN)),
    ("ablate transfer without encoder weights", plain("ablate", "--study", "transfer",
                                                      "--noise", "gaussian", "--sigma", "0.1",
                                                      *TRAIN)),
    ("ablate sigma non-numeric range", plain("ablate", "--noise", "gaussian", "--sigma", "a:b",
                                             *TRAIN)),
    ("ablate test-sigma above 1", plain("ablate", "--noise", "gaussian", "--sigma", "0.1",
                                        "--test-sigma", "5", *TRAIN)),
    ("ablate test-limit zero", plain("ablate", "--noise", "gaussian", "--sigma", "0.1",
                                     "--test-limit", "0", *TRAIN)),
    ("ablate encoder-weights missing file", plain("ablate", "--noise", "gaussian", "--sigma",
                                                  "0.1", "--encoder-weights",
                                                  "imagenet:{root}/none.pth", *TRAIN)),
    ("ablate noise unknown", plain("ablate", "--noise", "gamma", "--sigma", "0.1", *TRAIN)),
    # no subcommand / unknown subcommand
    ("unknown subcommand", plain("benchmark")),
    ("no subcommand", plain()),
]


# --- checking ----------------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a digest of its bytes (folders: ``dir``)."""
    seen = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_dir():
            seen[rel] = "dir"
        elif path.is_file():
            seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            seen[rel] = "other"
    return seen


def check(name: str, make: Callable[[Path], list[str]]) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="bench-bad-") as tmp:
        root = Path(tmp) / "in"
        cwd = Path(tmp) / "cwd"
        root.mkdir()
        cwd.mkdir()
        argv = make(root)
        before = snapshot(Path(tmp))
        env = dict(os.environ)
        env.pop("BENCH_DATA", None)
        env.pop("BENCH_RESULTS", None)
        env.pop("BENCH_REPORTS", None)
        env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "")
        try:
            done = subprocess.run([sys.executable, "-m", "benchmark.cli", *argv], cwd=cwd,
                                  env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return False, f"still running after {TIMEOUT_S} s (real work started)"
        after = snapshot(Path(tmp))
    wrong = []
    if done.returncode != 2:
        wrong.append(f"exit {done.returncode}")
    lines = done.stderr.splitlines()
    if "Traceback" in done.stderr or "Traceback" in done.stdout:
        wrong.append("traceback")
    if len(lines) != 1 or not lines[0].strip():
        wrong.append(f"{len(lines)} stderr lines")
    if not lines or not lines[0].startswith("bench: error:"):
        wrong.append("no 'bench: error:'")
    new = sorted(set(after) - set(before))
    changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
    gone = sorted(set(before) - set(after))
    if new:
        wrong.append("wrote " + ", ".join(new[:3]) + (" ..." if len(new) > 3 else ""))
    if changed:
        wrong.append("changed " + ", ".join(changed[:3]))
    if gone:
        wrong.append("deleted " + ", ".join(gone[:3]))
    if wrong:
        tail = (lines[-1] if lines else done.stdout.strip().splitlines()[-1:] or [""])
        tail = tail if isinstance(tail, str) else tail[0]
        return False, "; ".join(wrong) + f" | {tail[:160]}"
    return True, lines[0][:160]


def main(filters: list[str]) -> int:
    cases = [c for c in CASES if not filters or any(f in c[0] for f in filters)]
    clean = 0
    width = max(len(name) for name, _ in cases)
    for name, make in cases:
        ok, what = check(name, make)
        clean += ok
        print(f"{name:<{width}}  {'ok' if ok else 'NOT CLEAN':<9}  {what}", flush=True)
    print(f"{clean} clean of {len(cases)}")
    return 0 if clean == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
