"""``bench fair``: Tables 1-2 with the paper's values, the paper's setting and a fair setting.

Tunes on validation, runs the test cells of both settings and writes ``tableN_fair.md/.csv``:
see :func:`benchmark.workflows.fair`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmark.cli.common import (add_data_options, add_run_options, data_options, positive_int,
                                  run_options)
from benchmark.core.paths import REPORTS_DIR


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "fair", help="Tables 1-2: paper vs paper setting vs fair (tuned, Rician-aware)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="plain methods in the tables (default: the paper's, if registered)")
    parser.add_argument("--val-limit", type=positive_int, default=10, metavar="N",
                        help="validation images used for tuning (default: 10, as in the "
                             "committed fair tables)")
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
    from benchmark.workflows import fair

    options = run_options(args)
    options["command"] = getattr(args, "command_line", None) or shlex.join(["bench", *sys.argv[1:]])
    result = fair(methods=args.methods, val_limit=args.val_limit, metric=args.metric,
                  out=args.out, run=not args.no_run, **data_options(args), **options,
                  progress=print)
    for table in result.tables:
        print(f"Table {table.table.number} (fair) -> " + ", ".join(str(p) for p in table.paths))
    for key, error in result.failed[:10]:
        print(f"  failed: {key.method} on {key.image_id} ({key.noise} {key.sigma:g}): {error}")
    return 1 if result.failed else 0

