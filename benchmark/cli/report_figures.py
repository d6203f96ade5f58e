"""Options that add figures and ``index.html`` to ``bench report``."""

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


def figure_options(args: argparse.Namespace) -> dict:
    """The options of :func:`add_options`, as keyword arguments of the report workflow."""
    return dict(figures=not args.no_figures, visual=not args.no_visual,
                figure_image=args.figure_image, training_logs=args.training_logs)
