"""The paper's reported numbers (Tables 1-2), shipped as data in ``benchmark/reference``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import pandas as pd

from benchmark.core.contract import Noise

REFERENCE = Path(__file__).with_name("reference") / "paper_tables.csv"
SOURCE = ("UNet-DCTD-A paper (brain MRI), Tables 1-2, as copied in "
          "benchmark/report/reference/paper_tables.csv")


@dataclass(frozen=True)
class PaperTable:
    """One of the paper's tables: its number, the noise it used, a caption."""

    number: int
    noise: Noise
    caption: str
    #: Whether the paper reports this table (False: a table of another noise setting or other
    #: data, shown without the paper's columns).
    reported: bool = True


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


def tables_for(noises: Sequence[Noise] | None, *, paper_data: bool) -> tuple[PaperTable, ...]:
    """The tables of a report: the paper's own for its data and noise settings, else one table
    per noise setting without the paper's numbers.

    Examples
    --------
    >>> [t.reported for t in tables_for(None, paper_data=True)]
    [True, True]
    >>> [(t.number, t.reported) for t in tables_for([Noise("rician", 0.05)], paper_data=True)]
    [(1, False)]
    """
    chosen = [t.noise for t in TABLES] if noises is None else list(noises)
    paper = {t.noise: t for t in TABLES}
    tables = []
    for number, noise in enumerate(chosen, start=1):
        if paper_data and noise in paper and paper[noise].number == number:
            tables.append(paper[noise])
        else:
            tables.append(PaperTable(number, noise, str(noise), reported=False))
    return tuple(tables)
