"""What a noise kind is: a :class:`NoiseModel`, and the registry that knows every kind.

A noise model holds, for one kind: its parameters (with units), its sampler, its sigma
estimator (blind mode), which denoisers make sense under it, and its fair transforms (the
wrappers that make a Gaussian denoiser fit for it, e.g. Rician bias correction and VST). The
rest of the benchmark asks the model; nothing else names a kind.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from benchmark.core.errors import UnknownNameError

#: A sampler: ``(clean float64 array, sigma, generator) -> noisy float64 array``.
Sampler = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class FairTransform:
    """A wrapper that makes a Gaussian denoiser fit for one noise kind.

    Each transform turns every eligible registered method ``m`` into a variant named
    ``m.<suffix>`` (``family.variant-<suffix>`` when ``m`` is a variant already), with
    ``base = m.name`` and ``noise_kinds = (kind,)``: the registry derives it when ``m`` is
    registered, for a method of a data kind the noise is drawn on (the model's ``data``), so
    no list elsewhere has to name ``m``.

    Parameters
    ----------
    suffix : str
        Name suffix of the variants, e.g. ``"rician-vst"``.
    summary : str
        What the wrapper does (appended to the base's summary in listings).
    wrap : callable
        ``wrap(base_function) -> function``: the variant's per-item function
        ``f(item, noise, **params)``, calling ``base_function(item, Noise("gaussian", s), **params)``.
    """

    suffix: str
    summary: str
    wrap: Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]

    def accepts(self, base: Any) -> bool:
        """Whether ``base`` (a :class:`~benchmark.core.contract.Denoiser`) gets this variant.

        Only plain (not already derived), per-item methods that read sigma and apply to
        Gaussian noise: the wrapper calls them with Gaussian noise of the stabilised level.
        """
        return (base.base is None and not base.batched and base.uses_sigma
                and base.applies_to("gaussian"))

    def variant(self, base: Any, kind: str) -> Any:
        """The derived :class:`~benchmark.core.contract.Denoiser` of ``base`` for ``kind``."""
        joint = "-" if "." in base.name else "."
        return replace(  # every other field (params, grid, data, devices, weights) as the base's
            base, name=f"{base.name}{joint}{self.suffix}", function=self.wrap(base.function),
            params=dict(base.params), base=base.name, noise_kinds=(kind,),
            cost=base.cost * 1.05, summary=f"{base.name}, {self.summary}",
        )


class NoiseModel:
    """One noise kind. Subclass it in a module of :mod:`benchmark.core.noise` and decorate
    the class with :func:`register_noise`; that module is the whole of a new kind.

    Class attributes
    ----------------
    kind : str
        The name used on the command line and in the store (``--noise KIND``).
    parameters : mapping
        Each parameter's meaning and unit (today only ``sigma``).
    fair_transforms : tuple of FairTransform
        Wrappers that give every eligible method a variant fit for this kind.
    data : tuple of str
        The data kinds it is drawn on (:data:`benchmark.core.contract.DATA_SHAPES`): only
        methods of those kinds apply under it.
    level_max, level_max_reason : float, str
        The highest level ``sigma`` may take in this kind's unit (default 1: a fraction of the
        [0, 1] range) and the error's wording past it (e.g. a photon count may exceed 1).
    label : str
        The kind in a table's caption (default: ``"<kind> noise"``).
    level_name, level_axis : str
        What the level is called in captions (``"sigma"``; ``"peak"`` for Poisson) and the
        axis label of its noise-level curves, with the unit.
    report_level : float or None
        The level of this kind's table in the default report (Table 3 onward, in registration
        order), its ``bench fair`` table and its ``bench check`` baseline; ``None``: the kind
        has none of them (the paper's kinds have Tables 1-2 instead).
    report_levels : tuple of float
        The levels of this kind's noise-level curve in the default report (its documented
        levels); empty: no curve.
    default_dataset : str
        The dataset card whose test split this kind's table, curve and check run on.
    whole_image : bool
        Whether the noise of a crop is not the crop of the whole image's noise, or the
        reference is not the clean image (low-dose CT: both). Training then draws the noise on
        whole images and crops the noisy image and :meth:`reference` at the same window
        (:mod:`methods.deep.training.whole_image`); False: noise added to each crop.
    """

    kind: ClassVar[str] = ""
    parameters: ClassVar[Mapping[str, str]] = {
        "sigma": "noise standard deviation, a fraction of the [0, 1] intensity range",
    }
    fair_transforms: ClassVar[tuple[FairTransform, ...]] = ()
    data: ClassVar[tuple[str, ...]] = ("image", "volume")
    #: Highest level accepted (``Noise(kind, sigma)`` refuses more), and why, in one phrase.
    level_max: ClassVar[float] = 1.0
    level_max_reason: ClassVar[str] = ("is above the whole [0, 1] intensity range; give a "
                                       "fraction of it, e.g. 0.1")
    label: ClassVar[str] = ""
    level_name: ClassVar[str] = "sigma"
    level_axis: ClassVar[str] = "sigma (fraction of the [0, 1] range)"
    #: The level of this kind's table in the default report; None: no table (see above).
    report_level: ClassVar[float | None] = None
    #: The levels of its noise-level curve in the default report (its documented levels).
    report_levels: ClassVar[tuple[float, ...]] = ()
    #: The dataset card its table, curve and check run on (the test split).
    default_dataset: ClassVar[str] = "mni152"
    #: Noise drawn on whole images in training, crops of it and of the reference (see above).
    whole_image: ClassVar[bool] = False

    def sample(self, clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """The noisy version of ``clean`` (float64, any shape) drawn with ``rng``."""
        raise NotImplementedError

    def estimate_sigma(self, noisy: np.ndarray) -> float:
        """Sigma estimated from one noisy item (blind mode)."""
        raise NotImplementedError

    def reference(self, clean: np.ndarray) -> np.ndarray:
        """What a cell's output is scored against, given its clean item: ``clean`` itself
        (the default). A kind whose sampler also blurs (low-dose CT's reconstruction) returns
        the noiseless version of what it samples, so that scores measure the noise only.
        Deterministic; the same shape as ``clean``."""
        return clean

    def accepts(self, denoiser: Any) -> bool:
        """Whether ``denoiser`` makes sense under this noise: it takes this model's data and
        declares this kind, or all."""
        return denoiser.data in self.data and (denoiser.noise_kinds is None
                                               or self.kind in denoiser.noise_kinds)

    def describe_level(self, level: float) -> str:
        """The kind and level as a caption says them, e.g. ``"Poisson noise, peak 30"``."""
        return f"{self.label or self.kind + ' noise'}, {self.level_name} {level:g}"

    def __repr__(self) -> str:
        return f"<noise model {self.kind!r}>"


_MODELS: dict[str, NoiseModel] = {}


def register_noise(cls: type[NoiseModel]) -> type[NoiseModel]:
    """Class decorator: register one instance of ``cls`` under ``cls.kind``.

    Raises
    ------
    ValueError
        If the kind is empty or already registered.
    """
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no 'kind'")
    if cls.kind in _MODELS:
        raise ValueError(f"a noise model {cls.kind!r} is already registered")
    _MODELS[cls.kind] = cls()
    return cls


def noise_kinds() -> tuple[str, ...]:
    """The registered noise kinds, in registration order."""
    return tuple(_MODELS)


def get_noise_model(kind: str) -> NoiseModel:
    """The model of noise ``kind``.

    Raises
    ------
    UnknownNameError
        "unknown noise kind 'gausian'. Did you mean: gaussian? Available: gaussian, rician".
    """
    try:
        return _MODELS[kind]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(kind), list(_MODELS), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown noise kind {kind!r}.{hint} Available: "
                               f"{', '.join(_MODELS)}") from None


def report_kinds() -> tuple[str, ...]:
    """The kinds with a table of their own in the default report (a ``report_level``), in
    registration order: Table 3 is the first, Table 4 the next, ...

    Examples
    --------
    >>> import benchmark.core.noise  # registers every kind
    >>> {"ncchi8", "poisson"} <= set(report_kinds())
    True
    """
    return tuple(kind for kind, model in _MODELS.items() if model.report_level is not None)


def unregister_noise(kind: str) -> None:
    """Remove a noise kind (for tests and interactive experiments)."""
    _MODELS.pop(kind, None)
