"""Multi-coil (non-central chi) noise: moments, law, seeding, estimator, fair transforms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benchmark.core.contract import Noise
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.core.noise.ncchi import COILS, estimate_ncchi_background
from benchmark.core.noise.ncchi_vst import ncchi_vst
from benchmark.core.noise.rician_vst import bias_correct
from benchmark.core.registry import get_method

KINDS = [f"ncchi{n}" for n in COILS]
LEVELS = [0.02, 0.05, 0.1]


@pytest.fixture(scope="module")
def slice_():
    from benchmark.data.cards import load_dataset

    return load_dataset("mni152", "test").images[0]


def _flat(value: float, size: int = 200) -> np.ndarray:
    return np.full((size, size), value, np.float32)


@pytest.mark.parametrize("kind", KINDS)
def test_second_moment_on_flat_regions(kind):
    coils = get_noise_model(kind).coils
    for x in (0.0, 0.3, 0.8):
        y = add_noise(_flat(x), Noise(kind, 0.05), image_id=f"flat-{x}").astype(np.float64)
        expected = x**2 + 2 * coils * 0.05**2
        assert np.mean(y**2) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("kind", KINDS)
def test_squared_magnitude_follows_noncentral_chi_square(kind):
    coils, sigma, x = get_noise_model(kind).coils, 0.05, 0.2
    y = add_noise(_flat(x, 60), Noise(kind, sigma), image_id="ks").astype(np.float64).ravel()
    law = stats.ncx2(df=2 * coils, nc=(x / sigma) ** 2)
    assert stats.kstest(y**2 / sigma**2, law.cdf).pvalue > 0.01


def test_seeded_by_the_cell():
    clean = _flat(0.4, 32)
    a = add_noise(clean, Noise("ncchi8", 0.05), image_id="a")
    assert np.array_equal(a, add_noise(clean, Noise("ncchi8", 0.05), image_id="a"))
    assert not np.array_equal(a, add_noise(clean, Noise("ncchi8", 0.05), image_id="b"))
    assert not np.array_equal(a, add_noise(clean, Noise("ncchi4", 0.05), image_id="a"))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sigma", LEVELS)
def test_estimator_within_ten_percent_on_a_real_slice(slice_, kind, sigma):
    noisy = add_noise(slice_, Noise(kind, sigma), image_id="mni-estimate")
    model = get_noise_model(kind)
    assert model.estimate_sigma(noisy) == pytest.approx(sigma, rel=0.10)
    assert estimate_ncchi_background(noisy, model.coils) == pytest.approx(sigma, rel=0.10)


@pytest.mark.parametrize("coils", COILS)
def test_bias_correction_unbiased_on_flat_regions(coils):
    # A perfect smoother of a flat region returns the sample mean of y; corrected, it is x
    # within 2% of the range (the correction uses E[y^2], the smoother estimates E[y]).
    sigma = 0.05
    rng = np.random.default_rng(coils)
    for x in (0.2, 0.5, 0.9):
        y = np.sqrt(((x / np.sqrt(coils) + sigma * rng.standard_normal((coils, 20000))) ** 2
                     + (sigma * rng.standard_normal((coils, 20000))) ** 2).sum(0))
        assert float(bias_correct(np.array([y.mean()]), sigma, coils)[0]) == pytest.approx(
            x, abs=0.02)


@pytest.mark.parametrize("coils", COILS)
@pytest.mark.parametrize("nu", [1.0, 3.0, 10.0, 40.0])
def test_vst_inverse_unbiased_on_flat_regions(coils, nu):
    rng = np.random.default_rng(int(nu) + coils)
    z = np.sqrt(((nu / np.sqrt(coils) + rng.standard_normal((coils, 100_000))) ** 2
                 + rng.standard_normal((coils, 100_000)) ** 2).sum(0))
    vst = ncchi_vst(coils)
    assert float(vst.inverse(vst.forward(z).mean())) == pytest.approx(nu, rel=0.01, abs=0.02)
    assert 0.85 < vst.forward(z).var() < 1.15


def test_variants_exist_and_beat_the_plain_method_under_ncchi8(slice_):
    noise = Noise("ncchi8", 0.05)
    noisy = add_noise(slice_, noise, image_id="mni-variants")
    plain = psnr(slice_, get_method("gaussian-filter")(noisy[None], noise)[0])
    for suffix in ("ncchi8-bc", "ncchi8-vst"):
        variant = get_method(f"gaussian-filter.{suffix}")
        assert variant.base == "gaussian-filter" and variant.noise_kinds == ("ncchi8",)
        assert psnr(slice_, variant(noisy[None], noise)[0]) > plain + 1


def test_bench_run_with_the_variants(tmp_path, monkeypatch):
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["run", "--noise", "ncchi8", "--sigma", "0.05", "--limit", "1",
                 "--methods", "gaussian-filter", "gaussian-filter.*"])
    assert code in (0, None)
