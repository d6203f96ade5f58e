"""Block-matching and 3-D filtering (the ``bm3d`` package; non-commercial licence)."""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register

#: The package's named profiles.
PROFILES = ("np", "high", "refilter", "vn")


@register(
    "bm3d",
    params={"profile": "np"},
    grid={"profile": ["np", "high"]},  # grids are kept small: ~3 s an image
    cost=60.0,
    summary="BM3D, sigma_psd = sigma, hard thresholding then Wiener (bm3d package)",
)
def bm3d(image: np.ndarray, noise: Noise, *, profile: str) -> np.ndarray:
    """BM3D (Dabov et al. 2007; Mäkinen et al. 2020) told the true noise level.

    Runs on one thread (``num_threads = 1``). The package's default (0, automatic) uses every
    core through its own thread pool, which neither OpenMP variables nor threadpoolctl limit,
    and its aggregation order then varies: two identical calls differed by up to 6e-7 here. On
    one thread the output is bit-exact; the runner parallelises across cells instead.
    """
    return _run(image, noise, _settings(profile))


@register(
    "bm3d.fast",
    params={"profile": "np", "step_wiener": 4},
    grid={"profile": ["np", "high"]},
    cost=47.0,
    opt_in=True,
    summary="BM3D with a coarser Wiener-stage grid (step 4): ~0.78x the time, ~-0.02 dB; "
            "opt-in (bm3d package)",
)
def bm3d_fast(image: np.ndarray, noise: Noise, *, profile: str, step_wiener: int) -> np.ndarray:
    """BM3D with reference blocks every ``step_wiener`` pixels in the Wiener stage.

    The hard-thresholding stage is the profile's own. Step 4 instead of 3 took 0.78x the time of
    :func:`bm3d` for -0.018 dB of PSNR on MNI152 test slices at Gaussian 0.1
    (``benchmarks/bm3d_fast.py``, docs/speed.md). Opt-in: it runs only when named, and the
    tables keep the reference setting. One thread, as :func:`bm3d`.
    """
    if int(step_wiener) != step_wiener or step_wiener < 1:
        raise ValueError(f"bm3d.fast step_wiener {step_wiener!r} must be a whole number >= 1")
    settings = _settings(profile)
    settings.step_wiener = int(step_wiener)
    return _run(image, noise, settings)


def _settings(profile: str):
    """The bm3d package's settings of ``profile``, on one thread."""
    import bm3d as bm3d_package  # the package shares this module's name

    if profile not in PROFILES:
        raise ValueError(f"bm3d profile {profile!r} is not one of {', '.join(PROFILES)}")
    settings = {
        "np": bm3d_package.BM3DProfile,
        "high": bm3d_package.BM3DProfileHigh,
        "refilter": bm3d_package.BM3DProfileRefilter,
        "vn": bm3d_package.BM3DProfileVN,
    }[profile]()
    settings.num_threads = 1
    return settings


def _run(image: np.ndarray, noise: Noise, settings) -> np.ndarray:
    """BM3D of ``image`` with ``settings``, told the noise level."""
    import bm3d as bm3d_package

    sigma_psd: float | np.ndarray = noise.sigma
    if settings.denoise_residual:
        sigma_psd = _white_psd(image.shape, noise.sigma, settings)
    return bm3d_package.bm3d(image, sigma_psd=sigma_psd, profile=settings)


def _white_psd(shape: tuple[int, ...], sigma: float, settings) -> np.ndarray:
    """White noise of std ``sigma`` as a power spectral density, for the refiltering profile.

    bm3d 4.0.3 (through bm4d) compares a scalar sigma's PSD, made at the image's size, with the
    residual padded to twice that size (a broadcasting error for every image); given as a PSD
    the padding is applied to it too. The PSD is the package's own conversion of a scalar
    (``size * sigma**2`` everywhere), and the thresholds are the ones it uses for white noise,
    set explicitly because estimating them from a PSD calls ``numpy.trapz`` (gone in NumPy 2.4).
    """
    white = {"lambda_thr3d": 3.0, "mu2": 0.4, "lambda_thr3d_re": 2.5, "mu2_re": 3.6}
    for name, value in white.items():
        if getattr(settings, name) is None:  # a profile's own value stands
            setattr(settings, name, value)
    return np.full(shape, float(np.prod(shape)) * sigma**2)
