"""A conditional GAN for denoising after pix2pix (Isola et al. 2017): U-Net generator, PatchGAN.

Generator (:class:`UNetGenerator`, the denoiser that is served): pix2pix's U-Net. ``depth``
levels, each a 4x4 convolution of stride 2 on the way down (LeakyReLU 0.2 before it, from the
second level on, and a normalisation after it, except at the outermost and innermost levels)
and a 4x4 transposed convolution of stride 2 on the way up (ReLU before it, a normalisation after
it), with the input of every level concatenated to that level's output (the skips). Level ``i``
(0 outermost) has ``width * min(2**i, 8)`` channels. The output layer is a tanh: images enter as
``2x - 1`` and leave as ``(tanh + 1) / 2``, so the model maps [0, 1] to (0, 1).

- pix2pix's setting (``unet_256``): ``width=64, depth=8, norm="batch"``, 54.4 M parameters,
  inputs padded to a multiple of 256.
- The default here: ``width=32, depth=5, norm="none"``, 4.2 M parameters (8.3 MB in fp16),
  inputs padded to a multiple of 32: a 96-px crop reaches a 3 x 3 bottleneck, and a training
  step (batch 8, with a discriminator of width 32) takes about 0.3 s on one CPU thread.

Deviations from pix2pix, both for a denoiser: no dropout (pix2pix's only source of randomness;
it found the generator to ignore it largely, and a benchmark's denoiser must be deterministic),
and no normalisation by default. Batch norm's running averages, collected on training crops,
do not carry over to whole slices (seen with UNet-DCTD-A, see docs/training.md), and instance
norm makes every pixel depend on the whole image's statistics: a generator trained with it
denoised whole slices (30.8 dB at Gaussian 0.1) but not a 96-px crop of brain tissue (20.4 dB,
the noisy input's 20.0). Without normalisation the network is the same function everywhere.
Both remain options (``norm="batch"``, ``"instance"``).

Discriminator (:class:`PatchDiscriminator`, training only): pix2pix's 70 x 70 PatchGAN. It
sees the noisy input and a candidate (the clean image or the generator's output) as two
channels and answers one logit per overlapping 70 x 70 patch: 4x4 convolutions with ``width``,
2, 4 and 8 ``width`` channels (strides 2, 2, 2, 1), batch norm and LeakyReLU 0.2 between them,
and a last 4x4 convolution to one channel. An input of H x W gives a map of
``(H / 8 - 2) x (W / 8 - 2)`` logits (H and W multiples of 8).

References
----------
Isola, Zhu, Zhou, Efros (2017), "Image-to-image translation with conditional adversarial
networks", CVPR; the authors' code: github.com/junyanz/pytorch-CycleGAN-and-pix2pix.
"""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.blocks import crop_to, pad_to_multiple

#: Normalisation layers by name (pix2pix: batch norm, affine; instance norm without affine
#: parameters or running statistics).
NORMS = ("batch", "instance", "none")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


def _check(norm: str, **sizes: int) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {', '.join(NORMS)}")
    for name, value in sizes.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """pix2pix's initialisation: convolution weights from N(0, std), biases 0, normalisation
    scales from N(1, std)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)


class _Level(nn.Module):
    """One U-Net level: down, the levels inside, up; its input concatenated to its output."""

    def __init__(self, outer: int, inner: int, inside: nn.Module | None, *, norm: str,
                 outermost: bool = False):
        super().__init__()
        bias = norm != "batch"  # a batch norm's shift replaces the bias
        innermost = inside is None
        up_in = inner if innermost else 2 * inner
        down = [nn.Conv2d(outer if not outermost else 1, inner, 4, 2, 1, bias=bias)]
        if not outermost:
            down.insert(0, nn.LeakyReLU(0.2))
        if not (outermost or innermost):
            down.append(_norm(norm, inner))
        up = [nn.ReLU(), nn.ConvTranspose2d(up_in, 1 if outermost else outer, 4, 2, 1,
                                            bias=bias or outermost)]
        up.append(nn.Tanh() if outermost else _norm(norm, outer))
        self.outermost = outermost
        self.block = nn.Sequential(*down, *([inside] if inside is not None else []), *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y if self.outermost else torch.cat([x, y], dim=1)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net generator for one-channel images in [0, 1] (any size: padded to a
    multiple of ``2**depth`` and cropped back).

    Parameters
    ----------
    width : int
        Channels of the outermost level (pix2pix's ``ngf``, 64); level ``i`` has
        ``width * min(2**i, 8)``.
    depth : int
        Levels (stride-2 convolutions); pix2pix's ``unet_256`` has 8, ``unet_128`` 7.
    norm : {"none", "batch", "instance"}
        Normalisation after the inner convolutions (pix2pix's default: batch).

    Examples
    --------
    >>> net = UNetGenerator(width=4, depth=3)  # any H, W
    >>> net(torch.rand(2, 1, 20, 28)).shape
    torch.Size([2, 1, 20, 28])
    """

    def __init__(self, width: int = 32, depth: int = 5, norm: str = "none"):
        super().__init__()
        _check(norm, width=width, depth=depth)
        self.multiple = 2 ** depth
        channels = [width * min(2 ** i, 8) for i in range(depth)]
        level = None
        for i in range(depth - 1, -1, -1):  # innermost first
            outer = channels[i - 1] if i else width
            level = _Level(outer, channels[i], level, norm=norm, outermost=i == 0)
        self.net = level
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded, size = pad_to_multiple(x, self.multiple)
        return crop_to((self.net(2 * padded - 1) + 1) / 2, size)


class PatchDiscriminator(nn.Module):
    """pix2pix's conditional PatchGAN: one logit per overlapping patch of (noisy, candidate).

    Parameters
    ----------
    width : int
        Channels of the first convolution (pix2pix's ``ndf``, 64).
    layers : int
        Stride-2 convolutions (pix2pix's ``n_layers``); 3 gives 70 x 70 patches
        (:func:`receptive_field`).
    norm : {"batch", "instance", "none"}
        Normalisation after the inner convolutions (pix2pix: batch).

    Examples
    --------
    >>> disc = PatchDiscriminator(width=4)
    >>> disc(torch.rand(2, 1, 64, 64), torch.rand(2, 1, 64, 64)).shape  # 64 / 8 - 2 = 6
    torch.Size([2, 1, 6, 6])
    """

    def __init__(self, width: int = 64, layers: int = 3, norm: str = "batch"):
        super().__init__()
        _check(norm, width=width, layers=layers)
        bias = norm != "batch"
        stack: list[nn.Module] = [nn.Conv2d(2, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        cin = width
        for n in range(1, layers + 1):
            cout = width * min(2 ** n, 8)
            stride = 2 if n < layers else 1
            stack += [nn.Conv2d(cin, cout, 4, stride, 1, bias=bias), _norm(norm, cout),
                      nn.LeakyReLU(0.2)]
            cin = cout
        stack.append(nn.Conv2d(cin, 1, 4, 1, 1))
        self.net = nn.Sequential(*stack)
        init_weights(self)

    def forward(self, noisy: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([noisy, candidate], dim=1) * 2 - 1)


def receptive_field(layers: int = 3) -> int:
    """Side in pixels of the patch that one logit of :class:`PatchDiscriminator` sees.

    Examples
    --------
    >>> receptive_field(3), receptive_field(1)
    (70, 16)
    """
    size = 1
    for stride in [1, 1] + [2] * layers:  # from the output back: two stride-1 convs, then strided
        size = size * stride + 4 - stride
    return size
