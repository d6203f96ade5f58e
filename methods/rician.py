"""Rician-aware variants of every classical denoiser: bias correction and a VST.

A Gaussian denoiser run on magnitude MRI keeps the Rician bias: in air the signal is 0 but the
data average about 1.25 sigma, and at low SNR the mean of the data exceeds the signal. Two
standard remedies, each registered as a variant of every classical method registered before this
module is imported (so none is copy-pasted):

- ``<name>.rician-bc`` (``<family>.<variant>-rician-bc`` for a method that is already a variant):
  the method's output ``d`` corrected as ``x = sqrt(max(d^2 - 2 sigma^2, 0))``, since
  ``E[y^2] = x^2 + 2 sigma^2`` for Rician ``y``.
- ``<name>.rician-vst``: the variance-stabilising approach of Foi (ISBI 2011): a forward
  transform ``f`` that makes the noise roughly Gaussian with unit variance, the Gaussian
  denoiser, and the exact unbiased inverse, i.e. the inverse of ``nu -> E[f(z)]`` for
  ``z ~ Rice(nu, 1)``. Both ``f`` and the inverse are computed here from the Rician moments by
  numerical integration (nothing tabulated elsewhere is copied): ``f`` is the delta-method
  transform ``f(E[z](nu)) = int_0^nu E'(t) / S(t) dt`` with ``E`` and ``S`` the Rician mean and
  standard deviation at ``sigma = 1``, extended linearly below ``E(0)`` and above the table.

The transformed image ``sigma * f(y / sigma)`` has noise of standard deviation about ``sigma``
and roughly the [0, 1] range, so the method is called with ``Noise("gaussian", sigma)`` and its
per-sigma parameters keep their meaning. Only per-image (not batched) methods that read sigma
are wrapped. Variants keep the base method's parameters, so tuning grids apply to them too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import numpy as np

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.registry import add

#: Suffixes of the Rician-aware variants, and what each does (for listings and reports).
SUFFIXES: dict[str, str] = {
    "rician-bc": "output bias-corrected: sqrt(max(d^2 - 2 sigma^2, 0))",
    "rician-vst": "Rician VST (Foi 2011): forward, Gaussian denoiser, exact unbiased inverse",
}

_NU_MAX = 60.0  # beyond this SNR the Rician law is Gaussian to far better than 1e-3


def rician_mean(nu: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Mean of ``Rice(nu, sigma)``: ``sigma sqrt(pi/2) L_{1/2}(-nu^2 / (2 sigma^2))``.

    Written with exponentially scaled Bessel functions so it stays finite at any SNR.
    """
    from scipy import special  # on use: keeps start-up fast

    t = (np.asarray(nu, dtype=np.float64) / sigma) ** 2 / 4.0
    laguerre = (1 + 2 * t) * special.i0e(t) + 2 * t * special.i1e(t)
    return sigma * np.sqrt(np.pi / 2) * laguerre


