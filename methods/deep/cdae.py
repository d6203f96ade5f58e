"""A convolutional denoising autoencoder after Gondara (2016).

Encoder: two stages of 3x3 convolutions each followed by 2x2 max pooling; decoder: two
stages of nearest x2 upsampling and 3x3 convolutions; a 3x3 head to one channel. No skip
connections (it is an autoencoder: everything passes the 1/4-resolution bottleneck). Small
enough to train on a CPU in minutes.
"""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.blocks import crop_to, pad_to_multiple


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True))


class CDAE(nn.Module):
    """Gondara-style convolutional denoising autoencoder.

    Parameters
    ----------
    width : int
        Channels of the first stage; the bottleneck has ``2 * width``.
    """

    multiple = 4

    def __init__(self, width: int = 32):
        super().__init__()
        self.encoder = nn.Sequential(
            _conv(1, width), _conv(width, width), nn.MaxPool2d(2),
            _conv(width, 2 * width), nn.MaxPool2d(2),
            _conv(2 * width, 2 * width),
        )
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(2 * width, width),
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(width, width),
            nn.Conv2d(width, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded, size = pad_to_multiple(x, self.multiple)
        return crop_to(self.decoder(self.encoder(padded)), size)
