"""Each method's mean metrics over the cells of one sweep (what ``bench run`` prints).

Only the sweep's own cells count: its dataset, split, images, seed, clipping and each method's
current parameters; an older cell with other parameters never enters a mean.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.engine.runner import NOISY, Split, method_config
from benchmark.engine.store import under_noise

#: Mean columns shown beside PSNR and SSIM when the cells hold them.
OPTIONAL_COLUMNS = ("psnr_anatomy", "ssim_anatomy", "sigma_error")
#: Decimals of each column when printed.
DIGITS = {"psnr": 2, "ssim": 4, "psnr_anatomy": 2, "ssim_anatomy": 4, "sigma_error": 4,
          "seconds": 3}


def sweep_cells(cells: pd.DataFrame, split: Split, noises: Sequence[Noise],
                methods: Sequence[Denoiser], *, seed: int = 0, clip: bool = False,
                sigma_source: str = "oracle") -> pd.DataFrame:
    """The ok cells of the sweep ``split`` x ``noises`` x ``methods`` (with the noisy input),
    one row an image and a method, as :meth:`benchmark.engine.store.Store.frame` gives them."""
    configs = {NOISY: "-", **{m.name: method_config(m, sigma_source=sigma_source)
                              for m in methods}}
    cells = cells[(cells["dataset"] == split.dataset) & (cells["split"] == split.split)
                  & (cells["clip"] == clip) & cells["image_id"].isin(split.ids)]
    wanted = pd.Series(False, index=cells.index)
    for noise in noises:
        wanted |= under_noise(cells, noise)
    picked = cells[wanted & (cells["seed"] == seed) & (cells["status"] == "ok")
                   & (cells["method"].map(configs) == cells["config"])]
    return picked.reset_index(drop=True)


def mean_table(cells: pd.DataFrame, noise: Noise, order: Sequence[str]) -> pd.DataFrame:
    """Mean metrics per method (rows in ``order``) of ``cells`` under ``noise``; empty if none.

    Columns: psnr, ssim, the optional anatomy and sigma-error columns the cells hold, seconds;
    for curve cells, the curve summary (:func:`benchmark.report.curve_rows.curve_summary`).
    """
    from benchmark.report.curve_rows import curve_rows, curve_summary

    rows = curve_rows(cells)
    if not rows.empty:
        return curve_summary(rows[under_noise(rows, noise)], order)
    picked = cells[under_noise(cells, noise)]
    if picked.empty:
        return pd.DataFrame(columns=["psnr", "ssim", "seconds"])
    present = set(picked["method"])
    columns = ["psnr", "ssim"] + [c for c in OPTIONAL_COLUMNS
                                  if c in picked and picked[c].notna().any()] + ["seconds"]
    return picked.groupby("method")[columns].mean().loc[[m for m in order if m in present]]


#: Decimals of each column of a curve summary when printed.
CURVE_DIGITS = {"rmse": 5, "prd": 2, "cosine": 5, "ktrans_rmse": 5, "within_tolerance": 3}


def format_means(cells: pd.DataFrame, noises: Sequence[Noise], order: Sequence[str]) -> str:
    """One block per noise setting: a heading with N images (or curves), then the means."""
    from benchmark.report.curve_rows import curve_rows, curve_summary

    rows = curve_rows(cells)
    blocks = []
    for noise in noises:
        if not rows.empty:
            picked = rows[under_noise(rows, noise)]
            summary = curve_summary(picked, order)
            if not summary.empty:
                blocks.append(f"\n{noise}: over {len(picked) // len(summary)} curves (mM; "
                              "Ktrans RMSE in /min over fitted curves; share within the OSIPI "
                              "tolerances)\n" + summary.round(CURVE_DIGITS).to_string())
            continue
        means = mean_table(cells, noise, order)
        if means.empty:
            continue
        picked = cells[under_noise(cells, noise)]
        blocks.append(f"\n{noise}: mean over {picked['image_id'].nunique()} images\n"
                      + means.round(DIGITS).to_string())
    return "\n".join(blocks)
