"""Shared pieces of the ``bench`` subcommands: one-line errors, data and run options, the sweep."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from benchmark.core.errors import BenchError
from benchmark.core.paths import DEFAULT_STORE

class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str):  # argparse's hook
        raise BenchError(f"{message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of 0 or more")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number above 0, e.g. 1e-3")
    return value


def add_data_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", default=None,
                        help="dataset card: a shipped card's name (see 'bench data info "
                             "CARD') or a .toml file (default: mni152, shipped with nilearn; "
                             "for bench run, the noise kind's own card: us-phantom for speckle, "
                             "ct-phantom for ldct)")
    source.add_argument("--data", metavar="PATH",
                        help="a DICOM, NIfTI or PNG/JPEG/TIFF file or folder instead of a card "
                             "(kind detected; see 'bench data info PATH')")
    parser.add_argument("--window", default=None, metavar="NAME",
                        help="CT window for --data: brain, subdural, abdomen, lung, bone, file "
                             "(the DICOM's own; default) or CENTRE,WIDTH in HU "
                             "(--window=-600,1500 for a negative centre)")
    parser.add_argument("--strict", action="store_true",
                        help="unreadable or unusable files/slices are errors, not skipped")
    add_limit_options(parser)
    parser.add_argument("--split", default=None,
                        help="split of the card (default: test; a --data folder has 'all')")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="use only the first N images of the split")
    parser.add_argument("--seed", type=int, default=0, help="noise replicate (default: 0)")
    parser.add_argument("--clip", action="store_true", help="clip noisy images to [0, 1]")


def add_volumes_option(parser: argparse.ArgumentParser) -> None:
    """``--volumes``: one cell a whole volume (benchmark.data.volumes)."""
    parser.add_argument("--volumes", action="store_true",
                        help="one cell a whole volume (D, H, W): the card's volumes (mni152: "
                             "the test slabs) or the --data NIfTI/DICOM series; 3-D methods "
                             "on each volume, image methods slice by slice (docs/volumes.md)")


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """``--max-pixels`` / ``--max-voxels``: raise the size guards (benchmark.data.limits)."""
    parser.add_argument("--max-pixels", metavar="N", default=None,
                        help="largest image to decode, in pixels (default 8192^2 = 67108864, or "
                             "$BENCH_MAX_PIXELS; K/M/G suffixes allowed)")
    parser.add_argument("--max-voxels", metavar="N", default=None,
                        help="largest volume to decode, in voxels (default 100M, or "
                             "$BENCH_MAX_VOXELS)")


def limits(args: argparse.Namespace) -> dict:
    """The ``[loader]`` fields that ``--max-pixels`` / ``--max-voxels`` set, parsed."""
    from benchmark.data.limits import parse_count

    return {field: parse_count(getattr(args, field), "--" + field.replace("_", "-"))
            for field in ("max_pixels", "max_voxels") if getattr(args, field, None)}


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                        help="worker processes for CPU cells (default: all cores)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="device for methods that can use a GPU (default: auto)")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"SQLite run store (default: {DEFAULT_STORE})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--sigma-source", default="oracle", choices=("oracle", "estimated"),
                        help="sigma given to methods: the true level (oracle, default) or one "
                             "estimated from each noisy image (blind mode)")
    parser.add_argument("--executor", default="process", choices=("process", "dask"),
                        help="where CPU cells run: local worker processes (process, default) or "
                             "a Dask cluster (dask; pip install \"dask[distributed]\"; see "
                             "docs/cluster.md)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="with --executor dask: a running scheduler, tcp://HOST:PORT "
                             "(default: a local cluster of --jobs workers)")


def data_options(args: argparse.Namespace) -> dict:
    """The data options of :func:`add_data_options`, as workflow keyword arguments."""
    return dict(dataset=args.dataset or "mni152", data=args.data, window=args.window,
                strict=args.strict,
                split=args.split, limit=args.limit, seed=args.seed, clip=args.clip, **limits(args))


def run_options(args: argparse.Namespace) -> dict:
    """The run options of :func:`add_run_options` (and the command line), as workflow keyword
    arguments."""
    return dict(jobs=args.jobs, device=args.device, store=args.store,
                sigma_source=getattr(args, "sigma_source", "oracle"),
                executor=args.executor, scheduler=args.scheduler,
                progress_bar=not args.quiet, command=getattr(args, "command_line", "bench"))


def print_sweep(outcome, store: Path) -> int:
    """Print what a sweep did (cells computed, cached, failed and the first failures)."""
    print(f"{outcome.computed} cells computed, {outcome.skipped} already in {store}, "
          f"{len(outcome.failed)} failed")
    return print_failures(outcome.failed)


def print_failures(failed) -> int:
    """Print the first ten failed cells; the exit status: 1 when any failed, else 0."""
    for key, error in failed[:10]:
        print(f"  failed: {key.method} on {key.image_id} ({key.noise} {key.sigma:g}): {error}")
    return 1 if failed else 0


def add_budget_options(parser: argparse.ArgumentParser) -> None:
    """Seed and budget options shared with ``bench train`` (each overrides the quick profile)."""
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--epochs", type=positive_int, help="override the profile's epochs")
    parser.add_argument("--steps", type=positive_int, help="batches per epoch (override)")
    parser.add_argument("--crop", type=positive_int, help="crop size in pixels (override)")
    parser.add_argument("--batch", type=positive_int, help="batch size (override)")
    parser.add_argument("--lr", type=positive_float, help="peak learning rate (override)")
    parser.add_argument("--val-limit", type=positive_int, help="validation images (override)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def budget(args: argparse.Namespace):
    """The profile overrides given on the command line."""
    from benchmark.workflows import Budget

    keys = ("epochs", "steps", "crop", "batch", "lr", "val_limit")
    return Budget(**{k: getattr(args, k) for k in keys if getattr(args, k) is not None})
