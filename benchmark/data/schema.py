"""Typed dataset cards: one frozen dataclass a card table, checked when the card is read.

A card is TOML (``benchmark/data/datasets/*.toml``). :func:`parse_card` turns the parsed
tables into a :class:`Card`; an unknown key or table, a value of the wrong type or a missing
``[loader]`` is a :class:`~benchmark.core.errors.BenchError` of one line that names the file and
suggests the closest valid key (``unknown key 'sise' in [loader] of x.toml; did you mean
'size'?``). docs/data.md lists every field.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from benchmark.core.errors import BenchError
from benchmark.core.masks import MaskRecipe
from benchmark.data.corpus import Augment, Source, check_corpus
from benchmark.data.curves import Simulation

#: Loader kinds a card may name (the modules of :mod:`benchmark.data.loaders`).
LOADER_KINDS = ("nilearn-mni152", "folder", "nifti", "dicom", "skimage-data", "dce-sim",
                "package-images", "corpus", "us-phantom",
                "ct-phantom")
NORMALISATIONS = ("percentile", "window", "volume-max", "dtype-max", "none")
AXES = ("axial", "coronal", "sagittal", 0, 1, 2)
#: Anatomy-mask methods of ``[anatomy]``: the threshold recipe, or the whole image.
ANATOMY_METHODS = ("threshold-morphology", "whole-image")


@dataclass(frozen=True)
class Loader:
    """``[loader]``: which reader, where its files are, which slices, which size."""

    kind: str
    path: str | None = None          # file or folder; relative to the card's own folder
    strict: bool = False             # skipped inputs are errors
    size: tuple[int, int] | None = None  # centre-crop / zero-pad every image to [H, W]
    slices: tuple[float, float] | None = None  # [start, stop]: indices (int) or fractions (float)
    step: int = 1                    # every step-th slice
    axis: str | int = "axial"        # nifti: axial, coronal, sagittal; mni152: 0, 1, 2
    volume: int = 0                  # the volume of a 4-D NIfTI
    non_finite: str | None = None    # "zero": NaN/inf voxels become 0 (recorded)
    resolution: int = 1              # nilearn-mni152: template resolution in mm
    max_pixels: int | None = None    # size guard per 2-D image (default: limits.MAX_PIXELS)
    max_voxels: int | None = None    # size guard per volume (default: limits.MAX_VOXELS)


@dataclass(frozen=True)
class Normalisation:
    """``[normalisation]``: how stored values become [0, 1]."""

    method: str | None = None        # percentile, window, volume-max, dtype-max, none
    high: float = 99.5               # percentile: this percentile -> 1
    window: str | tuple[float, float] | None = None  # window: a preset, "file" or [centre, width]


@dataclass(frozen=True)
class Local:
    """``[local]``: where the files go under ``$BENCH_DATA`` and how they are laid out."""

    folder: str | None = None
    layout: str | None = None


@dataclass(frozen=True)
class Fetch:
    """``[fetch]``: the page to read, direct downloads with their MD5, or the manual steps."""

    page: str | None = None
    urls: tuple[str, ...] = ()
    md5: tuple[str, ...] = ()
    manual: str | None = None


@dataclass(frozen=True)
class Split:
    """One split: files chosen by globs and subject buckets, or slice ranges, or image names."""

    include: tuple[str, ...] = ("*",)            # globs on the path relative to the data folder
    exclude: tuple[str, ...] = ()
    buckets: tuple[int, int] | None = None       # [lo, hi) of 100 subject-hash buckets
    slices: tuple[float, float] | None = None    # overrides [loader] slices for this split
    ranges: tuple[tuple[int, int], ...] = ()     # nilearn-mni152, us-phantom, ct-phantom: half-open index ranges
    images: tuple[str, ...] = ()                 # skimage-data: names of skimage.data images


@dataclass(frozen=True)
class Splits:
    """``[splits]``: ``group`` (regex naming a file's subject) and the named splits."""

    group: str | None = None
    named: dict[str, Split] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.named

    def __getitem__(self, name: str) -> Split:
        return self.named[name]

    def __iter__(self):
        return iter(self.named)

    def __bool__(self) -> bool:
        return bool(self.named)


@dataclass(frozen=True)
class Anatomy:
    """``[anatomy]``: the anatomy-mask recipe the card documents (see benchmark.core.masks)."""

    method: str = "threshold-morphology"
    threshold: float = 0.05
    closing_radius: int = 3
    min_size: int = 64

    def recipe(self) -> MaskRecipe:
        """The :class:`~benchmark.core.masks.MaskRecipe` this table describes."""
        return MaskRecipe(threshold=float(self.threshold), closing_radius=self.closing_radius,
                          min_size=self.min_size, whole=self.method == "whole-image")


@dataclass(frozen=True)
class Card:
    """A dataset card: what the data are, where they live, how they are read and split."""

    name: str
    loader: Loader
    root: Path                          # the card's folder: relative paths start here
    title: str = ""
    modality: str | None = None
    source: str = ""
    licence: str = ""
    description: str = ""
    normalisation: Normalisation = Normalisation()
    local: Local = Local()
    fetch: Fetch = Fetch()
    splits: Splits = Splits()
    anatomy: Anatomy | None = None
    simulation: Simulation | None = None
    sources: dict[str, Source] = field(default_factory=dict)  # corpus cards (benchmark.data.corpus)
    augment: Augment | None = None

    @property
    def data(self) -> str:
        """What one item of this card is: ``"curve"`` for a DCE simulation, else ``"image"``."""
        return "curve" if self.loader.kind == "dce-sim" else "image"

    def with_loader(self, **changes: Any) -> "Card":
        """A copy whose ``[loader]`` has ``changes`` (e.g. ``strict=True`` from ``--strict``)."""
        return dataclasses.replace(self, loader=dataclasses.replace(self.loader, **changes))


_TABLES = {"loader": Loader, "normalisation": Normalisation, "local": Local, "fetch": Fetch,
           "anatomy": Anatomy, "simulation": Simulation, "augment": Augment}
_TOP = ("name", "title", "modality", "source", "licence", "description", *_TABLES, "splits",
        "sources")


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(known)}"


