"""A convolutional denoising autoencoder after Gondara (2016), and its ``nlmap`` options.

Encoder: two stages of 3x3 convolutions each followed by 2x2 max pooling; decoder: two
stages of nearest x2 upsampling and 3x3 convolutions; a 3x3 head to one channel. No skip
connections (it is an autoencoder: everything passes the 1/4-resolution bottleneck). Small
enough to train on a CPU in minutes.

Options (all off in the paper-faithful ``cdae``; all on in the variant ``cdae.nlmap``):

- ``level_map``: the noise-level map (:mod:`methods.deep.level`) is a second input channel;
  the network is then called ``model(x, level)``.
- ``bias``: off makes every convolution bias-free, so that with ReLU, max pooling and nearest
  upsampling the network is positively homogeneous (with the level map:
  ``f(a x, a sigma) = a f(x, sigma)``).
- ``input_skip``: the input (image, and map) is concatenated to the last, full-resolution
  decoder stage, whose only other input is upsampled from 1/2 resolution.
- ``residual``: the head predicts the correction added to the noisy image. It needs
  ``input_skip``: through the bottleneck alone the head cannot represent per-pixel noise. The
  head then starts at zero, so that training starts from the identity.
"""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.blocks import crop_to, pad_to_multiple
from methods.deep.level import level_map as make_map


def _conv(cin: int, cout: int, bias: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=bias), nn.ReLU(inplace=True))


class CDAE(nn.Module):
    """Gondara-style convolutional denoising autoencoder.

    Parameters
    ----------
    width : int
        Channels of the first stage; the bottleneck has ``2 * width``.
    level_map, bias, input_skip, residual : bool
        See the module notes; the defaults are Gondara's network. ``residual`` needs
        ``input_skip``.

    Examples
    --------
    >>> net = CDAE(width=4, level_map=True, bias=False, input_skip=True, residual=True)
    >>> x = torch.rand(1, 1, 10, 14)
    >>> torch.equal(net(x, torch.tensor([0.1])), x)  # the residual head starts at zero
    True
    """

    multiple = 4

    def __init__(self, width: int = 32, *, level_map: bool = False, bias: bool = True,
                 input_skip: bool = False, residual: bool = False):
        super().__init__()
        if residual and not input_skip:
            raise ValueError("a residual CDAE needs input_skip: through the bottleneck alone it "
                             "cannot represent per-pixel noise")
        self.takes_level = level_map
        self.input_skip = input_skip
        self.residual = residual
        cin = 2 if level_map else 1
        self.encoder = nn.Sequential(
            _conv(cin, width, bias), _conv(width, width, bias), nn.MaxPool2d(2),
            _conv(width, 2 * width, bias), nn.MaxPool2d(2),
            _conv(2 * width, 2 * width, bias),
        )
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(2 * width, width, bias),
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(width + (cin if input_skip else 0), width, bias),
            nn.Conv2d(width, 1, 3, padding=1, bias=bias),
        )
        if residual:
            nn.init.zeros_(self.decoder[-1].weight)
            if bias:
                nn.init.zeros_(self.decoder[-1].bias)

    def forward(self, x: torch.Tensor, level: torch.Tensor | None = None) -> torch.Tensor:
        padded, size = pad_to_multiple(x, self.multiple)
        inputs = torch.cat([padded, make_map(level, padded)], 1) if self.takes_level else padded
        y = self.decoder[:3](self.encoder(inputs))
        if self.input_skip:
            y = torch.cat([y, inputs], dim=1)
        y = self.decoder[3:](y)
        if self.residual:
            y = y + padded
        return crop_to(y, size)
