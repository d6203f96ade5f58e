"""The DCE-MRI curve track's science: Parker's AIF, the extended Tofts model and its refit, the
simulator's splits, relative-Gaussian noise, and the per-curve metrics."""

import numpy as np
import pytest
from scipy import integrate, stats

from benchmark.core.contract import Noise
from benchmark.core.curve_metrics import curve_errors, score_curves, within_tolerance
from benchmark.core.errors import BenchError
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.core.tofts import (FIT_LOWER, FIT_UPPER, exp_convolution, extended_tofts,
                                  fit_extended_tofts, parker_aif, parker_aif_formula)
from benchmark.data.cards import load_dataset
from benchmark.data.curves import Simulation, simulate

T = np.arange(32) * 0.0625
CP = parker_aif(T, delay=0.0625)


def test_dcmri_parker_aif_agrees_with_the_published_constants():
    fine = np.linspace(0, 5, 2001)
    np.testing.assert_allclose(parker_aif(fine, 0.1), parker_aif_formula(fine, 0.1),
                               rtol=2e-5, atol=1e-6)
    # The one-sample delay shifts the whole curve by one step.
    np.testing.assert_allclose(parker_aif(T[1:], 0.0625), parker_aif(T[:-1]), rtol=1e-12)


def test_extended_tofts_equals_dcmri_and_a_direct_quadrature():
    import dcmri

    ktrans, ve, vp = 0.12, 0.3, 0.015
    ours = extended_tofts(T, CP, ktrans, ve, vp)
    # dcmri's high-flow two-compartment tissue without haematocrit is the extended Tofts model
    # (seconds and M there).
    theirs = 1000 * dcmri.conc_tissue(CP / 1000, t=T * 60, kinetics="HF", H=0.0, vb=vp,
                                      PS=ktrans / 60, vi=ve)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    # A fine quadrature of the convolution integral, Cp linear between samples.
    kep = ktrans / ve
    for i in (5, 17, 31):
        value, _ = integrate.quad(lambda s: np.interp(s, T, CP) * np.exp(-kep * (T[i] - s)),
                                  0, T[i], limit=200, points=T[:i])
        assert ours[i] == pytest.approx(vp * CP[i] + ktrans * value, rel=1e-7)


def test_convolution_of_many_rates_equals_one_at_a_time():
    rates = np.array([0.2, 1.0, 2.2])
    together = exp_convolution(T, CP, rates)
    for row, rate in zip(together, rates):
        np.testing.assert_allclose(row, exp_convolution(T, CP, rate), rtol=1e-12)


def test_fit_recovers_the_true_parameters_of_clean_curves():
    rng = np.random.default_rng(1)
    ktrans, kep, vp = rng.uniform(0.02, 0.22, 20), rng.uniform(0.2, 2.2, 20), rng.uniform(
        0.002, 0.022, 20)
    fit = fit_extended_tofts(T, CP, extended_tofts(T, CP, ktrans, ktrans / kep, vp))
    assert fit.ok.all()
    np.testing.assert_allclose(fit.ktrans, ktrans, rtol=1e-4)
    np.testing.assert_allclose(fit.ve, ktrans / kep, rtol=1e-4)
    np.testing.assert_allclose(fit.vp, vp, rtol=1e-3, atol=1e-6)


def test_fit_stays_in_bounds_and_a_failed_fit_is_kept_as_a_failure():
    curves = np.stack([extended_tofts(T, CP, 0.1, 0.2, 0.01), np.full(32, np.nan),
                       -extended_tofts(T, CP, 0.1, 0.2, 0.01)])
    fit = fit_extended_tofts(T, CP, curves)
    assert len(fit.ok) == 3 and fit.ok.tolist()[:2] == [True, False]
    assert np.isnan([fit.ktrans[1], fit.ve[1], fit.vp[1]]).all()
    for value, low, high in zip((fit.ktrans[2], fit.ve[2], fit.vp[2]), FIT_LOWER, FIT_UPPER):
        assert low <= value <= high


def test_osipi_tolerances():
    true = {"ktrans": np.array([0.1, 0.1, 0.1, 0.1]), "ve": np.full(4, 0.3),
            "vp": np.full(4, 0.01)}
    fitted = {"ktrans": np.array([0.1149, 0.1151, 0.1, np.nan]), "ve": np.array([0.3, 0.3, 0.36, 0.3]),
              "vp": np.full(4, 0.01)}
    assert within_tolerance(fitted, true).tolist() == [True, False, False, False]


def test_curve_errors_equal_direct_formulas():
    rng = np.random.default_rng(2)
    x, y = rng.random((5, 32)) + 0.1, rng.random((5, 32)) + 0.1
    errors = curve_errors(x, y)
    for i in range(5):
        d = x[i] - y[i]
        assert errors["rmse"][i] == pytest.approx(np.sqrt(np.mean(d**2)))
        assert errors["ssd"][i] == pytest.approx(np.sum(d**2))
        assert errors["max_dev"][i] == pytest.approx(np.max(np.abs(d)))
        assert errors["prd"][i] == pytest.approx(100 * np.linalg.norm(d) / np.linalg.norm(x[i]))
        assert errors["cosine"][i] == pytest.approx(
            1 - __import__("scipy.spatial.distance", fromlist=["cosine"]).cosine(x[i], y[i]))


