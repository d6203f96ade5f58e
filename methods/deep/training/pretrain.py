"""Offline pretraining of the UNet-DCTD-A encoder on the natural images scikit-image ships.

The whole UNet is trained to denoise random crops of ``skimage.data`` images (dataset card
``skimage-natural``: greyscale, [0, 1]; flips, rotations and intensity scaling as in
``bench train``); its checkpoint (safetensors, with the provenance metadata of ``bench train``,
``dataset = "skimage-natural"``) is what ``--encoder-weights pretrained:PATH`` reads: the
``encoder.*`` tensors, a ResNet-18 in torchvision's names. Nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

from methods.deep.training.training import PROFILES, TrainConfig

#: The pretraining domain's dataset card.
PRETRAIN_DATASET = "skimage-natural"
#: Default pretraining noise: both kinds over a wide range, so the encoder is not tied to one.
PRETRAIN_NOISES = [("gaussian", 0.02, 0.2), ("rician", 0.02, 0.2)]


def pretrain_config(out: str, run_dir: str, *, noises: list[tuple[str, float, float]] | None = None,
                    command: str = "", **overrides: Any) -> TrainConfig:
    """The :class:`TrainConfig` of a pretraining run (quick profile unless ``overrides``)."""
    profile = {**PROFILES["quick"], **{k: v for k, v in overrides.items() if k in PROFILES["quick"]}}
    rest = {k: v for k, v in overrides.items() if k not in PROFILES["quick"]}
    return TrainConfig(architecture="unet-dctda", noises=list(noises or PRETRAIN_NOISES),
                       dataset=PRETRAIN_DATASET, **profile, out=out, run_dir=run_dir,
                       command=command, **rest)
