"""The run store: one SQLite file, every table of it and every query of it.

Tables: ``runs`` (provenance), ``cells`` (one row a cell) and ``cell_extras``, ``claims`` (the
cells a live run is computing), ``tuned`` (grid points chosen on validation) and ``datasets``
(how each split's clean images were normalised). No other module opens the file.

Each finished cell is committed on its own (WAL journal), so a run killed with Ctrl-C or
``kill -9`` loses at most the cells in flight, and a re-run computes exactly the missing ones.
Only the main process of a run writes.

A file is recognised as a store by its SQLite ``application_id``; anything else (not SQLite,
another program's database, a folder) is refused before a byte of it changes. A store that
cannot be written (no write permission on the file or its folder) is opened read-only: reading
works, the first write is refused in one line.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import pandas as pd

from benchmark.core import paths
from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.core.contract import Noise

#: ``PRAGMA application_id`` of our stores ("BNCH"): how a file is recognised as one.
APPLICATION_ID = 0x424E4348
#: ``PRAGMA user_version``: the schema's version (a newer one is refused, never downgraded).
SCHEMA_VERSION = 1
#: Seconds a claim lives without a heartbeat (a run refreshes its claims every quarter of this).
LEASE_SECONDS = 120.0
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: The columns that identify a cell, in key order.
KEY_COLUMNS = ("dataset", "split", "image_id", "noise", "sigma", "clip", "seed", "method", "config")

_KEY_DDL = """
    dataset     TEXT NOT NULL,
    split       TEXT NOT NULL,
    image_id    TEXT NOT NULL,
    noise       TEXT NOT NULL,
    sigma       REAL NOT NULL,
    clip        INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    method      TEXT NOT NULL,
    config      TEXT NOT NULL,"""
_KEY_PK = "PRIMARY KEY (dataset, split, image_id, noise, sigma, clip, seed, method, config)"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    command     TEXT NOT NULL,
    git_commit  TEXT NOT NULL,
    versions    TEXT NOT NULL,
    machine     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells ({_KEY_DDL}
    status      TEXT NOT NULL,
    psnr        REAL,
    ssim        REAL,
    seconds     REAL,
    error       TEXT,
    params      TEXT NOT NULL,
    device      TEXT NOT NULL,
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    finished_at TEXT NOT NULL,
    {_KEY_PK}
);
CREATE TABLE IF NOT EXISTS cell_extras ({_KEY_DDL}
    extra       TEXT NOT NULL,
    {_KEY_PK}
);
CREATE TABLE IF NOT EXISTS claims ({_KEY_DDL}
    token       TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    pid_start   TEXT NOT NULL,
    host        TEXT NOT NULL,
    expires_at  REAL NOT NULL,
    {_KEY_PK}
);
CREATE TABLE IF NOT EXISTS tuned (
    dataset      TEXT NOT NULL,
    split        TEXT NOT NULL,
    noise        TEXT NOT NULL,
    sigma        REAL NOT NULL,
    seed         INTEGER NOT NULL,
    clip         INTEGER NOT NULL,
    sigma_source TEXT NOT NULL,
    method       TEXT NOT NULL,
    metric       TEXT NOT NULL,
    params       TEXT NOT NULL,
    score        REAL NOT NULL,
    n_images     INTEGER NOT NULL,
    n_points     INTEGER NOT NULL,
    val_limit    INTEGER,
    PRIMARY KEY (dataset, noise, sigma, seed, clip, sigma_source, method, metric)
);
CREATE TABLE IF NOT EXISTS datasets (
    dataset       TEXT NOT NULL,
    split         TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    images        INTEGER NOT NULL,
    normalisation TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (dataset, split, fingerprint)
);
"""

#: Every table of a store; a file holding any other table is not ours.
TABLES = ("runs", "cells", "cell_extras", "claims", "tuned", "datasets")

_CELL_COLUMNS = list(KEY_COLUMNS) + ["status", "psnr", "ssim", "seconds", "error", "params",
                                     "device", "run_id", "finished_at"]
