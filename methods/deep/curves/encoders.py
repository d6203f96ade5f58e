"""Convolutional encoder-decoders for curves: FCN-DAE (Chiang et al. 2019) and the end-to-end
CNN encoder-decoder of Fotiadou et al. (2020)."""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.curves.scale import CurveNet


def _halvings(length: int, levels: int, name: str) -> None:
    if length % (2 ** levels):
        raise ValueError(f"{name} halves the curve {levels} times: length {length} must divide "
                         f"by {2 ** levels}")


class FCNDAE(CurveNet):
    """Fully convolutional denoising autoencoder (Chiang et al. 2019).

    Encoder: Conv1D with 40, 20, 20, 20 and 40 filters, kernel 16, stride 2, each followed by
    ELU and batch norm; decoder: the mirror image in transposed convolutions (40 -> 20, 20, 20,
    40), the last of which maps to one channel with no activation. Adapted to 32-sample curves:
    padding 7 makes every stride-2 layer halve the length exactly (32 -> 16 -> 8 -> 4 -> 2 ->
    1) and every transposed layer double it back, so the code is 40 channels of one sample.

    Parameters
    ----------
    length : int
        Samples per curve; divisible by 32.
    kernel : int
        Kernel size (16 in the paper; even, so that the padding halves exactly).
    residual : bool
        Predict the correction to the input instead of the clean curve.

    Examples
    --------
    >>> FCNDAE()(torch.ones(2, 32)).shape
    torch.Size([2, 32])
    """

    WIDTHS = (40, 20, 20, 20, 40)

    def __init__(self, length: int = 32, kernel: int = 16, residual: bool = False) -> None:
        super().__init__(length, residual)
        _halvings(length, len(self.WIDTHS), "FCN-DAE")
        pad = (kernel - 2) // 2
        encoder, width = [], 1
        for out in self.WIDTHS:
            encoder += [nn.Conv1d(width, out, kernel, stride=2, padding=pad), nn.ELU(),
                        nn.BatchNorm1d(out)]
            width = out
        decoder = []
        for out in (*self.WIDTHS[::-1][1:], 1):
            decoder.append(nn.ConvTranspose1d(width, out, kernel, stride=2, padding=pad))
            if out != 1:
                decoder += [nn.ELU(), nn.BatchNorm1d(out)]
            width = out
        self.encoder, self.decoder = nn.Sequential(*encoder), nn.Sequential(*decoder)

    def body(self, curves: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(curves))


class CNNED(CurveNet):
    """End-to-end CNN encoder-decoder (Fotiadou et al. 2020) with additive skips.

    Encoder: Conv1D of kernel 15, stride 2, with 64, 128, 256, 512 filters (each halving the
    curve: 32 -> 16 -> 8 -> 4 -> 2), batch norm and ReLU; decoder: transposed convolutions of
    kernel 15 mirroring it back to 32 samples, each level's output added (not concatenated) to
    the encoder output of the same length, and a last transposed convolution to one channel.
    Adaptations to 32-sample curves: four levels, since a fifth would leave one sample, and
    the widest layer capped at 512 filters (doubling on to the paper's 2048 would give some
    31 M parameters for a curve of 32 samples). The last layer starts at zero and the model
    is registered with ``residual=True``, so that it starts as the identity and predicts the
    correction to the normalised input: with PyTorch's default initialisation and direct
    prediction, three epochs of the quick profile left its training loss (normalised MSE) at
    0.28, three times the noisy input's 0.09.

    Parameters
    ----------
    length : int
        Samples per curve; divisible by ``2 ** len(widths)``.
    widths : tuple of int
        Filters of the encoder levels (64, 128, 256, 512).
    kernel : int
        Kernel size (15 in the paper; odd).
    residual : bool
        Predict the correction to the input instead of the clean curve.

    Examples
    --------
    >>> CNNED(widths=(8, 16))(torch.ones(2, 32)).shape
    torch.Size([2, 32])
    """

    def __init__(self, length: int = 32, widths: tuple[int, ...] = (64, 128, 256, 512),
                 kernel: int = 15, residual: bool = False) -> None:
        super().__init__(length, residual)
        widths = tuple(int(w) for w in widths)
        _halvings(length, len(widths), "CNN-ED")
        pad = kernel // 2
        self.down = nn.ModuleList()
        width = 1
        for out in widths:
            self.down.append(nn.Sequential(nn.Conv1d(width, out, kernel, stride=2, padding=pad),
                                           nn.BatchNorm1d(out), nn.ReLU()))
            width = out
        self.up = nn.ModuleList()
        for out in widths[::-1][1:]:
            self.up.append(nn.Sequential(
                nn.ConvTranspose1d(width, out, kernel, stride=2, padding=pad, output_padding=1),
                nn.BatchNorm1d(out), nn.ReLU()))
            width = out
        self.out = nn.ConvTranspose1d(width, 1, kernel, stride=2, padding=pad, output_padding=1)
        # PyTorch scales a transposed convolution's initial weights by its output channels
        # (one here), so this layer starts at outputs several times the curve; start at zero
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def body(self, curves: torch.Tensor) -> torch.Tensor:
        skips, x = [], curves
        for level in self.down:
            x = level(x)
            skips.append(x)
        for level, skip in zip(self.up, skips[-2::-1]):
            x = level(x) + skip
        return self.out(x)
