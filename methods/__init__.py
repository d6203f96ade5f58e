"""The shipped denoisers. Importing this package registers every one of them.

Each module is one family and imports only the contract (:mod:`benchmark.core.contract`) and the
registry decorator (:mod:`benchmark.core.registry`); what a method declares there (``uses_sigma``,
its ``grid``, the noise kinds it applies to) decides its variants and its tuning, so adding a
method is adding one module (here, or anywhere through ``BENCH_PLUGINS``; see
``docs/adding-a-method.md``). Import order is registration order, which is the order of rows in
listings and tables (the paper's order).
"""

# isort: off
from methods import gaussian, bilateral, tv, wavelet, nlm, bm3d  # noqa: F401
from methods import deep  # noqa: E402,F401  (trained models: last rows)
