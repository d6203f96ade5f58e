"""Deep denoisers (CDAE and UNet-DCTD-A), served from the checkpoints in ``weights/``.

Each architecture is registered once (:func:`methods.deep.nets.register_architecture`): the
denoiser and the network constructor together. Registration imports neither torch nor
safetensors: they load on the first call, so that ``import methods`` stays fast and works
without them.
"""

from __future__ import annotations

from methods.deep.nets import register_architecture

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
