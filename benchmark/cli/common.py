"""Shared pieces of the ``bench`` subcommands: one-line errors, data and run options, the sweep."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

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


def add_data_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", default="mni152",
                        help="dataset card in datasets/ (default: mni152, shipped with nilearn)")
    source.add_argument("--data", metavar="PATH",
                        help="a DICOM, NIfTI or PNG/JPEG/TIFF file or folder instead of a card "
                             "(kind detected; see 'bench data info PATH')")
    parser.add_argument("--window", default=None, metavar="NAME",
                        help="CT window for --data: brain, subdural, abdomen, lung, bone, file "
                             "(the DICOM's own; default) or CENTRE,WIDTH in HU "
                             "(--window=-600,1500 for a negative centre)")
    parser.add_argument("--strict", action="store_true",
                        help="unreadable or unusable files/slices are errors, not skipped")
    parser.add_argument("--split", default=None,
                        help="split of the card (default: test; a --data folder has 'all')")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="use only the first N images of the split")
    parser.add_argument("--seed", type=int, default=0, help="noise replicate (default: 0)")
    parser.add_argument("--clip", action="store_true", help="clip noisy images to [0, 1]")


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


def load_split(args: argparse.Namespace):
    """The card and the split's ids (pixels are loaded only when cells are missing)."""
    from benchmark.data.cards import image_ids, load_card, load_images
    from benchmark.data.loaders.detect import path_card

    card = (path_card(args.data, window=args.window, strict=args.strict) if args.data
            else load_card(args.dataset))
    if args.window and not args.data:
        raise BenchError("--window applies to --data; a dataset card sets its window in "
                         "[normalisation]")
    card["loader"]["strict"] = card["loader"].get("strict", False) or args.strict
    split = args.split or ("all" if args.data else "test")
    ids = image_ids(card, split)
    loaded = None

    def images():
        nonlocal loaded
        if loaded is None:
            loaded = load_images(card, split).head(args.limit)
        return loaded

    if ids is None:  # this loader cannot list ids without reading: load now, validating early
        ids = list(images().ids)
    subset = argparse.Namespace(dataset=card["name"], split=split, ids=ids[: args.limit])
    return subset, images


def sweep(args: argparse.Namespace, noises, methods, *, split=None) -> int:
    """Plan and run the cells of ``noises`` x ``methods`` over the split that ``args`` names.

    ``split`` is :func:`load_split`'s answer when the caller has it already (a ``--data`` folder
    is then read once). Prints the summary; returns the exit status: 1 when a cell failed, else 0.
    """
    from benchmark.engine.runner import plan, resolve_device, run_sweep
    from benchmark.engine.store import Store

    subset, images = split or load_split(args)
    device = resolve_device(args.device, methods)
    tasks = plan(subset, noises, methods, seed=args.seed, clip=args.clip, device=device,
                 sigma_source=getattr(args, "sigma_source", "oracle"))

    with Store(args.store) as store:
        def noted_images():  # loaded only when cells are missing; note how they were normalised
            loaded = images()
            store.record_images(loaded)
            return loaded

        outcome = run_sweep(tasks, store, noted_images, jobs=args.jobs, progress=not args.quiet,
                            command=args.command_line)
    print(f"{outcome.computed} cells computed, {outcome.skipped} already in {args.store}, "
          f"{len(outcome.failed)} failed")
    for key, error in outcome.failed[:10]:
        print(f"  failed: {key.method} on {key.image_id} ({key.noise} {key.sigma:g}): {error}")
    return 1 if outcome.failed else 0


def prepare_output(folder: Path) -> None:
    """Create the report folder before any work, or explain in one line why it can't be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BenchError(f"--out {folder}: {error.strerror}; give a writable folder") from None


def require_store(args: argparse.Namespace) -> None:
    """With ``--no-run`` the store must exist: an empty table would overwrite a report."""
    if args.no_run and not Path(args.store).is_file():
        raise BenchError(f"--store {args.store} does not exist; run without --no-run to compute "
                         "the cells, or give the right store")


def make_noises(kind: str, sigmas: Sequence[str]):
    from benchmark.core.contract import Noise

    return [Noise(kind, sigma) for sigma in sigmas]


def print_means(args: argparse.Namespace, noises, methods, *, split=None) -> None:
    """Print each method's mean metrics for each noise setting over the split ``args`` names.

    Only this sweep's cells count: its dataset, split, images, seed, clipping and parameters.
    ``split`` as for :func:`sweep`.
    """
    from benchmark.engine.runner import method_config
    from benchmark.engine.store import Store

    subset, _ = split or load_split(args)
    with Store(args.store) as store:
        cells = store.frame()
    cells = cells[(cells["dataset"] == subset.dataset) & (cells["split"] == subset.split)
                  & (cells["clip"] == args.clip) & cells["image_id"].isin(subset.ids)]

    source = getattr(args, "sigma_source", "oracle")
    configs = {"noisy": "-", **{m.name: method_config(m, sigma_source=source) for m in methods}}
    for noise in noises:
        picked = cells[(cells["noise"] == noise.kind) & ((cells["sigma"] - noise.sigma).abs() < 1e-9)
                       & (cells["seed"] == args.seed) & (cells["status"] == "ok")
                       & (cells["method"].map(configs) == cells["config"])]
        if picked.empty:
            continue
        order = [name for name in configs if name in set(picked["method"])]
        columns = ["psnr", "ssim"] + [c for c in ("psnr_anatomy", "ssim_anatomy", "sigma_error")
                                      if c in picked and picked[c].notna().any()] + ["seconds"]
        means = picked.groupby("method")[columns].mean().loc[order]
        print(f"\n{noise}: mean over {picked['image_id'].nunique()} images")
        print(means.round({"psnr": 2, "ssim": 4, "psnr_anatomy": 2, "ssim_anatomy": 4,
                           "sigma_error": 4, "seconds": 3}).to_string())


def add_budget_options(parser: argparse.ArgumentParser) -> None:
    """Seed and budget options shared with ``bench train`` (each overrides the quick profile)."""
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--epochs", type=positive_int, help="override the profile's epochs")
    parser.add_argument("--steps", type=positive_int, help="batches per epoch (override)")
    parser.add_argument("--crop", type=positive_int, help="crop size in pixels (override)")
    parser.add_argument("--batch", type=positive_int, help="batch size (override)")
    parser.add_argument("--lr", type=float, help="peak learning rate (override)")
    parser.add_argument("--val-limit", type=positive_int, help="validation images (override)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def budget(args: argparse.Namespace) -> dict:
    """The profile overrides given on the command line."""
    keys = ("epochs", "steps", "crop", "batch", "lr", "val_limit")
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


def device(args: argparse.Namespace) -> str:
    """The torch device for ``--device`` (and ``--threads`` applied)."""
    import torch

    from benchmark.core.errors import BenchError

    if args.threads:
        torch.set_num_threads(args.threads)
    chosen = "cpu" if args.device == "cpu" else ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cuda" and chosen != "cuda":
        raise BenchError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu")
    return chosen
