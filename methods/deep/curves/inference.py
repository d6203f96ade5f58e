"""Run a curve network over a stack of curves (imports torch when called)."""

from __future__ import annotations

import numpy as np

#: Curves per forward pass.
BATCH = 4096


def denoise_curves(model, stack: np.ndarray, device: str = "cpu") -> np.ndarray:
    """Apply a curve network (:class:`~methods.deep.curves.scale.CurveNet`) to a float32
    ``(N, T)`` stack in mM, in batches; returns float32 ``(N, T)`` in mM."""
    import torch

    out = np.empty(stack.shape, dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(stack), BATCH):
            batch = torch.from_numpy(np.ascontiguousarray(stack[start:start + BATCH]))
            out[start:start + BATCH] = model(batch.to(device)).float().cpu().numpy()
    return out
