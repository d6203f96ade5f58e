"""Procedural CT phantoms in Hounsfield units: the default data of the low-dose CT noise kind.

No real CT ships inside the installed packages (pydicom's ``CT_small.dcm`` is a 128 x 128 test
fixture, never data). Each phantom is drawn from its own index: index ``k`` seeds a PCG64
generator with ``[PHANTOM_SEED, k]``, so phantom ``k`` is the same image on every machine and
two indices never share an image. A phantom is an axial slice of an abdomen (3 in 4) or a head
(1 in 4) on a 400 mm field of view, in HU, as piecewise-constant regions painted in order (a
later region covers an earlier one), rendered at twice the resolution and averaged over 2 x 2
pixels (partial volume at the edges):

========================= ============== =====================================================
region                    HU             size and place
========================= ============== =====================================================
air                       -1000          outside the body; bowel gas: 0-3 pockets, 4-12 mm
body (subcutaneous fat)   -110 to -90    ellipse 280-370 x 190-270 mm (abdomen)
soft tissue (muscle)      30 to 50       the body ellipse shrunk to 82-92 %
visceral fat              -100 to -80    1-3 ellipses, 15-40 mm
liver                     55 to 70       on the patient's right, ~0.4 x 0.45 of the body
spleen, kidneys           40-50, 25-35   left posterior; both sides of the spine
aorta                     40 to 180      disc of 10-13 mm radius (contrast phase varies)
vertebra                  700-1000 ring  cortical ring around trabecular bone (180-300 HU),
                                         spinal canal (0-15 HU), spinous process
ribs                      700 to 1000    6-10 ellipses of 3.5-7 mm inside the body edge
lesions                   +-10 to +-40   2-5 discs of 3-10 mm radius (low contrast, in organs)
skull (head)              850 to 1000    ellipse 140-170 x 170-200 mm, 5-8 mm thick
brain: grey, white, CSF   35-42, 22-30,  white matter 80-88 % of the brain ellipse,
                          0-10           two ventricles; 1-3 lesions of +-5 to +-15 HU
========================= ============== =====================================================

A smooth texture (Gaussian-filtered white noise, standard deviation 4 HU, correlation 3 mm) is
added inside the body so that soft tissue is not perfectly flat. The card's window maps HU to
[0, 1]; the ``ct-phantom`` card uses centre 0, width 2000 (-1000..1000 HU), the interval the
``ldct`` noise model reads [0, 1] as.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmark.core.errors import BenchError
from benchmark.data.loaders.common import range_indices

if TYPE_CHECKING:
    from benchmark.data.schema import Card

#: First entropy word of every phantom's generator (the second is the phantom's index).
PHANTOM_SEED = 20240613
#: Field of view of a phantom, in mm (the image's width and height).
FOV_MM = 400.0
#: Share of head phantoms.
HEAD_SHARE = 0.25
_SUPERSAMPLE = 2


class _Canvas:
    """An HU image on a grid of mm coordinates, painted region by region (painter's order)."""

    def __init__(self, size: int, fov_mm: float):
        fine = size * _SUPERSAMPLE
        step = fov_mm / fine
        axis = (np.arange(fine) + 0.5) * step - fov_mm / 2
        self.x, self.y = np.meshgrid(axis, -axis)  # row 0 at the top (anterior), x to the right
        self.hu = np.full((fine, fine), -1000.0)
        self.size = size

    def ellipse(self, cx: float, cy: float, a: float, b: float, angle: float = 0.0) -> np.ndarray:
        """Mask of the ellipse of centre (cx, cy) mm, semi-axes a (x) and b (y), rotated by
        ``angle`` degrees."""
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        dx, dy = self.x - cx, self.y - cy
        u, v = c * dx + s * dy, -s * dx + c * dy
        return (u / a) ** 2 + (v / b) ** 2 <= 1.0

    def paint(self, mask: np.ndarray, value: float) -> None:
        self.hu[mask] = value

    def image(self) -> np.ndarray:
        """The HU image at the output size (mean over each block of fine pixels)."""
        k = _SUPERSAMPLE
        return self.hu.reshape(self.size, k, self.size, k).mean(axis=(1, 3))


def _lesions(canvas: _Canvas, rng: np.random.Generator, inside: np.ndarray, count: int,
             radius: tuple[float, float], contrast: tuple[float, float]) -> None:
    """``count`` discs centred in ``inside``, each its region's value plus a signed contrast."""
    ys, xs = np.nonzero(inside)
    if ys.size == 0:
        return
    for _ in range(count):
        pick = int(rng.integers(ys.size))
        cx, cy = canvas.x[ys[pick], xs[pick]], canvas.y[ys[pick], xs[pick]]
        r = rng.uniform(*radius)
        mask = canvas.ellipse(cx, cy, r, r) & inside
        base = float(np.median(canvas.hu[mask])) if mask.any() else 40.0
        sign = 1.0 if rng.random() < 0.5 else -1.0
        canvas.paint(mask, base + sign * rng.uniform(*contrast))


def _abdomen(canvas: _Canvas, rng: np.random.Generator) -> np.ndarray:
    u = rng.uniform
    a, b = u(140, 185), u(95, 135)
    cx, cy, tilt = u(-10, 10), u(-10, 10), u(-5, 5)
    body = canvas.ellipse(cx, cy, a, b, tilt)
    canvas.paint(body, u(-110, -90))
    shrink = u(0.82, 0.92)
    inner = canvas.ellipse(cx, cy, a * shrink, b * shrink, tilt)
    canvas.paint(inner, u(30, 50))
    for _ in range(int(rng.integers(1, 4))):
        canvas.paint(canvas.ellipse(cx + u(-0.5, 0.5) * a, cy + u(-0.3, 0.5) * b, u(15, 40),
                                    u(15, 40), u(0, 180)) & inner, u(-100, -80))
    ia, ib = a * shrink, b * shrink
    liver = canvas.ellipse(cx - 0.38 * ia, cy + u(0.0, 0.2) * ib, u(0.35, 0.45) * ia,
                           u(0.4, 0.55) * ib, u(-20, 20)) & inner
    canvas.paint(liver, u(55, 70))
    spleen = canvas.ellipse(cx + 0.5 * ia, cy - 0.2 * ib, u(0.12, 0.2) * ia, u(0.2, 0.3) * ib,
                            u(-30, 30)) & inner
    canvas.paint(spleen, u(40, 50))
    spine_y = cy - 0.62 * ib
    kidney = u(25, 35)
    for side in (-1, 1):
        canvas.paint(canvas.ellipse(cx + side * u(45, 60), spine_y + u(5, 20), u(20, 28),
                                    u(30, 40), side * u(10, 30)) & inner, kidney)
    aorta = u(10, 13)
    canvas.paint(canvas.ellipse(cx + u(-8, 8), spine_y + u(35, 45), aorta, aorta), u(40, 180))
    radius = u(17, 22)
    canvas.paint(canvas.ellipse(cx, spine_y, radius + 3, radius * 0.85 + 3), u(700, 1000))
    canvas.paint(canvas.ellipse(cx, spine_y, radius, radius * 0.85), u(180, 300))
    canvas.paint(canvas.ellipse(cx, spine_y - radius - 12, 7, 9), u(0, 15))  # spinal canal
    canvas.paint(canvas.ellipse(cx, spine_y - radius - 30, 5, 9), u(700, 1000))
    for angle in rng.uniform(0, 2 * np.pi, int(rng.integers(6, 11))):
        ra = u(3.5, 7)
        px = cx + 0.93 * ia * np.cos(angle)
        py = cy + 0.93 * ib * np.sin(angle)
        canvas.paint(canvas.ellipse(px, py, ra, ra * u(0.6, 1.0), u(0, 180)), u(700, 1000))
    for _ in range(int(rng.integers(0, 4))):
        gx, gy = cx + u(-0.3, 0.4) * ia, cy + u(0.1, 0.6) * ib
        canvas.paint(canvas.ellipse(gx, gy, u(4, 12), u(4, 12), u(0, 180)) & inner, -1000.0)
    _lesions(canvas, rng, liver | spleen, int(rng.integers(2, 6)), (3, 10), (10, 40))
    return body


def _head(canvas: _Canvas, rng: np.random.Generator) -> np.ndarray:
    u = rng.uniform
    a, b = u(70, 85), u(85, 100)
    cx, cy, tilt = u(-8, 8), u(-8, 8), u(-6, 6)
    head = canvas.ellipse(cx, cy, a, b, tilt)
    canvas.paint(head, u(850, 1000))
    thick = u(5, 8)
    brain = canvas.ellipse(cx, cy, a - thick, b - thick, tilt)
    canvas.paint(brain, u(35, 42))
    white = u(0.80, 0.88)
    canvas.paint(canvas.ellipse(cx, cy, (a - thick) * white, (b - thick) * white, tilt), u(22, 30))
    csf = u(0, 10)
    for side in (-1, 1):
        canvas.paint(canvas.ellipse(cx + side * u(6, 10), cy + u(-5, 15), u(3, 6), u(12, 22),
                                    side * u(5, 20)), csf)
    _lesions(canvas, rng, brain, int(rng.integers(1, 4)), (3, 10), (5, 15))
    return head


def draw(index: int, size: int = 256, *, fov_mm: float = FOV_MM) -> np.ndarray:
    """Phantom number ``index`` in HU, ``size`` x ``size`` pixels over ``fov_mm``.

    Parameters
    ----------
    index : int
        The phantom's number (its seed); any integer >= 0.
    size : int
        Pixels a side.
    fov_mm : float
        Field of view in mm (pixel size ``fov_mm / size``).

    Returns
    -------
    numpy.ndarray
        float64 HU image in [-1000, 1000].

    Examples
    --------
    >>> hu = draw(3, 64)
    >>> hu.shape, float(hu.min()) >= -1000, float(hu.max()) <= 1000
    ((64, 64), True, True)
    >>> bool((draw(3, 64) == hu).all())
    True
    """
    from scipy import ndimage

    if int(index) != index or index < 0:
        raise BenchError(f"phantom index {index!r} must be a whole number >= 0")
    rng = np.random.default_rng([PHANTOM_SEED, int(index)])
    canvas = _Canvas(int(size), float(fov_mm))
    body = (_head if rng.random() < HEAD_SHARE else _abdomen)(canvas, rng)
    hu = canvas.image()
    inside = body.reshape(canvas.size, _SUPERSAMPLE, canvas.size, _SUPERSAMPLE).all(axis=(1, 3))
    texture = ndimage.gaussian_filter(rng.standard_normal(hu.shape), 3.0 / (fov_mm / size))
    texture *= 4.0 / max(float(texture.std()), 1e-12)
    hu = np.where(inside, hu + texture, hu)
    return np.clip(hu, -1000.0, 1000.0)


def image_ids(card: Card, split: str) -> list[str]:
    """Ids of the phantoms of ``split`` (``ct-phantom/p02000``), without drawing them."""
    return [f"{card.name}/p{k:05d}" for k in range_indices(card, split)]


def load(card: Card, split: str, root: Path) -> tuple[list[str], list[np.ndarray], str]:
    """The phantoms of ``split``, windowed to [0, 1] by the card's ``[normalisation]``."""
    from benchmark.data.loaders.intensity import parse_window, window

    spec = card.loader
    size = spec.size or (256, 256)
    if size[0] != size[1]:
        raise BenchError(f"{card.name} card: size {list(size)} must be square, e.g. [256, 256]")
    norm = card.normalisation
    if norm.method != "window" or norm.window is None or norm.window == "file":
        raise BenchError(f"{card.name} card: give [normalisation] method = \"window\" and a "
                         "window in HU, e.g. window = [0, 2000]")
    raw = norm.window
    label, (centre, width) = (parse_window(raw) if isinstance(raw, str)
                              else parse_window(f"{raw[0]},{raw[1]}"))
    images = [window(draw(k, size[0]), centre, width).astype(np.float32)
              for k in range_indices(card, split)]
    how = (f"procedural CT phantoms in HU ({FOV_MM:g} mm field of view) drawn at "
           f"{size[0]}x{size[1]} (not resampled or padded), CT window {label} (centre "
           f"{centre:g}, width {width:g} HU, DICOM LINEAR_EXACT)")
    return image_ids(card, split), images, how
