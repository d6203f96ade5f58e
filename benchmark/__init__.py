"""Reference benchmark for medical image denoising, as a Python library.

``import benchmark`` is cheap: every name below is imported on first use (PEP 562), so neither
PyTorch, pandas, matplotlib nor SciPy's statistics load until a call needs them.

- The contract: :class:`Denoiser`, :class:`Noise`.
- The registry: :func:`register`, :func:`get_method`, :func:`method_names`.
- Noise models: :func:`add_noise`, :func:`noise_kinds`, :func:`get_noise_model`, and
  :class:`NoiseModel` with :func:`register_noise` to add a kind.
- Metrics: :func:`psnr`, :func:`ssim`.
- The workflows (:mod:`benchmark.workflows`): :func:`run`, :func:`report`, :func:`fair`,
  :func:`curves`, :func:`train`; each returns a result object and prints nothing.

The layers, each a sub-package importing only those before it: :mod:`benchmark.core`,
:mod:`benchmark.data`, :mod:`benchmark.engine`, :mod:`benchmark.report`,
:mod:`benchmark.workflows`, :mod:`benchmark.cli`. ``benchmark.report`` is both the report
layer and, called, the :func:`benchmark.workflows.report` workflow.

Examples
--------
>>> import numpy as np
>>> import benchmark
>>> clean = np.full((32, 32), 0.5, np.float32)
>>> noise = benchmark.Noise("gaussian", 0.1)
>>> noisy = benchmark.add_noise(clean, noise, image_id="demo")
>>> denoiser = benchmark.get_method("gaussian-filter")
>>> denoised = denoiser(noisy[None], noise)[0]
>>> bool(benchmark.psnr(clean, denoised) > benchmark.psnr(clean, noisy))
True
>>> "bm3d" in benchmark.method_names()
True
>>> benchmark.get_noise_model("rician").kind in benchmark.noise_kinds()
True
"""

from __future__ import annotations

import types
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it (imported on first access).
_LAZY = {
    "Denoiser": "benchmark.core.contract",
    "Noise": "benchmark.core.contract",
    "BenchError": "benchmark.core.errors",
    "register": "benchmark.core.registry",
    "get_method": "benchmark.core.registry",
    "method_names": "benchmark.core.registry",
    "add_noise": "benchmark.core.noise",
    "NoiseModel": "benchmark.core.noise",
    "register_noise": "benchmark.core.noise",
    "get_noise_model": "benchmark.core.noise",
    "noise_kinds": "benchmark.core.noise",
    "psnr": "benchmark.core.metrics",
    "ssim": "benchmark.core.metrics",
    "run": "benchmark.workflows",
    "fair": "benchmark.workflows",
    "curves": "benchmark.workflows",
    "train": "benchmark.workflows",
    "workflows": "benchmark.workflows",
}

__all__ = [*_LAZY, "report"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'benchmark' has no attribute {name!r}")
    imported = import_module(module)
    value = imported if name == "workflows" else getattr(imported, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])


class _CallableReport(types.ModuleType):
    """The report layer's package, which called runs the report workflow.

    The name ``benchmark.report`` belongs to the sub-package (the import system binds it on any
    ``import benchmark.report....``), so the workflow is reached by calling the package.
    """

    def __call__(self, **options: Any):
        """Run :func:`benchmark.workflows.report` with ``options``."""
        from benchmark.workflows import report

        return report(**options)


from benchmark import report  # noqa: E402  (an empty package: cheap)

report.__class__ = _CallableReport
