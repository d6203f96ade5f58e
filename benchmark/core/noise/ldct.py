"""Low-dose CT noise: Poisson photon counts in the projections, filtered back projection.

The level (the ``sigma`` field of ``Noise("ldct", dose)``) is the **dose**, a fraction of the
documented full dose :data:`I0_FULL` (incident photons per ray); documented levels 1/2, 1/4,
1/8 and 1/16 (:data:`LEVELS`). 1 is the highest accepted: the full dose is the reference the
fractions are of, and a dose above it is not low-dose CT.

Each 2-D slice goes through (constants of this module, ``docs/noise.md`` gives the numbers):

1. [0, 1] -> HU: ``HU = HU_LOW + x (HU_HIGH - HU_LOW)``, the interval -1000..1000 HU (the window
   of centre 0 and width 2000, :data:`WINDOW`). A card with another window gives other HU:
   e.g. the abdomen window's 0 is -150 HU, read here as air. Values that a window clipped
   (metal, dense bone above 1000 HU) are simulated at the clip value.
2. HU -> linear attenuation ``mu = MU_WATER (1 + HU / 1000)`` per mm (water at about 70 keV,
   the effective energy of a 120 kVp beam), times the pixel size ``FOV_MM / N`` (the image's
   width is a 400 mm field of view). Negative values are 0. The field of view is the
   inscribed circle; outside it the attenuation is 0.
3. Forward projection with :func:`skimage.transform.radon` (parallel beam, ``circle=True``):
   ``N`` detector bins of one pixel, :func:`views` angles evenly over 180 degrees (360 at
   N = 256). The line integrals ``p`` of the clean image are cached per image.
4. Counts ``N_i = Poisson(I0 exp(-p_i)) + e_i`` with ``I0 = dose * I0_FULL`` and electronic
   noise ``e_i ~ N(0, ELECTRONIC_VARIANCE)``, drawn from the cell's generator (all Poisson
   draws, then all Gaussian ones).
5. Log: ``p_i' = log(I0 / max(N_i, COUNT_FLOOR))``: a count under one photon (or negative,
   from the electronic noise) is read as one photon (photon starvation then shows as a streak).
6. Filtered back projection, :func:`skimage.transform.iradon` with the :data:`FILTER` filter,
   linear interpolation, the same angles; then back to HU and to [0, 1] by step 1's mapping
   (not clipped: noise may leave [0, 1]).

The clean reference (:meth:`LowDoseCTNoise.reference`) is step 6 applied to the noiseless
``p``: the scores measure the noise, not the blur of the reconstruction.

Fair transform ``ldct-est``: a Gaussian denoiser called with the standard deviation of the
reconstructed noise that this image would have at the level it is told, estimated from the
image itself (:mod:`.ldct_estimate`). The estimator of the level (blind mode) is in the same
module.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Callable

import numpy as np

from benchmark.core.noise.model import FairTransform, NoiseModel, register_noise

#: The documented doses, fractions of the full dose, light to heavy noise.
LEVELS: tuple[float, ...] = (0.5, 0.25, 0.125, 0.0625)
#: Incident photons per ray at full dose.
I0_FULL = 1.0e6
#: Variance of the electronic (detector) noise added to every count, in photons squared.
ELECTRONIC_VARIANCE = 10.0
#: Counts below this are read as this many photons before the log.
COUNT_FLOOR = 1.0
#: Linear attenuation coefficient of water, per mm (about 70 keV).
MU_WATER = 0.0193
#: The HU interval that [0, 1] stands for.
HU_LOW, HU_HIGH = -1000.0, 1000.0
#: The same interval as a CT window (centre, width) in HU.
WINDOW = ((HU_LOW + HU_HIGH) / 2, HU_HIGH - HU_LOW)
#: Field of view in mm: the width of the (square) image.
FOV_MM = 400.0
#: Projection angles over 180 degrees per pixel of image width (360 at 256 pixels).
VIEWS_PER_PIXEL = 360 / 256
#: Filter of the filtered back projection (:func:`skimage.transform.iradon`).
FILTER = "shepp-logan"

_CACHE_SIZE = 64


def views(size: int) -> int:
    """Number of projection angles for an image ``size`` pixels wide (360 at 256).

    Examples
    --------
    >>> views(256), views(128), views(512)
    (360, 180, 720)
    """
    return max(int(round(VIEWS_PER_PIXEL * size)), 1)


def angles(size: int) -> np.ndarray:
    """The projection angles, in degrees, evenly over [0, 180)."""
    return np.linspace(0.0, 180.0, views(size), endpoint=False)


def pixel_mm(size: int) -> float:
    """Pixel size in mm of an image ``size`` pixels wide."""
    return FOV_MM / size


def to_attenuation(image: np.ndarray) -> np.ndarray:
    """[0, 1] image -> attenuation per pixel (mu times the pixel size), 0 outside the field of
    view and where the HU are below air."""
    size = image.shape[-1]
    hu = HU_LOW + np.asarray(image, dtype=np.float64) * (HU_HIGH - HU_LOW)
    mu = np.maximum(MU_WATER * (1.0 + hu / 1000.0), 0.0) * pixel_mm(size)
    return np.where(_disc(size), mu, 0.0)


def from_attenuation(mu_pixel: np.ndarray) -> np.ndarray:
    """Attenuation per pixel -> the [0, 1] image (the inverse of :func:`to_attenuation` inside
    the field of view)."""
    size = mu_pixel.shape[-1]
    hu = 1000.0 * (mu_pixel / pixel_mm(size) / MU_WATER - 1.0)
    return (hu - HU_LOW) / (HU_HIGH - HU_LOW)


def _disc(size: int) -> np.ndarray:
    """The inscribed circle of a ``size`` x ``size`` image (skimage's ``circle=True`` field)."""
    centre = size // 2
    r2 = ((np.arange(size) - centre)[:, None] ** 2 + (np.arange(size) - centre)[None, :] ** 2)
    return r2 <= (size // 2) ** 2


def project(image: np.ndarray) -> np.ndarray:
    """Line integrals ``p`` (dimensionless) of a square [0, 1] image: ``(N, views)``."""
    from skimage.transform import radon

    mu = to_attenuation(image)
    return radon(mu, angles(mu.shape[-1]), circle=True)


def reconstruct(sinogram: np.ndarray) -> np.ndarray:
    """Filtered back projection of line integrals ``(N, views)`` -> the [0, 1] image."""
    from skimage.transform import iradon

    size = sinogram.shape[0]
    mu = iradon(sinogram, angles(size), output_size=size, filter_name=FILTER,
                interpolation="linear", circle=True)
    return np.where(_disc(size), from_attenuation(mu), 0.0)


def noisy_sinogram(p: np.ndarray, dose: float, rng: np.random.Generator) -> np.ndarray:
    """Post-log line integrals of one noisy acquisition of ``p`` at ``dose`` (steps 4-5)."""
    i0 = dose * I0_FULL
    counts = rng.poisson(i0 * np.exp(-p)).astype(np.float64)
    counts += np.sqrt(ELECTRONIC_VARIANCE) * rng.standard_normal(p.shape)
    return np.log(i0 / np.maximum(counts, COUNT_FLOOR))


def pad_square(image: np.ndarray) -> tuple[np.ndarray, tuple[slice, slice]]:
    """``image`` padded with air (0) to a square, and the slices that crop it back."""
    h, w = image.shape
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    out = np.zeros((side, side))
    out[top:top + h, left:left + w] = image
    return out, (slice(top, top + h), slice(left, left + w))


class ImageCache:
    """Per-image results keyed by a name and the image's shape and bytes (least recently used
    out): the projections and reference of a clean slice, the noise basis of a noisy one."""

    def __init__(self, size: int):
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._size = size

    def get(self, name: str, image: np.ndarray, make: Callable[[], np.ndarray]) -> np.ndarray:
        key = (name, image.shape, hashlib.sha1(np.ascontiguousarray(image).tobytes()).digest())
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value


_cache = ImageCache(_CACHE_SIZE)


def clean_projections(image: np.ndarray) -> np.ndarray:
    """:func:`project` of a square float64 image, cached per image."""
    return _cache.get("p", image, lambda: project(image))


def slice_reference(image: np.ndarray) -> np.ndarray:
    """The noiseless reconstruction of one 2-D [0, 1] image (any shape), cached per image."""
    image = np.asarray(image, dtype=np.float64)
    square, crop = pad_square(image)
    return _cache.get("ref", square, lambda: reconstruct(clean_projections(square)))[crop]


def slice_sample(image: np.ndarray, dose: float, rng: np.random.Generator) -> np.ndarray:
    """One low-dose reconstruction of one 2-D [0, 1] image (any shape)."""
    square, crop = pad_square(np.asarray(image, dtype=np.float64))
    return reconstruct(noisy_sinogram(clean_projections(square), dose, rng))[crop]


def _slices(array: np.ndarray, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``function`` applied to every 2-D slice over the last two axes of ``array``."""
    flat = array.reshape((-1,) + array.shape[-2:])
    return np.stack([function(item) for item in flat]).reshape(array.shape)


def _gaussian(sigma: float):
    from benchmark.core.contract import Noise

    return Noise("gaussian", sigma)


def _estimated_std(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def wrapped(item: np.ndarray, noise, **params) -> np.ndarray:
        from benchmark.core.noise.ldct_estimate import noise_std

        std = noise_std(item, noise.sigma)
        return np.asarray(function(item, _gaussian(std), **params), dtype=np.float32)

    return wrapped


@register_noise
class LowDoseCTNoise(NoiseModel):
    """Low-dose CT: Poisson counts at ``dose * I0_FULL`` photons a ray, reconstructed by FBP."""

    kind = "ldct"
    parameters = {
        "sigma": f"dose: a fraction of the full dose of {int(I0_FULL):,} incident photons per "
                 "ray (lower is more noise; documented levels 0.5, 0.25, 0.125, 0.0625), the "
                 "[0, 1] intensity range read as -1000..1000 HU",
    }
    fair_transforms = (
        FairTransform("ldct-est", "called with the standard deviation of the reconstructed "
                      "noise at the dose, estimated from the image by simulation",
                      _estimated_std),
    )
    data = ("image",)
    level_max = 1.0
    level_max_reason = ("is above the full dose (1); give a fraction of it, e.g. 0.25 for a "
                        "quarter dose")
    label = "Low-dose CT noise"
    level_name, level_axis = "dose", "dose (fraction of the full dose; higher is less noise)"
    report_level, report_levels = 0.25, tuple(sorted(LEVELS))
    default_dataset = "ct-phantom"
    whole_image = True  # a reconstruction of the whole slice; the reference is not the clean

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """Each 2-D slice (over the last two axes) projected, counted at ``sigma * I0_FULL``
        photons a ray, reconstructed."""
        return _slices(np.asarray(clean, dtype=np.float64),
                       lambda item: slice_sample(item, sigma, rng))

    def reference(self, clean: np.ndarray) -> np.ndarray:
        """The FBP of the noiseless projections of each slice (same geometry and filter)."""
        array = np.asarray(clean)
        out = _slices(array.astype(np.float64), slice_reference)
        return out.astype(array.dtype if array.dtype.kind == "f" else np.float64)

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """The dose, from the image's noise against noise-only reconstructions of the image
        re-projected (:func:`benchmark.core.noise.ldct_estimate.estimate_dose`)."""
        from benchmark.core.noise.ldct_estimate import estimate_dose

        return estimate_dose(noisy)
