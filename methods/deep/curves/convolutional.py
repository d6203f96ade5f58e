"""Plain convolutional curve denoisers: the denoising CNN of Arsene et al. (2019) and
DeepFilter's "Vanilla NL" (Romero et al. 2021)."""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.curves.scale import CurveNet


class DCNN(CurveNet):
    """Denoising CNN (Arsene et al. 2019): three blocks of Conv1D 36 (kernel 19, same padding),
    batch norm, LeakyReLU and average pooling by 2, then a dense layer to the curve.

    The paper's final "dense 512" was its signal length; here it is ``length`` (32), so the
    three poolings leave 4 samples x 36 channels flattened into the dense layer.

    Parameters
    ----------
    length : int
        Samples per curve; divisible by 8.
    channels, kernel : int
        Filters and kernel size of every convolution (36 and 19 in the paper).
    residual : bool
        Predict the correction to the input instead of the clean curve.

    Examples
    --------
    >>> DCNN()(torch.ones(3, 32)).shape
    torch.Size([3, 32])
    """

    def __init__(self, length: int = 32, channels: int = 36, kernel: int = 19,
                 residual: bool = False) -> None:
        super().__init__(length, residual)
        if length % 8:
            raise ValueError(f"DCNN pools by 2 three times: length {length} must divide by 8")
        layers, width = [], 1
        for _ in range(3):
            layers += [nn.Conv1d(width, channels, kernel, padding="same"),
                       nn.BatchNorm1d(channels), nn.LeakyReLU(), nn.AvgPool1d(2)]
            width = channels
        self.features = nn.Sequential(*layers)
        self.dense = nn.Linear(channels * (length // 8), length)

    def body(self, curves: torch.Tensor) -> torch.Tensor:
        return self.dense(self.features(curves).flatten(1))[:, None]


class VanillaNL(CurveNet):
    """DeepFilter's "Vanilla NL" (Romero et al. 2021): seven Conv1D of kernel 9 with 64, 64,
    32, 32, 16, 16 and 1 filters, same padding, ReLU after all but the last (linear).

    Used as published: a fully convolutional network needs no change for 32-sample curves
    beyond the scale handling of :class:`CurveNet`.

    Parameters
    ----------
    length : int
        Samples per curve (the network itself takes any length).
    kernel : int
        Kernel size of every convolution (9 in the paper).
    residual : bool
        Predict the correction to the input instead of the clean curve.

    Examples
    --------
    >>> VanillaNL()(torch.ones(2, 32)).shape
    torch.Size([2, 32])
    """

    WIDTHS = (64, 64, 32, 32, 16, 16, 1)

    def __init__(self, length: int = 32, kernel: int = 9, residual: bool = False) -> None:
        super().__init__(length, residual)
        layers, width = [], 1
        for i, out in enumerate(self.WIDTHS):
            layers.append(nn.Conv1d(width, out, kernel, padding="same"))
            if i < len(self.WIDTHS) - 1:
                layers.append(nn.ReLU())
            width = out
        self.layers = nn.Sequential(*layers)

    def body(self, curves: torch.Tensor) -> torch.Tensor:
        return self.layers(curves)
