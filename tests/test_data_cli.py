"""``bench data info / convert / fetch`` and bad input through the CLI: exit 2, one line, no traceback."""

from __future__ import annotations

import hashlib
import json
import tarfile

import numpy as np
import pytest
from dicom_factory import write_dicom

from benchmark.cli import main
from benchmark.data.cards import load_images
from benchmark.data.loaders.detect import path_card
from benchmark.data.schema import parse_card


def bench(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ct_series(folder, n=3):
    for k in range(n):
        stored = (np.arange(256).reshape(16, 16) * 8 + k * 10).astype(np.int16)  # HU = stored - 1024
        write_dicom(folder / f"{k}.dcm", stored, slope=1, intercept=-1024, position=(0, 0, k))
    return folder


def test_info_reports_count_shape_modality_range_and_normalisation(tmp_path, capsys):
    ct_series(tmp_path / "ct")
    (tmp_path / "ct" / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    code, out, _ = bench(capsys, "data", "info", str(tmp_path / "ct"), "--window", "abdomen")
    assert code == 0
    assert "images:         3 from 4 file(s)" in out
    assert "16x16 (3)" in out and "modality:       CT" in out
    assert "source range:   [-1024, 1036] HU" in out  # 0 - 1024 .. 255 * 8 + 20 - 1024
    assert "CT window abdomen" in out
    assert "broken.dcm: no pixel data" in out


def test_convert_writes_windowed_pngs_that_load_back(tmp_path, capsys):
    ct_series(tmp_path / "ct")
    destination = tmp_path / "png"
    code, out, _ = bench(capsys, "data", "convert", str(tmp_path / "ct"), str(destination),
                         "--window", "abdomen", "--bits", "8")
    assert code == 0 and "3 PNG (8-bit)" in out
    record = json.loads((destination / "conversion.json").read_text())
    assert "CT window abdomen" in record["normalisation"] and record["bits"] == 8
    dicom = load_images(path_card(tmp_path / "ct", window="abdomen"), "all")
    pngs = load_images(path_card(destination), "all")
    assert [i.split("/")[-1] for i in pngs.ids] == ["0.png", "1.png", "2.png"]
    assert "from dicom after: CT: stored x 1 - 1024" in pngs.normalisation
    for a, b in zip(dicom.images, pngs.images):
        assert np.abs(a - b).max() <= 0.5 / 255 + 1e-6  # rounding only
    # hand-computed: stored 120 -> HU -904 -> below 50 - 200: black; stored 1100 -> HU 76 -> 0.565
    import imageio.v3 as iio

    first = iio.imread(destination / "0.png")
    assert first.dtype == np.uint8 and first.flat[15] == 0
    assert first.flat[137] == round((137 * 8 - 1024 - 50) / 400 * 255 + 127.5)


def test_convert_16_bit_keeps_the_window_within_half_a_level(tmp_path, capsys):
    ct_series(tmp_path / "ct", 1)
    code, _, _ = bench(capsys, "data", "convert", str(tmp_path / "ct"), str(tmp_path / "png"),
                       "--window=-500,3000", "--bits", "16")  # "=": a leading minus
    assert code == 0
    import imageio.v3 as iio

    written = iio.imread(tmp_path / "png" / "0.png")
    hu = np.arange(256).reshape(16, 16) * 8 - 1024.0
    expected = np.clip((hu + 500) / 3000 + 0.5, 0, 1) * 65535
    assert written.dtype == np.uint16 and np.abs(written - expected).max() <= 0.5 + 1e-3


def test_convert_refuses_an_existing_destination(tmp_path, capsys):
    ct_series(tmp_path / "ct")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    code, _, err = bench(capsys, "data", "convert", str(tmp_path / "ct"), str(tmp_path / "out"),
                         "--window", "bone")
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("case", ["empty", "not-images", "mixed", "strict", "missing-window",
                                  "bad-nifti"])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, case):
    folder = tmp_path / case
    folder.mkdir()
    extra = []
    if case == "not-images":
        (folder / "a.txt").write_text("hello")
    elif case == "mixed":
        write_dicom(folder / "ct.dcm", np.ones((16, 16), np.uint16), slope=1, intercept=0, series="1")
        write_dicom(folder / "mr.dcm", np.ones((16, 16), np.uint16), modality="MR", series="2")
        extra = ["--window", "brain"]
    elif case == "strict":
        ct_series(folder, 1)
        (folder / "junk.dcm").write_bytes(b"junk")
        extra = ["--window", "brain", "--strict"]
    elif case == "missing-window":
        ct_series(folder, 1)
    elif case == "bad-nifti":
        (folder / "v.nii.gz").write_bytes(b"\x1f\x8bnot gzip")
    code, out, err = bench(capsys, "run", "--noise", "gaussian", "--sigma", "0.1",
                           "--methods", "gaussian-filter", "--data", str(folder),
                           "--store", str(tmp_path / "s.sqlite"), "--quiet", "--jobs", "1", *extra)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: error: ") and "Traceback" not in err
    assert not (tmp_path / "s.sqlite").exists()  # nothing written


def test_fetch_offline_fails_at_once_with_where_to_put_files(tmp_path, capsys, monkeypatch):
    import time

    from benchmark.data.fetch import fetch

    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    card = parse_card({"name": "toy", "loader": {"kind": "nifti"},
                       "local": {"folder": "toy", "layout": "toy.nii.gz"},
                       "fetch": {"page": "https://example.org",
                                 "urls": ["http://127.0.0.1:9/toy.tar"]}},
                      source="toy", root=tmp_path)
    start = time.perf_counter()
    with pytest.raises(Exception) as error:
        fetch(card, timeout=2)
    assert time.perf_counter() - start < 5
    message = str(error.value)
    assert "offline?" in message and str(tmp_path / "data" / "toy") in message
    assert "BENCH_DATA_TOY" in message
    assert not (tmp_path / "data" / "toy").exists()


def test_fetch_checks_md5_unpacks_and_the_card_loads(tmp_path, monkeypatch):
    import nibabel as nib

    from benchmark.data.fetch import fetch

    volume = np.arange(16 * 16 * 4, dtype=np.float32).reshape(16, 16, 4)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), tmp_path / "toy.nii.gz")
    with tarfile.open(tmp_path / "toy.tar", "w") as tar:
        tar.add(tmp_path / "toy.nii.gz", arcname="toy.nii.gz")
    digest = hashlib.md5((tmp_path / "toy.tar").read_bytes()).hexdigest()
    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    spec = {"name": "toy", "loader": {"kind": "nifti"}, "local": {"folder": "toy"},
            "fetch": {"urls": [(tmp_path / "toy.tar").as_uri()], "md5": ["0" * 32]}}
    card = parse_card(spec, source="toy", root=tmp_path)
    with pytest.raises(Exception, match="differs from the published"):
        fetch(card)
    spec["fetch"]["md5"] = [digest]
    card = parse_card(spec, source="toy", root=tmp_path)
    folder = fetch(card)
    assert folder == tmp_path / "data" / "toy" and (folder / "toy.nii.gz").is_file()
    assert not (folder / "toy.tar").exists()
    assert len(load_images(card, "all")) == 4


