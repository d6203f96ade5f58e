"""Deep architectures: each registered once, as a denoiser and as a network constructor.

:func:`register_architecture` records an architecture's constructor (as ``"module:Class"``,
imported on first use so that registering imports no torch) and its default configuration, and
registers the denoiser that serves its checkpoints; :func:`build` makes a fresh network by name.
An architecture declares the data it denoises (images, or curves of the DCE-MRI track); the
noise models then decide where it applies, as for every other method.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping

#: Architectures and their default configuration (filled by :func:`register_architecture`).
ARCHITECTURES: dict[str, dict[str, Any]] = {}
#: The data kind each architecture denoises (``"image"`` or ``"curve"``).
ARCHITECTURE_DATA: dict[str, str] = {}
#: Training options an architecture trains with unless told otherwise (``TrainConfig`` fields
#: over the profile's, under the command line's).
TRAINING_DEFAULTS: dict[str, dict[str, Any]] = {}
_CONSTRUCTORS: dict[str, str] = {}


@dataclass(frozen=True)
class _Served:
    """The batched function of a deep denoiser: the checkpoint trained for the noise."""

    architecture: str

    def __call__(self, stack, noise, *, device: str = "cpu", checkpoint: str = "auto",
                 precision: str = "fp32"):
        from benchmark.core.errors import BenchError

        reason = self.unavailable()
        if reason:  # the fix, not a misleading "no checkpoint: bench train ..."
            raise BenchError(f"{self.architecture} {reason}")
        from methods.deep.inference import denoise_stack, load_model

        model = load_model(self.architecture, noise, device, checkpoint)
        if ARCHITECTURE_DATA[self.architecture] == "curve":  # curve models run in fp32 only
            from methods.deep.curves.inference import denoise_curves

            return denoise_curves(model, stack, device)
        return denoise_stack(model, stack, device, precision=precision)

    @staticmethod
    def unavailable() -> str | None:
        """Why the network cannot run here (``bench methods`` lists it), or None."""
        from methods.deep import unavailable

        return unavailable()


@dataclass(frozen=True)
class _WeightsDigest:
    architecture: str

    def __call__(self, params) -> str:
        from methods.deep import unavailable

        if unavailable():  # cells fail with the fix; their identity changes once installed
            return "unavailable"
        from methods.deep.checkpoints import weights_digest

        return weights_digest(self.architecture, params["checkpoint"])


def register_architecture(name: str, constructor: str, *, defaults: Mapping[str, Any],
                          cost: float, summary: str, data: str = "image",
                          training: Mapping[str, Any] | None = None) -> None:
    """Register architecture ``name`` and the denoiser serving its trained checkpoints.

    Parameters
    ----------
    name : str
        Architecture and denoiser name (``cdae``).
    constructor : str
        ``"module:Class"`` of the ``torch.nn.Module``, imported by :func:`build`.
    defaults : mapping
        Default keyword arguments of the constructor (a checkpoint records its own).
    cost : float
        Rough cost relative to a Gaussian filter (scheduling).
    summary : str
        One line for listings.
    data : str
        What the network denoises: ``"image"`` (stacks ``(N, H, W)`` in [0, 1]) or ``"curve"``
        (stacks ``(N, T)`` in mM).
    training : mapping, optional
        Fields of ``methods.deep.training.training.TrainConfig`` this architecture trains with
        by default (``gan``: its learning rate and adversarial options).
    """
    from benchmark.core.registry import register

    if name in ARCHITECTURES:
        raise ValueError(f"an architecture named {name!r} is already registered")
    register(name, params={"checkpoint": "auto"}, uses_sigma=False, devices=("cpu", "cuda"),
             batched=True, cost=cost, weights=_WeightsDigest(name), summary=summary, data=data,
             precisions=("fp32", "bf16", "fp16") if data == "image" else ("fp32",),
             )(_Served(name))
    ARCHITECTURES[name] = dict(defaults)
    ARCHITECTURE_DATA[name] = data
    TRAINING_DEFAULTS[name] = dict(training or {})
    _CONSTRUCTORS[name] = constructor


def build(architecture: str, config: Mapping[str, Any] | None = None, *,
          defaults: bool = True):
    """A fresh ``torch.nn.Module`` for ``architecture`` with ``config`` over the defaults.

    With ``defaults=False`` (loading a checkpoint) keys missing from ``config`` take the
    constructor's values, so that a checkpoint written before an option existed still loads.
    """
    from benchmark.core.registry import load_methods, unknown_name

    load_methods()
    if architecture not in ARCHITECTURES:
        raise unknown_name("architecture", architecture, list(ARCHITECTURES))
    resolved = {**(ARCHITECTURES[architecture] if defaults else {}), **dict(config or {})}
    module, _, cls = _CONSTRUCTORS[architecture].partition(":")
    return getattr(importlib.import_module(module), cls)(**resolved)
