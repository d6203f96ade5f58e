"""Bootstrap intervals cover at about the nominal rate; the Wilcoxon test sees a real shift."""

from __future__ import annotations

import numpy as np

from benchmark.core.stats import bootstrap_ci, compare, paired_wilcoxon


def test_bootstrap_ci_coverage_near_nominal():
    rng = np.random.default_rng(42)
    trials, covered = 300, 0
    for trial in range(trials):
        sample = rng.normal(loc=3.0, scale=2.0, size=25)
        interval = bootstrap_ci(sample, n_resamples=400, seed=trial)
        covered += interval.low <= 3.0 <= interval.high
    # percentile bootstrap at N=25 under-covers slightly; 300 trials give a binomial sd of 1.3%
    assert 0.89 <= covered / trials <= 0.98


def test_bootstrap_ci_is_seeded_and_handles_small_n():
    values = [0.1, 0.5, 0.3, 0.9, 0.4]
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci([]).n == 0 and bootstrap_ci([2.0]).format(1) == "2.0"


def test_wilcoxon_detects_a_consistent_shift_and_not_noise():
    rng = np.random.default_rng(0)
    base = rng.normal(30, 2, size=20)
    assert paired_wilcoxon(base + 0.5 + rng.normal(0, 0.1, 20), base) < 0.001
    assert paired_wilcoxon(base, base) == 1.0
    p_values = [paired_wilcoxon(base + rng.normal(0, 1, 20), base) for _ in range(200)]
    assert 0.01 < np.mean(np.array(p_values) < 0.05) < 0.12  # false positives near 5%


def test_compare_pairs_on_image_ids():
    values = {"a": {"x": 1.0, "y": 2.0, "z": 3.0}, "b": {"y": 2.0, "z": 3.0}}
    result = compare(values, "a")
    assert result["b"] == (1.0, 2) and np.isnan(result["a"][0])
