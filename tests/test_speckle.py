"""Ultrasound speckle: its draws, its looks estimator, its homomorphic transform, SRAD, OBNLM."""

import numpy as np
import pytest
from scipy import stats

from benchmark.cli import main
from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr, ssim
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.core.noise.speckle import LEVELS, homomorphic_denoise, log_bias, log_std
from benchmark.core.registry import get_method, method_names, register, unregister

N = 200_000


@pytest.fixture(scope="module")
def phantoms():
    """The first four test phantoms of the us-phantom card (256 x 256)."""
    from benchmark.data.cards import load_dataset

    return load_dataset("us-phantom", "test").head(4)


@pytest.mark.parametrize("looks", LEVELS)
def test_flat_regions_have_gamma_moments(looks):
    """E[y] = x and Var[y] = x^2 / L, within 5 standard errors of the sample moments."""
    x = 0.4
    y = add_noise(np.full(N, x, np.float32), Noise("speckle", looks),
                  image_id="moments").astype(np.float64)
    ratio = y / x
    assert abs(ratio.mean() - 1) < 5 / np.sqrt(looks * N)
    kurtosis = 6 / looks  # excess kurtosis of Gamma(L): the spread of the sample variance
    assert abs(ratio.var() * looks - 1) < 5 * np.sqrt((2 + kurtosis) / N)


@pytest.mark.parametrize("looks", LEVELS)
def test_ratio_fits_the_gamma_law(looks):
    x = np.linspace(0.05, 1, 20_000, dtype=np.float32)
    y = add_noise(x, Noise("speckle", looks), image_id="fit")
    assert stats.kstest(y / x, stats.gamma(looks, scale=1 / looks).cdf).pvalue > 1e-3


def test_one_look_amplitude_is_rayleigh():
    """L = 1: intensity exponential, so the amplitude sqrt(y) is Rayleigh of scale sqrt(x/2)."""
    x = 0.6
    y = add_noise(np.full(20_000, x, np.float32), Noise("speckle", 1), image_id="rayleigh")
    amplitude = np.sqrt(y.astype(np.float64))
    assert stats.kstest(amplitude, stats.rayleigh(scale=np.sqrt(x / 2)).cdf).pvalue > 1e-3
    # and not Rayleigh at 4 looks (the test can tell them apart)
    y4 = add_noise(np.full(20_000, x, np.float32), Noise("speckle", 4), image_id="rayleigh")
    assert stats.kstest(np.sqrt(y4.astype(np.float64)),
                        stats.rayleigh(scale=np.sqrt(x / 2)).cdf).pvalue < 1e-6


def test_same_cell_same_bits_and_different_cells_differ():
    x = np.linspace(0.02, 1, 4096, dtype=np.float32).reshape(64, 64)
    noise = Noise("speckle", 4)
    a = add_noise(x, noise, image_id="img-1")
    np.testing.assert_array_equal(a, add_noise(x, noise, image_id="img-1"))
    for other in (add_noise(x, noise, image_id="img-2"),
                  add_noise(x, noise, image_id="img-1", seed=1),
                  add_noise(x, Noise("speckle", 5), image_id="img-1")):
        assert not np.array_equal(a, other)
    assert (a > 0).all() and a.dtype == np.float32


@pytest.mark.parametrize("looks", LEVELS)
def test_looks_estimated_within_10_percent_on_the_phantoms(looks, phantoms):
    model = get_noise_model("speckle")
    for image_id, clean in zip(phantoms.ids, phantoms.images):
        noisy = add_noise(clean, Noise("speckle", looks), image_id=image_id)
        assert model.estimate_sigma(noisy) == pytest.approx(looks, rel=0.10)


def test_estimator_leaves_out_air_and_says_nan_without_signal():
    rng = np.random.default_rng(0)
    y = np.zeros((64, 64))
    y[:, 32:] = 0.5 * rng.gamma(8.0, 1 / 8.0, size=(64, 32))
    assert get_noise_model("speckle").estimate_sigma(y) == pytest.approx(8.0, rel=0.15)
    assert np.isnan(get_noise_model("speckle").estimate_sigma(np.zeros((8, 8))))


def _mean_smoother(z, s):
    """An ideal smoother of a flat region: its mean (in float64)."""
    return np.full(z.shape, z.astype(np.float64).mean())


