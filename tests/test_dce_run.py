"""Curve sweeps through the shared runner and store: every method on the same curves."""

import numpy as np
import pytest

import benchmark
from benchmark.core.registry import register, unregister
from benchmark.core.curve_metrics import pooled


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    store = tmp_path_factory.mktemp("dce") / "bench.sqlite"
    result = benchmark.run(noise="relative-gaussian", sigma=[0.2], dataset="dce-sim", limit=1,
                           methods=["moving-average", "wavelet-1d"], store=store)
    return result, store


def test_every_method_is_scored_on_the_same_curves(swept):
    result, _ = swept
    per_method = result.cells.groupby("method")
    assert set(per_method.groups) == {"noisy", "moving-average", "wavelet-1d"}
    truths = [pooled(group, "ktrans_true") for _, group in per_method]
    for other in truths[1:]:
        np.testing.assert_array_equal(truths[0], other)
    summary = result.means()
    assert (summary["n_curves"] == 64).all()
    assert summary.loc["moving-average", "rmse_mean"] < summary.loc["noisy", "rmse_mean"]


def test_a_rerun_computes_nothing_and_gives_the_same_numbers(swept):
    result, store = swept
    again = benchmark.run(noise="relative-gaussian", sigma=[0.2], dataset="dce-sim", limit=1,
                          methods=["moving-average", "wavelet-1d"], store=store)
    assert again.sweep.computed == 0 and again.sweep.skipped == 3
    assert again.means().equals(result.means())


def test_a_method_that_breaks_half_the_curves_is_scored_on_all_of_them(tmp_path):
    def breaks_half(curve, noise):
        return np.full_like(curve, -1.0) if curve[-1] > np.median(curve) else curve

    register("test-breaks-half", uses_sigma=False, data="curve")(breaks_half)
    try:
        result = benchmark.run(noise="relative-gaussian", sigma=0.2, dataset="dce-sim", limit=1,
                               methods=["test-breaks-half"], store=tmp_path / "s.sqlite")
    finally:
        unregister("test-breaks-half")
    summary = result.means()
    assert summary.loc["test-breaks-half", "n_curves"] == 64
    broken = summary.loc["test-breaks-half"]
    assert broken["within_tolerance"] < summary.loc["noisy", "within_tolerance"]
