"""``bench fair``: Tables 1-2 with the paper's values, the paper's setting and a fair setting,
and both settings for each further noise kind (Table 3 onward).

Tunes on validation, runs the test cells of both settings and writes ``tableN_fair.md/.csv``:
see :func:`benchmark.workflows.fair`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmark.cli.common import (add_data_options, add_run_options, data_options, positive_int,
                                  print_failures, run_options)
from benchmark.core.paths import REPORTS_DIR

#: As :data:`benchmark.workflows._fair.DEFAULT_VAL_LIMIT` (not imported: start-up time).
DEFAULT_VAL_LIMIT = 10
EXIT_INCOMPLETE = 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "fair", help="Tables 1-2: paper vs paper setting vs fair (tuned, Rician-aware); "
                     "Table 3 onward: each further noise kind, plain vs fair (tuned, its fair "
                     "variants)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="plain methods in the tables (default: every registered method "
                             "that is not a variant and applies to the table's noise)")
    parser.add_argument("--val-limit", type=positive_int, default=DEFAULT_VAL_LIMIT, metavar="N",
                        help=f"validation images used for tuning (default: "
                             f"{DEFAULT_VAL_LIMIT}, as in the committed fair tables; another "
                             f"number writes to a folder of its own)")
    parser.add_argument("--metric", default="psnr",
                        choices=("psnr", "ssim", "psnr_anatomy", "ssim_anatomy"),
                        help="metric the grid search maximises on validation (default: psnr, "
                             "whole image; *_anatomy: on the anatomy mask only)")
    parser.add_argument("--noise", nargs="+", metavar="KIND",
                        help="only the tables of these noise kinds (gaussian: Table 1, rician: "
                             "Table 2, ncchi8, poisson, ...: Table 3 onward); the other tables' "
                             "files are left as they are (default: every table)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {REPORTS_DIR} for the default setting, "
                             f"else {REPORTS_DIR}/<what differs>)")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not tune or compute missing cells")
    parser.add_argument("--allow-failed", action="store_true",
                        help="write the default folder's fair tables even when some rows have "
                             "failed or missing cells (the exit status is still 1)")
    add_data_options(parser)
    add_run_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import fair

    options = run_options(args)
    options["command"] = getattr(args, "command_line", None) or shlex.join(["bench", *sys.argv[1:]])
    result = fair(methods=args.methods, val_limit=args.val_limit, metric=args.metric,
                  noise=args.noise,
                  out=args.out, run=not args.no_run, allow_failed=args.allow_failed,
                  **data_options(args), **options, progress=print)
    for line in result.incomplete[:20]:
        print(f"bench fair: incomplete: {line[:300]}", file=sys.stderr)
    if len(result.incomplete) > 20:
        print(f"bench fair: ... and {len(result.incomplete) - 20} more", file=sys.stderr)
    if not result.written:
        print(f"bench fair: {len(result.incomplete)} incomplete row(s) or failed cell(s); the "
              f"fair tables in {result.out} were not rewritten. Fix the failures and run again, "
              "or pass --allow-failed to write them anyway.", file=sys.stderr)
        return EXIT_INCOMPLETE
    for table in result.tables:
        print(f"Table {table.table.number} (fair) -> " + ", ".join(str(p) for p in table.paths))
        for name, why in table.left_out.items():
            print(f"  no row for {name}: {why}")
    failed = print_failures(result.failed)
    return EXIT_INCOMPLETE if failed or result.incomplete else 0
