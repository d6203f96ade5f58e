"""Bad input: one line naming the value and the fix, exit status 2, nothing written."""

import numpy as np
import pytest
import tifffile
import imageio.v3 as iio

from benchmark.cli import main


def _run(capsys, tmp_path, *argv):
    store = tmp_path / "store.sqlite"
    code = main([*argv, "--store", str(store)])
    captured = capsys.readouterr()
    return code, captured.err, store


def _assert_one_line_error(code, err, store, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bench: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert not store.exists(), "nothing may be written on bad input"


@pytest.mark.parametrize("argv, fragments", [
    (["--noise", "rician", "--sigma", "0.1", "--methods", "bm3dd"], ["'bm3dd'", "Did you mean: bm3d"]),
    (["--noise", "speckel", "--sigma", "4"], ["'speckel'", "Did you mean: speckle"]),
    (["--noise", "rician", "--sigma", "0"], ["sigma '0'", "> 0"]),
    (["--noise", "rician", "--sigma", "-0.1"], ["sigma '-0.1'", "> 0"]),
    (["--noise", "rician", "--sigma", "abc"], ["sigma 'abc'", "not a number"]),
    (["--noise", "rician", "--sigma", "nan"], ["sigma 'nan'"]),
    (["--noise", "rician", "--sigma", "0.1", "--dataset", "mni153"], ["'mni153'", "mni152"]),
    (["--noise", "rician", "--sigma", "0.1", "--split", "tset"], ["'tset'", "test"]),
    (["--noise", "rician", "--sigma", "0.1", "--jobs", "0"], ["--jobs", "'0'"]),
    (["--noise", "rician"], ["--sigma"]),
])
def test_bad_arguments(capsys, tmp_path, argv, fragments):
    code, err, store = _run(capsys, tmp_path, "run", *argv)
    _assert_one_line_error(code, err, store, *fragments)


def _folder_with(tmp_path, name, array, writer=tifffile.imwrite):
    folder = tmp_path / "data"
    folder.mkdir()
    writer(folder / name, array)
    return folder


@pytest.mark.parametrize("make, fragments", [
    (lambda p: (p / "data").mkdir() or p / "data", ["empty folder"]),
    (lambda p: p / "missing", ["does not exist"]),
    (lambda p: _folder_with(p, "flat.tif", np.full((16, 16), 7, np.uint8)),
     ["flat.tif", "constant"]),
    (lambda p: _folder_with(p, "nan.tif", np.where(np.eye(16) > 0, np.nan, 0.5).astype(np.float32)),
     ["nan.tif", "NaN"]),
    (lambda p: _folder_with(p, "bad.png", b"not a png", lambda path, data: path.write_bytes(data)),
     ["bad.png", "cannot read"]),
])
def test_bad_data_folders(capsys, tmp_path, make, fragments):
    folder = make(tmp_path)
    code, err, store = _run(capsys, tmp_path, "run", "--noise", "gaussian", "--sigma", "0.1",
                            "--data", str(folder), "--methods", "tv")
    _assert_one_line_error(code, err, store, *fragments)


def test_colour_images_are_converted_to_grey_with_a_warning(caplog, tmp_path):
    rgb = np.zeros((16, 16, 3), np.uint8) + np.arange(16)[:, None, None].astype(np.uint8)
    folder = _folder_with(tmp_path, "rgb.png", rgb, iio.imwrite)
    code = main(["run", "--noise", "gaussian", "--sigma", "0.1", "--data", str(folder),
                 "--methods", "tv", "--store", str(tmp_path / "store.sqlite"), "--quiet",
                 "--jobs", "1"])
    assert code == 0 and "colour image(s) converted to grey" in caplog.text


def test_export_without_store(capsys, tmp_path):
    code, err, store = _run(capsys, tmp_path, "export")
    _assert_one_line_error(code, err, store, "does not exist")


def test_methods_lists_every_method_with_parameters(capsys):
    from benchmark.core.registry import method_names

    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    for name in method_names():
        assert name in out
    assert "weight_per_sigma=1.0" in out


def test_run_prints_means_of_this_sweep_only(capsys, tmp_path):
    """Clipped and unclipped cells share a store; each run's means are its own cells'."""
    from benchmark.engine.store import Store

    store = tmp_path / "s.sqlite"
    base = ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "tv", "--limit", "1",
            "--jobs", "1", "--quiet", "--store", str(store)]
    assert main(base) == 0
    capsys.readouterr()
    assert main([*base, "--clip"]) == 0
    out = capsys.readouterr().out
    printed = float(next(line.split()[1] for line in out.splitlines() if line.startswith("tv ")))
    with Store(store) as s:
        cells = s.frame()
    clipped = cells[(cells["method"] == "tv") & cells["clip"]]
    assert len(clipped) == 1 and printed == round(float(clipped["psnr"].iloc[0]), 2)
    assert printed != round(float(cells[(cells["method"] == "tv") & ~cells["clip"]]["psnr"].iloc[0]), 2)


@pytest.mark.parametrize("command", ["report", "fair"])
def test_no_run_needs_an_existing_store(capsys, tmp_path, command):
    out = tmp_path / "reports"
    code = main([command, "--no-run", "--store", str(tmp_path / "typo.sqlite"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err
    assert not out.exists(), "no report may be written from a missing store"


@pytest.mark.parametrize("command", ["report", "fair"])
def test_unwritable_out_is_one_line_before_any_work(capsys, tmp_path, command):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = tmp_path / "s.sqlite"
    code = main([command, "--methods", "tv", "--limit", "1", "--store", str(store), "--out",
                 str(blocker / "x")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--out" in err
    assert "Traceback" not in err and not store.exists()
