"""The store: one owner of the file, refusing files that are not ours before a byte changes."""

import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from benchmark.engine.store import (APPLICATION_ID, SCHEMA, CellKey, Store, StoreError,
                                    process_alive)

RUN = dict(command="test", git_commit="abc", versions={}, machine="test")


def _key(image_id="a", method="tv"):
    return CellKey("toy", "test", image_id, "gaussian", 0.1, False, 0, method, "cfg")


def _ok(psnr=30.0):
    return {"status": "ok", "psnr": psnr, "ssim": 0.9, "seconds": 0.1, "params": {}}


def _failed():
    return {"status": "error", "error": "ValueError: broken", "params": {}}


def _digest(folder):
    """Every file of ``folder`` with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _application_id(path):
    return int.from_bytes(path.read_bytes()[68:72], "big")


def test_a_new_store_is_marked_as_ours(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        assert store.frame().empty and not path.exists(), "reading creates nothing"
        run_id = store.start_run(**RUN)
        store.put(_key(), _ok(), run_id=run_id)
    assert _application_id(path) == APPLICATION_ID
    with Store(path) as store:
        assert store.finished([_key(), _key("b")]) == {_key()}


@pytest.mark.parametrize("empty", ["no-bytes", "no-tables"])
def test_an_empty_file_becomes_a_store(tmp_path, empty):
    path = tmp_path / "s.sqlite"
    if empty == "no-bytes":
        path.touch()
    else:
        sqlite3.connect(path).execute("VACUUM").connection.close()
    with Store(path) as store:
        assert store.frame().empty and store.finished([_key()]) == set()
        store.start_run(**RUN)
    assert _application_id(path) == APPLICATION_ID


def _foreign_rollback(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE patients (name TEXT)")
        db.execute("INSERT INTO patients VALUES ('x')")
    db.close()


def _foreign_wal(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE cells (x)")  # one of our names, and one that is not
    db.execute("CREATE TABLE notes (x)")
    db.commit()
    db.close()


def _foreign_marked(path):
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE cells (x)")
    db.close()


def _foreign_cells(path):
    with sqlite3.connect(path) as db:  # unmarked, and only a table named like ours
        db.execute("CREATE TABLE cells (a, b)")
        db.execute("INSERT INTO cells VALUES (1, 2)")
    db.close()


def _foreign_our_tables(path):
    with sqlite3.connect(path) as db:  # our table names, another program's columns
        db.execute("CREATE TABLE runs (x)")
        db.execute("CREATE TABLE cells (dataset, split, image_id)")
    db.close()


@pytest.mark.parametrize("make", [_foreign_rollback, _foreign_wal, _foreign_marked,
                                  _foreign_cells, _foreign_our_tables],
                         ids=["rollback-journal", "wal", "other-application-id",
                              "unmarked-cells-table", "unmarked-our-table-names"])
def test_a_foreign_database_is_refused_and_keeps_every_byte(tmp_path, make):
    path = tmp_path / "other.db"
    make(path)
    before = _digest(tmp_path)
    with Store(path) as store:
        with pytest.raises(StoreError, match="another program"):
            store.check()
        for action in (store.frame, lambda: store.start_run(**RUN),
                       lambda: store.finished([_key()]), store.datasets,
                       lambda: store.save_tuned([])):
            with pytest.raises(StoreError, match="another program"):
                action()
    assert _digest(tmp_path) == before, "a refused file and its folder must not change"


@pytest.mark.parametrize("content, fragment", [
    (b"not a database at all\n", "not a SQLite file"),
    (b"SQLite format 3", "not a SQLite file"),  # a truncated header
])
def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path, content, fragment):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(content)
    with Store(path) as store, pytest.raises(StoreError, match=fragment):
        store.start_run(**RUN)
    assert path.read_bytes() == content and len(list(tmp_path.iterdir())) == 1


def test_a_folder_is_refused(tmp_path):
    with Store(tmp_path) as store, pytest.raises(StoreError, match="is a folder"):
        store.frame()


def test_a_missing_folder_is_refused_and_not_made(tmp_path):
    path = tmp_path / "nowhere" / "s.sqlite"
    with Store(path) as store:
        assert store.frame().empty
        with pytest.raises(StoreError, match="folder that does not exist"):
            store.start_run(**RUN)
    assert not path.parent.exists()


def test_the_default_store_folder_is_made(tmp_path, monkeypatch):
    from benchmark.core import paths

    default = tmp_path / "results" / "bench.sqlite"
    monkeypatch.setattr(paths, "DEFAULT_STORE", default)
    with Store(default) as store:
        store.start_run(**RUN)
    assert _application_id(default) == APPLICATION_ID


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.start_run(**RUN)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with Store(path) as store, pytest.raises(StoreError, match="newer"):
        store.frame()


def test_a_store_made_before_marks_is_read_and_then_marked(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the tables of a store, without the mark
        db.executescript(SCHEMA.split("CREATE TABLE IF NOT EXISTS claims")[0])
    db.close()
    assert _application_id(path) == 0
    with Store(path) as store:
        assert store.frame().empty
        store.put(_key(), _ok(), run_id=store.start_run(**RUN))
    assert _application_id(path) == APPLICATION_ID


def _filled(path):
    with Store(path) as store:
        store.put(_key(), _ok(), run_id=store.start_run(**RUN))
        store.save_tuned([("toy", "validation", "gaussian", 0.1, 0, 0, "oracle", "tv", "psnr",
                           "{}", 30.0, 2, 3)])


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_is_read_and_never_written(tmp_path, what):
    """Permission bits decide (root, who ignores them, is treated like anyone else)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "s.sqlite"
    _filled(path)
    (path if what == "file" else folder).chmod(0o444 if what == "file" else 0o555)
    try:
        before = _digest(folder)
        with Store(path) as store:
            assert len(store.frame()) == 1
            assert store.finished([_key(), _key("b")]) == {_key()}
            assert len(store.tuned("toy", metric="psnr", seed=0, clip=False,
                                   sigma_source="oracle")) == 1
            with pytest.raises(StoreError, match="read-only"):
                store.put(_key("b"), _ok(), run_id=1)
        assert _digest(folder) == before, "no byte and no journal file may appear"
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_a_failed_result_never_replaces_a_good_one(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        run_id = store.start_run(**RUN)
        assert store.put(_key(), _ok(31.0), run_id=run_id)
        assert not store.put(_key(), _failed(), run_id=run_id)
        assert not store.put(_key(), _ok(12.0), run_id=run_id), "a good cell is not rewritten"
        assert store.put(_key("b"), _failed(), run_id=run_id)
        assert store.put(_key("b"), _ok(29.0), run_id=run_id), "a good one replaces a failure"
        frame = store.frame().set_index("image_id")
    assert frame.loc["a", "status"] == "ok" and frame.loc["a", "psnr"] == 31.0
    assert frame.loc["b", "status"] == "ok" and frame.loc["b", "psnr"] == 29.0


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _foreign_claim(path, key, *, pid, host, expires_at):
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   key.as_row() + (f"run-of-{key.image_id}", pid, "", host, expires_at))
    db.close()


