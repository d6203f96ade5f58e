"""``bench methods``: every registered denoiser with its parameters."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    return subparsers.add_parser("methods", help="list every registered denoiser and its parameters")


def run(args: argparse.Namespace) -> int:
    from benchmark.core.registry import resolve_methods

    for method in resolve_methods(None):
        params = ", ".join(f"{k}={v!r}" for k, v in method.resolve_params().items()) or "-"
        sigma = "true sigma" if method.uses_sigma else "blind"
        print(f"{method.name:26s} {sigma:10s} {'/'.join(method.devices):9s} {params}")
        only = f" [{'/'.join(method.noise_kinds)} noise only]" if method.noise_kinds else ""
        print(f"{'':26s} {method.summary}{only}")
    return 0
