"""The curve report's figures, made without pyplot (see :mod:`benchmark.report.figures`).

- :func:`plot_against_level`: Ktrans RMSE and curve RMSE against the noise level, a line a row;
- :func:`plot_examples`: a few test curves at one level: clean, noisy and denoised;
- :func:`plot_pk_scatter`: fitted against true Ktrans, a panel a row, failed fits counted.

:func:`example_curves` makes the examples' data: the noisy curves are drawn from the cell's
identity exactly as the sweep drew them, and denoised on the fly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Noise
from benchmark.core.noise import add_noise
from benchmark.engine.runner import NOISY
from benchmark.report.curve_tables import CurveRow, pooled

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_STYLE = {"input": dict(color="black", linestyle=":"), "classical": dict(linestyle="-"),
          "tuned": dict(linestyle="--"), "deep": dict(linestyle="-.")}


def plot_against_level(frame: pd.DataFrame) -> "Figure":
    """Ktrans RMSE (left) and mean curve RMSE (right) against the noise level in %.

    ``frame``: the curve tables of every level stacked (``sigma``, ``label``, ``kind``,
    ``ktrans_rmse``, ``rmse_mean``).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.8))
    axes = figure.subplots(1, 2)
    for label, rows in frame.groupby("label", sort=False):
        rows = rows.sort_values("sigma")
        style = _STYLE.get(rows["kind"].iloc[0], {})
        for ax, column in zip(axes, ("ktrans_rmse", "rmse_mean")):
            ax.plot(100 * rows["sigma"], rows[column], marker="o", markersize=3, label=label,
                    **style)
    axes[0].set(xlabel="noise level (% of each curve's mean)", ylabel="Ktrans RMSE (/min)",
                title="Ktrans refitted to the denoised curves")
    axes[1].set(xlabel="noise level (% of each curve's mean)", ylabel="curve RMSE (mM)",
                title="Denoised against clean curves")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    figure.tight_layout()
    return figure


def example_curves(curves: Any, block_id: str, noise: Noise, rows: Sequence[CurveRow], *,
                   seed: int = 0, count: int = 4, device: str = "cpu"
                   ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """``count`` curves of block ``block_id``: ``(t, {"clean", "noisy", <row label>...}, ktrans)``.

    The curves are spread over the block's range of true Ktrans; the noisy ones are the
    sweep's (same identity, same draw), each row's method denoises the whole block.
    """
    from benchmark.core.registry import get_method

    clean = curves.image(block_id)
    truth = curves.truth(block_id)
    noisy = add_noise(clean, noise, image_id=block_id, seed=seed, clip=False)
    order = np.argsort(truth["ktrans"], kind="stable")
    pick = order[np.linspace(0, len(order) - 1, min(count, len(order))).round().astype(int)]
    shown = {"clean": clean[pick], "noisy": noisy[pick]}
    for row in rows:
        if row.method == NOISY:
            continue
        method = get_method(row.method)
        device_used = device if "cuda" in method.devices else "cpu"
        shown[row.label] = method(noisy, noise, device=device_used, params=row.params)[pick]
    return np.asarray(truth["t"]), shown, np.asarray(truth["ktrans"])[pick]


def plot_examples(t: np.ndarray, shown: Mapping[str, np.ndarray], ktrans: np.ndarray,
                  noise: Noise) -> "Figure":
    """One panel a curve: clean, noisy and each denoised version against time."""
    from matplotlib.figure import Figure

    count = len(ktrans)
    figure = Figure(figsize=(3.6 * count, 3.4))
    axes = np.atleast_1d(figure.subplots(1, count, sharey=False))
    for k, ax in enumerate(axes):
        for label, values in shown.items():
            style = (dict(color="black", linewidth=2) if label == "clean" else
                     dict(color="0.6", marker=".", linestyle="none") if label == "noisy" else
                     dict(linewidth=1.3))
            ax.plot(t, values[k], label=label, **style)
        ax.set(title=f"true Ktrans {ktrans[k]:.3f} /min", xlabel="time (min)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("concentration (mM)")
    axes[-1].legend(fontsize=7, loc="lower right")
    figure.suptitle(f"Example test curves at {100 * noise.sigma:g}% noise")
    figure.tight_layout()
    return figure


def scatter_data(cells: pd.DataFrame, row: CurveRow) -> tuple[np.ndarray, np.ndarray]:
    """True and fitted Ktrans of every curve of ``row``'s ok cells (NaN for a failed fit)."""
    mine = cells[(cells["method"] == row.method) & (cells["config"] == row.config)
                 & (cells["status"] == "ok")]
    return pooled(mine, "ktrans_true"), pooled(mine, "ktrans_fit")


def plot_pk_scatter(series: Mapping[str, tuple[np.ndarray, np.ndarray]], noise: Noise
                    ) -> "Figure":
    """Fitted against true Ktrans, a panel a row (``label -> (true, fitted)``), with the
    identity line; the title counts the failed fits, which have no point."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2 * len(series), 4.2))
    axes = np.atleast_1d(figure.subplots(1, len(series), sharex=True, sharey=True))
    for ax, (label, (true, fitted)) in zip(axes, series.items()):
        ok = np.isfinite(fitted)
        ax.scatter(true[ok], fitted[ok], s=6, alpha=0.5)
        low, high = (float(np.min(true)), float(np.max(true))) if len(true) else (0.0, 1.0)
        ax.plot([low, high], [low, high], color="black", linewidth=1)
        ax.set(title=f"{label}\n{int((~ok).sum())} of {len(true)} fits failed",
               xlabel="true Ktrans (/min)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fitted Ktrans (/min)")
    figure.suptitle(f"Ktrans refitted at {100 * noise.sigma:g}% noise")
    figure.tight_layout()
    return figure
