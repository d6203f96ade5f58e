"""The paper's reported numbers (Tables 1-2), shipped as data in ``benchmark/reference``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from benchmark.core.contract import Noise

REFERENCE = Path(__file__).with_name("reference") / "paper_tables.csv"
SOURCE = ("UNet-DCTD-A paper (brain MRI), Tables 1-2, as copied in "
          "benchmark/reference/paper_tables.csv")


@dataclass(frozen=True)
class PaperTable:
    """One of the paper's tables: its number, the noise it used, a caption."""

    number: int
    noise: Noise
    caption: str


TABLES: tuple[PaperTable, ...] = (
    PaperTable(1, Noise("gaussian", 0.10), "Gaussian noise, sigma 0.10 (the paper's noise factor 0.1)"),
    PaperTable(2, Noise("rician", 0.11), "Rician noise, sigma 0.11"),
)


@lru_cache(maxsize=1)
def reported() -> pd.DataFrame:
    """Every reported row: table, noise, sigma, paper_label, method, ssim, psnr."""
    return pd.read_csv(REFERENCE)


def rows_for(table: int) -> pd.DataFrame:
    """The paper's rows of ``table``, in the paper's order."""
    frame = reported()
    return frame[frame["table"] == table].reset_index(drop=True)
