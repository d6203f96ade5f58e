"""The denoiser registry: a decorator to register, a lookup that suggests near names.

Importing :mod:`methods` registers every shipped denoiser; :func:`get_method` and
:func:`method_names` do that import on first use, then import the plugins named in the
environment variable ``BENCH_PLUGINS`` (module names or ``.py`` files, separated by
``os.pathsep``), so that a method in a file of its own is found by every command and by the
sweep's worker processes (see ``docs/adding-a-method.md``).

Variants follow from what a method declares: registering a plain per-item method that reads
sigma also registers one variant per fair transform of every noise model (Rician bias
correction and VST: ``tv.rician-bc``, ``tv.rician-vst``), with ``base`` set to the method's
name; the grid a method declares is its variants' grid too.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from benchmark.core.contract import (DATA_SHAPES, PRECISIONS, Denoiser, ImageFunction, Noise,
                                     runs_on)
from benchmark.core.errors import BenchError, UnknownNameError
from benchmark.core.noise import get_noise_model, noise_kinds

#: Environment variable naming extra modules that register methods.
PLUGINS_VARIABLE = "BENCH_PLUGINS"

_REGISTRY: dict[str, Denoiser] = {}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)?$")
_WILDCARD = re.compile(r"[*?\[]")
_loaded = False


def register(
    name: str,
    *,
    params: Mapping[str, Any] | None = None,
    uses_sigma: bool = True,
    devices: tuple[str, ...] = ("cpu",),
    batched: bool = False,
    cost: float = 1.0,
    summary: str = "",
    weights: Callable[[Mapping[str, Any]], str] | None = None,
    noise_kinds: Sequence[str] | None = None,
    data: str = "image",
    grid: Mapping[str, Sequence[Any]] | None = None,
    opt_in: bool = False,
    precisions: Sequence[str] = ("fp32",),
    availability: Callable[[Noise, Mapping[str, Any]], str | None] | None = None,
) -> Callable[[ImageFunction], ImageFunction]:
    """Register a denoiser function under ``name`` (``family`` or ``family.variant``).

    The keyword arguments are the fields of :class:`~benchmark.core.contract.Denoiser`. The
    decorated function is returned unchanged, so it stays an ordinary function.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> @register("example-blur", params={"width": 1.0}, uses_sigma=False,
    ...           grid={"width": [0.5, 1.0, 2.0]})
    ... def example_blur(image, noise, *, width):
    ...     return ndimage.gaussian_filter(image, width)
    >>> get_method("example-blur").grid["width"]
    [0.5, 1.0, 2.0]
    >>> unregister("example-blur")
    """

    def decorator(function: ImageFunction) -> ImageFunction:
        add(
            Denoiser(
                name=name,
                function=function,
                params=dict(params or {}),
                uses_sigma=uses_sigma,
                devices=tuple(devices),
                batched=batched,
                cost=cost,
                summary=summary or (function.__doc__ or "").strip().split("\n")[0],
                weights=weights,
                noise_kinds=None if noise_kinds is None else tuple(noise_kinds),
                data=data,
                grid={key: list(values) for key, values in (grid or {}).items()},
                opt_in=opt_in,
                precisions=tuple(precisions),
                availability=availability,
            )
        )
        return function

    return decorator


def add(denoiser: Denoiser) -> Denoiser:
    """Add a ready :class:`Denoiser`, then the variants its declarations call for.

    Raises
    ------
    ValueError
        For a malformed or duplicate name, an unknown data or noise kind, or a grid naming a
        parameter the method does not have.
    """
    _validate(denoiser)
    _REGISTRY[denoiser.name] = denoiser
    if denoiser.base is None:
        for kind in noise_kinds():
            model = get_noise_model(kind)
            for transform in model.fair_transforms:
                if transform.accepts(denoiser) and denoiser.data in model.data:
                    add(transform.variant(denoiser, kind))
    return denoiser


def _validate(denoiser: Denoiser) -> None:
    if not _NAME.match(denoiser.name):
        raise ValueError(
            f"denoiser name {denoiser.name!r} must be 'family' or 'family.variant' in lower-case "
            "letters, digits and '-'"
        )
    if denoiser.name in _REGISTRY:
        raise ValueError(f"a denoiser named {denoiser.name!r} is already registered")
    if denoiser.data not in DATA_SHAPES:
        raise ValueError(f"{denoiser.name}: data {denoiser.data!r} is not one of "
                         f"{', '.join(DATA_SHAPES)}")
    for kind in denoiser.noise_kinds or ():
        try:
            get_noise_model(kind)
        except UnknownNameError as error:
            raise ValueError(f"{denoiser.name}: {error}") from None
    if "fp32" not in denoiser.precisions or set(denoiser.precisions) - set(PRECISIONS):
        raise ValueError(f"{denoiser.name}: precisions {denoiser.precisions!r} must hold 'fp32' "
                         f"and only {', '.join(PRECISIONS)}")
    for parameter, values in denoiser.grid.items():
        if parameter not in denoiser.params:
            raise ValueError(f"{denoiser.name}: grid parameter {parameter!r} is not one of its "
                             f"parameters ({', '.join(denoiser.params) or 'none'})")
        if not values:
            raise ValueError(f"{denoiser.name}: grid of {parameter!r} is empty")


def unregister(name: str) -> None:
    """Remove a denoiser and the variants derived from it (for tests and experiments)."""
    _REGISTRY.pop(name, None)
    for variant in [d.name for d in _REGISTRY.values() if d.base == name]:
        _REGISTRY.pop(variant, None)


def load_methods() -> None:
    """Import :mod:`methods` once (every shipped denoiser), then the ``BENCH_PLUGINS``."""
    global _loaded
    if not _loaded:
        _loaded = True  # first: a plugin that looks a method up must not load itself again
        try:
            importlib.import_module("methods")
            for entry in plugin_entries():
                load_plugin(entry)
        except BaseException:
            _loaded = False
            raise


def plugin_entries() -> list[str]:
    """The entries of ``BENCH_PLUGINS``: module names or ``.py`` paths, ``os.pathsep``-separated."""
    return [e.strip() for e in os.environ.get(PLUGINS_VARIABLE, "").split(os.pathsep) if e.strip()]


def load_plugin(entry: str) -> None:
    """Import one plugin: a module name (``my_methods``) or a file (``/path/my_method.py``).

    Raises
    ------
    BenchError
        In one line, when the module cannot be found or fails while being imported.
    """
    try:
        if entry.endswith(".py") or os.sep in entry:
            path = Path(entry).expanduser().resolve()
            if not path.is_file():
                raise BenchError(f"{PLUGINS_VARIABLE} entry {entry!r}: no such file")
            module_name = "bench_plugin_" + re.sub(r"\W", "_", path.stem)
            if module_name in sys.modules:
                return
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(module_name, None)
                raise
        else:
            importlib.import_module(entry)
    except BenchError:
        raise
    except Exception as error:
        message = " ".join(str(error).split())
        raise BenchError(f"{PLUGINS_VARIABLE} entry {entry!r} failed to import: "
                         f"{type(error).__name__}: {message}") from None


def method_names() -> list[str]:
    """Names of all registered denoisers, in registration order."""
    load_methods()
    return list(_REGISTRY)


def get_method(name: str) -> Denoiser:
    """The denoiser registered as ``name``.

    Raises
    ------
    UnknownNameError
        With close matches and the full list, e.g. "Unknown denoiser 'bm3x'. Did you mean: bm3d, bm4d?"
    """
    load_methods()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(_unknown_message("denoiser", name, list(_REGISTRY))) from None


def resolve_methods(names: Sequence[str] | None, *, kind: str | None = None,
                    variants: bool = True, data: str | None = None,
                    opt_in: bool = False) -> list[Denoiser]:
    """Look up several names or shell-style patterns (``'nlm*'``, matched with :mod:`fnmatch`).

    An opt-in method (:attr:`Denoiser.opt_in`, e.g. ``bm3d.fast``) is selected only by its
    name: "all methods" and patterns leave it out, unless ``opt_in`` is true.

    Parameters
    ----------
    names : sequence of str, optional
        Names and patterns; ``None`` or empty means every registered denoiser.
    kind : str, optional
        A noise kind: "all methods" and pattern matches keep only the methods that apply to
        it; a method named outright that does not apply is an error.
    variants : bool
        With no ``names``: include the derived variants (``base`` set). Patterns and names
        always may select them.
    data : str, optional
        A data kind: keep only the methods that run on it
        (:func:`benchmark.core.contract.runs_on`: volumes also take the image methods, slice
        by slice); a method named outright that does not is an error.
    opt_in : bool
        Let "all methods" and patterns select the opt-in methods too (listings).

    Returns
    -------
    list of Denoiser
        In the order given (patterns: registration order), without duplicates.

    Raises
    ------
    UnknownNameError
        For an unknown name or a pattern that matches nothing.
    BenchError
        For a method named outright that does not apply to noise ``kind`` or data ``data``.
    """
    registered = method_names()
    fits = (lambda method: True) if data is None else (lambda method: runs_on(method, data))
    applies = ((lambda method: fits(method)) if kind is None
               else (lambda method: fits(method) and method.applies_to(kind)))
    chosen = (lambda method: applies(method) and (opt_in or not method.opt_in))
    if not names:
        return [m for m in map(get_method, registered)
                if chosen(m) and (variants or m.base is None)]
    seen: dict[str, Denoiser] = {}
    for name in names:
        if _WILDCARD.search(name):
            matched = fnmatch.filter(registered, name)
            if not matched:
                raise UnknownNameError(f"no denoiser matches {name!r}. Available: "
                                       f"{', '.join(registered)}")
            for match in matched:
                if chosen(get_method(match)):
                    seen.setdefault(match, get_method(match))
            continue
        method = get_method(name)
        if not fits(method):
            hint = ("; run it with --volumes (bench run, bench report)"
                    if method.data == "volume" else "; drop it")
            raise BenchError(f"{name} denoises {method.data}s; it does not run on {data}s{hint}")
        if not applies(method):
            kinds = [k for k in noise_kinds() if method.applies_to(k)]
            raise BenchError(f"{name} does not apply to {kind} noise (it applies to "
                             f"{', '.join(kinds) or 'none'}); drop it or choose that noise")
        seen.setdefault(name, method)
    return list(seen.values())


def _unknown_message(what: str, name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"Unknown {what} {name!r}.{hint} Available: {', '.join(available)}"


def unknown_name(what: str, name: str, available: list[str]) -> BenchError:
    """An :class:`UnknownNameError` for any kind of name, with did-you-mean suggestions."""
    return UnknownNameError(_unknown_message(what, name, available))


def trained_variants(methods: Sequence[Denoiser], noise: Noise) -> list[Denoiser]:
    """The opt-in variants of ``methods`` whose trained weights cover ``noise``, less those among
    ``methods`` already (``cdae.residual`` under ``ldct``): rows of a further kind's table, its
    ``bench fair`` table and its ``bench check`` baseline beside their base.

    Examples
    --------
    >>> trained_variants([get_method("tv")], Noise("ldct", 0.25))
    []
    """
    have = {m.name for m in methods}
    return [other for other in map(get_method, method_names())
            if other.base in have and other.opt_in and other.name not in have
            and other.trained_for(noise)]
