"""1D-ResCNN (Sun et al. 2020): parallel residual branches of kernels 3, 5 and 7."""

from __future__ import annotations

import torch
from torch import nn

from methods.deep.curves.scale import CurveNet


class _Residual(nn.Module):
    """Two same-padded convolutions with batch norm, ReLU between, the input added back."""

    def __init__(self, channels: int, kernel: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv1d(channels, channels, kernel, padding="same"), nn.BatchNorm1d(channels),
            nn.ReLU(), nn.Conv1d(channels, channels, kernel, padding="same"),
            nn.BatchNorm1d(channels))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.block(x))


class ResCNN1D(CurveNet):
    """1D-ResCNN (Sun et al. 2020, artifact removal from EEG).

    A stem (Conv1D 32 filters, kernel 5, batch norm, ReLU) feeds three parallel branches, each
    a stack of ``blocks`` residual blocks (two Conv1D of 32 filters) with kernel 3, 5 or 7; the
    branches are concatenated (96 channels), mixed by a 1x1 Conv1D to 32 channels, flattened,
    and a dense layer gives the curve. Adapted to 32-sample curves: the dense head maps
    32 x ``length`` features to ``length`` samples instead of an EEG epoch of 512, and the
    channel count is kept at 32 so that the model stays small (about 0.2 M parameters).

    Parameters
    ----------
    length : int
        Samples per curve.
    channels : int
        Filters of every convolution (32).
    blocks : int
        Residual blocks per branch (3).
    kernels : tuple of int
        Kernel sizes of the branches (3, 5, 7).
    residual : bool
        Predict the correction to the input instead of the clean curve.

    Examples
    --------
    >>> ResCNN1D()(torch.ones(2, 32)).shape
    torch.Size([2, 32])
    """

    def __init__(self, length: int = 32, channels: int = 32, blocks: int = 3,
                 kernels: tuple[int, ...] = (3, 5, 7), residual: bool = False) -> None:
        super().__init__(length, residual)
        self.stem = nn.Sequential(nn.Conv1d(1, channels, 5, padding="same"),
                                  nn.BatchNorm1d(channels), nn.ReLU())
        self.branches = nn.ModuleList(
            nn.Sequential(*(_Residual(channels, k) for _ in range(blocks))) for k in kernels)
        self.mix = nn.Sequential(nn.Conv1d(channels * len(kernels), channels, 1), nn.ReLU())
        self.dense = nn.Linear(channels * length, length)

    def body(self, curves: torch.Tensor) -> torch.Tensor:
        x = self.stem(curves)
        x = self.mix(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.dense(x.flatten(1))[:, None]
