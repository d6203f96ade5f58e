"""Bad stores and outputs for ``bench run`` and ``bench export``: one line, exit 2, nothing written.

Also the exit codes: a sweep with failed cells exits 1 after its summary; a reader that goes
away (``| head -1``) ends the command quietly.
"""

import hashlib
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tifffile

from benchmark.cli import main
from benchmark.core.registry import register, unregister


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two small images as a --data folder."""
    made = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for k in range(2):
        tifffile.imwrite(made / f"i{k}.tif", rng.random((48, 48), dtype=np.float32))
    return made


def _run_argv(folder, store, *extra):
    return ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "gaussian-filter",
            "--data", str(folder), "--store", str(store), "--jobs", "1", "--quiet", *extra]


def _bench(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code, err, *fragments):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def _digest(path):
    """Every file under ``path`` with the hash of its bytes."""
    return {p.relative_to(path): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _foreign(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (total REAL)")
        db.execute("INSERT INTO invoices VALUES (12.5)")
    db.close()


def _foreign_cells(path):
    """Unmarked, with a table named like ours but not ours."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cells (a, b)")
        db.execute("INSERT INTO cells VALUES (1, 2)")
    db.close()


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.write_text("hello\n"), "not a SQLite file"),
    (_foreign, "another program (tables invoices)"),
    (_foreign_cells, "another program (a cells table with columns a, b)"),
    (lambda p: p.mkdir(), "is a folder"),
], ids=["not-sqlite", "another-schema", "foreign-cells-table", "folder"])
def test_run_refuses_a_store_that_is_not_ours(capsys, tmp_path, folder, make, fragment):
    store = tmp_path / "given" / "store.sqlite"
    store.parent.mkdir()
    make(store)
    before = _digest(tmp_path)
    code, out, err = _bench(capsys, *_run_argv(folder, store))
    _one_line(code, err, str(store), fragment)
    assert _digest(tmp_path) == before and len(list(store.parent.iterdir())) == 1


def test_run_refuses_a_store_in_a_missing_folder(capsys, tmp_path, folder):
    store = tmp_path / "missing" / "store.sqlite"
    code, out, err = _bench(capsys, *_run_argv(folder, store))
    _one_line(code, err, "does not exist")
    assert not store.parent.exists()


def _read_only(capsys, tmp_path, folder, *, what):
    where = tmp_path / "results"
    where.mkdir()
    store = where / "store.sqlite"
    assert _bench(capsys, *_run_argv(folder, store, "--limit", "1"))[0] == 0
    (store if what == "file" else where).chmod(0o444 if what == "file" else 0o555)
    return store, where


@pytest.mark.parametrize("what", ["file", "folder"])
def test_run_on_a_read_only_store(capsys, tmp_path, folder, what):
    """Cells to compute: refused before any work. Every cell present: the run only reads."""
    store, where = _read_only(capsys, tmp_path, folder, what=what)
    try:
        before = _digest(where)
        code, out, err = _bench(capsys, *_run_argv(folder, store))
        _one_line(code, err, "read-only")
        code, out, err = _bench(capsys, *_run_argv(folder, store, "--limit", "1"))
        assert code == 0 and "0 cells computed, 2 already in" in out and not err
        assert _digest(where) == before
    finally:
        where.chmod(0o755)
        store.chmod(0o644)


def test_run_refuses_a_new_store_in_a_read_only_folder(capsys, tmp_path, folder):
    where = tmp_path / "results"
    where.mkdir()
    where.chmod(0o555)
    try:
        code, out, err = _bench(capsys, *_run_argv(folder, where / "store.sqlite"))
        _one_line(code, err, "read-only folder")
        assert not list(where.iterdir())
    finally:
        where.chmod(0o755)


def test_export_reads_a_read_only_store(capsys, tmp_path, folder):
    store, where = _read_only(capsys, tmp_path, folder, what="file")
    try:
        before = _digest(where)
        out = tmp_path / "cells.csv"
        code, printed, err = _bench(capsys, "export", "--store", str(store), "--out", str(out))
        assert code == 0 and not err
        assert len(pd.read_csv(out)) == 2 and _digest(where) == before
    finally:
        store.chmod(0o644)


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.write_bytes(b"\x00junk" * 40), "not a SQLite file"),
    (_foreign, "another program"),
], ids=["junk", "another-schema"])
def test_export_refuses_a_store_that_is_not_ours(capsys, tmp_path, make, fragment):
    store, out = tmp_path / "store.sqlite", tmp_path / "cells.csv"
    make(store)
    before = _digest(tmp_path)
    code, printed, err = _bench(capsys, "export", "--store", str(store), "--out", str(out))
    _one_line(code, err, fragment)
    assert _digest(tmp_path) == before


def test_export_refuses_an_output_in_a_missing_folder(capsys, tmp_path, folder):
    store = tmp_path / "store.sqlite"
    assert _bench(capsys, *_run_argv(folder, store, "--limit", "1"))[0] == 0
    out = tmp_path / "missing" / "cells.csv"
    code, printed, err = _bench(capsys, "export", "--store", str(store), "--out", str(out))
    _one_line(code, err, "does not exist")
    assert not out.parent.exists()


def test_sigma_above_the_intensity_range_is_refused(capsys, tmp_path, folder):
    store = tmp_path / "store.sqlite"
    argv = _run_argv(folder, store)
    argv[argv.index("0.1")] = "11"
    code, out, err = _bench(capsys, *argv)
    _one_line(code, err, "sigma '11'", "above the whole [0, 1] intensity range")
    assert not store.exists()


def test_a_sweep_with_failed_cells_exits_1_after_its_summary(capsys, tmp_path, folder):
    @register("test-always-fails", uses_sigma=False)
    def fails(image, noise):
        raise ValueError("cannot cope")

    try:
        argv = _run_argv(folder, tmp_path / "store.sqlite")
        argv[argv.index("gaussian-filter")] = "test-always-fails"
        code, out, err = _bench(capsys, *argv)
    finally:
        unregister("test-always-fails")
    assert code == 1
    assert "2 failed" in out and "ValueError: cannot cope" in out and "Traceback" not in err


def test_out_of_memory_is_one_line(capsys, tmp_path, folder, monkeypatch):
    import benchmark.workflows._run as run

    def exhausted(**options):
        raise MemoryError()

    monkeypatch.setattr(run, "load_split", exhausted)
    code, out, err = _bench(capsys, *_run_argv(folder, tmp_path / "store.sqlite"))
    _one_line(code, err, "out of memory")
    assert not (tmp_path / "store.sqlite").exists()


def test_a_reader_that_goes_away_ends_the_command_quietly(capsys, tmp_path, folder):
    """``bench run ... | head -1``: the pipe closes before the summary is printed."""
    store = tmp_path / "store.sqlite"
    assert _bench(capsys, *_run_argv(folder, store))[0] == 0
    process = subprocess.Popen([sys.executable, "-m", "benchmark.cli", *_run_argv(folder, store)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert process.returncode == 141 and err == ""


def test_an_unreadable_file_in_a_data_folder_is_reported_once(capsys, caplog, tmp_path, folder):
    """The folder is read once per run: its warning is not repeated by the means."""
    data = tmp_path / "data"
    data.mkdir()
    for image in folder.iterdir():
        (data / image.name).write_bytes(image.read_bytes())
    (data / "broken.tif").write_bytes(b"not a tiff")
    code, out, err = _bench(capsys, *_run_argv(data, tmp_path / "store.sqlite"))
    warned = [r for r in caplog.records if "broken.tif" in r.getMessage()]
    assert code == 0 and len(warned) == 1, [r.getMessage() for r in warned]
