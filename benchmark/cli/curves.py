"""``bench curves``: sweep the noise levels of Figure 3 into the store and draw the curves.

The default sweep (both kinds, the ten default levels, every plain method, the MNI152 test
split) draws into the default report's ``figures/``; any other sweep into a report folder of
its own (:mod:`benchmark.report.folders`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import (add_data_options, add_run_options, data_options, print_sweep,
                                  run_options)
from benchmark.core.paths import REPORTS_DIR

_DEFAULT_SIGMAS = ["0.02", "0.04", "0.06", "0.08", "0.1", "0.12", "0.14", "0.16", "0.18", "0.2"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "curves", help="SSIM/PSNR against noise level (Figure 3): run missing cells, draw")
    parser.add_argument("--noise", nargs="+", default=["gaussian", "rician"],
                        help="noise kinds (default: gaussian rician)")
    parser.add_argument("--sigma", nargs="+", default=None, metavar="SIGMA",
                        help=f"noise levels (default: {' '.join(_DEFAULT_SIGMAS)}; a kind with "
                             "documented levels of its own, e.g. poisson, those)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers (default: all but the Rician-aware variants, as in "
                             "'bench report')")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"report folder; figures go to OUT/figures (default: {REPORTS_DIR} "
                             f"for the default sweep, else {REPORTS_DIR}/<what differs>)")
    parser.add_argument("--no-run", action="store_true",
                        help="only read the store; do not compute missing cells")
    add_data_options(parser)
    add_run_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import curves

    result = curves(noise=args.noise, sigma=args.sigma, methods=args.methods, out=args.out,
                    run=not args.no_run, **data_options(args), **run_options(args))
    codes = [print_sweep(outcome, result.store) for outcome in result.sweeps]
    for item in result.figures:
        print(f"{item.title} -> {result.folder}")
    for warning in result.warnings:
        print(warning)
    return max(codes, default=0)  # 1 when a cell failed, as bench run
