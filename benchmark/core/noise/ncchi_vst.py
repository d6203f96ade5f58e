"""Non-central chi moments and the VST with its exact unbiased inverse, for ``N`` coils.

The root-sum-of-squares magnitude of ``N`` coils, divided by the per-coil sigma, follows a
non-central chi law with ``2 N`` degrees of freedom and non-centrality ``nu`` (the noise-free
magnitude over sigma). Its density at ``sigma = 1`` is
``z^N nu^(1-N) exp(-(z^2 + nu^2) / 2) I_{N-1}(z nu)`` (``z^(2N-1) exp(-z^2/2) / (2^(N-1) (N-1)!)``
at ``nu = 0``; ``N = 1`` is the Rice law). Its second moment is exactly ``nu^2 + 2 N``; its mean
is computed here by quadrature of the density.

The transform is Foi's construction applied to this law, on the same tables as the Rician one
(:class:`~benchmark.core.noise.rician_vst.RicianVST`): the forward transform
``f(E(nu)) = int_0^nu E'(t) / S(t) dt`` and the exact unbiased inverse of ``nu -> E[f(z)]``,
both by numerical integration of the density. The Rician tables themselves stay those of
:func:`~benchmark.core.noise.rician_vst.rician_vst`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from benchmark.core.noise.rician_vst import RicianVST, _extend, _special

_NU_MAX = 60.0
_Z_MARGIN = 12.0  # the density is negligible past nu + sqrt(2 N) + 12 at the coil counts used


def ncchi_pdf(z: np.ndarray, nu: np.ndarray, coils: int) -> np.ndarray:
    """Density of the non-central chi law with ``2 * coils`` dof at ``sigma = 1`` (unnormalised
    by nothing: it integrates to 1), broadcasting ``z`` against ``nu``.

    Examples
    --------
    >>> z = np.linspace(0, 30, 3001)
    >>> round(float(np.trapezoid(ncchi_pdf(z, 3.0, 4), z)), 6)
    1.0
    """
    special = _special()
    z, nu = np.broadcast_arrays(np.asarray(z, np.float64), np.asarray(nu, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_z = np.log(z)
        central = ((2 * coils - 1) * log_z - z**2 / 2 - (coils - 1) * np.log(2.0)
                   - special.gammaln(coils))
        scaled = special.ive(coils - 1, z * nu)  # I_{N-1}(z nu) exp(-z nu)
        general = (coils * log_z + (1 - coils) * np.log(nu) - (z - nu) ** 2 / 2
                   + np.log(scaled))
        log_density = np.where(nu > 0, general, central)
        density = np.exp(log_density)
    return np.where(z > 0, np.nan_to_num(density, nan=0.0, posinf=0.0), 0.0)


def _mean_by_quadrature(nu: np.ndarray, coils: int, z: np.ndarray,
                        values: np.ndarray | None = None, chunk: int = 256) -> np.ndarray:
    """``E[g(z)]`` per ``nu`` by the trapezoid rule (``g(z) = z`` when ``values`` is None)."""
    from scipy.integrate import trapezoid

    g = z if values is None else values
    out = np.empty(nu.size)
    for start in range(0, nu.size, chunk):
        density = ncchi_pdf(z[None, :], nu[start:start + chunk, None], coils)
        out[start:start + chunk] = (trapezoid(density * g[None, :], z, axis=1)
                                    / trapezoid(density, z, axis=1))
    return out


def ncchi_mean(nu: np.ndarray, coils: int) -> np.ndarray:
    """Mean of the non-central chi law (``2 * coils`` dof, ``sigma = 1``) at ``nu``."""
    nu = np.atleast_1d(np.asarray(nu, dtype=np.float64))
    z = np.linspace(0.0, float(nu.max()) + np.sqrt(2 * coils) + _Z_MARGIN, 6001)
    return _mean_by_quadrature(nu, coils, z)


def ncchi_std(nu: np.ndarray, coils: int) -> np.ndarray:
    """Standard deviation of the same law, from ``E[z^2] = nu^2 + 2 N``."""
    nu = np.atleast_1d(np.asarray(nu, dtype=np.float64))
    return np.sqrt(np.maximum(nu**2 + 2 * coils - ncchi_mean(nu, coils) ** 2, 0.0))


@lru_cache(maxsize=None)
def ncchi_vst(coils: int) -> RicianVST:
    """The VST tables for ``coils`` coils (built once per process and coil count, ~1 s).

    Parameters
    ----------
    coils : int
        Number of coils ``N`` (``2 N`` degrees of freedom).
    """
    from scipy.integrate import cumulative_trapezoid

    z = np.linspace(0.0, _NU_MAX + np.sqrt(2 * coils) + _Z_MARGIN, 4001)
    nu = np.concatenate([np.linspace(0, 8, 801), np.linspace(8, _NU_MAX, 261)[1:]])
    mean = _mean_by_quadrature(nu, coils, z)
    std = np.sqrt(np.maximum(nu**2 + 2 * coils - mean**2, 1e-12))
    f = np.concatenate([[0.0], cumulative_trapezoid(1.0 / std, mean)])
    vst = RicianVST(nu, mean, f, np.zeros_like(nu), start_slope=float(1.0 / std[0]))
    nu_coarse = np.concatenate([np.linspace(0, 8, 321), np.linspace(8, _NU_MAX - 8, 89)[1:]])
    expected = _mean_by_quadrature(nu_coarse, coils, z, vst.forward(z))
    return RicianVST(nu, mean, f, _extend(nu, nu_coarse, expected),
                     start_slope=float(1.0 / std[0]))