def test_a_live_claim_is_respected_and_a_dead_one_expires(tmp_path):
    path = tmp_path / "s.sqlite"
    live, dead, stale, remote = _key("live"), _key("dead"), _key("stale"), _key("remote")
    with Store(path) as store:
        store.start_run(**RUN)
        assert store.claim([live], "first") == [live]
        later = time.time() + 3600
        _foreign_claim(path, dead, pid=_dead_pid(), host=socket.gethostname(), expires_at=later)
        _foreign_claim(path, stale, pid=1, host="elsewhere", expires_at=time.time() - 1)
        _foreign_claim(path, remote, pid=1, host="elsewhere", expires_at=later)
        got = store.claim([live, dead, stale, remote], "second")
        assert got == [dead, stale], "live and unexpired claims of others are skipped"
        assert store.claimants([live, remote]) == {(os.getpid(), socket.gethostname()),
                                                   (1, "elsewhere")}
        store.release_claims("first")
        assert store.claim([live], "second") == [live]


def test_a_cell_written_by_another_run_is_not_claimed_again(tmp_path):
    """Not even a failure: the other run computed it, this one does not repeat it."""
    with Store(tmp_path / "s.sqlite") as store:
        run_id = store.start_run(**RUN)
        before = store.states([_key()])
        store.put(_key(), _failed(), run_id=run_id)
        assert store.claim([_key()], "mine", before) == []
        assert store.claim([_key()], "mine", store.states([_key()])) == [_key()]


def test_process_alive_tells_a_running_process_from_a_gone_one():
    assert process_alive(os.getpid()) and not process_alive(_dead_pid())


def test_a_heartbeat_pushes_a_claim_back_from_its_expiry(tmp_path):
    path = tmp_path / "s.sqlite"

    def expiry():
        with sqlite3.connect(path) as db:
            (value,) = db.execute("SELECT expires_at FROM claims").fetchone()
        db.close()
        return value

    with Store(path) as store:
        store.claim([_key()], "run")
        with sqlite3.connect(path) as db:  # as if the lease were nearly over
            db.execute("UPDATE claims SET expires_at = ?", (time.time() + 1,))
        db.close()
        store.renew_claims("run")
        assert expiry() > time.time() + 60
