"""Where a report goes: the default report's folder, or a folder of its own for any other setting.

The default report (MNI152 test split, the paper's two noise settings, seed 0, no clipping,
oracle sigma, every method) is the one the project commits. A report of other data, other noise
settings, other images or other methods is written into a sub-folder named after what differs
(``reports/folder-scans-3f2a9c-rician-0.05/``), so it can never overwrite the default one. A
``--data`` folder is named by its last component and a short digest of its absolute path, so
two folders of one name (``/a/scans``, ``/b/scans``) get two report folders.

Examples
--------
>>> from pathlib import Path
>>> setting = Setting(dataset="mni152", split="test")
>>> setting.is_default, report_folder(Path("reports"), setting)
(True, PosixPath('reports'))
>>> other = Setting(dataset="folder:/scans/t1?window=brain", split="all", limit=5)
>>> report_folder(Path("reports"), other).name
'folder-t1-dbb22b-window-brain-first5'
>>> Setting("mni152", "test", val_limit=4).name()
'mni152-val4'
>>> report_folder(Path("reports"), Setting("mni152", "test", volumes=True))
PosixPath('reports/mni152-volumes')
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath, Path
from typing import Sequence

from benchmark.core.contract import Noise

#: The data of the paper's setting (the paper's columns appear only beside it).
PAPER_DATASET = "mni152"
PAPER_SPLIT = "test"


@dataclass(frozen=True)
class Setting:
    """What a report is of: data, split, images, noise, seed, clipping, sigma source, methods.

    ``noises`` and ``methods`` are None for the defaults (the paper's noise settings; every
    method the default report shows); ``limit`` None for every image of the split;
    ``figure_image`` None for the default image of the visual comparisons; ``val_limit``
    (validation images a fair table was tuned on) None for the default number, and ``grids``
    (a digest of the grids searched) None for the declared grids; ``volumes`` True for a
    report of whole volumes (``bench report --volumes``).
    """

    dataset: str
    split: str
    limit: int | None = None
    noises: tuple[Noise, ...] | None = None
    seed: int = 0
    clip: bool = False
    sigma_source: str = "oracle"
    methods: tuple[str, ...] | None = None
    figure_image: str | None = None
    val_limit: int | None = None
    grids: str | None = None
    volumes: bool = False

    @property
    def is_paper_data(self) -> bool:
        """Whether the data are the paper's (MNI152 test split), whatever the other options."""
        return self.dataset == PAPER_DATASET and self.split == PAPER_SPLIT

    @property
    def is_default(self) -> bool:
        """Whether this is the default report's setting."""
        return self == Setting(PAPER_DATASET, PAPER_SPLIT)

    def name(self) -> str:
        """A folder name made of what differs from the default (``default`` when nothing does)."""
        parts = [] if self.dataset == PAPER_DATASET else [_folder_slug(self.dataset)]
        if self.volumes:
            parts.append("volumes")
        if self.split not in (PAPER_SPLIT, "all" if ":" in self.dataset else PAPER_SPLIT):
            parts.append(self.split)  # a --data folder's only split, "all", goes unsaid
        if self.limit is not None:
            parts.append(f"first{self.limit}")
        if self.noises is not None:
            parts += [f"{n.kind}-{n.sigma:g}" for n in self.noises]
        if self.seed != 0:
            parts.append(f"seed{self.seed}")
        if self.clip:
            parts.append("clip")
        if self.sigma_source != "oracle":
            parts.append(f"sigma-{self.sigma_source}")
        if self.methods is not None:
            parts.append(_methods_slug(self.methods))
        if self.figure_image is not None:
            parts.append("image-" + _slug(self.figure_image))
        if self.val_limit is not None:
            parts.append(f"val{self.val_limit}")
        if self.grids is not None:
            parts.append(f"grids-{_slug(self.grids)}")
        if parts and self.dataset == PAPER_DATASET:
            parts.insert(0, PAPER_DATASET)
        return "-".join(parts) or "default"


def report_folder(base: Path, setting: Setting) -> Path:
    """``base`` for the default setting, else ``base/<setting name>``."""
    return base if setting.is_default else base / setting.name()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.") or "x"


def dataset_slug(dataset: str) -> str:
    """A dataset as a report names it: ``folder:/scans/t1?window=brain`` ->
    ``folder-t1-window-brain`` (no absolute path); a card's name as it is."""
    kind, sep, rest = dataset.partition(":")
    if not sep:
        return _slug(dataset)
    where, _, options = rest.partition("?")
    name = PurePosixPath(where.replace("\\", "/")).name or "data"
    return _slug("-".join([kind, name] + ([options] if options else [])))


def _folder_slug(dataset: str) -> str:
    """:func:`dataset_slug` with, for a ``--data`` path (``kind:/path?options``), a 6-hex digest
    of its absolute path after the name: ``folder:/a/scans`` -> ``folder-scans-<digest>``."""
    kind, sep, rest = dataset.partition(":")
    if not sep:
        return dataset_slug(dataset)
    where, _, options = rest.partition("?")
    name = PurePosixPath(where.replace("\\", "/")).name or "data"
    where_digest = digest(str(Path(where).expanduser().resolve()))
    return _slug("-".join([kind, name, where_digest] + ([options] if options else [])))


def digest(text: str) -> str:
    """The first 6 hex digits of the SHA-256 of ``text`` (names of report folders)."""
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _methods_slug(methods: Sequence[str]) -> str:
    """Up to three names spelt out; more by their count and a short digest."""
    if len(methods) <= 3:
        return "+".join(_slug(m) for m in methods)
    digest = hashlib.sha256("\n".join(methods).encode()).hexdigest()[:6]
    return f"{len(methods)}methods-{digest}"
