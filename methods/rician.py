"""The Rician-aware variants, as the Rician noise model derives them.

The bias correction and the VST live with the Rician noise model
(:mod:`benchmark.core.noise.rician` and :mod:`benchmark.core.noise.rician_vst`); the registry
gives every eligible method its variants when the method is registered. This module keeps the
names that callers used.
"""

from __future__ import annotations

from benchmark.core.noise import get_noise_model
from benchmark.core.noise.rician_vst import (RicianVST, bias_correct, rician_mean,  # noqa: F401
                                             rician_std, rician_vst, vst_denoise)

#: Suffixes of the Rician-aware variants, and what each does (for listings and reports).
SUFFIXES: dict[str, str] = {t.suffix: t.summary for t in get_noise_model("rician").fair_transforms}


def base_name(name: str) -> str:
    """The plain method a variant wraps (``name`` itself for a plain method), from the registry."""
    from benchmark.core.registry import get_method

    return get_method(name).base or name
