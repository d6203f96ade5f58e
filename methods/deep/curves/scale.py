"""Scale-free curve networks: every curve divided by its own mean before the network, and the
output multiplied back, so that one network serves curves of any concentration.

The relative-Gaussian noise of the curve track is proportional to each curve's mean, so a curve
divided by its mean has noise of the same level whatever its concentration: the networks see
scale-free curves. The one guard: a mean below a tenth of the mean absolute value (a curve made
mostly of noise around zero) is replaced by that tenth, and by :data:`TINY` below it, so that a
flat or negative curve is never blown up.
"""

from __future__ import annotations

import torch
from torch import nn

#: Smallest scale a curve is divided by (mM).
TINY = 1e-6


def curve_scale(curves: torch.Tensor) -> torch.Tensor:
    """The positive scale of each curve along the last axis: its mean, guarded (keeps dims).

    Examples
    --------
    >>> curve_scale(torch.tensor([[1.0, 3.0], [-1.0, 1.0]])).flatten().tolist()
    [2.0, 0.10000000149011612]
    """
    mean = curves.mean(dim=-1, keepdim=True)
    floor = 0.1 * curves.abs().mean(dim=-1, keepdim=True)
    return torch.maximum(mean, floor).clamp_min(TINY)


class CurveNet(nn.Module):
    """Base of the curve networks: scale handling, shapes, and optional residual prediction.

    A subclass defines :meth:`body`, mapping normalised curves ``(B, 1, T)`` to the clean
    normalised curves ``(B, 1, T)``. :meth:`forward` takes ``(B, T)`` or ``(B, 1, T)`` noisy
    curves in mM and returns the denoised curves in mM, in the same shape. With
    ``residual=True`` the body predicts the correction added to the normalised input.
    """

    def __init__(self, length: int = 32, residual: bool = False) -> None:
        super().__init__()
        self.length = int(length)
        self.residual = bool(residual)

    def body(self, curves: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, curves: torch.Tensor) -> torch.Tensor:
        flat = curves.dim() == 2
        x = curves[:, None] if flat else curves
        if x.shape[-1] != self.length:
            raise ValueError(f"{type(self).__name__} was built for curves of {self.length} "
                             f"samples; got {x.shape[-1]}")
        scale = curve_scale(x)
        unit = x / scale
        out = self.body(unit)
        if self.residual:
            out = out + unit
        out = out * scale
        return out[:, 0] if flat else out
