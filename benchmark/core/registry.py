"""The denoiser registry: a decorator to register, a lookup that suggests near names.

Importing :mod:`methods` registers every shipped denoiser; :func:`get_method` and
:func:`method_names` do that import on first use.
"""

from __future__ import annotations

import difflib
import importlib
import re
from typing import Any, Callable, Mapping

from benchmark.core.contract import Denoiser, ImageFunction
from benchmark.core.errors import BenchError, UnknownNameError

_REGISTRY: dict[str, Denoiser] = {}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)?$")
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
) -> Callable[[ImageFunction], ImageFunction]:
    """Register a denoiser function under ``name`` (``family`` or ``family.variant``).

    The decorated function is returned unchanged, so it stays an ordinary function.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> @register("example-blur", params={"width": 1.0}, uses_sigma=False)
    ... def example_blur(image, noise, *, width):
    ...     return ndimage.gaussian_filter(image, width)
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
            )
        )
        return function

    return decorator


def add(denoiser: Denoiser) -> Denoiser:
    """Add a ready :class:`Denoiser` (e.g. a variant sharing another's function)."""
    if not _NAME.match(denoiser.name):
        raise ValueError(
            f"denoiser name {denoiser.name!r} must be 'family' or 'family.variant' in lower-case "
            "letters, digits and '-'"
        )
    if denoiser.name in _REGISTRY:
        raise ValueError(f"a denoiser named {denoiser.name!r} is already registered")
    _REGISTRY[denoiser.name] = denoiser
    return denoiser


def unregister(name: str) -> None:
    """Remove a denoiser (for tests and interactive experiments)."""
    _REGISTRY.pop(name, None)


def load_methods() -> None:
    """Import the :mod:`methods` package once, which registers every shipped denoiser."""
    global _loaded
    if not _loaded:
        importlib.import_module("methods")
        _loaded = True


def method_names() -> list[str]:
    """Names of all registered denoisers, in registration order."""
    load_methods()
    return list(_REGISTRY)


def get_method(name: str) -> Denoiser:
    """The denoiser registered as ``name``.

    Raises
    ------
    UnknownNameError
        With close matches and the full list, e.g. "Unknown denoiser 'bm4'. Did you mean: bm3d?"
    """
    load_methods()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(_unknown_message("denoiser", name, list(_REGISTRY))) from None


def resolve_methods(names: list[str] | None) -> list[Denoiser]:
    """Look up several names; ``None`` or empty means every registered denoiser."""
    if not names:
        return [get_method(n) for n in method_names()]
    seen: dict[str, Denoiser] = {}
    for name in names:
        seen.setdefault(name, get_method(name))
    return list(seen.values())


def _unknown_message(what: str, name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"Unknown {what} {name!r}.{hint} Available: {', '.join(available)}"


def unknown_name(what: str, name: str, available: list[str]) -> BenchError:
    """An :class:`UnknownNameError` for any kind of name, with did-you-mean suggestions."""
    return UnknownNameError(_unknown_message(what, name, available))
