"""Where a card's files live: an environment variable, the card's path, or the data folder.

For a card named ``ixi-t1`` the first of these that is set wins:

1. ``BENCH_DATA_IXI_T1`` (the card name upper-cased, other characters as ``_``): the folder itself;
2. ``[loader] path`` in the card: absolute, or relative to the card's own folder;
3. ``$BENCH_DATA/<[local] folder>`` (``BENCH_DATA`` defaults to ``data/`` in the working folder), which
   is where ``bench data fetch`` unpacks downloads.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.data.schema import Card


def env_name(card: Card) -> str:
    """The environment variable that points a card at its files (``BENCH_DATA_<NAME>``)."""
    return "BENCH_DATA_" + re.sub(r"[^A-Z0-9]", "_", card.name.upper())


def data_root() -> Path:
    """The folder that holds fetched datasets: ``$BENCH_DATA`` or ``data/`` in the working folder."""
    return Path(os.environ.get("BENCH_DATA", "data"))


def card_location(card: Card) -> Path:
    """The file or folder a card reads (see the module docstring for the order)."""
    override = os.environ.get(env_name(card))
    if override:
        return Path(override).expanduser()
    if card.loader.path:
        path = Path(card.loader.path).expanduser()
        return path if path.is_absolute() else card.root / path
    folder = card.local.folder
    if not folder:
        raise BenchError(f"dataset card {card.name!r} names no [loader] path nor [local] folder")
    return data_root() / folder


def require_location(card: Card) -> Path:
    """:func:`card_location`, or a one-line error that says how to provide the files."""
    where = card_location(card)
    if not where.exists():
        hint = (f"run 'bench data fetch {card.name}'" if card.fetch.urls or card.fetch.manual
                or card.fetch.page
                else "put the files there")
        raise BenchError(f"dataset {card.name!r}: {where} does not exist; {hint}, or set "
                         f"{env_name(card)}=/path/to/the/files")
    return where
