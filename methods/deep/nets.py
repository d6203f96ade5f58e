"""Build a deep denoiser from its architecture name and configuration (as in a checkpoint)."""

from __future__ import annotations

from typing import Any, Mapping

#: Architectures and their default configuration.
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "cdae": {"width": 32},
    "unet-dctda": {"attention": True, "dilation": True, "residual": False,
                   "image_statistics": False, "input_skip": False},
}


def build(architecture: str, config: Mapping[str, Any] | None = None, *,
          defaults: bool = True):
    """A fresh ``torch.nn.Module`` for ``architecture`` with ``config`` over the defaults.

    With ``defaults=False`` (loading a checkpoint) keys missing from ``config`` take the
    constructor's values, so that a checkpoint written before an option existed still loads.
    """
    from benchmark.core.registry import unknown_name

    if architecture not in ARCHITECTURES:
        raise unknown_name("architecture", architecture, list(ARCHITECTURES))
    resolved = {**(ARCHITECTURES[architecture] if defaults else {}), **dict(config or {})}
    if architecture == "cdae":
        from methods.deep.cdae import CDAE

        return CDAE(**resolved)
    from methods.deep.unet import UNetDCTDA

    return UNetDCTDA(**resolved)
