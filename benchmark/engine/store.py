"""The run store: one SQLite file, one row a cell, safe to interrupt at any moment.

Each finished cell is committed on its own (WAL journal), so a run killed with Ctrl-C or
``kill -9`` loses at most the cells in flight, and a re-run computes exactly the missing ones.
Only the main process writes.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    command     TEXT NOT NULL,
    git_commit  TEXT NOT NULL,
    versions    TEXT NOT NULL,
    machine     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    dataset     TEXT NOT NULL,
    split       TEXT NOT NULL,
    image_id    TEXT NOT NULL,
    noise       TEXT NOT NULL,
    sigma       REAL NOT NULL,
    clip        INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    method      TEXT NOT NULL,
    config      TEXT NOT NULL,
    status      TEXT NOT NULL,
    psnr        REAL,
    ssim        REAL,
    seconds     REAL,
    error       TEXT,
    params      TEXT NOT NULL,
    device      TEXT NOT NULL,
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    finished_at TEXT NOT NULL,
    PRIMARY KEY (dataset, split, image_id, noise, sigma, clip, seed, method, config)
);
CREATE TABLE IF NOT EXISTS cell_extras (
    dataset     TEXT NOT NULL,
    split       TEXT NOT NULL,
    image_id    TEXT NOT NULL,
    noise       TEXT NOT NULL,
    sigma       REAL NOT NULL,
    clip        INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    method      TEXT NOT NULL,
    config      TEXT NOT NULL,
    extra       TEXT NOT NULL,
    PRIMARY KEY (dataset, split, image_id, noise, sigma, clip, seed, method, config)
);
"""

#: The columns that identify a cell, in key order.
KEY_COLUMNS = ("dataset", "split", "image_id", "noise", "sigma", "clip", "seed", "method", "config")


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


class Store:
    """A SQLite store of cells.

    Parameters
    ----------
    path : str or Path
        The database file; its folder is created on the first write.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(self.path, timeout=30)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(SCHEMA)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start_run(self, *, command: str, git_commit: str, versions: dict, machine: str) -> int:
        """Record the provenance of a run; returns its id for the cells it writes."""
        from datetime import datetime, timezone

        db = self._connect()
        with db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, command, git_commit, versions, machine) "
                "VALUES (?, ?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(timespec="seconds"), command, git_commit,
                 json.dumps(versions, sort_keys=True), machine),
            )
        return int(cursor.lastrowid)

    def finished(self, keys: Iterable[CellKey]) -> set[CellKey]:
        """The subset of ``keys`` already stored with status ``ok``."""
        keys = list(keys)
        if not keys or not self.path.exists():
            return set()
        db = self._connect()
        stored = {
            tuple(row) for row in db.execute(
                f"SELECT {', '.join(KEY_COLUMNS)} FROM cells WHERE status = 'ok'"
            )
        }
        return {key for key in keys if key.as_row() in stored}

    def put(self, key: CellKey, result: dict[str, Any], *, run_id: int) -> None:
        """Write one cell (replacing an earlier failed attempt) and commit at once."""
        from datetime import datetime, timezone

        db = self._connect()
        with db:
            db.execute(
                "INSERT OR REPLACE INTO cells VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key.as_row() + (
                    result["status"], result.get("psnr"), result.get("ssim"),
                    result.get("seconds"), result.get("error"),
                    json.dumps(result.get("params", {}), sort_keys=True),
                    result.get("device", "cpu"), run_id,
                    datetime.now(timezone.utc).isoformat(timespec="seconds"),
                ),
            )
            db.execute(  # extra per-cell values (anatomy metrics, sigma estimate, ...)
                "INSERT OR REPLACE INTO cell_extras VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key.as_row() + (json.dumps(result.get("extra", {}), sort_keys=True),),
            )

    def frame(self) -> pd.DataFrame:
        """Every cell joined with its run's provenance, as a DataFrame."""
        columns = list(KEY_COLUMNS) + ["status", "psnr", "ssim", "seconds", "error", "params",
                                       "device", "run_id", "finished_at"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns + ["git_commit", "versions", "machine"])
        db = self._connect()
        frame = pd.read_sql_query(
            "SELECT cells.*, runs.git_commit, runs.versions, runs.machine "
            "FROM cells JOIN runs USING (run_id)",
            db,
        )
        frame["clip"] = frame["clip"].astype(bool)
        return _with_extras(frame, db)


def _with_extras(frame: pd.DataFrame, db: sqlite3.Connection) -> pd.DataFrame:
    """``frame`` with each cell's extra values (JSON in ``cell_extras``) as columns."""
    extras = pd.read_sql_query("SELECT * FROM cell_extras", db)
    if extras.empty:
        return frame
    values = pd.DataFrame([json.loads(text) for text in extras.pop("extra")], index=extras.index)
    extras = pd.concat([extras, values], axis=1)
    extras["clip"] = extras["clip"].astype(bool)
    return frame.merge(extras, on=list(KEY_COLUMNS), how="left")


def key_dict(key: CellKey) -> dict[str, Any]:
    """A key as a plain dict (for workers and CSV rows)."""
    return asdict(key)
