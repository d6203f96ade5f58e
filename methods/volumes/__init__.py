"""3-D denoisers of whole volumes (data ``"volume"``: stacks ``(N, D, H, W)`` in [0, 1]).

One module a method. Each takes one volume ``(D, H, W)`` and the cell's
:class:`~benchmark.core.contract.Noise`, and filters along all three axes at once (the image
methods run on volumes too, slice by slice: see ``docs/volumes.md``). Libraries that would use
every core are set to one thread, so that outputs are bit-exact; the runner parallelises
across cells instead.
"""

import importlib
import pkgutil

#: Listing order: the filters first, then the non-local and block-matching methods.
_ORDER = ("gaussian", "tv", "wavelet", "nlm", "bm4d")

for _name in sorted((m.name for m in pkgutil.iter_modules(__path__)),
                    key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
    importlib.import_module(f"{__name__}.{_name}")
