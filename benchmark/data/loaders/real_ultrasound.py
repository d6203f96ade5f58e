"""The one real ultrasound image installed here: a frame of pydicom's echocardiography test file.

pydicom ships ``examples_ybr_color.dcm`` among its test files: a 30-frame SonoSite cine loop
(240 x 320, YBR_FULL_422 JPEG baseline) of a parasternal long-axis view of the heart, greyscale
B-mode stored as colour. It is already speckled (and log-compressed for display), so it is
never a clean reference: it may appear in a visual panel only, next to what a method makes of
it, and never in training, tuning or a score.
"""

from __future__ import annotations

import numpy as np

from benchmark.core.errors import BenchError

#: The file, inside pydicom's test data (no download).
FILE = "examples_ybr_color.dcm"
#: Rows and columns of the sector, without the scanner's text and toolbar.
SECTOR = (slice(8, 216), slice(40, 280))


def pydicom_ultrasound(frame: int = 0, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """One frame of pydicom's echocardiography test file, grey, in [0, 1].

    Parameters
    ----------
    frame : int
        Frame of the cine loop, 0 to 29.
    size : tuple of int, optional
        ``(height, width)`` to centre-crop or zero-pad the sector to (e.g. ``(256, 256)`` to
        sit beside the phantoms); by default the 208 x 240 sector as stored.

    Returns
    -------
    numpy.ndarray
        float32 grey image: the mean of the decoded RGB channels divided by 255.

    Raises
    ------
    BenchError
        If pydicom, its test file or a JPEG decoder is missing, or ``frame`` is out of range.

    Examples
    --------
    >>> image = pydicom_ultrasound()
    >>> image.shape, image.dtype, bool(0 <= image.min() < image.max() <= 1)
    ((208, 240), dtype('float32'), True)
    """
    try:
        from pydicom import dcmread
        from pydicom.data import get_testdata_file

        path = get_testdata_file(FILE, download=False)
        if path is None:
            raise FileNotFoundError(FILE)
        dataset = dcmread(path)
        frames = dataset.pixel_array  # pydicom converts YBR to RGB
    except Exception as error:  # a missing package, file or decoder: one line
        raise BenchError(f"cannot read pydicom's ultrasound test file {FILE}: {error}; "
                         "pip install pydicom pillow") from None
    if not 0 <= frame < len(frames):
        raise BenchError(f"frame {frame} of {FILE} does not exist; give 0 to {len(frames) - 1}")
    grey = frames[frame][SECTOR].astype(np.float32).mean(axis=-1) / 255.0
    if size is not None:
        from benchmark.data.images import fit_to_size

        grey = fit_to_size(grey, tuple(size))
    return np.clip(grey, 0.0, 1.0).astype(np.float32)
