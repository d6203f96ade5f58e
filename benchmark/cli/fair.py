"""``bench fair``: Tables 1-2 with the paper's values, the paper's setting and a fair setting.

1. Tunes every classical method (and, for Rician noise, its Rician-aware variants) on the
   validation split by grid search (cells cached in the store, choices in its ``tuned`` table).
2. Runs the test cells of the paper's setting (plain, default parameters) and of the fair
   setting (the best tuned candidate on validation).
3. Writes ``table1_fair.md/.csv`` and ``table2_fair.md/.csv`` with bootstrap intervals,
   Wilcoxon marks, anatomy metrics and a generated paragraph on the rankings.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmark.cli.common import (add_data_options, add_run_options, load_split, positive_int,
                                  prepare_output, require_store)
from benchmark.core.paths import REPORTS_DIR


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "fair", help="Tables 1-2: paper vs paper setting vs fair (tuned, Rician-aware)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="plain methods in the tables (default: the paper's, if registered)")
    parser.add_argument("--val-limit", type=positive_int, default=4, metavar="N",
                        help="validation images used for tuning (default: 4)")
    parser.add_argument("--metric", default="psnr",
                        choices=("psnr", "ssim", "psnr_anatomy", "ssim_anatomy"),
                        help="metric the grid search maximises on validation (default: psnr, "
                             "whole image; *_anatomy: on the anatomy mask only)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {REPORTS_DIR} for the default setting, "
                             f"else {REPORTS_DIR}/<what differs>)")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not tune or compute missing cells")
    add_data_options(parser)
    add_run_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.core.errors import BenchError
    from benchmark.report.fair import build_fair_table, candidates, fair_cell, write_fair_table
    from benchmark.report.paper import TABLES, rows_for
    from benchmark.core.registry import get_method, method_names, resolve_methods
    from benchmark.report.tables import Selection
    from benchmark.engine.runner import plan, resolve_device, run_sweep
    from benchmark.engine.store import Store
    from benchmark.engine.tuning import (choose, load_choices, load_grids, save_choices,
                                  tuning_tasks)

    if args.split in ("validation",):
        raise BenchError("--split validation: the fair tables report the test split; tuning "
                         "already uses validation")
    require_store(args)
    names = method_names()
    registered = {name: get_method(name) for name in names}
    if args.methods:
        plain = resolve_methods(args.methods)
    else:
        paper = {m for t in TABLES for m in rows_for(t.number)["method"]}
        plain = [registered[n] for n in names if n in paper]
    subset, images = load_split(args)
    args.out = _output_folder(args, subset)
    prepare_output(args.out)
    validation_args = argparse.Namespace(**{**vars(args), "split": "validation",
                                            "limit": args.val_limit})
    command = getattr(args, "command_line", None) or shlex.join(["bench", *sys.argv[1:]])
    source = args.sigma_source
    common = dict(seed=args.seed, clip=args.clip, sigma_source=source)
    grids = load_grids()
    with Store(args.store) as store:
        built = []
        for table in TABLES:
            noise = table.noise
            tuned = [registered[c] for m in plain if not m.batched
                     for c in candidates(m.name, names, noise)]
            if not args.no_run:
                val_subset, val_images = load_split(validation_args)
                tasks = tuning_tasks(val_subset, [noise], tuned, grids=grids, **common)
                outcome = run_sweep(tasks, store, val_images, jobs=args.jobs,
                                    progress=not args.quiet, command=command)
                print(f"Table {table.number} tuning on {val_subset.dataset}/validation "
                      f"({len(val_subset.ids)} images): {outcome.computed} cells computed, "
                      f"{outcome.skipped} cached, {len(outcome.failed)} failed")
                choices = choose(store.frame(), val_subset, [noise], tuned, grids=grids,
                                 metric=args.metric, **common)
                save_choices(store.path, val_subset.dataset, choices, metric=args.metric,
                             **common)
            choices = load_choices(store.path, subset.dataset, metric=args.metric, **common)
            if not args.no_run:
                device = resolve_device(args.device, plain)
                tasks = plan(subset, [noise], plain, device=device, **common)
                for method in plain:
                    cell = fair_cell(method, noise, registered, choices, source)
                    if cell is not None:  # duplicates of the plain cells are dropped below
                        tasks += plan(subset, [noise], [registered[cell.method]], device=device,
                                      include_noisy=False, params_for=lambda m, n, p=cell.params: p,
                                      **common)
                tasks = sorted({t.key: t for t in tasks}.values(), key=lambda t: -t.cost)
                outcome = run_sweep(tasks, store, images, jobs=args.jobs,
                                    progress=not args.quiet, command=command)
                print(f"Table {table.number} test cells: {outcome.computed} computed, "
                      f"{outcome.skipped} cached, {len(outcome.failed)} failed")
            cells = store.frame()
            cells = cells[cells["image_id"].isin(subset.ids)]
            selection = Selection(subset.dataset, subset.split, args.seed, args.clip, source)
            built.append((build_fair_table(cells, table, registered, selection, choices), table,
                          selection))
    for frame, table, selection in built:  # both tables or neither
        paths = write_fair_table(frame, table, args.out, selection=selection,
                                 val_images=args.val_limit, metric=args.metric)
        print(f"Table {table.number} (fair) -> " + ", ".join(str(p) for p in paths))
    return 0


def _output_folder(args: argparse.Namespace, subset) -> Path:
    """``--out``, else the default report's folder for the default setting, else a folder of
    its own (a fair table of other data or images never replaces the default one)."""
    from benchmark.core.errors import BenchError
    from benchmark.report.folders import Setting, report_folder

    setting = Setting(subset.dataset, subset.split, args.limit, None, args.seed, args.clip,
                      args.sigma_source, tuple(args.methods) if args.methods else None)
    folder = report_folder(REPORTS_DIR, setting)
    if args.metric != "psnr":  # tuned for another metric: other fair columns
        stem = "mni152" if setting.is_default else setting.name()
        folder = REPORTS_DIR / f"{stem}-tuned-{args.metric}"
    if args.out is None:
        return folder
    if args.out.resolve() == REPORTS_DIR.resolve() and folder != REPORTS_DIR:
        raise BenchError(f"--out {args.out} is the default report's folder; fair tables of "
                         f"another setting go to {folder} (drop --out) or another folder")
    return args.out
