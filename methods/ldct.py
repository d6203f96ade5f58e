"""BM3D told the power spectrum of low-dose CT noise (``bm3d.ldct-psd``; bm3d package,
non-commercial licence).

The noise of a filtered back projection is correlated (its spectrum rises with frequency, the
ramp of the filter, and is streaky along the object's long axis), so white-noise BM3D either
leaves its high frequencies or smooths the image. The bm3d package takes the noise's power
spectral density instead of a sigma (Mäkinen, Azzari and Foi 2020). This variant gives it the
spectrum of the reconstructed noise at the cell's dose, estimated from the image itself by
simulation (:func:`benchmark.core.noise.ldct_estimate.noise_psd`: the image re-projected,
noise-only reconstructions at that dose, their periodogram smoothed).

The other fair methods of low-dose CT are derived for every Gaussian denoiser by the noise
model (``tv.ldct-est``, ``nlm.ldct-est``, ...: see :mod:`benchmark.core.noise.ldct`).
"""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.registry import add
from methods.bm3d import _settings

#: bm3d's thresholds for white noise (its own values when given a sigma); with a PSD the package
#: would fit them to the spectrum through ``numpy.trapz``, which NumPy 2.4 removed.
WHITE_THRESHOLDS = {"lambda_thr3d": 3.0, "mu2": 0.4, "lambda_thr3d_re": 2.5, "mu2_re": 3.6}


def bm3d_ldct_psd(image: np.ndarray, noise: Noise, *, profile: str) -> np.ndarray:
    """BM3D of a low-dose CT slice given the noise's power spectrum at ``noise.sigma`` (the
    dose, a fraction of the full dose).

    Runs on one thread, as ``bm3d``. The thresholds are bm3d's white-noise values
    (:data:`WHITE_THRESHOLDS`) wherever the profile leaves them unset.
    """
    import bm3d as bm3d_package

    from benchmark.core.noise.ldct_estimate import noise_psd

    settings = _settings(profile)
    for name, value in WHITE_THRESHOLDS.items():
        if getattr(settings, name) is None:
            setattr(settings, name, value)
    psd = noise_psd(image, noise.sigma)
    return bm3d_package.bm3d(image, sigma_psd=psd, profile=settings)


add(Denoiser(
    name="bm3d.ldct-psd",
    function=bm3d_ldct_psd,
    params={"profile": "np"},
    grid={"profile": ["np", "high"]},
    cost=70.0,
    base="bm3d",
    noise_kinds=("ldct",),
    summary="bm3d, told the power spectrum of the reconstructed noise at the dose, estimated "
            "from the image by simulation (bm3d package)",
))
