"""Reference benchmark for medical image denoising.

The engine: denoiser contract and registry, noise models, data, metrics, runner, store and
reporter. The command-line interface lives in :mod:`benchmark.cli` and is never imported by the
engine.
"""

__version__ = "0.1.0"
