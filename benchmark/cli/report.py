"""``bench report``: regenerate Tables 1-2, computing the cells the store lacks first.

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
from benchmark.cli.common import (add_data_options, add_run_options, load_split, make_noises,
                                  prepare_output, require_store, sweep)
from benchmark.core.errors import BenchError
from benchmark.core.paths import REPORTS_DIR

EXIT_INCOMPLETE = 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("report", help="regenerate Tables 1-2 (runs missing cells)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers in the tables (default: all but the Rician-aware "
                             "variants, which 'bench fair' reports)")
    parser.add_argument("--noise", nargs="+", metavar="KIND",
                        help="noise kinds of the tables, with --sigma (default: the paper's "
                             "settings, Gaussian 0.10 and Rician 0.11)")
    parser.add_argument("--sigma", nargs="+", metavar="SIGMA",
                        help="noise levels of the tables, with --noise: one table a kind and level")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {REPORTS_DIR} for the default setting, "
                             f"else {REPORTS_DIR}/<what differs>, e.g. "
                             f"{REPORTS_DIR}/folder-scans-rician-0.05)")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not compute missing cells")
    parser.add_argument("--allow-failed", action="store_true",
                        help="write the default report even when some rows have failed or "
                             "missing cells (the exit status is still 1)")
    add_data_options(parser)
    add_run_options(parser)
    report_figures.add_options(parser)
    return parser


def chosen_noises(args: argparse.Namespace):
    """The tables' noise settings: None for the paper's, else every ``--noise`` x ``--sigma``."""
    from benchmark.report.paper import TABLES

    if (args.noise is None) != (args.sigma is None):
        raise BenchError("--noise and --sigma go together (one table a kind and level); give "
                         "both, or neither for the paper's settings")
    if args.noise is None:
        return None
    noises = tuple(n for kind in dict.fromkeys(args.noise)
                   for n in make_noises(kind, list(dict.fromkeys(args.sigma))))
    return None if noises == tuple(t.noise for t in TABLES) else noises


def output_folder(args: argparse.Namespace, setting) -> tuple[Path, bool]:
    """The report folder and whether it is the default report's (which only a complete report
    of the default setting may rewrite)."""
    from benchmark.report.folders import report_folder

    out = args.out if args.out is not None else report_folder(REPORTS_DIR, setting)
    protected = out.resolve() == REPORTS_DIR.resolve()
    if protected and not setting.is_default:
        raise BenchError(f"--out {out} is the default report's folder; a report of another "
                         f"setting goes to {report_folder(REPORTS_DIR, setting)} (drop --out) or "
                         "another folder")
    return out, protected


def run(args: argparse.Namespace) -> int:
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.store import Store
    from benchmark.report.folders import Setting
    from benchmark.report.paper import tables_for
    from benchmark.report.tables import Selection, build_table, problems, write_table

    methods = resolve_methods(args.methods)
    require_store(args)
    noises = chosen_noises(args)
    if not args.methods:  # the paper's setting: plain methods; the variants are in bench fair
        from methods.rician import base_name

        methods = [m for m in methods if base_name(m.name) == m.name]
    subset, images = load_split(args)
    setting = Setting(subset.dataset, subset.split, args.limit, noises, args.seed, args.clip,
                      args.sigma_source, tuple(m.name for m in methods) if args.methods else None,
                      args.figure_image)
    out, protected = output_folder(args, setting)
    prepare_output(out)
    tables = tables_for(noises, paper_data=setting.is_paper_data)
    if not args.no_run:
        sweep(args, [table.noise for table in tables], methods)
    with Store(args.store) as store:
        cells = store.frame()
    cells = cells[cells["image_id"].isin(subset.ids)]
    selection = Selection(subset.dataset, subset.split, args.seed, args.clip, args.sigma_source)
    context = (f"Data: {_shown_dataset(subset.dataset)}, split {subset.split}; seed {args.seed}"
               f"{', noisy images clipped to [0, 1]' if args.clip else ''}; "
               f"sigma source: {args.sigma_source}.")
    frames = [build_table(cells, table, methods, selection) for table in tables]
    incomplete = [f"Table {table.number} ({table.noise}): {line}"
                  for table, frame in zip(tables, frames)
                  for line in problems(frame, len(subset.ids))]
    for line in incomplete:
        print(f"bench report: incomplete row: {line[:300]}", file=sys.stderr)
    if incomplete and protected and not args.allow_failed:
        print(f"bench report: {len(incomplete)} incomplete row(s); the default report in {out} "
              "was not rewritten. Fix the failures and run again, or pass --allow-failed to "
              "write it anyway.", file=sys.stderr)
        return EXIT_INCOMPLETE
    built = []
    for table, frame in zip(tables, frames):
        note = context
        errors = frame["sigma_error_mean"].dropna()
        if args.sigma_source == "estimated" and len(errors):
            note += (f" Mean relative error of the estimated sigma: {errors.mean():+.2%} "
                     "(per method in the CSV's sigma_error_mean).")
        paths = write_table(frame, table, out, context=note, methods=methods)
        print(f"Table {table.number} ({table.noise}) -> " + ", ".join(str(p) for p in paths))
        built.append((f"Table {table.number}: {table.caption}", frame, table))
    report_figures.write(args, cells=cells, methods=methods, selection=selection, tables=built,
                         images=images, context=context, image_ids=subset.ids, out=out,
                         keep_curves=protected)
    if incomplete:
        print(f"bench report: written to {out} with {len(incomplete)} incomplete row(s) "
              "(listed above)", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def _shown_dataset(dataset: str) -> str:
    from benchmark.report.folders import dataset_slug

    return dataset_slug(dataset)
