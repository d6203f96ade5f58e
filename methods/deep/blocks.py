"""Building blocks shared by the deep denoisers: scSE attention and shape-safe padding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SCSE(nn.Module):
    """Concurrent spatial and channel squeeze-and-excitation (Roy, Navab, Wachinger 2018).

    ``x * cSE(x) + x * sSE(x)``: a channel gate from global average pooling through a bottleneck
    of ``channels // reduction`` units, plus a per-pixel gate from a 1x1 convolution.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.cse = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
            nn.Sigmoid(),
        )
        self.sse = nn.Sequential(nn.Conv2d(channels, 1, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cse(x) + x * self.sse(x)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad ``(N, C, H, W)`` at the bottom and right to multiples of ``multiple``.

    Reflection padding where the image is large enough for it (no artificial edge), edge
    replication otherwise (reflection cannot pad by more than the size minus one).

    Returns
    -------
    padded : torch.Tensor
    size : tuple of int
        The original ``(H, W)``, for :func:`crop_to`.
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    return x, (height, width)


def crop_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Undo :func:`pad_to_multiple`."""
    return x[..., : size[0], : size[1]]
