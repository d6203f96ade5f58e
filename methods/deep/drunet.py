"""DRUNet: the denoiser of Zhang et al. (2021), a U-Net of residual blocks with a noise-level map.

K. Zhang, Y. Li, W. Zuo, L. Zhang, L. Van Gool, R. Timofte, "Plug-and-Play Image Restoration
with Deep Denoiser Prior", IEEE TPAMI 44(10), 2022 (arXiv 2008.13751, 2020).

Layout, as in the paper and its reference code (``UNetRes`` of the DPIR repository):

- input: the noisy image and the noise-level map (a constant channel holding sigma,
  :mod:`methods.deep.level`), 2 channels;
- head: a 3x3 convolution to ``width`` channels;
- encoder: at each of the first three scales ``blocks`` residual blocks, then a 2x2 convolution
  of stride 2 doubling the channels (``width``, ``2 width``, ``4 width``, ``8 width``);
- body: ``blocks`` residual blocks at the fourth scale (1/8 resolution);
- decoder: at each scale a 2x2 transposed convolution of stride 2 halving the channels, then
  ``blocks`` residual blocks; the encoder's features at that scale are *added* to the decoder's
  input (additive skips, no concatenation);
- tail: a 3x3 convolution to one channel, the image itself (no global residual);
- residual block: ``x + conv3x3(ReLU(conv3x3(x)))``;
- no normalisation and no bias anywhere.

Without biases and with ReLU, every layer is positively homogeneous, so the whole network is:
``f(a x, a sigma) = a f(x, sigma)`` for ``a > 0`` (tested). Scaling the intensities of an image
and its noise scales the output alike, which is what lets a model trained on one intensity range
hold on another.

Sizes: :data:`SETTINGS`. ``paper`` (64-128-256-512 channels, 4 blocks a scale) is the
published model, 32.6 M parameters; the default ``small`` (32-64-128-256, 2 blocks) has 4.25 M
and trains on a CPU. Any input size: padded (reflect) to a multiple of 8, then cropped back.
"""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.blocks import crop_to, pad_to_multiple
from methods.deep.level import level_map

#: Named sizes: ``width`` (channels at full resolution; doubled at each of 3 downsamplings)
#: and ``blocks`` (residual blocks per scale).
SETTINGS = {"small": {"width": 32, "blocks": 2}, "paper": {"width": 64, "blocks": 4}}
SCALES = 4


class ResBlock(nn.Module):
    """``x + conv(ReLU(conv(x)))``, 3x3 convolutions without bias."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class DRUNet(nn.Module):
    """DRUNet for grey images: ``model(x, level)`` with ``x`` ``(N, 1, H, W)`` and ``level``
    ``(N,)``, the noise sigma of each image.

    Parameters
    ----------
    width : int
        Channels at full resolution (the paper: 64); the scales have 1, 2, 4 and 8 times as many.
    blocks : int
        Residual blocks per scale, in the encoder, the body and the decoder (the paper: 4).

    Examples
    --------
    >>> net = DRUNet(width=4, blocks=1)
    >>> net(torch.rand(2, 1, 13, 21), torch.tensor([0.05, 0.1])).shape
    torch.Size([2, 1, 13, 21])
    """

    takes_level = True
    multiple = 2 ** (SCALES - 1)

    def __init__(self, width: int = 32, blocks: int = 2):
        super().__init__()
        if width < 1 or blocks < 1:
            raise ValueError(f"DRUNet needs width >= 1 and blocks >= 1, not {width} and {blocks}")
        channels = [width * 2 ** k for k in range(SCALES)]
        self.head = nn.Conv2d(2, width, 3, padding=1, bias=False)
        self.down = nn.ModuleList(
            nn.Sequential(*[ResBlock(c) for _ in range(blocks)],
                          nn.Conv2d(c, 2 * c, 2, stride=2, bias=False))
            for c in channels[:-1])
        self.body = nn.Sequential(*[ResBlock(channels[-1]) for _ in range(blocks)])
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(2 * c, c, 2, stride=2, bias=False),
                          *[ResBlock(c) for _ in range(blocks)])
            for c in reversed(channels[:-1]))
        self.tail = nn.Conv2d(width, 1, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        padded, size = pad_to_multiple(x, self.multiple)
        y = self.head(torch.cat([padded, level_map(level, padded)], dim=1))
        skips = [y]
        for stage in self.down:
            y = stage(y)
            skips.append(y)
        y = self.body(y)
        for stage in self.up:
            y = stage(y + skips.pop())
        return crop_to(self.tail(y + skips.pop()), size)


def parameter_count(width: int, blocks: int) -> int:
    """Weights of ``DRUNet(width, blocks)``, counted from the layout (no network is built).

    Examples
    --------
    >>> parameter_count(**SETTINGS["paper"])
    32638656
    >>> parameter_count(**SETTINGS["small"])
    4252512
    """
    channels = [width * 2 ** k for k in range(SCALES)]
    resblocks = sum(2 * 9 * c * c * blocks for c in channels)  # encoder and body
    resblocks += sum(2 * 9 * c * c * blocks for c in channels[:-1])  # decoder
    resampling = 2 * sum(4 * c * 2 * c for c in channels[:-1])  # strided and transposed 2x2
    return resblocks + resampling + 9 * 2 * width + 9 * width
