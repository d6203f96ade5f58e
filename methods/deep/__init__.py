"""Deep denoisers (CDAE and UNet-DCTD-A), served from the checkpoints in ``checkpoints/``.

Registration imports neither torch nor safetensors: they load on the first call, so that
``import methods`` stays fast and works without them.
"""

from __future__ import annotations

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.registry import register


def _weights(architecture: str):
    def digest(params) -> str:
        from methods.deep.checkpoints import weights_digest

        return weights_digest(architecture, params["checkpoint"])
    return digest


def _run(architecture: str, stack: np.ndarray, noise: Noise, device: str, checkpoint: str):
    from methods.deep.inference import denoise_stack, load_model

    return denoise_stack(load_model(architecture, noise, device, checkpoint), stack, device)


@register(
    "cdae",
    params={"checkpoint": "auto"},
    uses_sigma=False,
    devices=("cpu", "cuda"),
    batched=True,
    cost=5.0,
    weights=_weights("cdae"),
    summary="convolutional denoising autoencoder (Gondara 2016), trained here (PyTorch)",
)
def cdae(stack: np.ndarray, noise: Noise, *, device: str = "cpu",
         checkpoint: str = "auto") -> np.ndarray:
    """CDAE from the checkpoint trained for ``noise`` (``checkpoint``: 'auto' or a path)."""
    return _run("cdae", stack, noise, device, checkpoint)


@register(
    "unet-dctda",
    params={"checkpoint": "auto"},
    uses_sigma=False,
    devices=("cpu", "cuda"),
    batched=True,
    cost=20.0,
    weights=_weights("unet-dctda"),
    summary="U-Net, ResNet-18 encoder, scSE attention, dilated decoder, trained here (PyTorch)",
)
def unet_dctda(stack: np.ndarray, noise: Noise, *, device: str = "cpu",
               checkpoint: str = "auto") -> np.ndarray:
    """UNet-DCTD-A from the checkpoint trained for ``noise`` (``checkpoint``: 'auto' or a path)."""
    return _run("unet-dctda", stack, noise, device, checkpoint)
