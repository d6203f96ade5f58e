"""``bench check``: rerun a small fixed subset and fail when a method's metrics got worse."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmark.cli.common import positive_int
#: The committed baseline (package data; see benchmark.engine.check.BASELINE_DIR).
BASELINE_DIR = Path(__file__).resolve().parents[1] / "engine" / "baseline"


def add_parser(subparsers) -> argparse.ArgumentParser:
    # Building the parser must stay cheap: benchmark.engine.check is imported only when the command runs.
    parser = subparsers.add_parser(
        "check",
        help="compare every method on a small fixed subset with the committed baseline",
        description="Runs every registered method on the first 4 MNI152 test slices (Gaussian "
                    "0.10, Rician 0.11, seed 0, CPU) and compares the mean PSNR and SSIM with the "
                    "baseline CSVs; and every curve method on the first block of 64 dce-sim "
                    "test curves (relative-gaussian 0.10 and 0.30), comparing mean curve RMSE, "
                    "Ktrans RMSE, the share within the OSIPI tolerances and failed fits. Exit 1 "
                    "on a regression: a mean worse by more than 0.1 dB PSNR or 0.002 SSIM (the "
                    "curve track: 1e-4 mM, 5e-4 /min, 0.02, 1 fit), or a baseline method that "
                    "fails or is gone. New methods are reported only. With --methods, the curve "
                    "track runs only when a curve method is selected. Each further noise kind "
                    "with a table in the default report (Table 3 onward: ncchi8 0.05, poisson "
                    "30, ...) is checked at its table's level on the first 4 test images of its "
                    "dataset, without the deep models no checkpoint covers; a kind without a "
                    "baseline yet is reported as new ('bench check --update --noise KIND' "
                    "writes it).")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the baseline with this run's numbers (then commit it)")
    parser.add_argument("--baseline", type=Path, default=BASELINE_DIR,
                        help=f"baseline folder (default: {BASELINE_DIR})")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="check only these methods or patterns such as 'nlm*' (default: all; "
                             "--update needs all)")
    parser.add_argument("--noise", nargs="+", metavar="KIND",
                        help="check only these image noise kinds (gaussian, rician and the "
                             "kinds of Table 3 onward), without the curve track; with --update, "
                             "rewrite only their baseline files")
    parser.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--all", action="store_true",
                        help="also list the metrics that did not move")
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.engine.check import (check_noises, compare, kind_noises, measure_all,
                                        noise_file_name, read_baseline, write_baseline)
    from benchmark.core.errors import BenchError
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.check_curves import (CURVE_BASELINE_COLUMNS, CURVE_CHECK_NOISES,
                                               CURVE_HIGHER, CURVE_TOLERANCES, check_curves,
                                               measure_curves)

    if args.update and args.methods:
        raise BenchError("--update rewrites the whole baseline; drop --methods")
    noises = check_noises(_check_kinds(args.noise))
    if args.update and args.baseline == BASELINE_DIR and not _in_checkout():
        raise BenchError(f"--update would write into the installed package ({BASELINE_DIR}); "
                         "give --baseline FOLDER for a baseline of your own")
    methods = resolve_methods(args.methods)
    if args.methods and all(m.data == "volume" for m in methods):
        raise BenchError("bench check measures images and curves; the 3-D methods run on "
                         "volumes (bench run --volumes)")
    methods = [m for m in methods if m.data != "volume"]  # the check's images are slices
    curve_methods = [m for m in methods if m.applies_to(CURVE_CHECK_NOISES[0].kind)]
    curves = not args.noise and (not args.methods or bool(curve_methods))
    baseline = curve_baseline = None
    if not args.update:
        optional = kind_noises()
        baseline = read_baseline(noises, args.baseline, optional=optional)
        for noise in optional:
            if noise in noises and noise not in baseline:
                print(f"check: no baseline for {noise} ({noise_file_name(noise)}): its methods "
                      f"are reported as new; write it with 'bench check --update --noise "
                      f"{noise.kind}' and commit it")
        if curves:
            curve_baseline = read_baseline(CURVE_CHECK_NOISES, args.baseline,
                                           columns=CURVE_BASELINE_COLUMNS)
    current = measure_all(methods, noises, jobs=args.jobs, progress=not args.quiet)
    curve_current = (measure_curves(check_curves(), curve_methods, jobs=args.jobs,
                                    progress=not args.quiet) if curves else {})
    if args.update:
        for path in write_baseline({**current, **curve_current}, args.baseline,
                                   replace_all=not args.noise):
            print(f"baseline -> {path}")
        for noise, frame in {**current, **curve_current}.items():
            for row in frame[frame["failed"] > 0].itertuples():
                print(f"warning: {row.method} failed {row.failed} cell(s) under {noise}; the "
                      "baseline records that, fix the method before committing it")
        return 0
    only = [m.name for m in methods] if args.methods else None
    changes = compare(baseline, current, only=only)
    if curves:
        changes += compare(curve_baseline, curve_current, CURVE_TOLERANCES, only=only,
                           higher=CURVE_HIGHER)
    shown = [c for c in changes if args.all or c.status != "same"]
    for change in shown:
        print(change.describe())
    regressions = [c for c in changes if c.regression]
    counts = {s: sum(c.status == s for c in changes)
              for s in ("same", "better", "worse", "failed", "missing", "new")}
    print("check: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" (tolerances: {', '.join(f'{k} {v:g}' for k, v in _tolerances().items())})")
    if regressions:
        print(f"check: FAILED, {len(regressions)} regression(s); if the change is intended, run "
              "'bench check --update' and commit benchmark/engine/baseline/")
        return 1
    print("check: OK")
    return 0


def _check_kinds(kinds: list[str] | None) -> list[str] | None:
    """``--noise``: each kind must be one the check covers (one line naming them if not)."""
    if not kinds:
        return None
    from benchmark.core.errors import BenchError
    from benchmark.engine.check import check_noises

    covered = list(dict.fromkeys(n.kind for n in check_noises()))
    for kind in kinds:
        if kind not in covered:
            raise BenchError(f"--noise {kind}: bench check covers {', '.join(covered)}; give "
                             "some of those (a kind needs a report_level to be checked)")
    return list(kinds)


def _in_checkout() -> bool:
    """Whether the package runs from a source checkout (whose baseline is committed there)."""
    from benchmark.core.paths import SOURCE_ROOT

    return (SOURCE_ROOT / ".git").exists()


def _tolerances() -> dict[str, float]:
    from benchmark.engine.check import TOLERANCES
    from benchmark.engine.check_curves import CURVE_TOLERANCES

    return {**TOLERANCES, **CURVE_TOLERANCES}
