"""The Rician moments, the bias correction and Foi's variance-stabilising transform (VST).

Used by the Rician noise model's fair transforms (:mod:`benchmark.core.noise.rician`). The
forward transform is the delta-method transform ``f(E[z](nu)) = int_0^nu E'(t) / S(t) dt`` with
``E`` and ``S`` the Rician mean and standard deviation at ``sigma = 1``, extended linearly below
``E(0)`` and above the table; the inverse is the exact unbiased one, the inverse of
``nu -> E[f(z)]`` for ``z ~ Rice(nu, 1)``, by quadrature of the Rician density. Nothing
tabulated elsewhere is copied. The transformed image ``sigma * f(y / sigma)`` has noise of
standard deviation about ``sigma`` and roughly the [0, 1] range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np


def _special():
    from scipy import special  # imported on first use: keeps ``import benchmark`` light

    return special


_NU_MAX = 60.0  # beyond this SNR the Rician law is Gaussian to far better than 1e-3


def rician_mean(nu: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Mean of ``Rice(nu, sigma)``: ``sigma sqrt(pi/2) L_{1/2}(-nu^2 / (2 sigma^2))``.

    Written with exponentially scaled Bessel functions so it stays finite at any SNR.
    """
    t = (np.asarray(nu, dtype=np.float64) / sigma) ** 2 / 4.0
    laguerre = (1 + 2 * t) * _special().i0e(t) + 2 * t * _special().i1e(t)
    return sigma * np.sqrt(np.pi / 2) * laguerre


def rician_std(nu: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Standard deviation of ``Rice(nu, sigma)``, from ``E[z^2] = nu^2 + 2 sigma^2``."""
    nu = np.asarray(nu, dtype=np.float64)
    variance = nu**2 + 2 * sigma**2 - rician_mean(nu, sigma) ** 2
    return np.sqrt(np.maximum(variance, 0.0))


def bias_correct(denoised: np.ndarray, sigma: float, coils: int = 1) -> np.ndarray:
    """The magnitude bias correction ``sqrt(max(d^2 - 2 N sigma^2, 0))`` (Rician: ``N = 1``).

    Parameters
    ----------
    denoised : numpy.ndarray
        An estimate of ``E[y]``-like intensities (a Gaussian denoiser's output on Rician or
        non-central chi data).
    sigma : float
        The noise level (per channel, per coil).
    coils : int
        Number of coils ``N`` combined by root-sum-of-squares (``E[y^2] = x^2 + 2 N sigma^2``).

    Examples
    --------
    >>> float(bias_correct(np.array([np.sqrt(0.5**2 + 2 * 0.1**2)]), 0.1)[0])
    0.5
    """
    d = np.asarray(denoised, dtype=np.float64)
    return np.sqrt(np.maximum(d**2 - 2.0 * coils * sigma**2, 0.0))


@dataclass(frozen=True)
class RicianVST:
    """The forward transform and its exact unbiased inverse at ``sigma = 1``, as tables.

    ``z_table -> f_table`` samples the forward transform; ``ef_table`` is ``E[f(z)]`` for
    ``z ~ Rice(nu_table, 1)``. Use :func:`rician_vst` to get the cached instance. The same
    tables describe the non-central chi VST of :mod:`.ncchi_vst`, whose ``start_slope`` is
    ``1 / S(0)`` of that law (``None``: the Rician one).
    """

    nu_table: np.ndarray
    z_table: np.ndarray
    f_table: np.ndarray
    ef_table: np.ndarray
    start_slope: float | None = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        """``f(z)`` at ``sigma = 1``: linear below the table's start, slope 1 above its end."""
        z = np.asarray(z, dtype=np.float64)
        z0, f0 = self.z_table[0], self.f_table[0]
        slope0 = 1.0 / rician_std(0.0) if self.start_slope is None else self.start_slope
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
    return z * np.exp(-((z - nu) ** 2) / 2) * _special().i0e(z * nu)


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


def vst_denoise(image: np.ndarray, sigma: float, gaussian_denoiser: Callable[[np.ndarray], np.ndarray],
                *, vst: RicianVST | None = None) -> np.ndarray:
    """Denoise Rician ``image`` through the VST with ``gaussian_denoiser`` (noise std ``sigma``).

    Parameters
    ----------
    image : numpy.ndarray
        Rician-noisy magnitude image.
    sigma : float
        Rician noise level.
    gaussian_denoiser : callable
        Maps an image with additive Gaussian noise of std ``sigma`` to its estimate.
    vst : RicianVST, optional
        The transform tables; default the Rician ones (:func:`rician_vst`), e.g.
        :func:`~benchmark.core.noise.ncchi_vst.ncchi_vst` for ``N`` coils.
    """
    vst = rician_vst() if vst is None else vst
    stabilised = sigma * vst.forward(np.asarray(image, dtype=np.float64) / sigma)
    denoised = np.asarray(gaussian_denoiser(stabilised.astype(np.float32)), dtype=np.float64)
    return sigma * vst.inverse(denoised / sigma)
