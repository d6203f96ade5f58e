"""``bench report``: regenerate Tables 1-2, computing the cells the store lacks first."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli import report_figures
from benchmark.cli.common import (add_data_options, add_run_options, load_split, prepare_output,
                                  require_store, sweep)
from benchmark.core.paths import REPORTS_DIR


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("report", help="regenerate Tables 1-2 (runs missing cells)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers in the tables (default: all but the Rician-aware "
                             "variants, which 'bench fair' reports)")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR,
                        help=f"output folder (default: {REPORTS_DIR})")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not compute missing cells")
    add_data_options(parser)
    add_run_options(parser)
    report_figures.add_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.report.paper import TABLES
    from benchmark.core.registry import resolve_methods
    from benchmark.report.tables import Selection, build_table, write_table
    from benchmark.engine.store import Store

    # the paper's setting: plain methods by default; the variants are in bench fair
    methods = resolve_methods(args.methods, variants=False)
    require_store(args)
    prepare_output(args.out)
    if not args.no_run:
        sweep(args, [table.noise for table in TABLES], methods)
    subset, images = load_split(args)
    with Store(args.store) as store:
        cells = store.frame()
    cells = cells[cells["image_id"].isin(subset.ids)]
    selection = Selection(subset.dataset, subset.split, args.seed, args.clip, args.sigma_source)
    context = (f"Data: {subset.dataset}, split {subset.split}; seed {args.seed}"
               f"{', noisy images clipped to [0, 1]' if args.clip else ''}; "
               f"sigma source: {args.sigma_source}.")
    built = []
    for table in TABLES:
        frame = build_table(cells, table, methods, selection)
        note = context
        errors = frame["sigma_error_mean"].dropna()
        if args.sigma_source == "estimated" and len(errors):
            note += (f" Mean relative error of the estimated sigma: {errors.mean():+.2%} "
                     "(per method in the CSV's sigma_error_mean).")
        paths = write_table(frame, table, args.out, context=note, methods=methods)
        print(f"Table {table.number} ({table.noise}) -> " + ", ".join(str(p) for p in paths))
        built.append((f"Table {table.number}: {table.caption}", frame))
    report_figures.write(args, cells=cells, methods=methods, selection=selection, tables=built,
                         images=images, context=context, image_ids=subset.ids)
    return 0
