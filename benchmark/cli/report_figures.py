"""Options and the call that add figures and ``index.html`` to ``bench report``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("figures and HTML page")
    group.add_argument("--no-figures", action="store_true",
                       help="write the tables only (no figures/*.png, no index.html)")
    group.add_argument("--no-visual", action="store_true",
                       help="skip the visual comparisons (they denoise one image per method)")
    group.add_argument("--figure-image", metavar="ID", default=None,
                       help="test image of the visual comparisons (default: the middle one)")
    group.add_argument("--training-logs", type=Path, default=None, metavar="DIR",
                       help="folder of training-log CSVs (default: the shipped weights folder)")


def write(args: argparse.Namespace, *, cells, methods, selection, tables, images, context,
          image_ids=None, out: Path, keep_curves: bool = False) -> None:
    """Draw the figures and write the page into ``out``, unless ``--no-figures``; print where
    it went. ``tables``: ``(title, frame, table)`` triples."""
    if args.no_figures:
        return
    from benchmark.report.page import TableItem
    from benchmark.report.build import (DEFAULT_TRAINING_LOGS, FigureOptions,
                                          write_report_page)
    from benchmark.engine.runner import resolve_device

    options = FigureOptions(image_id=args.figure_image,
                            training_logs=args.training_logs or DEFAULT_TRAINING_LOGS,
                            visual=not args.no_visual,
                            device=resolve_device(args.device, methods))
    from benchmark.report.tables import parameter_notes

    notes = [context, "Measured: mean ± sample std over N test images (see table<N>.md beside "
             "this page for every note).", *parameter_notes(methods)]
    items = [TableItem(title, frame, notes, table) for title, frame, table in tables]
    path = write_report_page(cells, methods, selection, items, out, images=images,
                             context=context, options=options, image_ids=image_ids,
                             keep_curves=keep_curves)
    print(f"Figures -> {out / 'figures'}; page -> {path}")