def rician_std(nu: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Standard deviation of ``Rice(nu, sigma)``, from ``E[z^2] = nu^2 + 2 sigma^2``."""
    nu = np.asarray(nu, dtype=np.float64)
    variance = nu**2 + 2 * sigma**2 - rician_mean(nu, sigma) ** 2
    return np.sqrt(np.maximum(variance, 0.0))


def bias_correct(denoised: np.ndarray, sigma: float) -> np.ndarray:
    """The Rician bias correction ``sqrt(max(d^2 - 2 sigma^2, 0))``.

    Parameters
    ----------
    denoised : numpy.ndarray
        An estimate of ``E[y]``-like intensities (a Gaussian denoiser's output on Rician data).
    sigma : float
        The Rician noise level.

    Examples
    --------
    >>> float(bias_correct(np.array([np.sqrt(0.5**2 + 2 * 0.1**2)]), 0.1)[0])
    0.5
    """
    d = np.asarray(denoised, dtype=np.float64)
    return np.sqrt(np.maximum(d**2 - 2.0 * sigma**2, 0.0))


@dataclass(frozen=True)
class RicianVST:
    """The forward transform and its exact unbiased inverse at ``sigma = 1``, as tables.

    ``z_table -> f_table`` samples the forward transform; ``ef_table`` is ``E[f(z)]`` for
    ``z ~ Rice(nu_table, 1)``. Use :func:`rician_vst` to get the cached instance.
    """

    nu_table: np.ndarray
    z_table: np.ndarray
    f_table: np.ndarray
    ef_table: np.ndarray

    def forward(self, z: np.ndarray) -> np.ndarray:
        """``f(z)`` at ``sigma = 1``: linear below the table's start, slope 1 above its end."""
        z = np.asarray(z, dtype=np.float64)
        z0, f0 = self.z_table[0], self.f_table[0]
        slope0 = 1.0 / rician_std(0.0)
        out = np.interp(z, self.z_table, self.f_table)
        out = np.where(z < z0, f0 + slope0 * (z - z0), out)
        return np.where(z > self.z_table[-1], self.f_table[-1] + (z - self.z_table[-1]), out)

    def inverse(self, value: np.ndarray) -> np.ndarray:
        """The exact unbiased inverse: ``nu`` with ``E[f(z)] = value`` (0 below ``E f`` at 0)."""
        value = np.asarray(value, dtype=np.float64)
        out = np.interp(value, self.ef_table, self.nu_table)
        return np.where(value > self.ef_table[-1],
                        self.nu_table[-1] + (value - self.ef_table[-1]), out)

    def expectation(self, nu: np.ndarray) -> np.ndarray:
        """``E[f(z)]`` for ``z ~ Rice(nu, 1)`` (interpolated from the table)."""
        return np.interp(np.asarray(nu, dtype=np.float64), self.nu_table, self.ef_table)


def _rice_pdf(z: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """Density of ``Rice(nu, 1)``, stable at large ``z * nu`` (scaled Bessel function)."""
    from scipy import special

    return z * np.exp(-((z - nu) ** 2) / 2) * special.i0e(z * nu)


@lru_cache(maxsize=1)
def rician_vst() -> RicianVST:
    """Build the VST tables from the Rician moments (once per process, ~0.1 s)."""
    from scipy.integrate import cumulative_trapezoid, trapezoid

    # Forward transform: f(E(nu)) = int E'(t)/S(t) dt, on a grid dense at low SNR.
    nu = np.concatenate([np.linspace(0, 8, 4001), np.linspace(8, _NU_MAX, 2001)[1:]])
    mean, std = rician_mean(nu), rician_std(nu)
    std[0] = rician_std(0.0)
    f = np.concatenate([[0.0], cumulative_trapezoid(1.0 / std, mean)])
    vst = RicianVST(nu, mean, f, np.zeros_like(nu))
    # Exact unbiased inverse: E[f(z)] by quadrature of the Rician density, per nu.
    nu_coarse = np.concatenate([np.linspace(0, 8, 321), np.linspace(8, _NU_MAX - 8, 89)[1:]])
    z = np.linspace(0, _NU_MAX, 4801)
    fz = vst.forward(z)
    density = _rice_pdf(z[None, :], nu_coarse[:, None])
    expected = trapezoid(density * fz[None, :], z, axis=1) / trapezoid(density, z, axis=1)
    return RicianVST(nu, mean, f, _extend(nu, nu_coarse, expected))


def _extend(nu: np.ndarray, nu_coarse: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``E[f]`` on the fine grid; beyond the quadrature range it grows with slope 1."""
    out = np.interp(nu, nu_coarse, expected)
    beyond = nu > nu_coarse[-1]
    out[beyond] = expected[-1] + (nu[beyond] - nu_coarse[-1])
    return out


def vst_denoise(image: np.ndarray, sigma: float, gaussian_denoiser: Callable[[np.ndarray], np.ndarray]
                ) -> np.ndarray:
    """Denoise Rician ``image`` through the VST with ``gaussian_denoiser`` (noise std ``sigma``).

    Parameters
    ----------
    image : numpy.ndarray
        Rician-noisy magnitude image.
    sigma : float
        Rician noise level.
    gaussian_denoiser : callable
        Maps an image with additive Gaussian noise of std ``sigma`` to its estimate.
    """
    vst = rician_vst()
    stabilised = sigma * vst.forward(np.asarray(image, dtype=np.float64) / sigma)
    denoised = np.asarray(gaussian_denoiser(stabilised.astype(np.float32)), dtype=np.float64)
    return sigma * vst.inverse(denoised / sigma)


def variant_name(base: str, suffix: str) -> str:
    """``bm3d`` -> ``bm3d.rician-bc``; ``wavelet.shift-invariant`` -> ``...-rician-bc``.

    Keeps the registry's one-dot ``family.variant`` rule.
    """
    return f"{base}-{suffix}" if "." in base else f"{base}.{suffix}"


def base_name(name: str) -> str:
    """The plain method a Rician variant wraps (``name`` itself for a plain method)."""
    for suffix in SUFFIXES:
        for joint in (".", "-"):
            if name.endswith(joint + suffix):
                return name[: -len(joint + suffix)]
    return name


def _bias_corrected(base: Denoiser) -> Callable[..., np.ndarray]:
    def function(image: np.ndarray, noise: Noise, **params) -> np.ndarray:
        gaussian = Noise("gaussian", noise.sigma)
        out = base.function(image, gaussian, **params)
        return bias_correct(out, noise.sigma).astype(np.float32)

    return function


def _stabilised(base: Denoiser) -> Callable[..., np.ndarray]:
    def function(image: np.ndarray, noise: Noise, **params) -> np.ndarray:
        gaussian = Noise("gaussian", noise.sigma)
        out = vst_denoise(image, noise.sigma, lambda x: base.function(x, gaussian, **params))
        return out.astype(np.float32)

    return function


_WRAPPERS = {"rician-bc": _bias_corrected, "rician-vst": _stabilised}


def register_variants(methods: list[Denoiser]) -> list[Denoiser]:
    """Register both Rician-aware variants of every per-image method that reads sigma."""
    added = []
    for base in methods:
        if base.batched or not base.uses_sigma or base_name(base.name) != base.name:
            continue
        for suffix, summary in SUFFIXES.items():
            added.append(add(replace(  # every other field as the base's
                base, name=variant_name(base.name, suffix), function=_WRAPPERS[suffix](base),
                params=dict(base.params), cost=base.cost * 1.05,
                summary=f"{base.name}, {summary}",
            )))
    return added
