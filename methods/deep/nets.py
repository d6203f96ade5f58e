"""Deep architectures: each registered once, as a denoiser and as a network constructor.

:func:`register_architecture` records an architecture's constructor (as ``"module:Class"``,
imported on first use so that registering imports no torch) and its default configuration, and
registers the denoiser that serves its checkpoints; :func:`build` makes a fresh network by name.
An architecture declares the data it denoises (images, or curves of the DCE-MRI track); the
noise models then decide where it applies, as for every other method.

An architecture that takes the noise level (``takes_level``: DRUNet, the ``.nlmap`` variants)
is registered as a method that reads sigma (``uses_sigma``): it gets the cell's sigma, the true
one or, in blind mode, the estimate, and hands it to the network as a level map
(:mod:`methods.deep.level`); it applies to the kinds whose level such a map holds
(:data:`methods.deep.level.LEVEL_KINDS`). A variant ``name.variant`` (``cdae.nlmap``) is an
architecture of its own, with its own checkpoints, that records its ``base``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping

#: Architectures and their default configuration (filled by :func:`register_architecture`).
ARCHITECTURES: dict[str, dict[str, Any]] = {}
#: The data kind each architecture denoises (``"image"`` or ``"curve"``).
ARCHITECTURE_DATA: dict[str, str] = {}
#: The architectures whose network takes the noise level (``model(x, level)``).
TAKES_LEVEL: set[str] = set()
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
        level = noise.sigma if self.architecture in TAKES_LEVEL else None
        return denoise_stack(model, stack, device, precision=precision, level=level)

    @staticmethod
    def unavailable() -> str | None:
        """Why the network cannot run here (``bench methods`` lists it), or None."""
        from methods.deep import unavailable

        return unavailable()


@dataclass(frozen=True)
class _Coverage:
    """Why the architecture cannot serve a noise setting (no checkpoint covers it), or None."""

    architecture: str

    def __call__(self, noise, params) -> str | None:
        if self.unavailable():  # the cells fail with the install fix; nothing to look up
            return None
        from methods.deep.checkpoints import missing_checkpoint

        return missing_checkpoint(self.architecture, noise, params.get("checkpoint", "auto"))

    unavailable = staticmethod(_Served.unavailable)


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
                          takes_level: bool = False, opt_in: bool = False,
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
    takes_level : bool
        The network is called ``model(x, level)`` with each image's sigma (its class or
        configuration says so too: ``takes_level`` on the module, checked by the tests). The
        method then reads sigma and applies to :data:`~methods.deep.level.LEVEL_KINDS` only.
    opt_in : bool
        Run only when named (:attr:`benchmark.core.contract.Denoiser.opt_in`): for an
        architecture with no shipped checkpoint, whose cells would otherwise fail in every
        default run.

    A ``name`` of the form ``family.variant`` records ``family`` as its ``base``; it is then
    left out of the tables' default selection, as the other variants are, and being opt-in it
    is no candidate for its base in ``bench fair``.
    training : mapping, optional
        Fields of ``methods.deep.training.training.TrainConfig`` this architecture trains with
        by default (``gan``: its learning rate and adversarial options).
    """
    from benchmark.core.contract import Denoiser
    from benchmark.core.registry import add
    from methods.deep.level import LEVEL_KINDS

    if name in ARCHITECTURES:
        raise ValueError(f"an architecture named {name!r} is already registered")
    base = name.split(".", 1)[0] if "." in name else None
    if base is not None and (base not in ARCHITECTURES or not opt_in):
        raise ValueError(f"variant {name!r} must follow its registered base {base!r} and be "
                         "opt_in (else bench fair would take it as a candidate for its base)")
    add(Denoiser(
        name=name, function=_Served(name), params={"checkpoint": "auto"},
        uses_sigma=takes_level, devices=("cpu", "cuda"), batched=True, cost=cost,
        summary=summary, weights=_WeightsDigest(name), base=base,
        noise_kinds=LEVEL_KINDS if takes_level else None, data=data, opt_in=opt_in,
        precisions=("fp32", "bf16", "fp16") if data == "image" else ("fp32",),
        availability=_Coverage(name),
    ))
    ARCHITECTURES[name] = dict(defaults)
    ARCHITECTURE_DATA[name] = data
    TRAINING_DEFAULTS[name] = dict(training or {})
    _CONSTRUCTORS[name] = constructor
    if takes_level:
        TAKES_LEVEL.add(name)


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
