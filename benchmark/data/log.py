"""The normalisation of every dataset split a sweep used, kept beside the cells in the run store.

One row per (dataset, split, content fingerprint) in a ``datasets`` table of the same SQLite file,
so a number in a table can be traced to how its clean images were made (window, percentile, ...),
and a changed folder behind the same ``--data`` path shows up as a second fingerprint.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from benchmark.data.cards import ImageSet

SCHEMA = """
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


def record(store: str | Path, images: ImageSet) -> None:
    """Note ``images``' normalisation in ``store`` (kept from the first time it was seen)."""
    path = Path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path, timeout=30) as db:
        db.executescript(SCHEMA)
        db.execute("INSERT OR IGNORE INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                   (images.dataset, images.split, images.fingerprint(), len(images),
                    images.normalisation,
                    datetime.now(timezone.utc).isoformat(timespec="seconds")))
    db.close()


def recorded(store: str | Path) -> pd.DataFrame:
    """Every noted dataset split with its normalisation (empty when none was noted)."""
    path = Path(store)
    columns = ["dataset", "split", "fingerprint", "images", "normalisation", "recorded_at"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    with sqlite3.connect(path, timeout=30) as db:
        db.executescript(SCHEMA)
        frame = pd.read_sql_query("SELECT * FROM datasets", db)
    db.close()
    return frame