#: The columns of the ``tuned`` table, in the order :meth:`Store.save_tuned` takes them.
TUNED_COLUMNS = ("dataset", "split", "noise", "sigma", "seed", "clip", "sigma_source", "method",
                 "metric", "params", "score", "n_images", "n_points", "val_limit")
_DATASET_COLUMNS = ["dataset", "split", "fingerprint", "images", "normalisation", "recorded_at"]
_KEY_MATCH = " AND ".join(f"{column} = ?" for column in KEY_COLUMNS)


class StoreError(BenchError):
    """A store that cannot be used as asked (not ours, read-only, unreadable), in one line."""


@dataclass(frozen=True)
class CellKey:
    """The identity of one cell: what is denoised, under which noise, by which configuration."""

    dataset: str
    split: str
    image_id: str
    noise: str
    sigma: float
    clip: bool
    seed: int
    method: str
    config: str

    def as_row(self) -> tuple:
        return (self.dataset, self.split, self.image_id, self.noise, self.sigma, int(self.clip),
                self.seed, self.method, self.config)


#: What a cell looked like in the store: ``(status, run_id, finished_at)``, or ``None`` if absent.
CellState = tuple | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _writable(path: Path) -> bool:
    """Write permission by the access check *and* the permission bits.

    A file or folder with no write bit at all is treated as read-only even for root (who may
    write anywhere): such a mode is a statement that it must not change.
    """
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def process_start(pid: int) -> str:
    """When process ``pid`` started (Linux clock ticks), ``""`` if unknown: tells a reused pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return text.rsplit(")", 1)[-1].split()[19]


def process_alive(pid: int, start: str = "") -> bool:
    """Whether ``pid`` is a running (not zombie) process, started at ``start`` when given."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return True  # no /proc: trust kill(0)
    return fields[0] not in ("Z", "X") and (not start or fields[19] == start)


