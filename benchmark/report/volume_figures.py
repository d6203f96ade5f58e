"""Orthogonal views of a volume: axial, coronal and sagittal planes through its centre.

One row a volume (clean, noisy, the best slice-wise method, the best 3-D method), one column a
plane; grey levels on the fixed [0, 1] range, so rows compare directly. The coronal and sagittal
planes show the slice axis upward; those of a thin slab (10 slices of 256 x 256) are stretched
along it to a quarter of their width (:func:`stretch`), and the column title says by how much.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Column titles, in order: the plane and the volume axis it is orthogonal to.
PLANES = (("axial", 0), ("coronal", 1), ("sagittal", 2))


def centre_planes(volume: np.ndarray) -> list[np.ndarray]:
    """The three planes through the centre voxel of a ``(D, H, W)`` volume.

    Examples
    --------
    >>> [p.shape for p in centre_planes(np.zeros((10, 20, 30)))]
    [(20, 30), (10, 30), (10, 20)]
    """
    planes = [np.take(volume, volume.shape[axis] // 2, axis=axis) for _, axis in PLANES]
    return [planes[0]] + [np.flipud(plane) for plane in planes[1:]]  # slice axis upward


def stretch(plane: np.ndarray) -> float:
    """The display aspect of a plane: 1 (square voxels), or more so that its height is at least
    a quarter of its width.

    Examples
    --------
    >>> stretch(np.zeros((10, 256))), stretch(np.zeros((256, 256)))
    (6.4, 1.0)
    """
    rows, columns = plane.shape
    return max(1.0, columns / (4.0 * rows))


def plot_orthogonal(volumes: Mapping[str, np.ndarray], *, title: str = "") -> "Figure":
    """One row a labelled volume, one column a plane through its centre."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 2.2 * len(volumes) + 0.5))
    axes = figure.subplots(len(volumes), len(PLANES), squeeze=False,
                           gridspec_kw={"width_ratios": [1, 1, 1]})
    for row, (label, volume) in enumerate(volumes.items()):
        for column, plane in enumerate(centre_planes(volume)):
            ax = axes[row][column]
            aspect = stretch(plane)
            ax.imshow(plane, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest",
                      aspect=aspect)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(PLANES[column][0] + (f" (slice axis x{aspect:.3g})"
                                                  if aspect > 1 else ""), fontsize=9)
            if column == 0:
                ax.set_ylabel(label, fontsize=8)
    if title:
        figure.suptitle(title, fontsize=9)
    return figure
