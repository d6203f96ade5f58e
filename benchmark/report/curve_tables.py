"""The curve track's tables: one a noise level, methods x curve and pharmacokinetic metrics.

Each row pools the per-curve values of every block (cell) of the test split it has:

- curve errors ``rmse``, ``max_dev``, ``prd``, ``cosine``: mean and sample sd over the N curves;
- for each of Ktrans, ve and vp, the refitted value against the truth: RMSE and mean absolute
  error over the curves whose fit succeeded (neither is computable for a failed fit), and the
  median relative error over all N curves with a failed fit counted as an infinite error;
- ``within_tolerance``: the share of all N curves whose three parameters are within the OSIPI
  tolerances (a failed fit is outside);
- ``fit_failed``: the number of failed fits, reported beside every PK error.

A failed fit counts against its method; it is never dropped from N. A block whose cell failed
(the method raised) is missing from N, and the row's ``failed_cells`` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.curve_metrics import OSIPI_TOLERANCE, PK_PARAMETERS, pk_errors, pooled
from benchmark.engine.runner import NOISY, method_config
from benchmark.engine.store import under_noise

#: Per-curve errors shown in the tables (``ssd`` is stored too, and is rmse^2 x T).
SHOWN_CURVE_METRICS = ("rmse", "max_dev", "prd", "cosine")
#: What kind of row a table has: the noisy input, a method with its defaults, a deep model, a
#: method with parameters tuned on the validation split.
ROW_KINDS = ("input", "classical", "deep", "tuned")
TUNED_SUFFIX = " (tuned)"
_UNITS = {"ktrans": "/min", "ve": "", "vp": ""}


@dataclass(frozen=True)
class CurveRow:
    """One row of a curve table: its label, the cells it reads (method and config), its kind."""

    label: str
    method: str
    config: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


def is_deep(method: Denoiser) -> bool:
    """Whether ``method`` is a learned model (whole-stack, or with trained weights)."""
    return method.batched or method.weights is not None


def curve_rows(methods: Sequence[Denoiser], tuned: Mapping[str, Mapping[str, Any]] | None = None
               ) -> list[CurveRow]:
    """The rows of one table: the noisy input, each method with its defaults, then each tuned
    method (``tuned``: method name -> chosen parameters) as ``<name> (tuned)``."""
    rows = [CurveRow(NOISY, NOISY, "-", "input")]
    for method in methods:
        rows.append(CurveRow(method.name, method.name, method_config(method),
                             "deep" if is_deep(method) else "classical",
                             method.resolve_params()))
    for method in methods:
        if tuned and method.name in tuned:
            params = method.resolve_params(tuned[method.name])
            rows.append(CurveRow(method.name + TUNED_SUFFIX, method.name,
                                 method_config(method, params), "tuned", params))
    return rows


def summarise_row(cells: pd.DataFrame) -> dict[str, float]:
    """Every number of one row from its cells (ok cells only; see the module's rules)."""
    ok = cells[cells["status"] == "ok"]
    out: dict[str, float] = {"n_curves": 0, "failed_cells": int(len(cells) - len(ok))}
    if ok.empty:
        return out
    fit_ok = pooled(ok, "fit_ok").astype(bool)
    out["n_curves"] = len(fit_ok)
    for metric in SHOWN_CURVE_METRICS:
        values = pooled(ok, metric)
        out[f"{metric}_mean"] = float(np.nanmean(values)) if len(values) else float("nan")
        out[f"{metric}_sd"] = float(np.nanstd(values, ddof=1)) if len(values) > 1 else float("nan")
    for name in PK_PARAMETERS:
        errors = pk_errors(pooled(ok, f"{name}_fit"), pooled(ok, f"{name}_true"))
        out.update({f"{name}_{k}": v for k, v in errors.items()})
    out["within_tolerance"] = float(np.mean(pooled(ok, "within_tolerance").astype(bool)))
    out["fit_failed"] = int((~fit_ok).sum())
    return out


def build_curve_table(cells: pd.DataFrame, noise: Noise, rows: Sequence[CurveRow], *,
                      dataset: str, split: str, ids: Sequence[str] | None = None,
                      seed: int = 0) -> pd.DataFrame:
    """One row a :class:`CurveRow` under ``noise``, from the store's cells of ``dataset`` /
    ``split`` (only the blocks ``ids`` when given) and ``seed``.

    Returns
    -------
    pandas.DataFrame
        ``label``, ``method``, ``kind``, ``config``, ``params`` (JSON), ``sigma``,
        ``n_curves``, ``failed_cells``, ``<metric>_mean``/``_sd`` for the curve errors,
        ``<p>_rmse``/``_mae``/``_medrel`` for ktrans, ve, vp, ``within_tolerance``,
        ``fit_failed``.
    """
    mine = cells[(cells["dataset"] == dataset) & (cells["split"] == split)
                 & (cells["seed"] == seed) & ~cells["clip"].astype(bool)
                 & under_noise(cells, noise)]
    if ids is not None:
        mine = mine[mine["image_id"].isin(list(ids))]
    records = []
    for row in rows:
        picked = mine[(mine["method"] == row.method) & (mine["config"] == row.config)]
        records.append({"label": row.label, "method": row.method, "kind": row.kind,
                        "config": row.config, "params": json.dumps(dict(row.params),
                                                                   sort_keys=True),
                        "sigma": noise.sigma, **summarise_row(picked)})
    return pd.DataFrame(records, columns=COLUMNS)


COLUMNS = (["label", "method", "kind", "config", "params", "sigma", "n_curves", "failed_cells"]
           + [f"{m}_{s}" for m in SHOWN_CURVE_METRICS for s in ("mean", "sd")]
           + [f"{p}_{e}" for p in PK_PARAMETERS for e in ("rmse", "mae", "medrel")]
           + ["within_tolerance", "fit_failed"])


def problems(frame: pd.DataFrame, curves: int) -> list[str]:
    """One line a row with failed cells or fewer than ``curves`` curves."""
    lines = []
    for row in frame.itertuples():
        if row.failed_cells or row.n_curves < curves:
            lines.append(f"{row.label}: {row.n_curves} of {curves} curves, "
                         f"{row.failed_cells} failed cell(s)")
    return lines


def _num(value: float, digits: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}g}" if digits < 0 else f"{value:.{digits}f}"


