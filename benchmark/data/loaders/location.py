"""Where a card's files live: an environment variable, the card's path, or the data folder.

For a card named ``ixi-t1`` the first of these that is set wins:

1. ``BENCH_DATA_IXI_T1`` (the card name upper-cased, other characters as ``_``): the folder itself;
2. ``[loader] path`` in the card: absolute, relative to the card's own folder, or
   ``package:NAME/inner/path``, a file shipped inside the installed Python package ``NAME``
   (e.g. ``package:dipy/data/files/S0_10slices.nii.gz``; :func:`package_file`);
3. ``$BENCH_DATA/<[local] folder>`` (``BENCH_DATA`` defaults to ``data/`` in the working folder), which
   is where ``bench data fetch`` unpacks downloads.
"""

from __future__ import annotations

import importlib.util
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


#: Prefix of a ``[loader] path`` that names a file inside an installed Python package.
PACKAGE_PREFIX = "package:"


def package_file(spec: str, card: str = "") -> Path:
    """The file ``package:NAME/inner/path`` names: ``inner/path`` under the installed package
    ``NAME``'s folder (found without importing it).

    Raises
    ------
    BenchError
        When the package is not installed (naming the ``pip install``).

    Examples
    --------
    >>> package_file("package:benchmark/data/datasets/mni152.toml").name
    'mni152.toml'
    """
    package, _, inner = spec[len(PACKAGE_PREFIX):].partition("/")
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        who = f"dataset {card!r}" if card else spec
        raise BenchError(f"{who} reads a file shipped with the Python package {package!r}, "
                         f"which is not installed; pip install {package}")
    return Path(list(found.submodule_search_locations)[0]) / inner


def card_location(card: Card) -> Path:
    """The file or folder a card reads (see the module docstring for the order)."""
    override = os.environ.get(env_name(card))
    if override:
        return Path(override).expanduser()
    if card.loader.path and card.loader.path.startswith(PACKAGE_PREFIX):
        return package_file(card.loader.path, card.name)
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
