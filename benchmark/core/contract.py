"""The contract every denoiser implements.

A denoiser takes a float32 stack of noisy items in normalised units ([0, 1] before noise) and
a :class:`Noise` description, and returns a finite float32 array of the same shape. An item is
what the denoiser declares as its ``data`` kind (:data:`DATA_SHAPES`): a 2-D image (stack
``(N, H, W)``, the default), a 1-D curve (``(N, T)``) or a 3-D volume (``(N, D, H, W)``). The
shape rule lives in :func:`as_stack` and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from benchmark.core.errors import BenchError

#: Shape of a stack of each data kind a denoiser may declare, one letter an axis.
DATA_SHAPES: dict[str, tuple[str, ...]] = {
    "image": ("N", "H", "W"),
    "curve": ("N", "T"),
    "volume": ("N", "D", "H", "W"),
}

#: Numeric precisions a denoiser may declare (:attr:`Denoiser.precisions`): float32, and
#: bfloat16 or float16 inference (autocast) for the methods that offer it.
PRECISIONS = ("fp32", "bf16", "fp16")

#: Highest noise level of the kinds whose sigma is a fraction of the [0, 1] intensity range
#: (a noise model may declare another: :attr:`benchmark.core.noise.NoiseModel.level_max`).
SIGMA_MAX = 1.0


def __getattr__(name: str):
    # NOISE_KINDS asks the noise registry, so that a kind added as one file is known here too.
    if name == "NOISE_KINDS":
        from benchmark.core.noise import noise_kinds

        return noise_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Noise:
    """A noise description: its kind and its level.

    Parameters
    ----------
    kind : str
        A registered noise kind (:func:`benchmark.core.noise.noise_kinds`; unknown kinds are an
        error with did-you-mean).
    sigma : float
        The noise level in the kind's unit (its model's ``parameters["sigma"]``): for Gaussian
        and Rician noise the standard deviation as a fraction of the normalised intensity range
        [0, 1]. ``0 < sigma <= level_max`` of the model (1 unless it says otherwise). Rounded
        to 6 significant digits so that ``0.1`` and ``0.1000000001`` name the same cell.

    A ``Noise`` is part of a cell's identity (with the image, seed and method).
    """

    kind: str
    sigma: float

    def __post_init__(self) -> None:
        from benchmark.core.noise import get_noise_model

        model = get_noise_model(self.kind)  # unknown kind -> one line with did-you-mean
        try:
            sigma = float(self.sigma)
        except (TypeError, ValueError):
            raise BenchError(f"sigma {self.sigma!r} is not a number; give e.g. 0.1") from None
        if not math.isfinite(sigma) or sigma <= 0:
            raise BenchError(
                f"sigma {self.sigma!r} must be a finite number > 0 (a fraction of the [0, 1] "
                "intensity range, e.g. 0.1)"
            )
        if sigma > model.level_max:
            raise BenchError(f"sigma {self.sigma!r} {model.level_max_reason}")
        object.__setattr__(self, "sigma", float(f"{sigma:.6g}"))

    def __str__(self) -> str:
        return f"{self.kind} sigma={self.sigma:g}"


def as_stack(items: Any, *, data: str = "image", name: str = "images") -> np.ndarray:
    """Check the contract's shape rule for ``data`` items and return a float32 stack.

    Parameters
    ----------
    items : array_like
        A stack of items of kind ``data``: shape ``DATA_SHAPES[data]``, e.g. ``(N, H, W)``.
    data : str
        ``"image"`` (``(N, H, W)``), ``"curve"`` (``(N, T)``) or ``"volume"``
        (``(N, D, H, W)``).
    name : str
        What to call the array in error messages.

    Returns
    -------
    numpy.ndarray
        ``items`` as float32; a copy only when the dtype differs.

    Raises
    ------
    BenchError
        If the array has the wrong number of axes, is empty, is not real, or holds non-finite
        values.

    Examples
    --------
    >>> as_stack(np.zeros((2, 5)), data="curve").shape
    (2, 5)
    """
    axes = DATA_SHAPES.get(data)
    if axes is None:
        raise BenchError(f"data kind {data!r} is not one of {', '.join(DATA_SHAPES)}")
    stack = np.asarray(items)
    if stack.ndim != len(axes) or 0 in stack.shape:
        raise BenchError(
            f"{name} has shape {stack.shape}; denoisers of {data}s take a stack "
            f"({', '.join(axes)})"
        )
    if not np.issubdtype(stack.dtype, np.number) or np.iscomplexobj(stack):
        raise BenchError(f"{name} has dtype {stack.dtype}; give real floating-point {data}s")
    stack = stack.astype(np.float32, copy=False)
    if not np.isfinite(stack).all():
        raise BenchError(f"{name} holds NaN or infinite values; denoisers need finite input")
    return stack


def as_image_stack(images: Any, *, name: str = "images") -> np.ndarray:
    """:func:`as_stack` for 2-D images: a float32 ``(N, H, W)`` stack."""
    return as_stack(images, data="image", name=name)


#: A per-item denoiser: ``(item float32, noise, **params) -> item`` (an item: an image (H, W),
#: a curve (T,) or a volume (D, H, W), as the denoiser's ``data`` says).
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
    base : str, optional
        For a derived variant (e.g. ``tv.rician-vst``), the name of the method it wraps;
        ``None`` for a method registered in its own right.
    noise_kinds : tuple of str, optional
        Noise kinds it applies to; ``None`` (default) means every kind. "All methods" under a
        noise kind are the methods that apply to it.
    data : str
        What one item is: ``"image"`` (default), ``"curve"`` or ``"volume"`` (see
        :data:`DATA_SHAPES`).
    grid : mapping
        Tuning grid: parameter -> values tried by ``bench fair`` on the validation split
        (each should hold the default). Empty: not tuned. Variants inherit their base's grid.
    opt_in : bool
        Run only when named: "all methods" (the default selection of ``bench run``, the tables,
        ``bench check``) and wildcard patterns leave it out, and ``bench fair`` does not take
        it as a candidate variant of another method. Variants derived from it are opt-in too.
    precisions : tuple of str
        Numeric precisions it runs at (:data:`PRECISIONS`); ``"fp32"`` always. A batched
        function offering more takes a ``precision`` keyword.
    availability : callable, optional
        ``availability(noise, params) -> str | None``: why the method cannot denoise ``noise``
        here although it applies to its kind (a deep model without a checkpoint covering it),
        as one line naming the fix, without a path; ``None`` when it can. Absent: it always
        can. See :meth:`unavailable_for`.
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
    base: str | None = None
    noise_kinds: tuple[str, ...] | None = None
    data: str = "image"
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    opt_in: bool = False
    precisions: tuple[str, ...] = ("fp32",)
    availability: Callable[[Noise, Mapping[str, Any]], str | None] | None = None

    def unavailable_for(self, noise: Noise, params: Mapping[str, Any] | None = None) -> str | None:
        """Why this method cannot denoise ``noise`` with ``params`` here (e.g. "no checkpoint
        covers poisson sigma=30; train one with 'bench train ...'"), or ``None`` when it can.

        The reports leave such a row out with this note instead of running cells that fail.

        Examples
        --------
        >>> from benchmark.core.registry import get_method
        >>> get_method("tv").unavailable_for(Noise("poisson", 30)) is None
        True
        """
        if self.availability is None:
            return None
        return self.availability(noise, self.resolve_params(params))

    def trained_for(self, noise: Noise) -> bool:
        """Whether this method has trained weights and they cover ``noise`` (a deep model with
        a checkpoint for it): an opt-in variant so trained is a row of ``noise``'s kind table
        and is checked there.

        Examples
        --------
        >>> from benchmark.core.registry import get_method
        >>> get_method("tv").trained_for(Noise("ldct", 0.25))
        False
        """
        return (self.weights is not None and self.applies_to(noise.kind)
                and self.unavailable_for(noise) is None)

    def applies_to(self, kind: str) -> bool:
        """Whether this method makes sense under noise ``kind`` (its noise model decides)."""
        from benchmark.core.noise import get_noise_model

        return get_noise_model(kind).accepts(self)

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
        precision: str = "fp32",
    ) -> np.ndarray:
        """Denoise a stack under the contract: same shape, float32, finite, input untouched.

        ``precision`` other than ``"fp32"`` must be one of :attr:`precisions`; the output is
        float32 whatever the precision of the computation.
        """
        stack = as_stack(images, data=self.data)
        resolved = self.resolve_params(params)
        if precision not in self.precisions:
            raise BenchError(f"{self.name} runs at {', '.join(self.precisions)}, not "
                             f"precision {precision!r}")
        if self.batched:
            extra = {"precision": precision} if len(self.precisions) > 1 else {}
            out = self.function(stack.copy(), noise, device=device, **resolved, **extra)
        else:
            out = np.stack([self.function(item.copy(), noise, **resolved) for item in stack])
        out = np.asarray(out, dtype=np.float32)
        if out.shape != stack.shape:
            raise RuntimeError(f"{self.name} returned shape {out.shape} for input {stack.shape}")
        if not np.isfinite(out).all():
            raise RuntimeError(f"{self.name} returned non-finite values")
        return out


def runs_on(method: Denoiser, data: str) -> bool:
    """Whether ``method`` denoises items of kind ``data``: its own kind, or volumes slice by
    slice for an image method (a volume ``(D, H, W)`` is then a stack of ``D`` images).

    Curve methods never apply to images or volumes, volume methods never to images.
    """
    return method.data == data or slice_wise(method, data)


def slice_wise(method: Denoiser, data: str) -> bool:
    """Whether ``method`` runs on ``data`` items slice by slice (an image method on volumes)."""
    return data == "volume" and method.data == "image"
