"""Which cells the runner computes together, and how many at once.

A batched method (:attr:`~benchmark.core.contract.Denoiser.batched`, the deep models) takes a
whole stack, so its cells of one noise setting (same method, configuration, noise, sigma, seed,
clip, device, precision) are denoised in one call instead of one image each. Images of
different shapes are not padded (padding would change the output near the borders): a batch
holds images of one shape. Each cell keeps its identity and is scored on its own.

The batch size is at most :data:`CPU_BATCH` on a CPU; on CUDA it is what the free memory holds
at :data:`BYTES_PER_PIXEL` per input pixel (an estimate, capped at :data:`CUDA_BATCH`).
Imports no torch unless a CUDA batch is sized.
"""

from __future__ import annotations

from typing import Any, Hashable

from benchmark.core.errors import BenchError

#: Images a CPU batch holds at most (the forward pass itself takes at most 16 at once too).
CPU_BATCH = 16
#: Images a CUDA batch holds at most.
CUDA_BATCH = 512
#: Estimated GPU memory one image needs during inference, per pixel of the network's input
#: (the image with 32 px of context on each side): about 256 float32 activations live per pixel
#: at the widest layers, x2 margin. An estimate; no GPU was available to measure it.
BYTES_PER_PIXEL = 2048
#: Share of the free GPU memory a batch may take.
MEMORY_SHARE = 0.8
#: Context pixels the deep models add on each side (``methods.deep.inference.CONTEXT``).
CONTEXT = 32


def check_batch_size(size: int | None) -> int | None:
    """``size`` when it is None (automatic) or a whole number >= 1, else a one-line error."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise BenchError(f"batch size {size!r} must be a whole number >= 1 (or none: automatic)")
    return size


def batch_size(device: str, shape: tuple[int, ...], override: int | None = None) -> int:
    """How many images of ``shape`` (H, W) one call of a batched method gets on ``device``.

    Parameters
    ----------
    device : str
        ``"cpu"`` or ``"cuda"`` (resolved).
    shape : tuple of int
        The images' (H, W).
    override : int, optional
        A fixed size (``--batch-size``), used as given.

    Returns
    -------
    int
        ``override``; else :data:`CPU_BATCH` on a CPU; else the images the free GPU memory
        holds at :data:`BYTES_PER_PIXEL`, between 1 and :data:`CUDA_BATCH`.

    Examples
    --------
    >>> batch_size("cpu", (256, 256))
    16
    >>> batch_size("cpu", (256, 256), override=4)
    4
    """
    if check_batch_size(override) is not None:
        return override
    if not device.startswith("cuda"):
        return CPU_BATCH
    import torch

    free, _ = torch.cuda.mem_get_info()
    pixels = 1
    for side in shape:
        pixels *= side + 2 * CONTEXT
    return max(1, min(CUDA_BATCH, int(free * MEMORY_SHARE) // (pixels * BYTES_PER_PIXEL)))


def setting(task: Any) -> Hashable:
    """What the cells of one batch share: everything in their identity but the image, and the
    device and precision they run at."""
    key = task.key
    return (key.dataset, key.split, key.noise, key.sigma, key.clip, key.seed, key.method,
            key.config, task.device, task.precision, task.sigma_source)
