"""Curve cells unrolled: one row a curve, and each method's summary over its curves.

A curve cell (:func:`benchmark.engine.runner.evaluate`) scores a block of curves and stores one
list a metric; every summary here pools the curves of all blocks, so N is a number of curves.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from benchmark.core.curve_metrics import CURVE_METRICS, PK_PARAMETERS

#: The per-curve lists a curve cell stores, besides the metrics.
PK_COLUMNS = tuple(f"{p}_{s}" for p in PK_PARAMETERS for s in ("fit", "true"))
LIST_COLUMNS = (*CURVE_METRICS, *PK_COLUMNS, "fit_ok", "within_tolerance")
#: The identity of a cell kept on each of its curves' rows.
CELL_COLUMNS = ("dataset", "split", "image_id", "noise", "sigma", "seed", "method", "config",
                "seconds")


def curve_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """One row a curve of every curve cell of ``cells`` (a :meth:`Store.frame`-like frame).

    Columns: the cell's identity (:data:`CELL_COLUMNS`), ``curve`` (index in its block) and
    one column a stored list (:data:`LIST_COLUMNS`); fitted parameters are NaN where the fit
    failed. Cells without curve lists (image cells) give no rows.

    Examples
    --------
    >>> cells = pd.DataFrame({"dataset": ["d"], "split": ["test"], "image_id": ["b0"],
    ...     "noise": ["relative-gaussian"], "sigma": [0.2], "seed": [0], "method": ["m"],
    ...     "config": ["c"], "seconds": [0.1], **{c: [[1.0, None]] for c in LIST_COLUMNS}})
    >>> rows = curve_rows(cells)
    >>> len(rows), rows["ktrans_fit"].isna().tolist()
    (2, [False, True])
    """
    if "rmse" not in cells:
        return pd.DataFrame(columns=[*CELL_COLUMNS, "curve", *LIST_COLUMNS])
    cells = cells[cells["rmse"].map(lambda v: isinstance(v, list))]
    if cells.empty:
        return pd.DataFrame(columns=[*CELL_COLUMNS, "curve", *LIST_COLUMNS])
    lengths = cells["rmse"].map(len).to_numpy()
    rows = pd.DataFrame({c: np.repeat(cells[c].to_numpy(), lengths) for c in CELL_COLUMNS})
    rows["curve"] = np.concatenate([np.arange(n) for n in lengths])
    for column in LIST_COLUMNS:
        values = np.concatenate([np.asarray(v, dtype=object) for v in cells[column]])
        kind = bool if column in ("fit_ok", "within_tolerance") else float
        rows[column] = np.array([np.nan if v is None else v for v in values], dtype=kind)
    return rows


def curve_summary(rows: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Per method (rows in ``order``): mean per-curve errors, Ktrans RMSE over the fitted
    curves, the share of curves within the OSIPI tolerances and of failed fits, and N.

    A failed fit counts against the method: it is outside the tolerances and counted in
    ``failed_fits``; the Ktrans RMSE is over the curves whose fit succeeded.
    """
    def summarise(group: pd.DataFrame) -> pd.Series:
        error = group["ktrans_fit"] - group["ktrans_true"]
        return pd.Series({
            "rmse": group["rmse"].mean(), "prd": group["prd"].mean(),
            "cosine": group["cosine"].mean(),
            "ktrans_rmse": float(np.sqrt(np.nanmean(error**2))) if error.notna().any()
            else np.nan,
            "within_tolerance": group["within_tolerance"].mean(),
            "failed_fits": int((~group["fit_ok"]).sum()), "n_curves": len(group),
        })

    if rows.empty:
        return pd.DataFrame()
    table = rows.groupby("method")[list(rows.columns)].apply(summarise)
    table = table.astype({"failed_fits": int, "n_curves": int})
    return table.loc[[m for m in order if m in table.index]]
