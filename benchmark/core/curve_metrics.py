"""Metrics of denoised DCE-MRI curves: per-curve errors and the pharmacokinetic refit.

Per curve ``x`` (clean) and ``y`` (denoised), in mM:

- ``rmse``: sqrt(mean((x - y)^2));
- ``ssd``: sum((x - y)^2), the sum of squared differences;
- ``max_dev``: max |x - y|, the maximum absolute deviation;
- ``prd``: 100 sqrt(sum((x - y)^2) / sum(x^2)), the percentage root-mean-square difference
  in its standard form (normalised by the clean curve's energy, not its mean-removed one);
- ``cosine``: x . y / (|x| |y|).

Downstream, the extended Tofts model is refitted to every denoised curve
(:func:`benchmark.core.tofts.fit_extended_tofts`, one fixed start, bounded) and the fitted
Ktrans, ve and vp compared with the true ones. A failed fit is a failure of that curve for
that method (``fit_ok`` false, no parameter errors), never a dropped curve. The OSIPI DCE code
collection's tolerances decide ``within_tolerance``: |dKtrans| <= 0.005 /min + 10% of the true
Ktrans, |dve| <= 0.05 and |dvp| <= 0.025, all three.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

#: Per-curve errors: name -> (unit, whether higher is better).
CURVE_METRICS: dict[str, tuple[str, bool]] = {
    "rmse": ("mM", False), "ssd": ("mM^2", False), "max_dev": ("mM", False),
    "prd": ("%", False), "cosine": ("", True),
}
#: The pharmacokinetic parameters refitted.
PK_PARAMETERS = ("ktrans", "ve", "vp")
#: OSIPI tolerances: absolute part, relative part (of the true value).
OSIPI_TOLERANCE = {"ktrans": (0.005, 0.10), "ve": (0.05, 0.0), "vp": (0.025, 0.0)}


def curve_errors(clean: np.ndarray, estimate: np.ndarray) -> dict[str, np.ndarray]:
    """The per-curve errors of :data:`CURVE_METRICS` for stacks ``(N, T)`` (float64).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 2.0]])
    >>> {k: round(float(v[0]), 4) for k, v in curve_errors(x, x + [[0, 0, 1]]).items()}
    {'rmse': 0.5774, 'ssd': 1.0, 'max_dev': 1.0, 'prd': 33.3333, 'cosine': 0.98}
    """
    x = np.atleast_2d(np.asarray(clean, dtype=np.float64))
    y = np.atleast_2d(np.asarray(estimate, dtype=np.float64))
    diff = x - y
    ssd = np.sum(diff**2, axis=-1)
    norms = np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = np.where(norms > 0, np.sum(x * y, axis=-1) / norms, np.nan)
        prd = 100 * np.sqrt(ssd / np.sum(x**2, axis=-1))
    return {"rmse": np.sqrt(ssd / x.shape[-1]), "ssd": ssd,
            "max_dev": np.max(np.abs(diff), axis=-1), "prd": prd, "cosine": cosine}


def within_tolerance(fitted: Mapping[str, np.ndarray], true: Mapping[str, np.ndarray]
                     ) -> np.ndarray:
    """Whether each curve's fitted parameters are all within :data:`OSIPI_TOLERANCE` (a failed
    fit, NaN, is not)."""
    inside = np.ones(len(np.asarray(true["ktrans"])), dtype=bool)
    for name, (absolute, relative) in OSIPI_TOLERANCE.items():
        error = np.abs(np.asarray(fitted[name]) - np.asarray(true[name]))
        with np.errstate(invalid="ignore"):
            inside &= error <= absolute + relative * np.abs(np.asarray(true[name]))
    return inside


def _rounded(values: np.ndarray) -> list[float | None]:
    """JSON-ready: 6 significant digits, ``None`` for NaN (a failed fit)."""
    return [None if not np.isfinite(v) else float(f"{v:.6g}") for v in np.asarray(values)]


def score_curves(clean: np.ndarray, estimate: np.ndarray, truth: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """Everything a curve cell stores: per-curve errors, fitted and true parameters.

    Parameters
    ----------
    clean, estimate : numpy.ndarray
        ``(N, T)`` curves in mM.
    truth : mapping
        ``ktrans``, ``ve``, ``vp`` (``(N,)`` each), ``t`` (min) and ``cp`` (mM).

    Returns
    -------
    dict
        ``{"extra": {...}}``: lists of ``N`` values for every metric of
        :data:`CURVE_METRICS`, ``<p>_fit`` and ``<p>_true`` for each of :data:`PK_PARAMETERS`
        (``None`` where the fit failed), ``fit_ok`` and ``within_tolerance``.
    """
    from benchmark.core.tofts import fit_extended_tofts

    fit = fit_extended_tofts(truth["t"], truth["cp"], estimate)
    fitted = {name: getattr(fit, name) for name in PK_PARAMETERS}
    extra: dict[str, Any] = {k: _rounded(v) for k, v in curve_errors(clean, estimate).items()}
    for name in PK_PARAMETERS:
        extra[f"{name}_fit"] = _rounded(fitted[name])
        extra[f"{name}_true"] = _rounded(truth[name])
    extra["fit_ok"] = [bool(v) for v in fit.ok]
    extra["within_tolerance"] = [bool(v) for v in within_tolerance(fitted, truth)]
    return {"extra": extra}


def pooled(cells: Any, column: str) -> np.ndarray:
    """The per-curve values of ``column`` of every cell of a cells frame (lists, one a block),
    concatenated, ``None`` (a failed fit) as NaN."""
    if len(cells) == 0:
        return np.zeros(0)
    return np.concatenate([np.array(values, dtype=np.float64) for values in cells[column]])


def pk_errors(fitted: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """RMSE and mean absolute error over the finite fits; median relative error over all,
    a failed fit (NaN) counted as an infinite error.

    Examples
    --------
    >>> errors = pk_errors(np.array([1.1, np.nan, 0.9]), np.array([1.0, 1.0, 1.0]))
    >>> {k: round(v, 3) for k, v in errors.items()}
    {'rmse': 0.1, 'mae': 0.1, 'medrel': 0.1}
    """
    ok = np.isfinite(fitted)
    diff = fitted[ok] - true[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(ok, np.abs(fitted - true) / np.abs(true), np.inf)
    return {"rmse": float(np.sqrt(np.mean(diff**2))) if ok.any() else float("nan"),
            "mae": float(np.mean(np.abs(diff))) if ok.any() else float("nan"),
            "medrel": float(np.median(relative)) if len(relative) else float("nan")}
