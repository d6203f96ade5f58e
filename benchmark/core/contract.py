"""The contract every denoiser implements.

A denoiser takes a float32 stack of noisy images, shape ``(N, H, W)``, in normalised units
([0, 1] before noise), and a :class:`Noise` description, and returns a finite float32 array of
the same shape. The shape rule lives in :func:`as_image_stack` and nowhere else, so that it can
widen (3-D volumes, 1-D curves) in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from benchmark.core.errors import BenchError

#: Noise kinds the benchmark knows. :mod:`benchmark.core.noise` holds one sampler for each.
NOISE_KINDS: tuple[str, ...] = ("gaussian", "rician")


@dataclass(frozen=True)
class Noise:
    """A noise description: its kind and its level.

    Parameters
    ----------
    kind : str
        One of :data:`NOISE_KINDS`.
    sigma : float
        Standard deviation of the underlying Gaussian, as a fraction of the normalised intensity
        range [0, 1]. Rounded to 6 significant digits so that ``0.1`` and ``0.1000000001`` name
        the same cell.
    """

    kind: str
    sigma: float

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise BenchError(
                f"unknown noise kind {self.kind!r}; use one of: {', '.join(NOISE_KINDS)}"
            )
        try:
            sigma = float(self.sigma)
        except (TypeError, ValueError):
            raise BenchError(f"sigma {self.sigma!r} is not a number; give e.g. 0.1") from None
        if not math.isfinite(sigma) or not 0 < sigma <= 1:
            raise BenchError(
                f"sigma {self.sigma!r} must be a finite number > 0 and at most 1 (a fraction of "
                "the [0, 1] intensity range, e.g. 0.1)"
            )
        object.__setattr__(self, "sigma", float(f"{sigma:.6g}"))

    def __str__(self) -> str:
        return f"{self.kind} sigma={self.sigma:g}"


def as_image_stack(images: Any, *, name: str = "images") -> np.ndarray:
    """Check the contract's shape rule and return a float32 ``(N, H, W)`` view or copy.

    Parameters
    ----------
    images : array_like
        A stack of 2-D images, shape ``(N, H, W)``.
    name : str
        What to call the array in error messages.

    Returns
    -------
    numpy.ndarray
        ``images`` as float32; a copy only when the dtype differs.

    Raises
    ------
    BenchError
        If the array is not 3-D, is empty, or holds non-finite values.
    """
    stack = np.asarray(images)
    if stack.ndim != 3 or 0 in stack.shape:
        raise BenchError(
            f"{name} has shape {stack.shape}; denoisers take a stack of 2-D images (N, H, W)"
        )
    if not np.issubdtype(stack.dtype, np.number) or np.iscomplexobj(stack):
        raise BenchError(f"{name} has dtype {stack.dtype}; give real floating-point images")
    stack = stack.astype(np.float32, copy=False)
    if not np.isfinite(stack).all():
        raise BenchError(f"{name} holds NaN or infinite values; denoisers need finite input")
    return stack


#: A per-image denoiser: ``(image (H, W) float32, noise, **params) -> image``.
ImageFunction = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Denoiser:
    """A registered denoiser: a function plus what the benchmark must know about it.

    Parameters
    ----------
    name : str
        ``family`` or ``family.variant``.
    function : callable
        Per-image ``f(image, noise, **params)``; or, when ``batched``, a stack function
        ``f(stack, noise, *, device, **params)``.
    params : mapping
        Default parameters, as plain data (shown by ``bench methods`` and in reports).
    uses_sigma : bool
        Whether the method reads ``noise.sigma`` (the true level, or an estimate in blind mode).
    devices : tuple of str
        Devices it runs on: ``"cpu"`` and/or ``"cuda"``.
    batched : bool
        Whether ``function`` takes the whole stack (deep models) instead of one image.
    cost : float
        Rough cost relative to a Gaussian filter, used to schedule slow cells first.
    summary : str
        One line for listings: what it is and which library does the work.
    weights : callable, optional
        ``weights(params) -> str``: a digest of what decides the output besides ``params``
        (trained weights). It is part of every cell's config, so that new weights make new
        cells instead of reusing the old ones.
    """

    name: str
    function: ImageFunction
    params: Mapping[str, Any] = field(default_factory=dict)
    uses_sigma: bool = True
    devices: tuple[str, ...] = ("cpu",)
    batched: bool = False
    cost: float = 1.0
    summary: str = ""
    weights: Callable[[Mapping[str, Any]], str] | None = None

    @property
    def family(self) -> str:
        """The part of the name before the dot."""
        return self.name.split(".", 1)[0]

    def resolve_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated by ``overrides``; an unknown parameter name is an error."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            raise BenchError(
                f"{self.name} has no parameter {unknown[0]!r}; its parameters are: "
                f"{', '.join(self.params) or 'none'}"
            )
        return {**self.params, **overrides}

    def __call__(
        self,
        images: Any,
        noise: Noise,
        *,
        device: str = "cpu",
        params: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        """Denoise a stack under the contract: same shape, float32, finite, input untouched."""
        stack = as_image_stack(images)
        resolved = self.resolve_params(params)
        if self.batched:
            out = self.function(stack.copy(), noise, device=device, **resolved)
        else:
            out = np.stack([self.function(image.copy(), noise, **resolved) for image in stack])
        out = np.asarray(out, dtype=np.float32)
        if out.shape != stack.shape:
            raise RuntimeError(f"{self.name} returned shape {out.shape} for input {stack.shape}")
        if not np.isfinite(out).all():
            raise RuntimeError(f"{self.name} returned non-finite values")
        return out
