"""The curve report's headline: the best methods at one level by Ktrans RMSE, in one sentence.

Ranks use the Ktrans RMSE of a curve table (:mod:`benchmark.report.curve_tables`); a row with
no curves or no successful fit cannot be ranked. Classical 1-D filters are the rows of kind
``classical`` and ``tuned``; deep models those of kind ``deep``.
"""

from __future__ import annotations

import pandas as pd

from benchmark.core.contract import Noise
from benchmark.engine.runner import NOISY

#: The level of the headline and of the example figures: 20% noise.
HEADLINE_SIGMA = 0.2
CLASSICAL_KINDS = ("classical", "tuned")
DEEP_KINDS = ("deep",)


def headline_level(noises: list[Noise]) -> Noise | None:
    """The level nearest to 20% among ``noises`` (None when there are none)."""
    return min(noises, key=lambda n: abs(n.sigma - HEADLINE_SIGMA)) if noises else None


def best(frame: pd.DataFrame, kinds: tuple[str, ...]) -> pd.Series | None:
    """The row of ``kinds`` with the lowest finite Ktrans RMSE (None when there is none).

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["a", "b"], "kind": ["classical", "tuned"],
    ...                       "ktrans_rmse": [0.02, 0.01], "n_curves": [64, 64]})
    >>> best(frame, CLASSICAL_KINDS)["label"]
    'b'
    """
    rows = frame[frame["kind"].isin(kinds) & frame["ktrans_rmse"].notna()
                 & (frame["n_curves"] > 0)]
    return None if rows.empty else rows.loc[rows["ktrans_rmse"].idxmin()]


def summary_sentence(frame: pd.DataFrame, noise: Noise) -> str:
    """One sentence from one level's table: the best method's Ktrans RMSE relative to fitting
    the noisy curves directly, and whether the best deep model beats the best classical filter.

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["noisy", "sg", "net"], "method": ["noisy", "sg", "net"],
    ...                       "kind": ["input", "classical", "deep"],
    ...                       "ktrans_rmse": [0.02, 0.015, 0.012], "n_curves": [64] * 3,
    ...                       "fit_failed": [0, 0, 1]})
    >>> print(summary_sentence(frame, Noise("relative-gaussian", 0.2)))  # doctest: +NORMALIZE_WHITESPACE
    At 20% noise, the best method by Ktrans RMSE is net (0.0120 /min, 60% of the 0.0200 /min
    of fitting the noisy curves directly; 1 failed fit); the best deep model (net, 0.0120 /min)
    beats the best classical 1-D filter (sg, 0.0150 /min).
    """
    level = f"At {100 * noise.sigma:g}% noise"
    noisy = frame[frame["method"] == NOISY]
    ranked = best(frame, CLASSICAL_KINDS + DEEP_KINDS)
    if ranked is None:
        return f"{level}, no method has a Ktrans RMSE (no curves, or every fit failed)."
    text = f"{level}, the best method by Ktrans RMSE is {ranked['label']} ({ranked['ktrans_rmse']:.4f} /min"
    if not noisy.empty and pd.notna(noisy.iloc[0]["ktrans_rmse"]):
        reference = float(noisy.iloc[0]["ktrans_rmse"])
        text += (f", {100 * ranked['ktrans_rmse'] / reference:.0f}% of the {reference:.4f} /min "
                 "of fitting the noisy curves directly")
    failed = int(ranked.get("fit_failed", 0) or 0)
    text += f"; {failed} failed fit{'s' if failed != 1 else ''})" if failed else ")"
    classical, deep = best(frame, CLASSICAL_KINDS), best(frame, DEEP_KINDS)
    if deep is None or classical is None:
        missing = "deep model" if deep is None else "classical 1-D filter"
        return text + f"; no {missing} was compared."
    verdict = "beats" if deep["ktrans_rmse"] < classical["ktrans_rmse"] else "does not beat"
    return (text + f"; the best deep model ({deep['label']}, {deep['ktrans_rmse']:.4f} /min) "
            f"{verdict} the best classical 1-D "
            f"filter ({classical['label']}, {classical['ktrans_rmse']:.4f} /min).")
