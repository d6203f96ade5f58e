"""``bench report``: regenerate Tables 1-2 and the tables of the further noise kinds (Table 3
onward), computing the cells the store lacks first.

The default report (MNI152 test split, the paper's noise settings, seed 0) goes to
``reports/``; a report of any other setting goes to a folder of its own under it
(:mod:`benchmark.report.folders`). The default report is rewritten only when every row is
complete; a report with failed or missing cells lists them and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cli import report_figures
from benchmark.cli.common import (add_data_options, add_run_options, add_volumes_option,
                                  data_options, positive_int, print_failures, print_sweep,
                                  run_options)
from benchmark.core.paths import REPORTS_DIR

EXIT_INCOMPLETE = 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report", help="regenerate Tables 1-2 and Table 3 onward, one a further noise kind "
                       "(runs missing cells); for --dataset dce-sim, the DCE curve report")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers in the tables (default: all but the Rician-aware "
                             "variants, which 'bench fair' reports)")
    parser.add_argument("--noise", nargs="+", metavar="KIND",
                        help="noise kinds of the tables, with --sigma (default: the paper's "
                             "settings, Gaussian 0.10 and Rician 0.11)")
    parser.add_argument("--sigma", nargs="+", metavar="SIGMA",
                        help="noise levels of the tables, with --noise: one table a kind and "
                             "level (a curve card: alone, relative-gaussian levels; default "
                             "0.05 to 0.5 in steps of 0.05)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {REPORTS_DIR} for the default setting, "
                             f"else {REPORTS_DIR}/<what differs>, e.g. "
                             f"{REPORTS_DIR}/folder-scans-1a2b3c-rician-0.05)")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not compute missing cells")
    parser.add_argument("--allow-failed", action="store_true",
                        help="write the default report even when some rows have failed or "
                             "missing cells (the exit status is still 1)")
    parser.add_argument("--val-limit", type=positive_int, default=None, metavar="N",
                        help="curve report: validation blocks the classical 1-D methods are "
                             "tuned on (default: the whole validation split)")
    parser.add_argument("--generalisation", action=argparse.BooleanOptionalAction, default=None,
                        help="the generalisation table: every deep model and the fair classical "
                             "baseline on dipy's b0, pydicom's CT and held-out natural images "
                             "(the MNI152 card) or on this report's data (default: in the "
                             "default report, and in a report of other data without --methods)")
    add_data_options(parser)
    add_volumes_option(parser)
    add_run_options(parser)
    report_figures.add_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import report
    from benchmark.workflows._curve_report import CurveReportResult
    from benchmark.workflows._volume_report import VolumeReportResult

    result = report(methods=args.methods, noise=args.noise, sigma=args.sigma, out=args.out,
                    run=not args.no_run, allow_failed=args.allow_failed,
                    val_limit=args.val_limit, volumes=args.volumes,
                    generalisation=args.generalisation,
                    **data_options(args), **run_options(args),
                    **report_figures.figure_options(args))
    if isinstance(result, CurveReportResult):
        return _print_curve_report(result)
    if isinstance(result, VolumeReportResult):
        return _print_volume_report(result)
    if result.sweep is not None:
        print_sweep(result.sweep, result.store)
    for line in result.incomplete:
        print(f"bench report: incomplete row: {line[:300]}", file=sys.stderr)
    if not result.written:
        print(f"bench report: {len(result.incomplete)} incomplete row(s); the default report in "
              f"{result.out} was not rewritten. Fix the failures and run again, or pass "
              "--allow-failed to write it anyway.", file=sys.stderr)
        return EXIT_INCOMPLETE
    for table in result.tables:
        print(f"Table {table.table.number} ({table.table.noise}) -> "
              + ", ".join(str(p) for p in table.paths))
        for name, why in table.left_out.items():
            print(f"  no row for {name}: {why}")
    if result.generalisation is not None:
        _print_generalisation(result)
    return _page_and_status(result)


def _print_generalisation(result) -> None:
    """Where the generalisation table went, and its deep rows outside their training domain."""
    general = result.generalisation
    computed = sum(outcome.computed for outcome in general.sweeps)
    if computed or general.refilled:
        failed = [item for outcome in general.sweeps for item in outcome.failed]
        print(f"Generalisation: {computed} cells computed, {len(failed)} failed"
              + (f"; {general.refilled} stored cells given their mean intensity error"
                 if general.refilled else ""))
        print_failures(failed)
    written = [p for p in result.paths if p.name.startswith("generalisation.")]
    print("Generalisation -> " + ", ".join(str(p) for p in written))
    outside = general.frame[general.frame["note"].str.startswith("outside")]
    if len(outside):
        pairs = sorted({f"{row.method} on {row.dataset}" for row in outside.itertuples()})
        print(f"Outside their training domain: {'; '.join(pairs)}")


def _print_volume_report(result) -> int:
    """The volume report's lines: the sweep, each setting's files, the page."""
    if result.sweep is not None:
        print_sweep(result.sweep, result.store)
    for line in result.incomplete:
        print(f"bench report: incomplete row: {line[:300]}", file=sys.stderr)
    for table in result.tables:
        print(f"Volumes ({table.noise}) -> " + ", ".join(str(p) for p in table.paths))
    return _page_and_status(result)


def _print_curve_report(result) -> int:
    """The curve report's lines: the sweeps, each level's files, the headline, the page."""
    for outcome in (result.tuning, result.sweep):
        if outcome is not None:
            print_sweep(outcome, result.store)
    for line in result.incomplete:
        print(f"bench report: incomplete row: {line[:300]}", file=sys.stderr)
    for table in result.tables:
        print(f"{table.noise} -> " + ", ".join(str(p) for p in table.paths))
    print(result.summary)
    return _page_and_status(result)


def _page_and_status(result) -> int:
    """Where the figures and the page went; exit status 1 when rows are incomplete."""
    if result.page is not None:
        print(f"Figures -> {result.out / 'figures'}; page -> {result.page}")
    if result.incomplete:
        print(f"bench report: written to {result.out} with {len(result.incomplete)} incomplete "
              "row(s) (listed above)", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0