#: Largest relative bias of the homomorphic inverse on a flat region besides sampling error.
INVERSE_BIAS = 0.005


@pytest.mark.parametrize("looks", LEVELS)
def test_homomorphic_inverse_is_unbiased_on_flat_regions(looks):
    """exp(mean log y - E[log n]) gives x back: the bias of the log is removed."""
    for x in (0.02, 0.1, 0.5, 1.0):
        y = add_noise(np.full((400, 500), x, np.float32), Noise("speckle", looks),
                      image_id="flat")
        out = homomorphic_denoise(y, looks, _mean_smoother)
        sampling = 5 * log_std(looks) / np.sqrt(y.size)  # 5 standard errors of the mean log
        assert abs(out.mean() / x - 1) < INVERSE_BIAS + sampling
        # without the correction the estimate is off by the bias of the log
        assert abs(out.mean() * np.exp(log_bias(looks)) / x - 1) > 0.02


def test_every_eligible_method_has_its_homomorphic_variant_at_the_log_sigma():
    """The wrapped method sees Gaussian noise of sqrt(trigamma(L)) / log(1e4)."""
    seen = []

    def spy(image, noise):
        seen.append(noise)
        return image

    register("test-spy", params={})(spy)
    try:
        variant = get_method("test-spy.speckle-log")
        assert variant.base == "test-spy" and variant.noise_kinds == ("speckle",)
        variant(np.full((1, 8, 8), 0.5, np.float32), Noise("speckle", 4))
        assert seen == [Noise("gaussian", log_std(4) / np.log(1e4))]
    finally:
        unregister("test-spy")
        unregister("test-spy.speckle-log")
    assert get_method("nlm.speckle-log").base == "nlm"
    # speckle is drawn on images only: no volume method gets the variant
    assert not any(name.endswith("speckle-log") and get_method(name).data == "volume"
                   for name in method_names())


#: Least PSNR gain (dB) over the noisy input at 4 looks on a test phantom.
MIN_GAIN_DB = 10.0


@pytest.mark.parametrize("name", ["srad", "obnlm", "nlm.speckle-log"])
def test_speckle_methods_gain_over_the_noisy_input(name, phantoms):
    clean = phantoms.images[0]
    noise = Noise("speckle", 4)
    noisy = add_noise(clean, noise, image_id=phantoms.ids[0])
    out = get_method(name)(noisy[None], noise)[0]
    assert psnr(clean, out) > psnr(clean, noisy) + MIN_GAIN_DB
    assert ssim(clean, out) > ssim(clean, noisy) + 0.5


def test_srad_and_obnlm_apply_to_speckle_only():
    for name in ("srad", "obnlm"):
        method = get_method(name)
        assert method.applies_to("speckle") and not method.applies_to("gaussian")


def test_looks_levels_are_accepted_and_absurd_ones_refused():
    assert Noise("speckle", 1).sigma == 1.0 and Noise("speckle", 1e5).sigma == 1e5
    with pytest.raises(BenchError, match="above 1e5 looks") as info:
        Noise("speckle", 1e9)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_cli_runs_srad_and_obnlm_on_the_phantoms(tmp_path, capsys):
    from benchmark.engine.store import Store

    store = tmp_path / "store.sqlite"
    code = main(["run", "--noise", "speckle", "--sigma", "4", "--dataset", "us-phantom",
                 "--limit", "2", "--methods", "srad", "obnlm", "--jobs", "1", "--quiet",
                 "--store", str(store)])
    assert code == 0, capsys.readouterr().err
    with Store(store) as s:
        cells = s.frame()
    done = cells[cells["method"].isin(["srad", "obnlm"])]
    assert len(done) == 4 and set(done["image_id"]) == {"us-phantom/p0220", "us-phantom/p0221"}


@pytest.mark.parametrize("sigma, fragment", [("1e9", "above 1e5 looks"), ("0", "> 0")])
def test_cli_refuses_a_bad_level_in_one_line(tmp_path, capsys, sigma, fragment):
    store = tmp_path / "store.sqlite"
    code = main(["run", "--noise", "speckle", "--sigma", sigma, "--dataset", "us-phantom",
                 "--methods", "srad", "--store", str(store)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and fragment in lines[0]
    assert not store.exists()
