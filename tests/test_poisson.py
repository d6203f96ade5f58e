"""Poisson noise: its draws, its peak estimator and its Anscombe fair transform."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.core.noise.poisson import LEVELS, anscombe, inverse_anscombe

N = 200_000
#: Largest relative bias of the inverse on flat regions of at least one expected photon.
INVERSE_BIAS = 0.006


@pytest.mark.parametrize("peak, level", [(5, 0.2), (30, 0.5), (300, 0.8)])
def test_flat_regions_have_poisson_moments(peak, level):
    y = add_noise(np.full(N, level, np.float32), Noise("poisson", peak),
                  image_id="moments").astype(np.float64)
    variance = level / peak
    assert abs(y.mean() - level) < 5 * np.sqrt(variance / N)
    assert abs(y.var() / variance - 1) < 5 * np.sqrt(2 / N) + 5 / np.sqrt(N * level * peak)


def test_counts_fit_the_poisson_law():
    peak, level = 10.0, 0.4
    y = add_noise(np.full(20_000, level, np.float32), Noise("poisson", peak), image_id="fit")
    counts = np.rint(y.astype(np.float64) * peak).astype(int)
    np.testing.assert_allclose(counts / peak, y, atol=1e-5)  # on the count lattice
    k = np.arange(counts.max() + 1)
    observed = np.bincount(counts, minlength=k.size).astype(float)
    expected = stats.poisson.pmf(k, level * peak) * counts.size
    expected[-1] += stats.poisson.sf(k[-1], level * peak) * counts.size
    keep = expected >= 5  # the sparse tail bins pooled into one
    if (~keep).any():
        observed = np.append(observed[keep], observed[~keep].sum())
        expected = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_same_cell_same_bits_and_different_cells_differ():
    x = np.linspace(0, 1, 4096, dtype=np.float32).reshape(64, 64)
    noise = Noise("poisson", 30)
    a = add_noise(x, noise, image_id="img-1")
    np.testing.assert_array_equal(a, add_noise(x, noise, image_id="img-1"))
    for other in (add_noise(x, noise, image_id="img-2"), add_noise(x, noise, image_id="img-1",
                                                                   seed=1),
                  add_noise(x, Noise("poisson", 31), image_id="img-1")):
        assert not np.array_equal(a, other)
    assert (a >= 0).all() and a.dtype == np.float32


@pytest.mark.parametrize("peak", LEVELS)
def test_peak_estimated_within_10_percent_on_a_real_slice(peak, mni_test):
    k = len(mni_test) // 2
    noisy = add_noise(mni_test.images[k], Noise("poisson", peak), image_id=mni_test.ids[k])
    assert get_noise_model("poisson").estimate_sigma(noisy) == pytest.approx(peak, rel=0.10)


@pytest.mark.parametrize("peak", LEVELS)
def test_inverse_is_unbiased_on_flat_regions(peak):
    """An ideal denoiser returns E[f(y)]; the inverse must map it back to x."""
    for level in (1 / peak, 0.1, 0.2, 0.5, 1.0):
        lam = max(level, 1 / peak) * peak
        k = np.arange(int(lam + 20 * np.sqrt(lam) + 30))
        expected = np.sum(stats.poisson.pmf(k, lam) * anscombe(k / peak, peak))
        back = inverse_anscombe(np.array([expected]), peak)[0]
        assert back == pytest.approx(lam / peak, rel=INVERSE_BIAS)


def test_every_eligible_method_has_its_anscombe_variant():
    from benchmark.core.noise.poisson import PoissonNoise
    from benchmark.core.registry import get_method, method_names

    (transform,) = PoissonNoise.fair_transforms
    names = set(method_names())
    eligible = [n for n in names if transform.accepts(get_method(n))]
    assert "nlm" in eligible
    for name in eligible:
        joint = "-" if "." in name else "."
        variant = get_method(f"{name}{joint}poisson-anscombe")
        assert variant.base == name and variant.applies_to("poisson")


@pytest.mark.parametrize("base", ["nlm", "gaussian-filter", "tv"])
def test_anscombe_variant_beats_its_plain_method_at_heavy_noise(base, mni_test):
    from benchmark.core.registry import get_method

    k = len(mni_test) // 2
    clean = mni_test.images[k]
    noise = Noise("poisson", 10)
    noisy = add_noise(clean, noise, image_id=mni_test.ids[k])[None]
    plain = psnr(clean, get_method(base)(noisy, noise)[0])
    fair = psnr(clean, get_method(f"{base}.poisson-anscombe")(noisy, noise)[0])
    assert fair > plain + 3.0
    assert fair > psnr(clean, noisy[0]) + 8.0


def test_peak_levels_are_accepted_and_absurd_ones_refused():
    assert Noise("poisson", 30).sigma == 30.0
    assert Noise("poisson", 1e5).sigma == 1e5
    with pytest.raises(BenchError, match="above 1e5 photons") as info:
        Noise("poisson", 1e9)
    assert "\n" not in str(info.value)


def test_cli_runs_a_poisson_cell(tmp_path):
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", "run", "--noise", "poisson", "--sigma", "30",
         "--limit", "1", "--methods", "gaussian-filter", "gaussian-filter.*",
         "--store", str(tmp_path / "store.sqlite"), "--quiet"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