class Store:
    """A SQLite store of cells and everything kept beside them.

    Parameters
    ----------
    path : str or Path
        The database file. It is created on the first write; its folder must exist, except
        the default store's folder, which is made.

    Notes
    -----
    Opening does nothing; the file is checked on first use. Reads use a read-only connection
    (``mode=ro``), so a store without write permission can be reported and exported; the first
    write opens a read-write connection or raises :class:`StoreError`.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._writing = False

    # -- opening ------------------------------------------------------------------------------

    def _refuse(self, why: str) -> StoreError:
        return StoreError(f"store {self.path} {why}")

    def _kind(self) -> str:
        """``"missing"``, ``"empty"`` (a file of 0 bytes), or ``"ours"``; raises if not ours.

        Reads the file's header, and its table names only when the header carries no mark.
        """
        path = self.path
        if path.is_dir():
            raise self._refuse("is a folder; give a file such as "
                               f"{path / 'bench.sqlite'}")
        if not path.exists():
            return "missing"
        if not path.is_file():
            raise self._refuse("is not a regular file; give a .sqlite file")
        try:
            with open(path, "rb") as handle:
                head = handle.read(100)
        except OSError as error:
            raise self._refuse(f"cannot be read ({error.strerror}); check its permissions") from None
        if not head:
            return "empty"
        if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
            raise self._refuse("is not a SQLite file, so not a run store; give another --store "
                               "(a new path makes a new store)")
        application = int.from_bytes(head[68:72], "big")
        version = int.from_bytes(head[60:64], "big")
        if application != 0:
            self._judge(application, version, {})
            return "ours"
        db = self._open_readonly()
        try:
            self._judge(*self._marks(db))
        finally:
            db.close()
        return "ours"

    def _marks(self, db: sqlite3.Connection) -> tuple[int, int, dict[str, tuple[str, ...]]]:
        """The application id, schema version and tables (name: column names) the file holds."""
        with self._sql("read its schema"):
            application, version = (db.execute(f"PRAGMA {name}").fetchone()[0]
                                    for name in ("application_id", "user_version"))
            names = [row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            tables = {name: tuple(row[1] for row in db.execute(
                          "SELECT * FROM pragma_table_info(?)", (name,))) for name in names}
        return application, version, tables

    def _judge(self, application: int, version: int,
               tables: dict[str, tuple[str, ...]]) -> None:
        """Raise unless these marks are those of a store of ours (or of an empty database).

        A file without our mark is taken for a store made before stores were marked only when
        it has a ``cells`` table with exactly our columns and no table that is not ours.
        """
        if application == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise self._refuse(f"has schema version {version}, newer than this benchmark's "
                                   f"{SCHEMA_VERSION}; upgrade the benchmark to use it")
            return
        foreign = sorted(set(tables) - set(TABLES))
        if application == 0 and not foreign and not tables:
            return  # an empty database
        cells = tables.get("cells")
        if application == 0 and not foreign and cells is not None:
            if cells == tuple(_CELL_COLUMNS):
                return  # a store made before stores were marked
            what = f"a cells table with columns {', '.join(cells[:6])}"
        elif foreign:
            what = f"tables {', '.join(foreign[:5])}"
        elif application == 0:
            what = "no cells table"
        else:
            what = f"application id {application:#x}"
        raise self._refuse(f"is a SQLite database of another program ({what}), not a run store; "
                           "give another --store (a new path makes a new store)")

    def _open_readonly(self) -> sqlite3.Connection:
        """A connection that cannot write, and leaves no journal files behind when it can help it.

        With no pending write-ahead log the file is read as immutable (SQLite makes no
        shared-memory file); with one, it is read through the log.
        """
        uri = self.path.resolve().as_uri()
        wal = self.path.with_name(self.path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        try:
            db = sqlite3.connect(f"{uri}?mode=ro{'' if pending else '&immutable=1'}", uri=True,
                                 timeout=30)
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return db
        except sqlite3.DatabaseError as error:
            raise self._refuse(f"cannot be read as a run store ({error}); give another "
                               "--store") from None

    def _db(self, *, write: bool = False) -> sqlite3.Connection | None:
        """The connection for reading (``None`` when there is no store yet) or writing."""
        if write and not self._writing:
            self.require_writable()
        if self._connection is None:
            if self._kind() in ("missing", "empty"):
                return None
            if self.writable_reason() is None:  # live store: see other runs' commits
                with self._sql("open"):
                    self._connection = sqlite3.connect(self.path, timeout=30,
                                                       isolation_level=None)
            else:
                self._connection = self._open_readonly()
        return self._connection

    def writable_reason(self) -> str | None:
        """Why this store cannot be written (``None`` when it can); changes nothing."""
        kind = self._kind()
        folder = self.path.parent
        if kind in ("missing", "empty") and not folder.is_dir():
            default = getattr(paths, "DEFAULT_STORE", None)
            if default is not None and self.path.absolute() == Path(default).absolute():
                return None  # the default store's folder is made on first write
            return (f"is in a folder that does not exist ({folder}); create it first or give "
                    "another --store")
        if kind != "missing" and not _writable(self.path):
            return ("is read-only; reading works (report, export, check) but a run that "
                    "computes cells needs a writable --store (copy it, or chmod u+w)")
        if not _writable(folder):
            return (f"is in a read-only folder ({folder}); SQLite writes its journal beside the "
                    "store: give a --store in a writable folder")
        return None

    def require_writable(self) -> None:
        """Open for writing (creating a new store), or raise :class:`StoreError` in one line.

        The file's marks are checked again under the write lock, and nothing is written
        before they pass: a foreign file keeps every byte.
        """
        if self._writing:
            return
        reason = self.writable_reason()
        if reason:
            raise self._refuse(reason)
        self.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._sql("open"):
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                application, version, tables = self._marks(db)
                self._judge(application, version, tables)
                if application != APPLICATION_ID:
                    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("COMMIT")
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                db.close()
                raise
        self._connection, self._writing = db, True

    def check(self) -> None:
        """Raise :class:`StoreError` unless the file is missing, empty or a store of ours;
        changes nothing."""
        self._kind()

    @property
    def exists(self) -> bool:
        """Whether the file exists (it is not checked to be a store)."""
        return self.path.exists()

    @contextmanager
    def _sql(self, doing: str, value: Any = None) -> Iterator[Any]:
        """Turn SQLite's errors into one line naming the store."""
        try:
            yield value
        except sqlite3.DatabaseError as error:
            raise self._refuse(f"could not {doing}: {error}") from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        db = self._db(write=True)
        with self._sql(doing):
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._writing = False

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- runs and cells -----------------------------------------------------------------------

    def start_run(self, *, command: str, git_commit: str, versions: dict, machine: str) -> int:
        """Record the provenance of a run; returns its id for the cells it writes."""
        with self._transaction("record the run") as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, command, git_commit, versions, machine) "
                "VALUES (?, ?, ?, ?, ?)",
                (_now(), command, git_commit, json.dumps(versions, sort_keys=True), machine),
            )
        return int(cursor.lastrowid)

    def finished(self, keys: Iterable[CellKey]) -> set[CellKey]:
        """The subset of ``keys`` already stored with status ``ok``."""
        states = self.states(keys)
        return {key for key, state in states.items() if state and state[0] == "ok"}

    def states(self, keys: Iterable[CellKey]) -> dict[CellKey, CellState]:
        """Each key's ``(status, run_id, finished_at)`` in the store, ``None`` where absent."""
        keys = list(keys)
        db = self._db()
        if not keys or db is None or not self._has_table(db, "cells"):
            return {key: None for key in keys}
        with self._sql("read its cells"):
            stored = {tuple(row[:9]): tuple(row[9:]) for row in db.execute(
                f"SELECT {', '.join(KEY_COLUMNS)}, status, run_id, finished_at FROM cells")}
        return {key: stored.get(key.as_row()) for key in keys}

    def put(self, key: CellKey, result: dict[str, Any], *, run_id: int) -> bool:
        """Write one cell and commit at once; returns whether it was written.

        A cell already stored with status ``ok`` is kept: a failed result never replaces a good
        one, and a good one is not rewritten. The cell's claim, if any, is released.
        """
        row = key.as_row() + (
            result["status"], result.get("psnr"), result.get("ssim"), result.get("seconds"),
            result.get("error"), json.dumps(result.get("params", {}), sort_keys=True),
            result.get("device", "cpu"), run_id, _now())
        updates = ", ".join(f"{c} = excluded.{c}" for c in _CELL_COLUMNS[len(KEY_COLUMNS):])
        with self._transaction("write a cell") as db:
            cursor = db.execute(
                f"INSERT INTO cells VALUES ({', '.join('?' * len(row))}) "
                f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates} "
                "WHERE cells.status != 'ok'", row)
            written = cursor.rowcount > 0
            if written:  # extra per-cell values (anatomy metrics, sigma estimate, ...)
                db.execute("INSERT OR REPLACE INTO cell_extras VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           key.as_row() + (json.dumps(result.get("extra", {}), sort_keys=True),))
            db.execute(f"DELETE FROM claims WHERE {_KEY_MATCH}", key.as_row())
        return written

    def add_extras(self, key: CellKey, values: dict[str, Any]) -> bool:
        """Add to an ``ok`` cell the extra values it does not have yet (a metric recorded only
        since it was computed); values it has are never replaced, nor its PSNR and SSIM.
        Returns whether anything was added."""
        with self._transaction("add a cell's extra values") as db:
            status = db.execute(f"SELECT status FROM cells WHERE {_KEY_MATCH}",
                                key.as_row()).fetchone()
            if status is None or status[0] != "ok":
                return False
            stored = db.execute(f"SELECT extra FROM cell_extras WHERE {_KEY_MATCH}",
                                key.as_row()).fetchone()
            extra = json.loads(stored[0]) if stored else {}
            new = {k: v for k, v in values.items() if k not in extra}
            if not new:
                return False
            db.execute("INSERT OR REPLACE INTO cell_extras VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       key.as_row() + (json.dumps({**extra, **new}, sort_keys=True),))
        return True

    def frame(self, datasets: Sequence[str] | None = None) -> pd.DataFrame:
        """Every cell joined with its run's provenance, as a DataFrame; only those of
        ``datasets`` when given (reading no other cell's extra values)."""
        db = self._db()
        if db is None or not self._has_table(db, "cells"):
            return pd.DataFrame(columns=_CELL_COLUMNS + ["git_commit", "versions", "machine"])
        where, values = "", ()
        if datasets is not None:
            values = tuple(dict.fromkeys(datasets))
            where = f" WHERE dataset IN ({', '.join('?' * len(values))})"
        with self._sql("read its cells"):
            frame = pd.read_sql_query(
                "SELECT cells.*, runs.git_commit, runs.versions, runs.machine "
                f"FROM cells JOIN runs USING (run_id){where}", db, params=values)
            frame["clip"] = frame["clip"].astype(bool)
            return _with_extras(frame, db, where, values)

    # -- claims: two runs on one store compute each cell once ---------------------------------

    def claim(self, keys: Sequence[CellKey], token: str,
              before: dict[CellKey, CellState] | None = None) -> list[CellKey]:
        """Claim the ``keys`` nobody else is computing, for the run ``token``; returns them.

        A key is left out when it is stored ``ok``, when its row changed since ``before`` (another
        run wrote it, even a failure), or when a live run holds it. Claims of a process that is
        gone (same host, pid not running) or past their lease are dropped first.
        """
        host, pid = socket.gethostname(), os.getpid()
        now = time.time()
        with self._transaction("claim cells") as db:
            db.execute("DELETE FROM claims WHERE token != ? AND expires_at < ?", (token, now))
            holders = db.execute("SELECT DISTINCT token, pid, pid_start FROM claims "
                                 "WHERE host = ? AND token != ?", (host, token)).fetchall()
            dead = [(t,) for t, p, start in holders if not process_alive(p, start)]
            db.executemany("DELETE FROM claims WHERE token = ?", dead)
            mine = []
            for key in keys:
                row = key.as_row()
                held = db.execute(f"SELECT token FROM claims WHERE {_KEY_MATCH}", row).fetchone()
                if held is not None:
                    if held[0] == token:
                        mine.append(key)
                    continue
                state = db.execute(f"SELECT status, run_id, finished_at FROM cells WHERE "
                                   f"{_KEY_MATCH}", row).fetchone()
                if state is not None and (state[0] == "ok" or (
                        before is not None and tuple(state) != before.get(key))):
                    continue
                db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           row + (token, pid, process_start(pid), host, now + LEASE_SECONDS))
                mine.append(key)
        return mine

    def renew_claims(self, token: str) -> None:
        """Push back the expiry of every claim of ``token`` (the run's heartbeat)."""
        with self._transaction("renew claims") as db:
            db.execute("UPDATE claims SET expires_at = ? WHERE token = ?",
                       (time.time() + LEASE_SECONDS, token))

    def release_claims(self, token: str) -> None:
        """Drop every claim of ``token`` (the run ends)."""
        with self._transaction("release claims") as db:
            db.execute("DELETE FROM claims WHERE token = ?", (token,))

    def claimants(self, keys: Iterable[CellKey]) -> set[tuple[int, str]]:
        """``(pid, host)`` of the runs holding claims on ``keys``."""
        db = self._db()
        if db is None or not self._has_table(db, "claims"):
            return set()
        rows = [key.as_row() for key in keys]
        with self._sql("read claims"):
            return {tuple(found) for row in rows for found in db.execute(
                f"SELECT pid, host FROM claims WHERE {_KEY_MATCH}", row)}

    # -- tuned parameters ---------------------------------------------------------------------

    def save_tuned(self, rows: Sequence[tuple], searched: Iterable[tuple] = ()) -> None:
        """Replace the ``tuned`` rows of every search in ``searched``, then write ``rows``.

        ``searched`` holds ``(dataset, noise, sigma, seed, clip, sigma_source, method,
        metric)`` of each (method, noise) searched now, whether or not it gave a choice: the
        previous search's row goes, so a search whose every point failed leaves no stale
        choice. ``rows`` hold the columns of :data:`TUNED_COLUMNS` (without the last,
        ``val_limit``, it is left empty).
        """
        rows = [tuple(row) + (None,) * (len(TUNED_COLUMNS) - len(row)) for row in rows]
        with self._transaction("save tuned parameters") as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(tuned)")}
            if "val_limit" not in columns:  # a store made before val_limit was kept
                db.execute("ALTER TABLE tuned ADD COLUMN val_limit INTEGER")
            db.executemany(
                "DELETE FROM tuned WHERE dataset = ? AND noise = ? AND abs(sigma - ?) < 1e-9 "
                "AND seed = ? AND clip = ? AND sigma_source = ? AND method = ? AND metric = ?",
                [(d, n, float(sg), int(seed), int(clip), src, m, metric)
                 for d, n, sg, seed, clip, src, m, metric in searched])
            db.executemany(f"INSERT OR REPLACE INTO tuned ({', '.join(TUNED_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(TUNED_COLUMNS))})", rows)

    def tuned(self, dataset: str, *, metric: str, seed: int, clip: bool,
              sigma_source: str, val_limit: int | None = None) -> list[tuple]:
        """``(method, noise, sigma, params, score, n_images, n_points, val_limit)`` of the
        chosen points; with ``val_limit``, only those tuned on that many validation images
        (a row of a store made before ``val_limit`` was kept matches on ``n_images``)."""
        db = self._db()
        if db is None or not self._has_table(db, "tuned"):
            return []
        with self._sql("read tuned parameters"):
            columns = {row[1] for row in db.execute("PRAGMA table_info(tuned)")}
            limit = "val_limit" if "val_limit" in columns else "NULL"
            rows = db.execute(
                f"SELECT method, noise, sigma, params, score, n_images, n_points, {limit} "
                "FROM tuned WHERE dataset = ? AND metric = ? AND seed = ? AND clip = ? "
                "AND sigma_source = ?", (dataset, metric, seed, int(clip), sigma_source)).fetchall()
        if val_limit is None:
            return rows
        return [row for row in rows if (row[7] if row[7] is not None else row[5]) == val_limit]

    # -- the data log -------------------------------------------------------------------------

    def record_images(self, images: Any) -> None:
        """Note how a split's clean images were normalised (kept from the first time seen).

        ``images`` is an :class:`~benchmark.data.cards.ImageSet` (``dataset``, ``split``,
        ``fingerprint()``, ``normalisation``, ``len``).
        """
        with self._transaction("record the dataset") as db:
            db.execute("INSERT OR IGNORE INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                       (images.dataset, images.split, images.fingerprint(), len(images),
                        images.normalisation, _now()))

    def datasets(self) -> pd.DataFrame:
        """Every noted dataset split with its normalisation (empty when none was noted)."""
        db = self._db()
        if db is None or not self._has_table(db, "datasets"):
            return pd.DataFrame(columns=_DATASET_COLUMNS)
        with self._sql("read the data log"):
            return pd.read_sql_query("SELECT * FROM datasets", db)

    def _has_table(self, db: sqlite3.Connection, name: str) -> bool:
        with self._sql("read its tables"):
            return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (name,)).fetchone() is not None


