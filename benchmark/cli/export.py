"""``bench export``: every stored cell, with its provenance, as CSV."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from benchmark.core.errors import BenchError
from benchmark.core.paths import DEFAULT_STORE


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("export", help="write every stored cell as CSV")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"SQLite run store (default: {DEFAULT_STORE}); read-only works")
    parser.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.engine.store import Store

    if args.out is not None:
        check_out_file(args.out)
    with Store(args.store) as store:
        if not store.exists:
            raise BenchError(f"--store {args.store} does not exist; run 'bench run' first")
        frame = store.frame()
    if args.out is None:
        frame.to_csv(sys.stdout, index=False)
        return 0
    write_atomically(args.out, lambda handle: frame.to_csv(handle, index=False))
    print(f"{len(frame)} cells -> {args.out}")
    return 0


def check_out_file(out: Path) -> None:
    """Refuse, in one line, an output file that cannot be written (before any work)."""
    folder = out.parent
    if out.is_dir():
        raise BenchError(f"--out {out} is a folder; give a file such as {out / 'cells.csv'}")
    if not folder.is_dir():
        raise BenchError(f"--out {out}: folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise BenchError(f"--out {out}: folder {folder} is not writable; give another --out")


def write_atomically(out: Path, write) -> None:
    """``write(handle)`` into a temporary file beside ``out``, then rename it to ``out``: a
    failure leaves no half-written file."""
    handle = tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.",
                                         suffix=".partial", delete=False, newline="")
    try:
        with handle:
            write(handle)
        os.replace(handle.name, out)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise BenchError(f"--out {out}: {error.strerror}; give another --out") from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