def test_shipped_cards_name_source_licence_and_layout():
    from benchmark.data.cards import load_card

    for name in ("ixi-t1", "ixi-t2", "ixi-pd", "brainweb", "kaggle-brain-tumor", "pancreas-ct"):
        card = load_card(name)
        assert card.source.startswith("http") and card.licence and card.local.layout
        assert card.fetch.urls or card.fetch.manual
        assert {"train", "validation", "test"} <= set(card.splits)


def test_a_run_records_the_normalisation_beside_the_cells(tmp_path, capsys):
    from benchmark.engine.store import Store

    ct_series(tmp_path / "ct")
    store = tmp_path / "s.sqlite"
    for window in ("abdomen", "lung"):
        code, _, _ = bench(capsys, "run", "--noise", "gaussian", "--sigma", "0.1", "--methods",
                           "gaussian-filter", "--data", str(tmp_path / "ct"), "--window", window,
                           "--store", str(store), "--quiet", "--jobs", "1")
        assert code == 0
    with Store(store) as opened:
        notes = opened.datasets().set_index("dataset")
    assert len(notes) == 2 and set(notes["images"]) == {3}
    assert "CT window lung" in notes.loc[f"dicom:{tmp_path / 'ct'}?window=lung", "normalisation"]


def test_convert_keeps_a_users_partial_folder(tmp_path, capsys):
    ct_series(tmp_path / "ct")
    users = tmp_path / "png.partial"
    users.mkdir()
    (users / "mine.txt").write_text("keep")
    code, _, _ = bench(capsys, "data", "convert", str(tmp_path / "ct"), str(tmp_path / "png"),
                       "--window", "brain")
    assert code == 0 and len(list((tmp_path / "png").glob("*.png"))) == 3
    code, _, err = bench(capsys, "data", "convert", str(tmp_path / "ct"), str(tmp_path / "png"),
                         "--window", "brain")  # refused: DST exists
    assert code == 2 and (users / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ct", "png", "png.partial"]


def test_a_data_folder_is_read_once_per_run(tmp_path, capsys, caplog, monkeypatch):
    import imageio.v3 as iio

    from benchmark.data.loaders import folder

    (tmp_path / "img").mkdir()
    for k in range(2):
        grey = (np.arange(1024).reshape(32, 32) % 250 + k).astype(np.uint8)
        iio.imwrite(tmp_path / "img" / f"{k}.png", np.dstack([grey] * 3))  # colour: warns
    calls = []
    scan = folder.scan
    monkeypatch.setattr(folder, "scan", lambda *a: calls.append(a) or scan(*a))
    code, out, err = bench(capsys, "run", "--noise", "gaussian", "--sigma", "0.1", "--methods",
                           "gaussian-filter", "--data", str(tmp_path / "img"),
                           "--store", str(tmp_path / "s.sqlite"), "--quiet", "--jobs", "1")
    assert code == 0 and len(calls) == 1
    warnings = [r for r in caplog.records if "converted to grey" in r.getMessage()]
    assert len(warnings) == 1
