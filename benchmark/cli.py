"""The ``bench`` command line: run, report, methods, export.

Bad input gets one line naming the value and the fix, exit status 2, no traceback. The engine
never imports this module.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Sequence

from benchmark.errors import BenchError
from benchmark.paths import DEFAULT_STORE, REPORTS_DIR

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise BenchError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", default="mni152",
                        help="dataset card in datasets/ (default: mni152, shipped with nilearn)")
    source.add_argument("--data", metavar="DIR",
                        help="a folder of PNG or TIFF images (8- or 16-bit) instead of a card")
    parser.add_argument("--split", default=None,
                        help="split of the card (default: test; a --data folder has 'all')")
    parser.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                        help="use only the first N images of the split")
    parser.add_argument("--seed", type=int, default=0, help="noise replicate (default: 0)")
    parser.add_argument("--clip", action="store_true", help="clip noisy images to [0, 1]")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                        help="worker processes for CPU cells (default: all cores)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="device for methods that can use a GPU (default: auto)")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"SQLite run store (default: {DEFAULT_STORE})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bench", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="sweep methods x noise levels over a dataset split")
    run.add_argument("--noise", required=True, help="noise kind: gaussian or rician")
    run.add_argument("--sigma", required=True, nargs="+", metavar="SIGMA",
                     help="one or more noise levels, fractions of the [0, 1] range (e.g. 0.11)")
    run.add_argument("--methods", nargs="+", metavar="NAME",
                     help="denoisers to run (default: all; see 'bench methods')")
    _add_data_options(run)
    _add_run_options(run)

    report = commands.add_parser("report", help="regenerate Tables 1-2 (runs missing cells)")
    report.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers in the tables (default: all)")
    report.add_argument("--out", type=Path, default=REPORTS_DIR,
                        help=f"output folder (default: {REPORTS_DIR})")
    report.add_argument("--no-run", action="store_true",
                        help="only read the store; do not compute missing cells")
    _add_data_options(report)
    _add_run_options(report)

    commands.add_parser("methods", help="list every registered denoiser with its parameters")

    export = commands.add_parser("export", help="write every stored cell as CSV")
    export.add_argument("--store", type=Path, default=DEFAULT_STORE)
    export.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    return parser


def _load_split(args: argparse.Namespace):
    """The card and the split's ids (pixels are loaded only when cells are missing)."""
    from benchmark.data import folder_card, image_ids, load_card, load_images

    card = folder_card(args.data) if args.data else load_card(args.dataset)
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


def _sweep(args, noises, methods) -> int:
    from benchmark.runner import plan, resolve_device, run_sweep
    from benchmark.store import Store

    subset, images = _load_split(args)
    device = resolve_device(args.device, methods)
    tasks = plan(subset, noises, methods, seed=args.seed, clip=args.clip, device=device)
    if not args.data:
        images()  # validate the images before anything is written
    with Store(args.store) as store:
        outcome = run_sweep(tasks, store, images, jobs=args.jobs, progress=not args.quiet,
                            command=shlex.join(["bench", *sys.argv[1:]]))
    print(f"{outcome.computed} cells computed, {outcome.skipped} already in {args.store}, "
          f"{len(outcome.failed)} failed")
    for key, error in outcome.failed[:10]:
        print(f"  failed: {key.method} on {key.image_id} ({key.noise} {key.sigma:g}): {error}")
    return 0


def _noises(kind: str, sigmas: Sequence[str]):
    from benchmark.contract import Noise

    return [Noise(kind, sigma) for sigma in sigmas]


def cmd_run(args: argparse.Namespace) -> int:
    from benchmark.registry import resolve_methods

    noises = _noises(args.noise, args.sigma)
    methods = resolve_methods(args.methods)
    code = _sweep(args, noises, methods)
    _print_means(args, noises, methods)
    return code


def _print_means(args, noises, methods) -> None:
    from benchmark.store import Store

    with Store(args.store) as store:
        cells = store.frame()
    from benchmark.runner import config_id

    configs = {"noisy": "-", **{m.name: config_id(m.resolve_params()) for m in methods}}
    for noise in noises:
        picked = cells[(cells["noise"] == noise.kind) & ((cells["sigma"] - noise.sigma).abs() < 1e-9)
                       & (cells["seed"] == args.seed) & (cells["status"] == "ok")
                       & (cells["method"].map(configs) == cells["config"])]
        if picked.empty:
            continue
        order = [name for name in configs if name in set(picked["method"])]
        means = picked.groupby("method")[["psnr", "ssim", "seconds"]].mean().loc[order]
        print(f"\n{noise}: mean over {picked['image_id'].nunique()} images")
        print(means.round({"psnr": 2, "ssim": 4, "seconds": 3}).to_string())


def cmd_report(args: argparse.Namespace) -> int:
    from benchmark.paper import TABLES
    from benchmark.registry import resolve_methods
    from benchmark.report import Selection, build_table, write_table
    from benchmark.store import Store

    methods = resolve_methods(args.methods)
    if not args.no_run:
        _sweep(args, [table.noise for table in TABLES], methods)
    subset, _ = _load_split(args)
    with Store(args.store) as store:
        cells = store.frame()
    cells = cells[cells["image_id"].isin(subset.ids)]
    selection = Selection(subset.dataset, subset.split, args.seed, args.clip)
    context = (f"Data: {subset.dataset}, split {subset.split}; seed {args.seed}"
               f"{', noisy images clipped to [0, 1]' if args.clip else ''}.")
    for table in TABLES:
        frame = build_table(cells, table, methods, selection)
        paths = write_table(frame, table, args.out, context=context, methods=methods)
        print(f"Table {table.number} ({table.noise}) -> " + ", ".join(str(p) for p in paths))
    return 0


def cmd_methods(args: argparse.Namespace) -> int:
    from benchmark.registry import resolve_methods

    for method in resolve_methods(None):
        params = ", ".join(f"{k}={v!r}" for k, v in method.resolve_params().items()) or "-"
        sigma = "true sigma" if method.uses_sigma else "blind"
        print(f"{method.name:26s} {sigma:10s} {'/'.join(method.devices):9s} {params}")
        print(f"{'':26s} {method.summary}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from benchmark.store import Store

    if not args.store.exists():
        raise BenchError(f"--store {args.store} does not exist; run 'bench run' first")
    with Store(args.store) as store:
        frame = store.frame()
    frame.to_csv(args.out if args.out else sys.stdout, index=False)
    if args.out:
        print(f"{len(frame)} cells -> {args.out}")
    return 0


COMMANDS = {"run": cmd_run, "report": cmd_report, "methods": cmd_methods, "export": cmd_export}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bench`` console script."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("bench: interrupted; finished cells are saved, run the same command to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
