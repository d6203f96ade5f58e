"""The curve track of ``bench check``: a fixed block of DCE curves against a committed baseline.

Every method that applies to relative-Gaussian noise, and the noisy input, runs on the first
block (64 curves) of the ``dce-sim`` test split at 10% and 30% noise, seed 0, CPU. Per method
and level the check keeps the mean per-curve RMSE, the Ktrans RMSE over the successful fits,
the share of curves within the OSIPI tolerances and the number of failed fits, and compares
them with ``benchmark/engine/baseline/check-relative-gaussian-<sigma>.csv`` as the image
track does (:func:`benchmark.engine.check.compare`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.curve_metrics import pk_errors, pooled
from benchmark.data.cards import load_dataset
from benchmark.engine.runner import NOISY, method_config, plan, run_sweep
from benchmark.engine.store import Store, under_noise

CURVE_CHECK_DATASET = "dce-sim"
CURVE_CHECK_SPLIT = "test"
CURVE_CHECK_BLOCKS = 1
CURVE_CHECK_NOISES: tuple[Noise, ...] = (Noise("relative-gaussian", 0.1),
                                         Noise("relative-gaussian", 0.3))
CURVE_CHECK_SEED = 0

#: How far each summary may move the wrong way before it is a regression (its own units).
CURVE_TOLERANCES: dict[str, float] = {"rmse": 1e-4, "ktrans_rmse": 5e-4,
                                      "within_tolerance": 0.02, "fit_failed": 1.0}
#: The direction of each summary (higher is better?).
CURVE_HIGHER: dict[str, bool] = {"rmse": False, "ktrans_rmse": False,
                                 "within_tolerance": True, "fit_failed": False}
#: Columns of a curve baseline CSV: ``n`` counts curves, ``failed`` failed cells.
CURVE_BASELINE_COLUMNS = ["method", "config", "n", "failed", *CURVE_TOLERANCES]


def check_curves(blocks: int = CURVE_CHECK_BLOCKS) -> Any:
    """The clean curves of the fixed subset (a :class:`~benchmark.data.curves.CurveSet`)."""
    return load_dataset(CURVE_CHECK_DATASET, CURVE_CHECK_SPLIT).head(blocks)


def summarise_curve_cells(cells: pd.DataFrame, noise: Noise, configs: dict[str, str]
                          ) -> pd.DataFrame:
    """Per method under ``noise``: curves, failed cells, mean curve RMSE, Ktrans RMSE,
    share within tolerance (of all curves), failed fits."""
    rows = []
    for method, config in configs.items():
        picked = cells[under_noise(cells, noise) & (cells["method"] == method)
                       & (cells["config"] == config)]
        ok = picked[picked["status"] == "ok"]
        fit_ok = pooled(ok, "fit_ok").astype(bool)
        nan = float("nan")
        rows.append({
            "method": method, "config": config, "n": len(fit_ok),
            "failed": int(len(picked) - len(ok)),
            "rmse": float(np.mean(pooled(ok, "rmse"))) if len(fit_ok) else nan,
            "ktrans_rmse": (pk_errors(pooled(ok, "ktrans_fit"), pooled(ok, "ktrans_true"))["rmse"]
                            if len(fit_ok) else nan),
            "within_tolerance": (float(np.mean(pooled(ok, "within_tolerance").astype(bool)))
                                 if len(fit_ok) else nan),
            "fit_failed": float((~fit_ok).sum()) if len(fit_ok) else nan,
        })
    return pd.DataFrame(rows, columns=CURVE_BASELINE_COLUMNS)


def measure_curves(curves: Any, methods: Sequence[Denoiser],
                   noises: Sequence[Noise] = CURVE_CHECK_NOISES, *, jobs: int = 1,
                   progress: bool = False, store_path: Path | None = None
                   ) -> dict[Noise, pd.DataFrame]:
    """Run the curve subset into a store (temporary unless ``store_path``) and summarise it.

    Methods that do not apply to a level's noise kind get no row; the noisy input always has
    one (``noisy``).

    Returns
    -------
    dict
        ``Noise -> DataFrame`` with :data:`CURVE_BASELINE_COLUMNS`, one row a method.
    """
    with tempfile.TemporaryDirectory(prefix="bench-check-curves-") as scratch:
        path = store_path or Path(scratch) / "check.sqlite"
        tasks = plan(curves, noises, methods, seed=CURVE_CHECK_SEED, device="cpu")
        with Store(path) as store:
            run_sweep(tasks, store, curves, jobs=jobs, progress=progress, command="bench check")
            cells = store.frame()
    cells = cells[(cells["dataset"] == curves.dataset) & (cells["split"] == curves.split)
                  & cells["image_id"].isin(curves.ids) & (cells["seed"] == CURVE_CHECK_SEED)]
    return {noise: summarise_curve_cells(cells, noise, {
                NOISY: "-", **{m.name: method_config(m) for m in methods
                               if m.applies_to(noise.kind)}})
            for noise in noises}
