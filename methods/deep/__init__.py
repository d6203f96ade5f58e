"""Deep denoisers (CDAE, UNet-DCTD-A, DRUNet and a pix2pix GAN for images, with the
``.nlmap`` variants of the first two; seven 1-D networks for DCE-MRI curves), served from the
checkpoints in ``weights/``.

Each architecture is registered once (:func:`methods.deep.nets.register_architecture`): the
denoiser and the network constructor together. Registration imports neither torch nor
safetensors: they load on the first call, so that ``import methods`` stays fast and works
without them. Without them the methods stay registered but unavailable: :func:`unavailable`
names the ``pip install`` that fixes it, ``bench methods`` prints it and every cell of these
methods fails with it.
"""

from __future__ import annotations

import importlib.util
import sys

from methods.deep.nets import register_architecture

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


register_architecture(
    "cdae", "methods.deep.cdae:CDAE", defaults={"width": 32}, cost=5.0,
    summary="convolutional denoising autoencoder (Gondara 2016), trained here (PyTorch)",
)
register_architecture(
    "unet-dctda", "methods.deep.unet:UNetDCTDA",
    defaults={"attention": True, "dilation": True, "residual": False,
              "image_statistics": False, "input_skip": False},
    cost=20.0,
    summary="U-Net, ResNet-18 encoder, scSE attention, dilated decoder, trained here (PyTorch)",
)

register_architecture(
    "drunet", "methods.deep.drunet:DRUNet", defaults={"width": 32, "blocks": 2}, cost=20.0,
    takes_level=True,
    summary="DRUNet (Zhang et al. 2021): residual U-Net, noise-level map input, bias-free; "
            "trained here (PyTorch)",
)
# Variants (docs/training.md, "Variants"): each its own checkpoints, opt-in until one ships.
register_architecture(
    "cdae.nlmap", "methods.deep.cdae:CDAE",
    defaults={"width": 32, "level_map": True, "bias": False, "input_skip": True,
              "residual": True},
    cost=5.0, takes_level=True, opt_in=True,
    summary="cdae with a noise-level map input, bias-free, residual output through a "
            "full-resolution input skip (variant, trained here)",
)
register_architecture(
    "cdae.residual", "methods.deep.cdae:CDAE",
    defaults={"width": 32, "input_skip": True, "residual": True},
    cost=5.0, opt_in=True,
    summary="cdae with residual output through a full-resolution input skip and no level map, "
            "for kinds whose level a map does not define (variant, trained here)",
)
register_architecture(
    "unet-dctda.nlmap", "methods.deep.unet:UNetDCTDA",
    defaults={"attention": True, "dilation": True, "residual": True,
              "image_statistics": False, "input_skip": True, "level_map": True},
    cost=20.0, takes_level=True, opt_in=True,
    summary="unet-dctda with a noise-level map input, the full-resolution input skip and "
            "residual output (variant, trained here)",
)
register_architecture(
    "gan", "methods.deep.gan:UNetGenerator",
    defaults={"width": 32, "depth": 5, "norm": "none"}, cost=10.0,
    opt_in=True,  # its shipped checkpoint is smoke-level (docs/training.md): run when named
    summary="conditional GAN (pix2pix, Isola 2017): U-Net generator trained with L1 + "
            "PatchGAN loss, trained here (PyTorch)",
    training={"lr": 2e-4, "weight_decay": 0.0, "ssim_weight": 0.0,
              "adversarial": {"loss": "vanilla", "l1_weight": 100.0}},
)

import methods.deep.curves  # noqa: E402,F401  (registers the curve architectures)