def _with_extras(frame: pd.DataFrame, db: sqlite3.Connection, where: str = "",
                 values: tuple = ()) -> pd.DataFrame:
    """``frame`` with each cell's extra values (JSON in ``cell_extras``, the rows ``where``
    selects) as columns."""
    extras = pd.read_sql_query(f"SELECT * FROM cell_extras{where}", db, params=values)
    if extras.empty:
        return frame
    values = pd.DataFrame([json.loads(text) for text in extras.pop("extra")], index=extras.index)
    extras = pd.concat([extras, values], axis=1)
    extras["clip"] = extras["clip"].astype(bool)
    return frame.merge(extras, on=list(KEY_COLUMNS), how="left")


def under_noise(cells: pd.DataFrame, noise: Noise) -> pd.Series:
    """Which rows of a cells frame (:meth:`Store.frame`) were drawn under ``noise``.

    Sigma is stored rounded to 6 significant digits (:class:`~benchmark.core.contract.Noise`);
    the comparison allows for the float round trip.

    Examples
    --------
    >>> import pandas as pd
    >>> from benchmark.core.contract import Noise
    >>> cells = pd.DataFrame({"noise": ["gaussian", "gaussian", "rician"],
    ...                       "sigma": [0.1, 0.11, 0.1]})
    >>> under_noise(cells, Noise("gaussian", 0.1)).tolist()
    [True, False, False]
    """
    return (cells["noise"] == noise.kind) & ((cells["sigma"] - noise.sigma).abs() < 1e-9)
