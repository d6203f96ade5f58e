"""Deep denoisers (CDAE and UNet-DCTD-A), served from the checkpoints in ``weights/``.

Registration imports neither torch nor safetensors: they load on the first call, so that
``import methods`` stays fast and works without them. Without them the methods stay
registered but unavailable: :func:`unavailable` names the ``pip install`` that fixes it,
``bench methods`` prints it and every cell of these methods fails with it.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.registry import register

#: The optional dependencies of the deep models (the ``[deep]`` extra) and how to install each.
REQUIREMENTS = {
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu  "
             "(CPU build; see docs/install.md for a GPU)",
    "safetensors": "pip install safetensors",
}


def _installed(module: str) -> bool:
    if module in sys.modules:  # imported already, or blocked (None)
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def unavailable() -> str | None:
    """Why the deep models cannot run here (the missing packages and their ``pip install``),
    or None when they can. Looks the packages up without importing them.

    Examples
    --------
    >>> reason = unavailable()
    >>> reason is None or reason.startswith("needs")
    True
    """
    missing = [name for name in REQUIREMENTS if not _installed(name)]
    if not missing:
        return None
    return (f"needs {' and '.join(missing)}, not installed; install with: "
            + "; ".join(REQUIREMENTS[name] for name in missing)
            + ' (or pip install "medical-denoising-benchmark[deep]")')


def _weights(architecture: str):
    def digest(params) -> str:
        if unavailable():
            return "unavailable"
        from methods.deep.checkpoints import weights_digest

        return weights_digest(architecture, params["checkpoint"])
    return digest


def _run(architecture: str, stack: np.ndarray, noise: Noise, device: str, checkpoint: str):
    reason = unavailable()
    if reason:
        raise BenchError(f"{architecture} {reason}")
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


# ``bench methods`` lists a method whose function has ``unavailable()`` returning a reason as
# unavailable, with that reason.
cdae.unavailable = unavailable
unet_dctda.unavailable = unavailable
