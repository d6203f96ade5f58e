"""``bench methods``: every registered denoiser with its parameters, and whether it can run here."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    return subparsers.add_parser("methods", help="list every registered denoiser and its parameters")


def unavailable(method) -> str | None:
    """Why ``method`` cannot run here (a missing optional dependency and its ``pip install``).

    A method declares it with an ``unavailable()`` function attribute that returns the reason,
    or None when it can run.
    """
    check = getattr(method.function, "unavailable", None)
    return check() if callable(check) else None


def run(args: argparse.Namespace) -> int:
    from benchmark.core.noise import noise_kinds
    from benchmark.core.registry import resolve_methods

    for method in resolve_methods(None, opt_in=True):
        params = ", ".join(f"{k}={v!r}" for k, v in method.resolve_params().items()) or "-"
        sigma = "true sigma" if method.uses_sigma else "blind"
        print(f"{method.name:26s} {sigma:10s} {'/'.join(method.devices):9s} {params}")
        only = f" [{'/'.join(method.noise_kinds)} noise only]" if method.noise_kinds else ""
        if method.data != "image":  # e.g. DCE curves: say what it takes and under which noise
            kinds = "/".join(k for k in noise_kinds() if method.applies_to(k))
            only += f" [{method.data}s, {kinds} noise]"
        if method.opt_in:
            only += " [opt-in: runs only when named]"
        print(f"{'':26s} {method.summary}{only}")
        reason = unavailable(method)
        if reason:
            print(f"{'':26s} UNAVAILABLE: {reason}")
    return 0
