"""The noise of a low-dose CT image, estimated from the image: its dose, its standard deviation
and its power spectrum.

The noise of a filtered back projection depends on the object (the photons left after each
ray's attenuation), so a single calibration would be off for a larger or smaller body. Here the
object is the noisy image itself: it is re-projected (:func:`~.ldct.project`), which gives each
ray's line integral ``p`` (the noise averages out along a ray). To first order (the delta
method) the post-log sinogram noise at dose ``d`` has variance
``exp(p) / (d I0) + s_e^2 exp(2 p) / (d I0)^2`` (Poisson, then electronic noise of variance
``s_e^2``), so noise-only reconstructions of white Gaussian sinogram noise, weighted by each
term at the full dose (``n_a``, ``n_b``; :data:`REALISATIONS` of each), give the image's noise
at any dose as ``n_a / sqrt(d) + n_b / d`` without projecting again. Their Gaussian draws are
seeded from the image's bytes, so an estimate is deterministic.

- :func:`estimate_dose`: the dose at which a piecewise-constant stand-in of the object
  (:func:`stand_in`), projected and reconstructed without noise, plus the noise at that dose has
  the finest-scale energy of the image (the root mean square of the diagonal Haar details of
  2 x 2 blocks over soft tissue away from edges), by bisection in log dose. The stand-in
  carries the reconstruction's own fine structure (ringing and streaks at sharp edges), which
  the image has too and which is not noise.
- :func:`noise_std`: the standard deviation of that noise over the body (pixels above -500 HU
  after a 2-pixel Gaussian smoothing) at a given dose, in [0, 1] units.
- :func:`noise_psd`: its power spectral density at a given dose, as the bm3d package takes it
  (``E|FFT(n)|^2``, ``N sigma^2`` everywhere for white noise): the periodogram of the
  noise-only images, smoothed by a Gaussian of 2 frequency bins, scaled so that its variance
  is the body's (:func:`noise_std`; the air around the body is less noisy).
"""

from __future__ import annotations

import hashlib

import numpy as np

from benchmark.core.noise import ldct

_LOW, _HIGH = 1e-4, 1.0  # bracket of the dose bisection (an estimate is at most full dose)
_BORDER = 4  # pixels of the field of view's rim left out of the measurements
_BODY_HU = -500.0
_basis_cache = ldct.ImageCache(16)
#: Independent noise-only reconstructions of each term (their statistics are pooled).
REALISATIONS = 2


def haar_rms(image: np.ndarray, mask: np.ndarray) -> float:
    """Root mean square of the diagonal Haar details ``(a - b - c + e) / 2`` of every 2 x 2 block
    (stride 1) of ``image`` lying wholly inside ``mask``.

    For white noise of standard deviation s it is s; for the correlated noise of a
    reconstruction it is a fixed multiple of the noise level, the same for the image and for
    the simulations it is compared with.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(haar_rms(rng.normal(0, 0.1, (256, 256)), np.ones((256, 256), bool)), 2)
    0.1
    """
    detail = (image[..., :-1, :-1] - image[..., :-1, 1:] - image[..., 1:, :-1]
              + image[..., 1:, 1:]) / 2.0
    inside = mask[:-1, :-1] & mask[:-1, 1:] & mask[1:, :-1] & mask[1:, 1:]
    return float(np.sqrt(np.mean(detail[..., inside] ** 2))) if inside.any() else float("nan")


