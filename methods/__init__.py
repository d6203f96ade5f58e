"""The shipped denoisers. Importing this package registers every one of them.

Each module is one family and imports only the contract (:mod:`benchmark.core.contract`) and the
registry decorator (:mod:`benchmark.core.registry`). Import order is registration order, which is the
order of rows in listings and tables (the paper's order).
"""

# isort: off
from methods import gaussian, bilateral, tv, wavelet, nlm, bm3d  # noqa: F401
from methods import rician
from benchmark.core.registry import get_method

#: The classical methods (the paper's filters); each also gets Rician-aware variants.
CLASSICAL = ("gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant", "nlm",
             "bm3d")
rician.register_variants([get_method(name) for name in CLASSICAL])

from methods import deep  # noqa: E402,F401  (trained models: last rows)
