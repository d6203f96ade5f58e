"""Run a shipped checkpoint over a stack of images, caching the model per process.

Imports no torch at module level: it is imported by the functions that run a model.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from methods.deep.checkpoints import find_checkpoint, load_checkpoint
from methods.deep.level import forward
from methods.deep.nets import build

#: Images a forward pass takes at most: on CPU (where larger batches gain little, see
#: docs/speed.md), and on CUDA (where the runner sizes its batches from free memory).
BATCH = {"cpu": 16, "cuda": 512}
#: Autocast dtypes of the reduced precisions (``None``: float32, no autocast).
DTYPES = {"fp32": None, "bf16": "bfloat16", "fp16": "float16"}
#: Pixels of reflected context added on every side before inference, then cropped away. The
#: models were trained on whole slices, whose borders are always background; without context a
#: crop of brain tissue comes out darkened along its borders (measured on a 96-px test crop,
#: Gaussian 0.1: UNet gain -2.2 dB without, +4.4 dB with 32 px; CDAE +3.7 dB and +6.8 dB).
CONTEXT = 32


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
    """The model for ``noise`` (``checkpoint='auto'``: the matching shipped one), in eval mode.

    Raises
    ------
    BenchError
        When torch or safetensors is missing (naming the ``pip install`` that fixes it), or
        no checkpoint covers ``noise``.
    """
    from methods.deep import unavailable

    reason = unavailable()
    if reason:
        raise BenchError(f"{architecture} {reason}")
    path = find_checkpoint(architecture, noise) if checkpoint == "auto" else Path(checkpoint)
    path = path.resolve()
    return _model(path, path.stat().st_mtime if path.exists() else 0.0, device)


def denoise_stack(model, stack: np.ndarray, device: str = "cpu", *,
                  precision: str = "fp32", level: float | None = None) -> np.ndarray:
    """Apply ``model`` to a float32 ``(N, H, W)`` stack in batches; output clamped to [0, 1].

    Parameters
    ----------
    model : torch.nn.Module
        From :func:`load_model`, on ``device``.
    stack : numpy.ndarray
        Float32 images of one shape, ``(N, H, W)``.
    device : str
        ``"cpu"`` or ``"cuda"``; at most ``BATCH[device]`` images go through the network at once.
    precision : {"fp32", "bf16", "fp16"}
        ``bf16``/``fp16`` run the network under ``torch.autocast`` in that dtype (float32
        weights, reduced-precision matmuls and convolutions); the output is float32.
    level : float, optional
        The noise sigma, for a model that takes the noise level (its map is the same for every
        image of the stack); ignored by the others.

    Returns
    -------
    numpy.ndarray
        Float32 ``(N, H, W)``, each image denoised on its own (batching changes no image's
        output beyond float rounding).
    """
    import torch

    if precision not in DTYPES:
        raise BenchError(f"precision {precision!r} is not one of {', '.join(DTYPES)}")
    dtype = DTYPES[precision]
    autocast = torch.autocast(device.split(":")[0], dtype=getattr(torch, dtype or "float32"),
                              enabled=dtype is not None)
    out = np.empty_like(stack, dtype=np.float32)
    step = BATCH.get(device.split(":")[0], BATCH["cpu"])
    if getattr(model, "image_statistics", False):
        step = 1  # a model that normalises by its input's statistics sees one image at a time
    with torch.inference_mode(), autocast:
        for start in range(0, len(stack), step):
            batch = torch.from_numpy(np.ascontiguousarray(stack[start:start + step]))[:, None]
            result = forward(model, with_context(batch.to(device)), level)
            result = result[..., CONTEXT:-CONTEXT, CONTEXT:-CONTEXT]
            out[start:start + step] = result.clamp_(0.0, 1.0)[:, 0].float().cpu().numpy()
    return out


def with_context(batch):
    """``batch`` (N, 1, H, W) padded by :data:`CONTEXT` on every side, by reflection where the
    image is large enough, else by edge replication."""
    import torch.nn.functional as F

    small = min(batch.shape[-2:]) <= CONTEXT
    return F.pad(batch, (CONTEXT,) * 4, mode="replicate" if small else "reflect")
