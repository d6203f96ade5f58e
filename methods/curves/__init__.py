"""Classical 1-D denoisers of DCE-MRI curves (data ``"curve"``: stacks ``(N, T)`` in mM).

One module a filter, through scipy and PyWavelets. Each takes one curve ``(T,)`` and the
:class:`~benchmark.core.contract.Noise` of the cell (``relative-gaussian``: ``sigma`` is the
noise standard deviation as a fraction of the curve's mean) and declares the grid that
``bench report --dataset dce-sim`` searches on the validation split for its tuned row.
Borders: the curve's end values are repeated (``nearest``), so a filter does not pull the
baseline or the tail toward zero.
"""

import importlib
import pkgutil

#: Listing order: the simple smoothers first, then the transform-domain ones.
_ORDER = ("moving_average", "median", "gaussian", "savitzky_golay", "exponential", "wavelet")

for _name in sorted((m.name for m in pkgutil.iter_modules(__path__)),
                    key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
    importlib.import_module(f"{__name__}.{_name}")
