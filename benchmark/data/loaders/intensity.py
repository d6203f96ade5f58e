"""Intensity normalisations: CT windows in Hounsfield units, robust percentiles, integer ranges.

Every function returns the normalised array and a one-line description that is recorded as the
dataset's normalisation, so a number in a table can be traced to how its pixels were made.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.core.noise.ldct import WINDOW as LDCT_WINDOW

if TYPE_CHECKING:
    from benchmark.data.schema import Normalisation

#: CT display windows as (centre, width) in HU. Usual radiology settings; Radiopaedia's
#: "Windowing (CT)" gives the ranges they are taken from (e.g. subdural W 130-300, L 50-100).
WINDOWS: dict[str, tuple[float, float]] = {
    "brain": (40.0, 80.0),
    "subdural": (75.0, 200.0),
    "abdomen": (50.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
    # -1000..1000 HU: the interval the low-dose CT noise model (--noise ldct) reads [0, 1] as
    "ldct": LDCT_WINDOW,
}

#: Upper percentile of the robust MR scaling (the lower end is the volume's minimum).
PERCENTILE = 99.5


def parse_window(text: str | None) -> tuple[str, tuple[float, float] | None]:
    """``brain`` / ``file`` / ``40,400`` (centre,width) -> (label, (centre, width) or None for file).

    Raises
    ------
    BenchError
        For an unknown preset or a width that is not positive.
    """
    if text is None or text == "file":
        return "file", None
    if text in WINDOWS:
        return text, WINDOWS[text]
    try:
        centre, width = (float(v) for v in text.split(","))
    except ValueError:
        raise BenchError(f"--window {text!r}: use a preset ({', '.join(WINDOWS)}), 'file' "
                         "(the DICOM WindowCenter/WindowWidth) or CENTRE,WIDTH in HU, e.g. 40,400"
                         ) from None
    if not width > 0:
        raise BenchError(f"--window {text!r}: the width must be > 0 HU")
    return f"C={centre:g},W={width:g}", (centre, width)


def window(hu: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Map HU to [0, 1] with DICOM's LINEAR_EXACT window (PS3.3 C.11.2.1.3.2).

    ``y = (x - centre) / width + 0.5``, clipped to [0, 1]: ``centre - width/2`` and below -> 0,
    ``centre + width/2`` and above -> 1.

    Examples
    --------
    >>> window(np.array([-160.0, 50.0, 250.0]), 50, 400).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.clip((np.asarray(hu, np.float64) - centre) / width + 0.5, 0.0, 1.0)


def percentile_scale(volume: np.ndarray, high: float = PERCENTILE) -> tuple[np.ndarray, str]:
    """``(x - min) / (p_high - min)`` over the finite voxels of the volume, clipped to [0, 1].

    One scale for the whole volume (or series), so slices keep their relative brightness; the
    minimum (usually 0, the MR background) maps to 0, which the Rician noise model assumes.
    """
    finite = volume[np.isfinite(volume)]
    if finite.size == 0:
        raise BenchError("the volume holds no finite value; it cannot be normalised")
    low, top = float(finite.min()), float(np.percentile(finite, high))
    if top <= low:
        top = float(finite.max())
    if top <= low:
        return np.zeros_like(volume, dtype=np.float64), f"constant volume (= {low:g})"
    with np.errstate(invalid="ignore"):
        scaled = np.clip((volume.astype(np.float64) - low) / (top - low), 0.0, 1.0)
    scaled[~np.isfinite(volume)] = np.nan  # keep the mark: the slice will be skipped, not filled
    return scaled, (f"(x - {low:g}) / ({top:g} - {low:g}): minimum -> 0, {high:g}th percentile "
                    "of the volume -> 1, clipped to [0, 1]")


def dtype_scale(image: np.ndarray) -> tuple[np.ndarray, str]:
    """Integers divided by their type's maximum (255, 65535); floats must already be in [0, 1]."""
    if np.issubdtype(image.dtype, np.integer):
        top = np.iinfo(image.dtype).max
        return image.astype(np.float64) / top, f"integers divided by their type's maximum ({top})"
    return image.astype(np.float64), "floats as stored (expected in [0, 1])"


def to_grey(image: np.ndarray) -> np.ndarray:
    """RGB(A) -> luminance with scikit-image's ``rgb2gray`` (ITU-R BT.709 weights), same scale."""
    from skimage.color import rgb2gray

    rgb = image[..., :3].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rgb2gray(rgb)


def normalise_volume(volume: np.ndarray, spec: Normalisation, default: str) -> tuple[np.ndarray, str]:
    """Apply a card's ``[normalisation]`` to a whole volume.

    ``method`` is ``percentile`` (``high``, default 99.5), ``window`` (``window`` = a preset name
    or ``[centre, width]``; values must be HU), ``volume-max`` (divide by the maximum) or
    ``none`` (values must already lie in [0, 1]); ``default`` is used when the card names none.
    """
    method = spec.method or default
    if method == "percentile":
        return percentile_scale(volume, float(spec.high))
    if method == "window":
        chosen = spec.window or "abdomen"
        label, cw = parse_window(chosen if isinstance(chosen, str)
                                 else ",".join(str(v) for v in chosen))
        if cw is None:
            raise BenchError("normalisation window 'file' needs DICOM headers; name a preset")
        return window(volume, *cw), f"CT window {label} (centre {cw[0]:g}, width {cw[1]:g} HU)"
    if method == "volume-max":
        top = float(np.nanmax(volume))
        if not top > 0:
            raise BenchError(f"volume-max normalisation: the maximum is {top:g}; use percentile")
        return volume / top, f"divided by the volume maximum ({top:g})"
    if method == "none":
        return volume.astype(np.float64), "none (stored values, expected in [0, 1])"
    raise BenchError(f"normalisation method {method!r}: use percentile, window, volume-max or none")
