"""``bench report``: regenerate Tables 1-2, computing the cells the store lacks first."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli import report_figures
from benchmark.cli.common import (add_data_options, add_run_options, data_options, print_sweep,
                                  run_options)
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
    from benchmark.workflows import report

    result = report(methods=args.methods, out=args.out, run=not args.no_run,
                    **data_options(args), **run_options(args),
                    **report_figures.figure_options(args))
    if result.sweep is not None:
        print_sweep(result.sweep, result.store)
    for table in result.tables:
        print(f"Table {table.table.number} ({table.table.noise}) -> "
              + ", ".join(str(p) for p in table.paths))
    if result.page is not None:
        print(f"Figures -> {args.out / 'figures'}; page -> {result.page}")
    return 0
