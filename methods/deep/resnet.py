"""A ResNet-18 encoder written out by hand, with torchvision's parameter names.

The module tree (``conv1``, ``bn1``, ``layer1.0.conv1`` ... ``layer4.1.bn2``, ``downsample.0/1``)
matches ``torchvision.models.resnet18`` without ``fc``, so a torchvision state dict loads with
:func:`load_torchvision_state` and torchvision is never needed at run time.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn


class BasicBlock(nn.Module):
    """torchvision's ``BasicBlock``: two 3x3 convolutions and an identity (or 1x1) shortcut."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18Encoder(nn.Module):
    """ResNet-18 stem and stages; returns the five feature maps a U-Net decoder needs.

    Parameters
    ----------
    in_channels : int
        1 for grey-level images (the stem's RGB kernels are summed when loading ImageNet weights).

    Notes
    -----
    Outputs, for an input of size H: stem (64, H/2), layer1 (64, H/4), layer2 (128, H/8),
    layer3 (256, H/16), layer4 (512, H/32).
    """

    channels = (64, 64, 128, 256, 512)

    def __init__(self, in_channels: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        stem = self.relu(self.bn1(self.conv1(x)))
        f1 = self.layer1(self.maxpool(stem))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [stem, f1, f2, f3, f4]


def adapt_state(state: Mapping[str, torch.Tensor], in_channels: int) -> dict[str, torch.Tensor]:
    """A torchvision ``resnet18`` state dict made to fit :class:`ResNet18Encoder`.

    Drops ``fc.*`` and, for a 1-channel encoder, sums the stem's RGB kernels: a grey image
    repeated to three channels gives the same first-layer response as the summed kernel on the
    grey image. A 2-channel encoder (grey image and noise-level map) gets the grey kernel and
    zeros for the map, from an RGB or a grey stem, so that it starts as the stem it loads.
    """
    adapted = {k: v for k, v in state.items() if not k.startswith("fc.")}
    stem = adapted.get("conv1.weight")
    if stem is not None and stem.shape[1] != in_channels:
        if in_channels not in (1, 2) or stem.shape[1] not in (1, 3):
            raise ValueError(f"cannot adapt a {stem.shape[1]}-channel stem to {in_channels}")
        grey = stem.sum(dim=1, keepdim=True)
        extra = grey.new_zeros((grey.shape[0], in_channels - 1, *grey.shape[2:]))
        adapted["conv1.weight"] = torch.cat([grey, extra], dim=1)
    return adapted


def load_torchvision_state(encoder: ResNet18Encoder, state: Mapping[str, torch.Tensor]) -> None:
    """Load a torchvision ``resnet18`` state dict (strict on every encoder key)."""
    encoder.load_state_dict(adapt_state(state, encoder.conv1.in_channels), strict=True)
