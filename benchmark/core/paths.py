"""Where the project keeps its files: dataset cards, run stores, reports."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout root (the package is installed editable, as the README says).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

CARDS_DIR = Path(__file__).resolve().parents[1] / "data" / "datasets"
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS", PROJECT_ROOT / "results"))
REPORTS_DIR = Path(os.environ.get("BENCH_REPORTS", PROJECT_ROOT / "reports"))
DEFAULT_STORE = RESULTS_DIR / "bench.sqlite"
