"""The volume table: one row a method, scores on whole volumes and per slice (``--volumes``).

Columns: how the method ran (``3-D`` on the volume, ``slice-wise`` on its axial slices one by
one, ``–`` for the noisy input), PSNR and 3-D SSIM on the volume, the mean per-slice PSNR and
SSIM (2-D, as in the image tables), each as mean ± sample std over the volumes, N volumes,
failed cells, and the mean seconds a volume. Only cells at each method's current parameters
count (:func:`benchmark.report.means.sweep_cells`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from benchmark.core.contract import Denoiser, Noise, slice_wise
from benchmark.core.metrics import summarise
from benchmark.engine.runner import NOISY, method_config
from benchmark.engine.store import under_noise

#: The scored columns: cell column -> (header, decimals).
METRICS = {"psnr": ("PSNR (dB)", 2), "ssim": ("SSIM 3-D", 4),
           "psnr_slices": ("PSNR per slice (dB)", 2), "ssim_slices": ("SSIM per slice", 4)}
HEADER = ["Method", "Runs", *(label for label, _ in METRICS.values()), "N", "Failed",
          "s / volume"]


def how_it_runs(method: Denoiser) -> str:
    """``"slice-wise"`` for an image method, ``"3-D"`` for a volume method."""
    return "slice-wise" if slice_wise(method, "volume") else "3-D"


def build_volume_table(cells: pd.DataFrame, noise: Noise, methods: Sequence[Denoiser], *,
                       seed: int = 0, clip: bool = False,
                       sigma_source: str = "oracle") -> pd.DataFrame:
    """One row a method (the noisy input first) from the store's cells of a volume split.

    ``cells`` are the store's cells of the split's volumes (any status); ``n`` counts the ok
    cells, ``failed`` the others, ``error`` the first error.

    Examples
    --------
    >>> cells = pd.DataFrame({"method": ["noisy", "noisy"], "config": ["-", "-"],
    ...     "noise": "gaussian", "sigma": 0.1, "seed": 0, "clip": False, "status": "ok",
    ...     "error": None, "psnr": [20.0, 22.0], "ssim": [0.2, 0.3], "psnr_slices": [20.0, 22.0],
    ...     "ssim_slices": [0.2, 0.3], "seconds": [0.0, 0.0]})
    >>> frame = build_volume_table(cells, Noise("gaussian", 0.1), [])
    >>> row = frame.iloc[0]
    >>> row["method"], row["runs"], float(row["psnr_mean"]), int(row["n"])
    ('noisy', '–', 21.0, 2)
    """
    configs = {NOISY: "-", **{m.name: method_config(m, sigma_source=sigma_source)
                              for m in methods}}
    picked = cells[under_noise(cells, noise) & (cells["seed"] == seed) & (cells["clip"] == clip)
                   & (cells["method"].map(configs) == cells["config"])]
    rows = []
    for name, runs in [(NOISY, "–")] + [(m.name, how_it_runs(m)) for m in methods]:
        mine = picked[picked["method"] == name]
        ok = mine[mine["status"] == "ok"]
        row = {"method": name, "runs": runs}
        for column in METRICS:
            values = ok[column] if column in ok else pd.Series(dtype=float)
            summary = summarise(values.astype(float).to_numpy())
            row[f"{column}_mean"], row[f"{column}_std"] = summary.mean, summary.std
        errors = mine[mine["status"] != "ok"]
        row.update(n=len(ok), failed=len(errors),
                   error=str(errors["error"].iloc[0]) if len(errors) else "",
                   seconds=float(ok["seconds"].mean()) if len(ok) else float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def best(frame: pd.DataFrame, runs: str) -> str | None:
    """The method of ``runs`` (``"3-D"`` or ``"slice-wise"``) with the highest mean PSNR."""
    chosen = frame[(frame["runs"] == runs) & (frame["n"] > 0)]
    return None if chosen.empty else str(chosen.loc[chosen["psnr_mean"].idxmax(), "method"])


def display_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The table's cells as text (``mean ± std``; ``–`` where nothing was scored)."""
    rows = []
    for _, row in frame.iterrows():
        cells = [row["method"], row["runs"]]
        for column, (_, digits) in METRICS.items():
            mean, std = row[f"{column}_mean"], row[f"{column}_std"]
            cells.append("–" if row["n"] == 0 else f"{mean:.{digits}f} ± {std:.{digits}f}")
        seconds = row["seconds"]
        cells += [str(int(row["n"])), str(int(row["failed"])),
                  "–" if pd.isna(seconds) else f"{seconds:.3g}"]
        rows.append(cells)
    return rows


def table_stem(noise: Noise) -> str:
    """File stem of a noise setting's table: ``volumes-gaussian-0.1``."""
    return f"volumes-{noise.kind}-{noise.sigma:g}"


def table_notes(context: str) -> list[str]:
    """The notes under every volume table."""
    return [context,
            "Each cell is one whole volume (D, H, W). Runs: 3-D methods filter the volume; "
            "slice-wise methods (every image method) denoise its D axial slices one by one.",
            "PSNR over every voxel (data range 1); SSIM 3-D: scikit-image structural_similarity "
            "on the 3-D arrays (Gaussian window sigma 1.5, use_sample_covariance=False, "
            "data range 1; win_size 11, or the largest odd size under the thinnest side). "
            "Per slice: the mean of the 2-D PSNR and SSIM of the volume's slices.",
            "Mean ± sample std over N volumes; s / volume: mean seconds of the method on one "
            "volume (noise drawing and scoring excluded)."]


def to_markdown(frame: pd.DataFrame, noise: Noise, notes: Sequence[str]) -> str:
    """The table as Markdown, with its title and notes."""
    lines = [f"# Volumes, {noise}", "", "| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in display_rows(frame)]
    return "\n".join(lines + [""] + [f"- {note}" for note in notes]) + "\n"


def write_volume_table(frame: pd.DataFrame, noise: Noise, out_dir: Path, *,
                       context: str) -> list[Path]:
    """Write ``<stem>.md`` and ``<stem>.csv`` into ``out_dir``; return their paths."""
    stem = table_stem(noise)
    markdown, csv = out_dir / f"{stem}.md", out_dir / f"{stem}.csv"
    markdown.write_text(to_markdown(frame, noise, table_notes(context)), encoding="utf-8")
    frame.to_csv(csv, index=False, float_format="%.6g")
    return [markdown, csv]
