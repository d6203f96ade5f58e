"""UNet-DCTD-A: a U-Net with a ResNet-18 encoder, scSE attention and dilated convolutions.

Decoder: five blocks of 256, 128, 64, 32, 16 channels. Each block upsamples x2 (nearest),
concatenates the encoder's skip at that scale, applies scSE to the concatenation, then two
(conv3x3 - BN - ReLU), then scSE again. A 3x3 head maps 16 channels to one.

Normalisation: torchvision's batch norm (so that ImageNet weights load), with running averages
in evaluation as usual. The option ``image_statistics`` normalises with each image's own
statistics in evaluation instead (inference then runs one image per batch); it is off, as it did
not help in a short check (epoch 2 of the shipped run: 20.6 dB on one validation slice, while
the validation mean with running averages was 24.8 dB).

Dilation: the second convolution of the three coarsest decoder blocks (1/16, 1/8, 1/4 of the
input size) has dilation 2. Those blocks decide what is structure and what is noise, which
needs context, and dilation widens their receptive field at no cost in parameters; the two
finest blocks stay undilated because dilated kernels at full resolution leave gridding
artefacts in fine detail. The encoder stays exactly torchvision's ResNet-18 so that its
pretrained weights keep their meaning.

Full-resolution skip (``input_skip``, off by default, not in the paper; a run with it scored
the same validation SSIM as without, 0.9619 against 0.9620): the
encoder's finest features are at half resolution (the stem has stride 2), so the last decoder
block sees the noisy image itself concatenated to its upsampled input. It costs 1 channel.

Noise-level map (``level_map``, off by default, not in the paper; on in the variant
``unet-dctda.nlmap``): the map of :mod:`methods.deep.level` is a second input channel of the
encoder stem (ImageNet or pretrained stem weights load with zeros for it, so that they start as
they were trained), and of the input skip when that is on; the network is then called
``model(x, level)``. Batch norm and the input's mean subtraction keep the network from being
bias-free, so this variant is not scale-equivariant the way DRUNet is.

The head predicts the image itself, as in the paper. Residual learning (``output = input +
head``, optional) does not suit this decoder: its finest skip is at half resolution, so it cannot
represent per-pixel noise, and a residual model stays near the noisy input (seen in a first
training attempt). With the input skip, and the head at PyTorch's random initialisation, it
still did not learn quickly: 100 steps (batch 4, whole slices, one CPU thread) left its training
loss at 0.66 against 0.05 for the plain model, and the input skip alone started slower too
(0.73 after 25 steps, against 0.30). A residual head now starts at zero, so that the model
starts as the identity. The paper's final sigmoid is left out; the output is clamped to [0, 1]
at inference instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from methods.deep.blocks import SCSE, crop_to, pad_to_multiple
from methods.deep.level import level_map as make_map
from methods.deep.resnet import ResNet18Encoder

DECODER_CHANNELS = (256, 128, 64, 32, 16)
#: Dilation of each decoder block's second convolution (coarse to fine); see module notes.
DECODER_DILATIONS = (2, 2, 2, 1, 1)
#: ImageNet statistics of a grey image (mean and std of the RGB means), for the pretrained stem.
GREY_MEAN, GREY_STD = 0.449, 0.226


def conv_bn_relu(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DecoderBlock(nn.Module):
    """Upsample x2, concat skip, scSE, (conv-BN-ReLU) x2, scSE."""

    def __init__(self, cin: int, skip: int, cout: int, dilation: int = 1, attention: bool = True):
        super().__init__()
        self.attention1 = SCSE(cin + skip) if attention else nn.Identity()
        self.conv1 = conv_bn_relu(cin + skip, cout)
        self.conv2 = conv_bn_relu(cout, cout, dilation)
        self.attention2 = SCSE(cout) if attention else nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        x = self.attention1(x)
        return self.attention2(self.conv2(self.conv1(x)))


class UNetDCTDA(nn.Module):
    """The UNet-DCTD-A denoiser; any input size (padded to a multiple of 32, cropped back).

    Parameters
    ----------
    attention : bool
        scSE blocks in the decoder (off for the ablation).
    dilation : bool
        Dilated convolutions as in :data:`DECODER_DILATIONS` (off: all 1).
    residual : bool
        Predict the noise residual (output = input + head) rather than the image.
    image_statistics : bool
        Batch norm normalises with each batch's own statistics in evaluation too.
    input_skip : bool
        Concatenate the input image to the last (full-resolution) decoder block, whose only
        other input is upsampled from half resolution.
    level_map : bool
        Take the noise level (``model(x, level)``) as a second input channel.
    """

    multiple = 32

    def __init__(self, *, attention: bool = True, dilation: bool = True, residual: bool = False,
                 image_statistics: bool = False, input_skip: bool = False,
                 level_map: bool = False):
        super().__init__()
        self.residual = residual
        self.image_statistics = image_statistics
        self.input_skip = input_skip
        self.takes_level = level_map
        cin = 2 if level_map else 1
        self.encoder = ResNet18Encoder(in_channels=cin)
        # 256, 128, 64, 64, then the input itself at full resolution (or nothing)
        skips = self.encoder.channels[::-1][1:] + (cin if input_skip else 0,)
        cin = self.encoder.channels[-1]
        blocks = []
        for cout, skip, rate in zip(DECODER_CHANNELS, skips, DECODER_DILATIONS):
            blocks.append(DecoderBlock(cin, skip, cout, rate if dilation else 1, attention))
            cin = cout
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Conv2d(DECODER_CHANNELS[-1], 1, 3, padding=1)
        if residual:
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def train(self, mode: bool = True) -> "UNetDCTDA":
        """As ``nn.Module.train``; with ``image_statistics``, batch norm keeps normalising with
        the statistics of the batch in eval mode too, without updating its running averages."""
        super().train(mode)
        if self.image_statistics:
            for module in self.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.train(True)
                    module.momentum = 0.1 if mode else 0.0
        return self

    def forward(self, x: torch.Tensor, level: torch.Tensor | None = None) -> torch.Tensor:
        padded, size = pad_to_multiple(x, self.multiple)
        inputs = (padded - GREY_MEAN) / GREY_STD
        skip = padded
        if self.takes_level:
            plane = make_map(level, padded)
            inputs = torch.cat([inputs, plane / GREY_STD], dim=1)
            skip = torch.cat([padded, plane], dim=1)
        features = self.encoder(inputs)
        y = features[-1]
        skips = features[-2::-1] + [skip if self.input_skip else None]
        for block, skip in zip(self.decoder, skips):
            y = block(y, skip)
        y = self.head(y)
        if self.residual:
            y = y + padded
        return crop_to(y, size)
