"""``bench export``: every stored cell, with its provenance, as CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.core.errors import BenchError
from benchmark.core.paths import DEFAULT_STORE


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("export", help="write every stored cell as CSV")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"SQLite run store (default: {DEFAULT_STORE})")
    parser.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.engine.store import Store

    if not args.store.exists():
        raise BenchError(f"--store {args.store} does not exist; run 'bench run' first")
    with Store(args.store) as store:
        frame = store.frame()
    frame.to_csv(args.out if args.out else sys.stdout, index=False)
    if args.out:
        print(f"{len(frame)} cells -> {args.out}")
    return 0