def _unknown(key: str, known: list[str], where: str, source: str) -> BenchError:
    return BenchError(f"unknown key {key!r} in {where} of {source}; {_suggest(key, known)}")


def _describe(kind: Any) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list (each {_describe(args[0])})"
        return f"a list of {len(args)} values (each {_describe(args[0])})"
    return {str: "text", int: "an integer", float: "a number", bool: "true or false"}.get(
        kind, str(kind))


def _convert(value: Any, kind: Any) -> Any:
    """``value`` as ``kind`` (str, int, float, bool, tuples, unions); ValueError when it is not."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (Union, types.UnionType):
        for option in args:
            if option is type(None):
                continue
            try:
                return _convert(value, option)
            except ValueError:
                pass
        raise ValueError
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0]) for v in value)
        if len(value) != len(args):
            raise ValueError
        return tuple(_convert(v, a) for v, a in zip(value, args))
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        return value  # an int stays an int: slices = [4, 8] are indices, [0.3, 0.7] fractions
    if kind is int and isinstance(value, bool):
        raise ValueError
    if not isinstance(value, kind):
        raise ValueError
    return value


def _build(cls: type, table: Any, where: str, source: str) -> Any:
    """An instance of the dataclass ``cls`` from a TOML table, every key and type checked."""
    if not isinstance(table, dict):
        raise BenchError(f"{where} of {source} must be a table ([{where.strip('[]')}])")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in table.items():
        if key not in known:
            raise _unknown(key, known, where, source)
        try:
            values[key] = _convert(value, hints[key])
        except ValueError:
            raise BenchError(f"{key} = {value!r} in {where} of {source} must be "
                             f"{_describe(hints[key])}") from None
    try:
        return cls(**values)
    except TypeError:  # a required field left out
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                   and f.name not in values]
        raise BenchError(f"{where} of {source} needs {', '.join(missing)}") from None


def _split(name: str, value: Any, source: str) -> Split:
    where = f"[splits.{name}]"
    if isinstance(value, dict):
        return _build(Split, value, where, source)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return Split(images=tuple(value))
    if isinstance(value, list):
        try:
            return Split(ranges=_convert(value, tuple[tuple[int, int], ...]))
        except ValueError:
            pass
    raise BenchError(f"splits.{name} in {source} must be a table, a list of [start, stop] "
                     "slice ranges or a list of image names")


def _splits(table: Any, source: str) -> Splits:
    if not isinstance(table, dict):
        raise BenchError(f"splits in {source} must be a table ([splits])")
    group = table.get("group")
    if group is not None and not isinstance(group, str):
        raise BenchError(f"group = {group!r} in [splits] of {source} must be text (a regex)")
    named = {k: _split(k, v, source) for k, v in table.items() if k != "group"}
    return Splits(group=group, named=named)


def _check_values(card: Card, source: str) -> None:
    loader, norm = card.loader, card.normalisation
    if loader.kind not in LOADER_KINDS:
        raise BenchError(f"kind = {loader.kind!r} in [loader] of {source}: unknown loader; "
                         f"{_suggest(loader.kind, list(LOADER_KINDS))}")
    if loader.axis not in AXES:
        raise BenchError(f"axis = {loader.axis!r} in [loader] of {source}; use axial, coronal, "
                         "sagittal or 0, 1, 2")
    if loader.non_finite not in (None, "zero"):
        raise BenchError(f"non_finite = {loader.non_finite!r} in [loader] of {source}; the only "
                         "choice is \"zero\" (leave it out to skip slices with NaN/inf)")
    if norm.method is not None and norm.method not in NORMALISATIONS:
        raise BenchError(f"method = {norm.method!r} in [normalisation] of {source}; "
                         f"{_suggest(norm.method, list(NORMALISATIONS))}")
    if card.anatomy is not None and card.anatomy.method not in ANATOMY_METHODS:
        raise BenchError(f"method = {card.anatomy.method!r} in [anatomy] of {source}; "
                         f"{_suggest(card.anatomy.method, list(ANATOMY_METHODS))}")
    for number, what in ((loader.step, "step"), (loader.max_pixels, "max_pixels"),
                         (loader.max_voxels, "max_voxels")):
        if number is not None and number < 1:
            raise BenchError(f"{what} = {number} in [loader] of {source} must be 1 or more")
    for name, split in card.splits.named.items():
        if split.buckets and not 0 <= split.buckets[0] <= split.buckets[1] <= 100:
            raise BenchError(f"buckets = {list(split.buckets)} in [splits.{name}] of {source}; "
                             "give [lo, hi] with 0 <= lo <= hi <= 100")


def parse_card(data: dict[str, Any], *, source: str, root: str | Path,
               default_name: str | None = None) -> Card:
    """A checked :class:`Card` from a card's TOML tables.

    Parameters
    ----------
    data : dict
        The card as ``tomllib`` parsed it.
    source : str
        The card's file (or another label) for error messages.
    root : str or Path
        The folder that relative ``[loader] path`` values start from.
    default_name : str, optional
        The name when the card sets none (the file's stem).

    Raises
    ------
    BenchError
        For an unknown key or table (with the closest valid one), a value of the wrong type,
        or a card without ``[loader]``.

    Examples
    --------
    >>> parse_card({"loader": {"kind": "folder", "path": "x"}}, source="toy", root=".",
    ...            default_name="toy").loader.path
    'x'
    """
    for key in data:
        if key not in _TOP:
            raise _unknown(key, list(_TOP), "the top level", source)
    if "loader" not in data:
        raise BenchError(f"{source} has no [loader] table; a card needs one, e.g. [loader] "
                         f"kind = \"folder\" (kinds: {', '.join(LOADER_KINDS)})")
    tops = {}
    for key in ("name", "title", "modality", "source", "licence", "description"):
        if key in data:
            if not isinstance(data[key], str):
                raise BenchError(f"{key} = {data[key]!r} in {source} must be text")
            tops[key] = data[key]
    tables = {key: _build(cls, data[key], f"[{key}]", source)
              for key, cls in _TABLES.items() if key in data}
    if "splits" in data:
        tables["splits"] = _splits(data["splits"], source)
    if "sources" in data:
        if not isinstance(data["sources"], dict):
            raise BenchError(f"sources in {source} must be a table ([sources.NAME])")
        tables["sources"] = {name: _build(Source, value, f"[sources.{name}]", source)
                             for name, value in data["sources"].items()}
    name = tops.pop("name", default_name)
    if not name:
        raise BenchError(f"{source} has no name; add name = \"...\"")
    card = Card(name=name, root=Path(root), **tops, **tables)
    _check_values(card, source)
    check_corpus(card, source)
    return card
