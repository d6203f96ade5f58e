"""Bad input found by ``benchmarks/bad_inputs.py``: one line naming the value and the fix, exit 2,
nothing written (neither in the working folder nor beside the inputs), no traceback.

Each case makes its own input in tmp_path and runs from an empty working folder under it, so
that any file the command writes shows up in the comparison.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.cli import main

RUN = ["--methods", "gaussian-filter", "--limit", "1", "--jobs", "1", "--quiet"]
TRAIN = ["--epochs", "1", "--steps", "1", "--crop", "32", "--batch", "2", "--val-limit", "1",
         "--threads", "1", "--quiet"]


def images(root: Path) -> Path:
    folder = root / "good"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(2):
        Image.fromarray((rng.random((48, 48)) * 255).astype(np.uint8)).save(folder / f"{k}.png")
    return folder


def junk_store(root: Path) -> Path:
    path = root / "store.sqlite"
    path.write_bytes(b"not an SQLite database " * 40)
    return path


def foreign_store(root: Path) -> Path:
    path = root / "theirs.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    return path


def binary_card(root: Path) -> Path:
    path = root / "mine.toml"
    path.write_bytes(b"\xff\xfe\x00binary\x80")
    return path


def a_file(root: Path) -> Path:
    path = root / "taken.txt"
    path.write_text("a file\n")
    return path


def a_folder(root: Path) -> Path:
    (root / "folder").mkdir()
    return root / "folder"


# name: (argv made from the input folder, a fragment the error line must hold)
CASES = {
    "run: card not UTF-8": (
        lambda r: ["run", "--noise", "gaussian", "--sigma", "0.1", *RUN, "--dataset",
                   binary_card(r)], "not UTF-8 text"),
    "data info: card not UTF-8": (lambda r: ["data", "info", binary_card(r)], "not UTF-8 text"),
    "data fetch: card not UTF-8": (lambda r: ["data", "fetch", binary_card(r)], "not UTF-8 text"),
    "report: junk store": (
        lambda r: ["report", "--data", images(r), *RUN, "--no-figures", "--store",
                   junk_store(r)], "is not a SQLite file"),
    "report: foreign store": (
        lambda r: ["report", "--data", images(r), *RUN, "--no-figures", "--store",
                   foreign_store(r)], "tables patients"),
    "fair: junk store": (lambda r: ["fair", *RUN, "--store", junk_store(r)],
                         "is not a SQLite file"),
    "fair: data without a validation split": (
        lambda r: ["fair", "--data", images(r), *RUN], "not 'validation'"),
    "report: missing training logs": (
        lambda r: ["report", "--data", images(r), *RUN, "--training-logs", r / "nologs"],
        "--training-logs"),
    "report: unknown figure image": (
        lambda r: ["report", "--data", images(r), *RUN, "--figure-image", "no-such-image"],
        "'no-such-image' is not an image of this split"),
    "curves: out is a file": (
        lambda r: ["curves", "--sigma", "0.1", "--data", images(r), *RUN, "--out", a_file(r)],
        "is a file; give a folder"),
    "report: out is a file": (
        lambda r: ["report", "--data", images(r), *RUN, "--out", a_file(r)],
        "is a file; give a folder"),
    "train: lr negative": (
        lambda r: ["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", *TRAIN, "--lr",
                   "-1"], "--lr: '-1' must be a finite number above 0"),
    "train: lr nan": (
        lambda r: ["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", *TRAIN, "--lr",
                   "nan"], "--lr: 'nan' must be a finite number above 0"),
    "train: out is a folder": (
        lambda r: ["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", *TRAIN, "--out",
                   a_folder(r)], "is a folder; give a checkpoint file"),
    "train: out not safetensors": (
        lambda r: ["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", *TRAIN, "--out",
                   r / "model.pth"], "checkpoints are .safetensors files"),
    "train: unknown architecture": (
        lambda r: ["train", "unet-dcta", "--noise", "gaussian", "--sigma", "0.1", *TRAIN],
        "Unknown architecture 'unet-dcta'. Did you mean: unet-dctda"),
    "train: residual without input skip": (
        lambda r: ["train", "unet-dctda", "--noise", "gaussian", "--sigma", "0.1", *TRAIN,
                   "--residual"], "--residual needs --input-skip"),
    "pretrain: out is a folder": (
        lambda r: ["pretrain", "--out", a_folder(r), *TRAIN], "is a folder; give a checkpoint"),
    "pretrain: out not safetensors": (
        lambda r: ["pretrain", "--out", r / "p.pt", *TRAIN], "checkpoints are .safetensors"),
    "data fetch: timeout negative": (
        lambda r: ["data", "fetch", "ixi-t1", "--timeout", "-1"], "--timeout: '-1'"),
    "data fetch: timeout zero": (
        lambda r: ["data", "fetch", "ixi-t1", "--timeout", "0"], "--timeout: '0'"),
    "run: image noise on curves": (
        lambda r: ["run", "--dataset", "dce-sim", "--noise", "gaussian", "--sigma", "0.1",
                   "--limit", "1", "--quiet"], "relative-gaussian is the noise of curves"),
    "run: curve noise on images": (
        lambda r: ["run", "--noise", "relative-gaussian", "--sigma", "0.1", *RUN],
        "--noise relative-gaussian does not apply to mni152"),
    "report: image noise on curves": (
        lambda r: ["report", "--dataset", "dce-sim", "--noise", "rician", "--sigma", "0.1",
                   "--limit", "1", "--quiet"], "relative-gaussian is the noise of curves"),
    "report: curve noise on images": (
        lambda r: ["report", "--noise", "relative-gaussian", "--sigma", "0.1", *RUN],
        "--noise relative-gaussian does not apply to mni152"),
    "run: --volumes on a folder of images": (
        lambda r: ["run", "--noise", "gaussian", "--sigma", "0.1", *RUN, "--data", images(r),
                   "--volumes"], "a folder of 2-D images, not volumes"),
    "report: --volumes on a folder of images": (
        lambda r: ["report", "--data", images(r), *RUN, "--volumes"],
        "a folder of 2-D images, not volumes"),
    "run: --volumes on curves": (
        lambda r: ["run", "--dataset", "dce-sim", "--noise", "relative-gaussian", "--sigma",
                   "0.1", "--limit", "1", "--quiet", "--volumes"], "holds curves"),
    "run: a 3-D method on images": (
        lambda r: ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "gaussian-3d",
                   "--limit", "1", "--quiet"], "gaussian-3d denoises volumes"),
    "data fetch: a card shipped in a package": (
        lambda r: ["data", "fetch", "mni152"], "has nothing to fetch"),
}


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, case):
    make, fragment = CASES[case]
    inputs, cwd = tmp_path / "in", tmp_path / "cwd"
    inputs.mkdir()
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for name in ("BENCH_DATA", "BENCH_RESULTS", "BENCH_REPORTS"):
        monkeypatch.delenv(name, raising=False)
    argv = [str(a) for a in make(inputs)]
    before = snapshot(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err
    assert "Traceback" not in out + err
    assert fragment in lines[0], lines[0]
    assert snapshot(tmp_path) == before
