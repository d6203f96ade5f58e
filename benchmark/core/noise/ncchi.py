"""Multi-coil magnitude MRI noise: non-central chi, ``N`` coils combined by root-sum-of-squares.

``y = sqrt(sum_k |x / sqrt(N) + sigma (n1_k + i n2_k)|^2)``, ``n1_k, n2_k ~ N(0, 1)``: uniform coil
sensitivities, so the noise-free combination is ``x``. ``y / sigma`` follows a non-central chi
law with ``2 N`` degrees of freedom and non-centrality ``x / sigma``; ``E[y^2] = x^2 + 2 N sigma^2``.
``N = 1`` is Rician noise (:mod:`.rician`). Each coil count is a kind of its own: ``ncchi4``,
``ncchi8``, ``ncchi32``.

Parameter: ``sigma``, the standard deviation of each real and imaginary Gaussian channel of each
coil, a fraction of the [0, 1] intensity range.

Estimator: PIESNO (Koay et al. 2009, through :func:`dipy.denoise.noise_estimate.piesno` with
``N`` coils) on the slice cut into 2 x 2 blocks, each block's four pixels taken as four
measurements of one voxel; PIESNO then finds the blocks of pure background (central chi) itself.
:func:`estimate_ncchi_background` (the air's chi mode and truncated second moment) is the
alternative, kept for comparison.

Fair transforms of each kind (suffixes carry the coil count, e.g. ``ncchi8-bc``):

- ``ncchiN-bc``: output ``d`` corrected as ``sqrt(max(d^2 - 2 N sigma^2, 0))``;
- ``ncchiN-vst``: Foi's VST for the non-central chi law and its exact unbiased inverse
  (:mod:`.ncchi_vst`).

A wrapped method is called with ``Noise("gaussian", sigma)``: the per-coil sigma, which is the
noise standard deviation of the stabilised image.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.core.noise.model import FairTransform, NoiseModel, register_noise
from benchmark.core.noise.ncchi_vst import ncchi_vst
from benchmark.core.noise.rician import air_peak, refine_in_air
from benchmark.core.noise.rician_vst import bias_correct, vst_denoise

#: The coil counts registered as kinds ``ncchi<N>``.
COILS = (4, 8, 32)
#: The documented per-coil levels (``docs/noise.md`` measures the estimator at these).
LEVELS: tuple[float, ...] = (0.02, 0.05, 0.1)


def estimate_ncchi_piesno(noisy: np.ndarray, coils: int, *, block: int = 2) -> float:
    """Per-coil sigma by PIESNO on ``block x block`` blocks of a magnitude image or volume.

    Parameters
    ----------
    noisy : numpy.ndarray
        Magnitude image ``(H, W)`` or volume ``(D, H, W)`` with some air in it.
    coils : int
        Number of coils ``N``.
    block : int
        Side of the blocks whose pixels PIESNO takes as repeated measurements.

    Returns
    -------
    float
        The estimated sigma.

    Raises
    ------
    BenchError
        If PIESNO finds no background.
    """
    from dipy.denoise.noise_estimate import piesno

    values = np.asarray(noisy, dtype=np.float64)
    values = values.reshape((-1,) + values.shape[-1:]) if values.ndim > 2 else values
    if values.ndim != 2:
        raise BenchError(f"cannot estimate sigma of a {values.ndim}-D item; give an image "
                         "(H, W) or a volume (D, H, W)")
    h, w = (values.shape[0] // block) * block, (values.shape[1] // block) * block
    blocks = (values[:h, :w].reshape(h // block, block, w // block, block)
              .transpose(0, 2, 1, 3).reshape(h // block, w // block, block * block))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sigma = float(np.asarray(piesno(blocks, N=coils, return_mask=False)).ravel()[0])
    if not np.isfinite(sigma) or sigma <= 0:
        raise BenchError("cannot estimate non-central chi sigma: PIESNO found no background "
                         "(air) pixels; use --sigma-source oracle")
    return sigma


def estimate_ncchi_background(noisy: np.ndarray, coils: int, *, iterations: int = 20) -> float:
    """Per-coil sigma from the central-chi-distributed air of an ``N``-coil magnitude image.

    The mode of the histogram of the darkest half of the pixels is the chi mode
    ``sigma sqrt(2N - 1)``; sigma is refined by the second moment of the pixels below
    ``(sqrt(2N - 1) + c) sigma`` (``c = 0.5``; Rician's ``1.5 sigma`` at ``N = 1``), corrected for the
    truncation: ``E[y^2 | y < t] = 2 N sigma^2 P(N + 1, t^2 / 2) / P(N, t^2 / 2)``.

    Raises
    ------
    BenchError
        If the image has no dark peak that could be air.
    """
    from scipy.special import gammainc

    values, peak = air_peak(noisy, "non-central chi")
    mode = np.sqrt(2 * coils - 1)
    cut = mode + 0.5
    factor = 2 * coils * gammainc(coils + 1, cut**2 / 2) / gammainc(coils, cut**2 / 2)
    return refine_in_air(values, peak / mode, cut, factor, iterations)


def _gaussian(sigma: float):
    from benchmark.core.contract import Noise

    return Noise("gaussian", sigma)


def _bias_corrected(coils: int) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    def wrap(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        def corrected(item: np.ndarray, noise, **params) -> np.ndarray:
            out = function(item, _gaussian(noise.sigma), **params)
            return bias_correct(out, noise.sigma, coils).astype(np.float32)

        return corrected

    return wrap


def _stabilised(coils: int) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    def wrap(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        def stabilised(item: np.ndarray, noise, **params) -> np.ndarray:
            gaussian = _gaussian(noise.sigma)
            out = vst_denoise(item, noise.sigma, lambda x: function(x, gaussian, **params),
                              vst=ncchi_vst(coils))
            return out.astype(np.float32)

        return stabilised

    return wrap


class NonCentralChiNoise(NoiseModel):
    """Root-sum-of-squares magnitude of ``coils`` coils, per-coil channel std ``sigma``.

    Subclasses set ``coils`` and ``kind``; :func:`_fair` gives their fair transforms.
    """

    coils: ClassVar[int] = 0
    level_name = "sigma per coil"
    level_axis = "sigma per coil (fraction of the [0, 1] range)"
    parameters = {
        "sigma": "standard deviation of each real and imaginary Gaussian channel of each coil, "
                 "a fraction of the [0, 1] intensity range",
    }

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """For each coil ``k`` in turn, all of ``n1_k`` is drawn, then all of ``n2_k``."""
        share = clean / np.sqrt(self.coils)
        total = np.zeros(np.shape(clean), dtype=np.float64)
        for _ in range(self.coils):
            total += (share + sigma * rng.standard_normal(total.shape)) ** 2
            total += (sigma * rng.standard_normal(total.shape)) ** 2
        return np.sqrt(total)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Sigma by PIESNO on 2 x 2 blocks (:func:`estimate_ncchi_piesno`)."""
        return estimate_ncchi_piesno(noisy, self.coils)


def _fair(coils: int) -> tuple[FairTransform, ...]:
    return (
        FairTransform(f"ncchi{coils}-bc", f"output bias-corrected for {coils} coils: "
                      f"sqrt(max(d^2 - {2 * coils} sigma^2, 0))", _bias_corrected(coils)),
        FairTransform(f"ncchi{coils}-vst", f"non-central chi VST ({coils} coils): forward, "
                      "Gaussian denoiser, exact unbiased inverse", _stabilised(coils)),
    )


@register_noise
class NCChi4Noise(NonCentralChiNoise):
    """4 coils: ``y / sigma`` is non-central chi with 8 degrees of freedom."""

    kind, coils, fair_transforms = "ncchi4", 4, _fair(4)
    label = "Non-central chi noise (4-coil MRI)"


@register_noise
class NCChi8Noise(NonCentralChiNoise):
    """8 coils: ``y / sigma`` is non-central chi with 16 degrees of freedom."""

    kind, coils, fair_transforms = "ncchi8", 8, _fair(8)
    label = "Non-central chi noise (8-coil MRI)"
    # the one coil count with a table: its noisy input at sigma 0.05 per coil (15.01 dB over the
    # MNI152 test slices) is about as damaged as the paper's Rician 0.11 (16.69 dB)
    report_level, report_levels = 0.05, LEVELS


@register_noise
class NCChi32Noise(NonCentralChiNoise):
    """32 coils: ``y / sigma`` is non-central chi with 64 degrees of freedom."""

    kind, coils, fair_transforms = "ncchi32", 32, _fair(32)
    label = "Non-central chi noise (32-coil MRI)"