def test_score_curves_keeps_every_curve():
    clean = extended_tofts(T, CP, [0.1, 0.2], [0.2, 0.4], [0.01, 0.02])
    estimate = clean.copy()
    estimate[1] = np.nan  # a denoiser that broke one curve: its fit fails, the curve stays
    truth = {"ktrans": np.array([0.1, 0.2]), "ve": np.array([0.2, 0.4]),
             "vp": np.array([0.01, 0.02]), "t": T, "cp": CP}
    extra = score_curves(clean, estimate, truth)["extra"]
    assert extra["fit_ok"] == [True, False] and extra["within_tolerance"] == [True, False]
    assert extra["ktrans_fit"][1] is None and extra["ktrans_true"] == [0.1, 0.2]
    assert len(extra["rmse"]) == 2


def test_splits_are_disjoint_deterministic_and_sized():
    sets = {}
    for split in ("train", "validation", "test"):
        curves = load_dataset("dce-sim", split)
        params = {k: np.concatenate([p[k] for p in curves.parameters]) for k in ("ktrans", "ve",
                                                                                "vp")}
        sets[split] = set(zip(*(np.round(params[k], 9) for k in ("ktrans", "ve", "vp"))))
        assert curves.curves().shape[1] == 32 and curves.curves().dtype == np.float32
    assert len(sets["test"]) == len(sets["validation"]) == 512
    assert len(sets["train"]) > 50_000
    assert not sets["train"] & sets["test"] and not sets["train"] & sets["validation"]
    assert not sets["validation"] & sets["test"]
    assert load_dataset("dce-sim", "test").fingerprint() == load_dataset(
        "dce-sim", "test").fingerprint()


def test_clean_curves_are_the_model_of_their_parameters():
    curves = load_dataset("dce-sim", "test")
    block = curves.ids[3]
    truth = curves.truth(block)
    np.testing.assert_allclose(curves.image(block), extended_tofts(
        truth["t"], truth["cp"], truth["ktrans"], truth["ve"], truth["vp"]), rtol=1e-6)
    assert ((truth["ktrans"] >= 0.02 - 1e-12) & (truth["ktrans"] <= 0.22 + 1e-12)).all()


def test_a_users_parameter_and_aif_files(tmp_path):
    (tmp_path / "params.csv").write_text(
        "ktrans,ve,vp,split\n0.1,0.2,0.01,test\n0.05,0.5,0.002,test\n0.2,0.3,0.02,train\n")
    t = np.arange(40) * 0.05
    aif = parker_aif(t, delay=0.1)
    (tmp_path / "aif.csv").write_text("t,cp\n" + "\n".join(f"{a},{b}" for a, b in zip(t, aif)))
    sim = Simulation(parameters="params.csv", aif="aif.csv", block=64)
    curves = simulate("mine", sim, "test", tmp_path)
    assert curves.curves().shape == (2, 40)
    np.testing.assert_allclose(curves.t, t)
    (tmp_path / "bad.csv").write_text("ktrans,vp\n0.1,0.01\n")
    with pytest.raises(BenchError, match="no column 've'"):
        simulate("mine", Simulation(parameters="bad.csv"), "test", tmp_path)


def test_relative_gaussian_moments_and_fit_per_curve():
    curves = load_dataset("dce-sim", "validation").curves().astype(np.float64)
    noise = Noise("relative-gaussian", 0.2)
    noisy = add_noise(curves, noise, image_id="moments").astype(np.float64)
    scaled = (noisy - curves) / (0.2 * curves.mean(axis=1, keepdims=True))
    assert abs(scaled.mean()) < 4 / np.sqrt(scaled.size)  # 4 standard errors
    assert scaled.std() == pytest.approx(1.0, abs=0.02)
    assert stats.kstest(scaled.ravel()[::7], "norm").pvalue > 0.01
    again = add_noise(curves, noise, image_id="moments")
    np.testing.assert_array_equal(noisy.astype(np.float32), again)


@pytest.mark.parametrize("level", [0.05, 0.1, 0.2, 0.5])
def test_relative_gaussian_estimator_within_10_percent(level):
    curves = load_dataset("dce-sim", "validation").curves()
    noisy = add_noise(curves, Noise("relative-gaussian", level), image_id="estimate")
    estimate = get_noise_model("relative-gaussian").estimate_sigma(noisy)
    assert estimate == pytest.approx(level, rel=0.10)


def test_curve_and_image_noise_apply_to_their_own_data_only():
    from benchmark.core.registry import get_method

    assert get_method("savitzky-golay").applies_to("relative-gaussian")
    assert not get_method("savitzky-golay").applies_to("gaussian")
    assert not get_method("bm3d").applies_to("relative-gaussian")
