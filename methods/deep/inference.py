"""Run a shipped checkpoint over a stack of images, caching the model per process."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmark.contract import Noise
from methods.deep.checkpoints import find_checkpoint, load_checkpoint
from methods.deep.nets import build

BATCH = 8


@lru_cache(maxsize=4)
def _model(path: Path, mtime: float, device: str):
    import torch

    if os.environ.get("OMP_NUM_THREADS") == "1":  # inside a pool worker: one thread each
        torch.set_num_threads(1)
    tensors, meta = load_checkpoint(path)
    model = build(meta["architecture"], json.loads(meta.get("arch_config", "{}")), defaults=False)
    model.load_state_dict(tensors, strict=True)
    return model.to(device).eval()


def load_model(architecture: str, noise: Noise, device: str = "cpu", checkpoint: str = "auto"):
    """The model for ``noise`` (``checkpoint='auto'``: the matching shipped one), in eval mode."""
    path = find_checkpoint(architecture, noise) if checkpoint == "auto" else Path(checkpoint)
    path = path.resolve()
    return _model(path, path.stat().st_mtime if path.exists() else 0.0, device)


def denoise_stack(model, stack: np.ndarray, device: str = "cpu") -> np.ndarray:
    """Apply ``model`` to a float32 ``(N, H, W)`` stack in batches; output clamped to [0, 1]."""
    import torch

    out = np.empty_like(stack, dtype=np.float32)
    step = 1 if getattr(model, "image_statistics", False) else BATCH  # own statistics per image
    with torch.inference_mode():
        for start in range(0, len(stack), step):
            batch = torch.from_numpy(np.ascontiguousarray(stack[start:start + step]))[:, None]
            result = model(batch.to(device)).clamp_(0.0, 1.0)
            out[start:start + step] = result[:, 0].float().cpu().numpy()
    return out