def _pm(row: Any, metric: str, digits: int) -> str:
    mean, sd = getattr(row, f"{metric}_mean", np.nan), getattr(row, f"{metric}_sd", np.nan)
    if pd.isna(mean):
        return "–"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}" if not pd.isna(sd) else f"{mean:.{digits}f}"


CURVE_HEADER = ["Method", "RMSE mM", "max dev mM", "PRD %", "cosine", "N curves"]
PK_HEADER = ["Method", "Ktrans RMSE /min", "Ktrans MAE /min", "Ktrans med rel", "ve RMSE",
             "ve med rel", "vp RMSE", "vp med rel", "within tol", "failed fits"]


def display_rows(frame: pd.DataFrame) -> tuple[list[list[str]], list[list[str]]]:
    """The cell text of the curve-error table and of the PK table (Markdown and HTML)."""
    curve, pk = [], []
    for row in frame.itertuples():
        curve.append([row.label, _pm(row, "rmse", 5), _pm(row, "max_dev", 5), _pm(row, "prd", 1),
                      _pm(row, "cosine", 4), str(int(row.n_curves))])
        pk.append([row.label, _num(row.ktrans_rmse, 4), _num(row.ktrans_mae, 4),
                   _percent(row.ktrans_medrel), _num(row.ve_rmse, 4), _percent(row.ve_medrel),
                   _num(row.vp_rmse, 4), _percent(row.vp_medrel),
                   _percent(row.within_tolerance),
                   f"{int(row.fit_failed) if not pd.isna(row.fit_failed) else 0} of "
                   f"{int(row.n_curves)}"])
    return curve, pk


def _percent(value: float) -> str:
    if pd.isna(value):
        return "–"
    return "inf" if np.isinf(value) else f"{100 * value:.1f}%"


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def table_notes(context: str) -> list[str]:
    """The notes under every curve table: what each number is."""
    tolerance = ", ".join(f"|d{p}| <= {a:g}{_UNITS[p] and ' ' + _UNITS[p]}"
                          + (f" + {100 * r:g}% of the true value" if r else "")
                          for p, (a, r) in OSIPI_TOLERANCE.items())
    return [context,
            "Curve errors: mean ± sample sd over the N test curves (every block pooled), "
            "denoised against clean, in mM (PRD in %).",
            "PK: the extended Tofts model refitted to each denoised curve (bounded, one fixed "
            "start), against the true parameters. RMSE and MAE over the curves whose fit "
            "succeeded; median relative error over all N curves with a failed fit counted as "
            "an infinite error; 'failed fits' counts them.",
            f"Within tol: share of all N curves with all three parameters within the OSIPI "
            f"tolerances ({tolerance}); a failed fit is outside.",
            "(tuned) rows: the method's grid point with the lowest mean curve RMSE on the "
            "validation split at this noise level; other rows use the method's defaults."]


def curve_table_stem(noise: Noise) -> str:
    """The file stem of one level's table, e.g. ``table-relative-gaussian-0.2``."""
    return f"table-{noise.kind}-{noise.sigma:g}"


def to_markdown(frame: pd.DataFrame, noise: Noise, notes: Sequence[str]) -> str:
    """One level's table as Markdown: curve errors, then PK errors, then the notes."""
    curve, pk = display_rows(frame)
    title = f"DCE curves, {noise.kind} noise at {100 * noise.sigma:g}%"
    return (f"# {title}\n\n## Curve errors\n\n{_markdown(CURVE_HEADER, curve)}\n\n"
            f"## Pharmacokinetic parameters\n\n{_markdown(PK_HEADER, pk)}\n\n"
            + "\n".join(f"- {n}" for n in [*notes, *parameter_notes(frame)]) + "\n")


def parameter_notes(frame: pd.DataFrame) -> list[str]:
    """One line a row with parameters: its label and the parameters its cells used."""
    return [f"`{row.label}`: parameters {row.params}" for row in frame.itertuples()
            if row.params not in ("{}", "")]


def write_curve_table(frame: pd.DataFrame, noise: Noise, out_dir: Path, *, context: str
                      ) -> list[Path]:
    """Write ``table-<kind>-<sigma>.md`` and ``.csv``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = curve_table_stem(noise)  # has a dot in the level: no with_suffix
    paths = [out_dir / f"{stem}.md", out_dir / f"{stem}.csv"]
    paths[0].write_text(to_markdown(frame, noise, table_notes(context)), encoding="utf-8")
    frame.to_csv(paths[1], index=False, float_format="%.6g")
    return paths
