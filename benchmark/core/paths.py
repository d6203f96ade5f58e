"""Where the benchmark reads its shipped files and writes its outputs.

Shipped files (dataset cards, the paper's numbers, checkpoints, grids, the check baseline) are
package data, found beside the modules whether the package is a checkout or installed in
site-packages. Outputs (run stores, reports) go to the working folder: the defaults below are
relative paths, resolved against the current directory when they are used, never against the
folder the package came from. ``BENCH_RESULTS`` and ``BENCH_REPORTS`` override them.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The folder that holds the ``benchmark`` and ``methods`` packages: the checkout, or
#: site-packages when installed. Read shipped files from here; never write here.
SOURCE_ROOT = Path(__file__).resolve().parents[2]

CARDS_DIR = Path(__file__).resolve().parents[1] / "data" / "datasets"
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS", "results"))
REPORTS_DIR = Path(os.environ.get("BENCH_REPORTS", "reports"))
DEFAULT_STORE = RESULTS_DIR / "bench.sqlite"