def _field(size: int) -> np.ndarray:
    """The field of view less its rim."""
    centre = size // 2
    r2 = ((np.arange(size) - centre)[:, None] ** 2 + (np.arange(size) - centre)[None, :] ** 2)
    return r2 <= (size // 2 - _BORDER) ** 2


def _linear_fbp(sinogram: np.ndarray) -> np.ndarray:
    """FBP of a sinogram of line-integral noise, in [0, 1] units of the image (no offset)."""
    from skimage.transform import iradon

    size = sinogram.shape[0]
    mu = iradon(sinogram, ldct.angles(size), output_size=size, filter_name=ldct.FILTER,
                interpolation="linear", circle=True)
    return mu * 1000.0 / (ldct.pixel_mm(size) * ldct.MU_WATER * (ldct.HU_HIGH - ldct.HU_LOW))


#: Classes of the piecewise-constant stand-in of the object, [low, high) in HU (fat, soft
#: tissue, trabecular and cortical bone); each takes the median of its pixels, below is air.
CLASSES_HU: tuple[tuple[float, float], ...] = ((-500.0, -40.0), (-40.0, 150.0), (150.0, 500.0),
                                               (500.0, np.inf))


def stand_in(noisy: np.ndarray) -> np.ndarray:
    """A piecewise-constant stand-in of the object of a noisy [0, 1] slice.

    The slice is median-filtered (3 x 3) and cut into air (below -500 HU, set to -1000) and the
    classes of :data:`CLASSES_HU`, each set to its median. Its sharp edges
    give a reconstruction the fine-scale artefacts the real object's edges give (ringing and
    streaks of a few HU), which are part of the clean reference and not noise.
    """
    from scipy import ndimage

    span = ldct.HU_HIGH - ldct.HU_LOW
    hu = ldct.HU_LOW + ndimage.median_filter(noisy, 3) * span
    out = np.full(hu.shape, -1000.0)
    for low, high in CLASSES_HU:
        members = (hu >= low) & (hu < high)
        if members.any():
            out[members] = np.median(hu[members])
    return (out - ldct.HU_LOW) / span


def _basis(noisy: np.ndarray) -> np.ndarray:
    """Independent noise-only reconstructions of the Poisson and the electronic terms at full
    dose (:data:`REALISATIONS` of each), with the line integrals of the (squared) noisy image;
    cached per image."""

    def make() -> np.ndarray:
        p = ldct.project(noisy)
        seed = int.from_bytes(hashlib.sha256(np.ascontiguousarray(noisy).tobytes()).digest()[:16],
                              "little")
        rng = np.random.default_rng(seed)
        poisson = np.sqrt(np.exp(p) / ldct.I0_FULL)
        electronic = np.sqrt(ldct.ELECTRONIC_VARIANCE) * np.exp(p) / ldct.I0_FULL
        return np.stack([_linear_fbp(weight * rng.standard_normal(p.shape))
                         for weight in (poisson, electronic) for _ in range(REALISATIONS)]
                        ).astype(np.float32)

    return _basis_cache.get("basis", noisy, make)


def _structure(noisy: np.ndarray) -> np.ndarray:
    """The noiseless reconstruction of the stand-in of the (squared) noisy image's object
    (:func:`stand_in`); cached per image."""
    return _basis_cache.get("structure", noisy,
                            lambda: ldct.reconstruct(ldct.project(stand_in(noisy))))


def _prepared(noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """The noisy slice squared, its noise basis and the crop back to its shape."""
    square, crop = ldct.pad_square(np.asarray(noisy, dtype=np.float64))
    return square, _basis(square), crop


def _at_dose(basis: np.ndarray, dose: float) -> np.ndarray:
    """The noise-only reconstructions at ``dose``, ``n_a / sqrt(dose) + n_b / dose``: a stack of
    :data:`REALISATIONS`."""
    k = REALISATIONS
    return basis[:k].astype(np.float64) / np.sqrt(dose) + basis[k:].astype(np.float64) / dose


def _check_slice(noisy: np.ndarray) -> np.ndarray:
    from benchmark.core.errors import BenchError

    array = np.asarray(noisy, dtype=np.float64)
    if array.ndim != 2:
        raise BenchError(f"ldct noise is estimated on a 2-D slice, not shape {array.shape}")
    return array


def estimate_dose(noisy: np.ndarray) -> float:
    """The dose (a fraction of the full dose) of a low-dose CT image or stack of slices.

    Parameters
    ----------
    noisy : numpy.ndarray
        A reconstruction made by the ``ldct`` noise model (or a real one windowed the same
        way): a 2-D slice, or a stack / volume whose last two axes are slices (the median of
        the slices' estimates).

    Returns
    -------
    float
        The dose in (0, 1]: an image less noisy than the full dose reads as the full dose.
    """
    array = np.asarray(noisy, dtype=np.float64)
    if array.ndim > 2:
        return float(np.median([estimate_dose(s) for s in array.reshape((-1,) + array.shape[-2:])]))
    square, basis, _ = _prepared(_check_slice(array))
    field = _tissue(square)
    target = haar_rms(square, field)
    clean = _structure(square)
    low, high = np.log(_LOW), np.log(_HIGH)
    if haar_rms(clean + _at_dose(basis, _HIGH), field) >= target:
        return _HIGH
    for _ in range(40):  # the simulated level falls as the dose rises
        middle = (low + high) / 2
        if haar_rms(clean + _at_dose(basis, np.exp(middle)), field) > target:
            low = middle
        else:
            high = middle
    return float(np.exp((low + high) / 2))


def _tissue(square: np.ndarray) -> np.ndarray:
    """Soft tissue (the stand-in's -40..150 HU class) at least 2 pixels from another class,
    in the field of view; the body (:func:`_body`) when that is under 256 pixels."""
    from scipy import ndimage

    span = ldct.HU_HIGH - ldct.HU_LOW
    hu = ldct.HU_LOW + stand_in(square) * span
    low, high = CLASSES_HU[1]
    tissue = ndimage.binary_erosion((hu >= low) & (hu < high), iterations=2)
    tissue &= _field(square.shape[0])
    return tissue if tissue.sum() >= 256 else _body(square)


def _body(square: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    threshold = (_BODY_HU - ldct.HU_LOW) / (ldct.HU_HIGH - ldct.HU_LOW)
    body = (ndimage.gaussian_filter(square, 2.0) > threshold) & _field(square.shape[0])
    return body if body.sum() >= 64 else _field(square.shape[0])


def noise_std(noisy: np.ndarray, dose: float) -> float:
    """Standard deviation of the reconstructed noise over the body of ``noisy`` at ``dose``,
    in [0, 1] units (a 2-D slice).

    Parameters
    ----------
    noisy : numpy.ndarray
        The low-dose CT slice (its re-projection stands for the object).
    dose : float
        The dose it was acquired at, a fraction of the full dose (told or estimated).
    """
    square, basis, _ = _prepared(_check_slice(noisy))
    noise = _at_dose(basis, dose)
    return float(np.sqrt(np.mean(noise[:, _body(square)] ** 2)))


def noise_psd(noisy: np.ndarray, dose: float) -> np.ndarray:
    """Power spectral density of the reconstructed noise of ``noisy`` at ``dose``, of the
    slice's shape, scaled as the bm3d package takes it (``N sigma^2`` for white noise of
    standard deviation sigma over ``N`` pixels)."""
    from scipy import ndimage

    square, basis, crop = _prepared(_check_slice(noisy))
    noise = _at_dose(basis, dose)
    periodogram = np.mean(np.abs(np.fft.fft2(noise[(slice(None),) + crop])) ** 2, axis=0)
    psd = ndimage.gaussian_filter(periodogram, 2.0, mode="wrap")
    body = np.mean(noise[:, _body(square)] ** 2)  # the level of the body, not of the air too
    return psd * (body / (psd.sum() / psd.size**2))  # Parseval: variance = sum / N^2
