"""Pharmacokinetics of DCE-MRI: Parker's population AIF, the extended Tofts model and its fit.

Units: time in minutes, concentrations in mM, ``Ktrans`` and ``kep`` in 1/min, ``ve`` and
``vp`` dimensionless (``kep = Ktrans / ve``). The extended Tofts model of the tissue
concentration is

    Ct(t) = vp Cp(t) + Ktrans int_0^t Cp(s) exp(-kep (t - s)) ds,

with the plasma concentration ``Cp`` taken as Parker's population AIF (no haematocrit
correction). The convolution is exact for a ``Cp`` linear between samples (the recursive
formula used by the OSIPI DCE code collection), so the model is the same on any time grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Parker et al. 2006, Table 1 (population average): the constants the simulator documents.
PARKER = {"A1": 0.809, "A2": 0.330, "T1": 0.17046, "T2": 0.365, "sigma1": 0.0563,
          "sigma2": 0.132, "alpha": 1.050, "beta": 0.1685, "s": 38.078, "tau": 0.483}


def parker_aif(t: np.ndarray, delay: float = 0.0) -> np.ndarray:
    """Parker's population arterial input function in mM at times ``t`` (minutes).

    Computed by the ``dcmri`` package (``dcmri.aif_parker``, seconds and M there), whose
    constants are :data:`PARKER`; ``delay`` (minutes) shifts the bolus arrival.

    Examples
    --------
    >>> t = np.array([0.0, 0.17046, 1.0])
    >>> np.round(parker_aif(t), 3)
    array([0.08 , 6.069, 0.887])
    """
    import dcmri

    t = np.asarray(t, dtype=np.float64)
    return 1000.0 * np.asarray(dcmri.aif_parker(t * 60.0, BAT=float(delay) * 60.0))


def parker_aif_formula(t: np.ndarray, delay: float = 0.0) -> np.ndarray:
    """Parker's AIF written out from :data:`PARKER` (the reference :func:`parker_aif` is tested
    against)."""
    p = PARKER
    t = np.asarray(t, dtype=np.float64) - delay
    gauss = sum(p[a] / (p[s] * np.sqrt(2 * np.pi)) * np.exp(-(t - p[m]) ** 2 / (2 * p[s] ** 2))
                for a, m, s in (("A1", "T1", "sigma1"), ("A2", "T2", "sigma2")))
    return gauss + p["alpha"] * np.exp(-p["beta"] * t) / (1 + np.exp(-p["s"] * (t - p["tau"])))


def exp_convolution(t: np.ndarray, cp: np.ndarray, kep: np.ndarray) -> np.ndarray:
    """``int_0^t cp(s) exp(-kep (t - s)) ds`` for ``cp`` linear between samples.

    Parameters
    ----------
    t : numpy.ndarray
        Sample times, shape ``(T,)``, increasing.
    cp : numpy.ndarray
        Input at those times, shape ``(T,)``.
    kep : numpy.ndarray
        Rate constants, any shape ``S`` (each > 0).

    Returns
    -------
    numpy.ndarray
        Shape ``S + (T,)``.
    """
    kep = np.asarray(kep, dtype=np.float64)[..., None]
    dt = np.diff(t)
    decay = np.exp(-kep * dt)                       # S + (T-1,)
    # For a segment c0 -> c1 of length d: c0 (1-E)/k + (c1-c0) (1/k - (1-E)/(k^2 d)).
    first = (1 - decay) / kep
    slope = 1 / kep - (1 - decay) / (kep ** 2 * dt)
    gain = cp[:-1] * first + (cp[1:] - cp[:-1]) * slope
    out = np.zeros(kep.shape[:-1] + (len(t),))
    if kep.size == 1 and np.allclose(dt, dt[0]):  # one rate, even steps: one convolution
        powers = decay.ravel()[0] ** np.arange(len(dt))
        out.reshape(-1)[1:] = np.convolve(gain.ravel(), powers)[:len(dt)]
        return out
    for i in range(1, len(t)):
        out[..., i] = decay[..., i - 1] * out[..., i - 1] + gain[..., i - 1]
    return out


def extended_tofts(t: np.ndarray, cp: np.ndarray, ktrans, ve, vp) -> np.ndarray:
    """Tissue concentration (mM) of the extended Tofts model, one curve per parameter set.

    Parameters
    ----------
    t : numpy.ndarray
        Times in minutes, ``(T,)``.
    cp : numpy.ndarray
        Plasma concentration (mM) at ``t``.
    ktrans, ve, vp : array_like
        Parameters (broadcast together, shape ``S``): 1/min, fraction, fraction.

    Returns
    -------
    numpy.ndarray
        Shape ``S + (T,)``.

    Examples
    --------
    >>> t = np.arange(32) * 0.0625
    >>> ct = extended_tofts(t, parker_aif(t, delay=0.0625), 0.1, 0.2, 0.01)
    >>> ct.shape, round(float(ct.max()), 3)
    ((32,), 0.143)
    """
    ktrans, ve, vp = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64)
                                            for v in (ktrans, ve, vp)))
    return vp[..., None] * cp + ktrans[..., None] * exp_convolution(t, cp, ktrans / ve)


#: Bounds of the fit: Ktrans (1/min), ve, vp.
FIT_LOWER = (0.0, 1e-3, 0.0)
FIT_UPPER = (5.0, 2.0, 1.0)
#: The fixed start of every fit: Ktrans 0.1 /min, ve 0.2, vp 0.01 (the middle of the
#: simulated ranges, rounded).
FIT_START = (0.1, 0.2, 0.01)


@dataclass(frozen=True)
class ToftsFit:
    """Fitted parameters of a stack of curves; ``ok`` is False where the fit failed."""

    ktrans: np.ndarray
    ve: np.ndarray
    vp: np.ndarray
    ok: np.ndarray


def fit_extended_tofts(t: np.ndarray, cp: np.ndarray, curves: np.ndarray) -> ToftsFit:
    """Fit the extended Tofts model to each curve by bounded least squares.

    Every curve is fitted from the same start :data:`FIT_START` within :data:`FIT_LOWER` and
    :data:`FIT_UPPER` (``scipy.optimize.least_squares``, trust-region reflective). A fit that
    does not converge, or returns non-finite values, is marked failed (``ok`` False, NaN
    parameters); it is never dropped.

    Parameters
    ----------
    t, cp : numpy.ndarray
        Times (minutes) and plasma concentration (mM), ``(T,)``.
    curves : numpy.ndarray
        Tissue concentrations, ``(N, T)`` or ``(T,)``.

    Examples
    --------
    >>> t = np.arange(32) * 0.0625
    >>> cp = parker_aif(t, delay=0.0625)
    >>> fit = fit_extended_tofts(t, cp, extended_tofts(t, cp, 0.15, 0.3, 0.02))
    >>> np.round([fit.ktrans[0], fit.ve[0], fit.vp[0]], 4).tolist(), bool(fit.ok[0])
    ([0.15, 0.3, 0.02], True)
    """
    from scipy.optimize import least_squares

    curves = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    t = np.asarray(t, dtype=np.float64)
    cp = np.asarray(cp, dtype=np.float64)
    out = np.full((len(curves), 3), np.nan)
    ok = np.zeros(len(curves), dtype=bool)

    dt = np.diff(t)
    even = np.allclose(dt, dt[0])
    steps, rise = np.arange(len(dt)), np.diff(cp)

    def model(p):
        kep = p[0] / p[1]
        if not even:
            return p[2] * cp + p[0] * exp_convolution(t, cp, kep)
        decay = np.exp(-kep * dt[0])  # the fast path of exp_convolution, inlined
        gain = cp[:-1] * ((1 - decay) / kep) + rise * (1 / kep - (1 - decay) / (kep**2 * dt[0]))
        conv = np.concatenate(([0.0], np.convolve(gain, decay ** steps)[:len(dt)]))
        return p[2] * cp + p[0] * conv

    for i, curve in enumerate(curves):
        if not np.isfinite(curve).all():
            continue
        try:
            result = least_squares(lambda p: model(p) - curve, FIT_START,
                                   bounds=(FIT_LOWER, FIT_UPPER), method="trf",
                                   x_scale=(0.1, 0.2, 0.01))
        except (ValueError, np.linalg.LinAlgError):
            continue
        if result.status > 0 and np.isfinite(result.x).all():
            out[i], ok[i] = result.x, True
    return ToftsFit(out[:, 0], out[:, 1], out[:, 2], ok)
