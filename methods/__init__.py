"""The shipped denoisers. Importing this package registers every one of them.

Each module is one family and imports only the contract (:mod:`benchmark.core.contract`) and the
registry decorator (:mod:`benchmark.core.registry`); what a method declares there (``uses_sigma``,
its ``grid``, the noise kinds it applies to) decides its variants and its tuning, so adding a
method is adding one module: a file in this folder is imported with the others, and a module
anywhere else is loaded through ``BENCH_PLUGINS`` (see ``docs/adding-a-method.md``). Import
order is registration order, which is the order of rows in listings and tables: the paper's
methods first, in its order, then any other module of this folder, then the trained models.
"""

import importlib
import pkgutil

#: The paper's order of rows; any other module of this folder follows, alphabetically, before
#: the trained models.
_FIRST = ("gaussian", "bilateral", "tv", "wavelet", "nlm", "bm3d")
_LAST = ("deep",)


def _modules() -> list[str]:
    found = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if not info.name.startswith("_"))
    others = [name for name in found if name not in _FIRST + _LAST]
    return [name for name in _FIRST + tuple(others) + _LAST if name in found]


for _name in _modules():
    importlib.import_module(f"{__name__}.{_name}")
