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
OPTIONAL_COLUMNS = ("psnr_slices", "ssim_slices", "psnr_anatomy", "ssim_anatomy",
                    "sigma_error")
#: Decimals of each column when printed.
DIGITS = {"psnr": 2, "ssim": 4, "psnr_slices": 2, "ssim_slices": 4, "psnr_anatomy": 2, "ssim_anatomy": 4, "sigma_error": 4,
          "seconds": 3}


def sweep_cells(cells: pd.DataFrame, split: Split, noises: Sequence[Noise],
                methods: Sequence[Denoiser], *, seed: int = 0, clip: bool = False,
                sigma_source: str = "oracle", precision: str = "fp32") -> pd.DataFrame:
    """The ok cells of the sweep ``split`` x ``noises`` x ``methods`` (with the noisy input),
    one row an image and a method, as :meth:`benchmark.engine.store.Store.frame` gives them;
    a method that offers ``precision`` at that precision, the others at float32."""
    configs = {NOISY: "-", **{m.name: method_config(
        m, sigma_source=sigma_source, precision=precision if precision in m.precisions else "fp32")
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
    for curve cells, :data:`CURVE_COLUMNS` pooled over every curve of the blocks.
    """
    picked = cells[under_noise(cells, noise)]
    if is_curves(picked):
        return curve_means(picked, order)
    if picked.empty:
        return pd.DataFrame(columns=["psnr", "ssim", "seconds"])
    present = set(picked["method"])
    columns = ["psnr", "ssim"] + [c for c in OPTIONAL_COLUMNS
                                  if c in picked and picked[c].notna().any()] + ["seconds"]
    return picked.groupby("method")[columns].mean().loc[[m for m in order if m in present]]


#: What ``bench run`` shows of curve cells (:func:`benchmark.report.curve_tables.summarise_row`),
#: with its decimals: mean per-curve RMSE (mM), PRD (%) and cosine, the Ktrans RMSE (/min, over
#: the fitted curves), the share within the OSIPI tolerances, failed fits and N curves.
CURVE_COLUMNS = {"rmse_mean": 5, "prd_mean": 2, "cosine_mean": 5, "ktrans_rmse": 5,
                 "within_tolerance": 3, "fit_failed": 0, "n_curves": 0}


def is_curves(cells: pd.DataFrame) -> bool:
    """Whether ``cells`` are curve cells (per-curve lists instead of PSNR/SSIM)."""
    return "rmse" in cells and bool(cells["rmse"].map(lambda v: isinstance(v, list)).any())


def curve_means(cells: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """:data:`CURVE_COLUMNS` per method (rows in ``order``), pooled over its curves."""
    from benchmark.report.curve_tables import summarise_row

    present = set(cells["method"])
    frame = pd.DataFrame.from_dict({m: summarise_row(cells[cells["method"] == m])
                                    for m in order if m in present}, orient="index")
    return frame.reindex(columns=list(CURVE_COLUMNS))


def format_means(cells: pd.DataFrame, noises: Sequence[Noise], order: Sequence[str]) -> str:
    """One block per noise setting: a heading with N images (or curves), then the means."""
    blocks = []
    for noise in noises:
        picked = cells[under_noise(cells, noise)]
        if is_curves(picked):
            means = curve_means(picked, order)
            blocks.append(f"\n{noise}: over {int(means['n_curves'].max())} curves a method "
                          "(curve errors in mM; Ktrans RMSE in /min over the fitted curves; "
                          "share within the OSIPI tolerances)\n"
                          + means.round(CURVE_COLUMNS).to_string())
            continue
        means = mean_table(cells, noise, order)
        if means.empty:
            continue
        picked = cells[under_noise(cells, noise)]
        items = ("volumes (PSNR and 3-D SSIM on each volume; *_slices: mean over its slices)"
                 if "psnr_slices" in means else "images")
        blocks.append(f"\n{noise}: mean over {picked['image_id'].nunique()} {items}\n"
                      + means.round(DIGITS).to_string())
    return "\n".join(blocks)
