"""``bench curves``: sweep the noise levels of Figure 3 into the store and draw the curves.

The default sweep (both kinds, the ten default levels, every plain method, the MNI152 test
split) draws into the default report's ``figures/``; any other sweep into a report folder of
its own (:mod:`benchmark.report.folders`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import add_data_options, add_run_options, load_split, make_noises, sweep
from benchmark.core.errors import BenchError
from benchmark.core.paths import REPORTS_DIR

_DEFAULT_SIGMAS = ["0.02", "0.04", "0.06", "0.08", "0.1", "0.12", "0.14", "0.16", "0.18", "0.2"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "curves", help="SSIM/PSNR against noise level (Figure 3): run missing cells, draw")
    parser.add_argument("--noise", nargs="+", default=["gaussian", "rician"],
                        help="noise kinds (default: gaussian rician)")
    parser.add_argument("--sigma", nargs="+", default=_DEFAULT_SIGMAS, metavar="SIGMA",
                        help=f"noise levels (default: {' '.join(_DEFAULT_SIGMAS)})")
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
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.store import Store
    from benchmark.report.build import curve_figures
    from benchmark.report.folders import Setting, report_folder
    from benchmark.report.tables import Selection

    methods = resolve_methods(args.methods)
    if not args.methods:  # as in bench report: the Rician-aware variants are bench fair's
        from methods.rician import base_name

        methods = [m for m in methods if base_name(m.name) == m.name]
    noises = [n for kind in dict.fromkeys(args.noise) for n in make_noises(kind, args.sigma)]
    default_levels = [n for kind in ("gaussian", "rician") for n in make_noises(kind, _DEFAULT_SIGMAS)]
    subset, _ = load_split(args)
    setting = Setting(subset.dataset, subset.split, args.limit,
                      None if noises == default_levels else tuple(noises), args.seed, args.clip,
                      methods=tuple(m.name for m in methods) if args.methods else None)
    out = args.out if args.out is not None else report_folder(REPORTS_DIR, setting)
    protected = out.resolve() == REPORTS_DIR.resolve()
    if protected and not setting.is_default:
        raise BenchError(f"--out {out} is the default report's folder; curves of another sweep "
                         f"go to {report_folder(REPORTS_DIR, setting)} (drop --out) or another "
                         "folder")
    if not args.no_run:
        for kind in dict.fromkeys(args.noise):
            sweep(args, [n for n in noises if n.kind == kind], methods)
    with Store(args.store) as store:
        cells = store.frame()
    cells = cells[cells["image_id"].isin(subset.ids)]
    selection = Selection(subset.dataset, subset.split, args.seed, args.clip)
    items, warnings = curve_figures(cells, methods, selection, out / "figures",
                                    kinds=list(dict.fromkeys(args.noise)),
                                    sigmas=sorted({n.sigma for n in noises}),
                                    image_ids=subset.ids, keep=protected)
    for item in items:
        print(f"{item.title} -> {out / 'figures'}")
    for warning in warnings:
        print(warning)
    return 0
