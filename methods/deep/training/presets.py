"""Named training presets: a setting of another project, as ``bench train --preset NAME``.

A preset fills in options the command line leaves out; an option given explicitly wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    """What a preset sets (``None``: left to the command line and the profile)."""

    name: str
    description: str
    noise: tuple[str, ...] = ()          # --noise
    sigma: tuple[str, ...] = ()          # --sigma
    dataset: str | None = None           # --dataset when neither --dataset nor --data is given
    window: str | None = None            # --window for a --data folder of DICOM/NIfTI CT
    resize: int | None = None            # whole slices resized to resize x resize
    budget: dict[str, Any] = field(default_factory=dict)  # profile overrides (crop, ...)


#: The presets, by name.
PRESETS: dict[str, Preset] = {
    "ct-autoencoder": Preset(
        name="ct-autoencoder",
        description="the CT autoencoder project's setting: HU-windowed CT slices (abdomen "
                    "window, centre 50, width 400 HU) resized to 128 x 128, Gaussian noise "
                    "sigma 0.4 on [0, 1], on Pancreas-CT unless --data or --dataset is given",
        noise=("gaussian",), sigma=("0.4",), dataset="pancreas-ct", window="abdomen",
        resize=128, budget={"crop": 128}),
}


def get_preset(name: str) -> Preset:
    """The preset ``name``, or a one-line error with the choices."""
    from benchmark.core.registry import unknown_name

    if name not in PRESETS:
        raise unknown_name("preset", name, list(PRESETS))
    return PRESETS[name]
