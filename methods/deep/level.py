"""The noise-level map: the noise level given to a network as a constant image channel.

A network that declares ``takes_level = True`` (DRUNet, the ``.nlmap`` variants) is called
``model(x, level)``: ``x`` is ``(N, 1, H, W)`` and ``level`` holds one sigma per image, which
the network broadcasts to a map of the image's size and concatenates to its input (Zhang et al.
2021, after FFDNet). Every other network is called ``model(x)``. :func:`forward` is that one
rule, used by training, validation and inference alike.

What the map holds, by noise kind:

- ``gaussian``: sigma, the standard deviation of the additive noise as a fraction of the
  [0, 1] intensity range (DRUNet's own convention: its map holds sigma / 255 for 8-bit images).
- ``rician``: sigma of the Gaussian noise on each of the real and imaginary channels before
  the magnitude, in the same unit. The noise in the magnitude image is not Gaussian and its
  standard deviation depends on the signal (about sigma in tissue, about 0.66 sigma in the
  background), so the map is the parameter of the noise, not its local spread.

Other kinds are refused (:data:`LEVEL_KINDS`): a Poisson cell's level is the photon count at
peak (a higher count means less noise, in another unit), and the spread of non-central chi noise
scales with the number of coils, so a level map of those kinds would need its own definition
(for Poisson, say, the per-pixel standard deviation ``sqrt(x / peak)``) and its own training.

This module imports no torch at module level (:mod:`methods.deep` registers without it).
"""

from __future__ import annotations

from typing import Any, Sequence

from benchmark.core.errors import BenchError

#: Noise kinds whose level a level-map network takes (see the module notes for the others).
LEVEL_KINDS = ("gaussian", "rician")


def takes_level(model: Any) -> bool:
    """Whether ``model`` is called with the noise level (``model(x, level)``).

    Examples
    --------
    >>> takes_level(object())
    False
    """
    return bool(getattr(model, "takes_level", False))


def level_tensor(level: Any, batch: int, like):
    """``level`` (a number or one per image) as a float32 tensor ``(batch,)`` on ``like``'s
    device."""
    import torch

    values = torch.as_tensor(level, dtype=torch.float32, device=like.device).reshape(-1)
    if values.numel() == 1:
        return values.expand(batch)
    if values.numel() != batch:
        raise ValueError(f"{values.numel()} noise levels for a batch of {batch} images")
    return values


def level_map(level: Any, x):
    """The map for ``x`` ``(N, C, H, W)``: ``(N, 1, H, W)`` filled with each image's level, in
    ``x``'s dtype (so that it concatenates to ``x`` under autocast too)."""
    values = level_tensor(level, x.shape[0], x).to(x.dtype)
    return values.view(-1, 1, 1, 1).expand(x.shape[0], 1, *x.shape[-2:])


def forward(model, x, level: Any = None):
    """``model(x, level)`` for a network that takes the level, else ``model(x)``.

    Raises
    ------
    ValueError
        When ``model`` takes the level and none is given.
    """
    if not takes_level(model):
        return model(x)
    if level is None:
        raise ValueError(f"{type(model).__name__} takes the noise level: give one per image")
    return model(x, level_tensor(level, x.shape[0], x))


def check_level_noises(architecture: str, noises: Sequence[tuple[str, float, float]]) -> None:
    """Refuse a training noise whose level a level-map network cannot take (one line).

    Examples
    --------
    >>> check_level_noises("drunet", [("gaussian", 0.05, 0.15)])
    >>> check_level_noises("drunet", [("poisson", 10, 100)])
    Traceback (most recent call last):
    ...
    benchmark.core.errors.BenchError: drunet takes the noise level as an input map, defined for gaussian and rician noise only, not poisson; train it with --noise gaussian and/or rician
    """
    for kind, _, _ in noises:
        if kind not in LEVEL_KINDS:
            raise BenchError(f"{architecture} takes the noise level as an input map, defined "
                             f"for {' and '.join(LEVEL_KINDS)} noise only, not {kind}; train it "
                             f"with --noise {' and/or '.join(LEVEL_KINDS)}")
