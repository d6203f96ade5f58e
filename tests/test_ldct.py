"""Low-dose CT noise (ldct): reconstruction, the 1/I0 law, moments, seeding, the reference the
runner scores against, the dose estimator, the fair methods, the phantom card and the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr, score
from benchmark.core.noise import add_noise, get_noise_model, ldct
from benchmark.core.noise.ldct_estimate import estimate_dose, noise_std
from benchmark.data.loaders.ct_phantom import draw
from benchmark.data.loaders.intensity import WINDOWS, window

MODEL = get_noise_model("ldct")
#: Least PSNR of the noiseless reconstruction of a 128 x 128 phantom against the phantom (the
#: FBP's blur and ringing at its edges; measured 34.2-34.8 dB on the first three test
#: phantoms, abdomens, and 32.2 dB on the fourth, a head with its 1000 HU skull).
RECONSTRUCTION_PSNR_128 = 31.0


def _phantom(index: int = 2000, size: int = 128) -> np.ndarray:
    return window(draw(index, size), *WINDOWS["ldct"]).astype(np.float32)


def _water(size: int = 128, radius_mm: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """A water disc (0 HU) in air, and the disc of its central half (a flat region)."""
    r = np.hypot(*np.meshgrid(*(2 * [(np.arange(size) + 0.5 - size / 2) * ldct.FOV_MM / size])))
    image = np.where(r <= radius_mm, 0.5, 0.0).astype(np.float32)
    return image, r <= radius_mm / 2


def test_noiseless_reconstruction_matches_the_phantom():
    for index in (2000, 2003):  # an abdomen and a head
        clean = _phantom(index)
        assert psnr(clean, MODEL.reference(clean)) > RECONSTRUCTION_PSNR_128


def test_noise_variance_grows_as_the_inverse_of_the_dose():
    clean, flat = _water()
    reference = MODEL.reference(clean)
    variances = []
    for dose in ldct.LEVELS:
        noise = [add_noise(clean, Noise("ldct", dose), image_id=f"water/{k}") - reference
                 for k in range(3)]
        variances.append(np.mean([np.var(n[flat]) for n in noise]))
    slope = np.polyfit(np.log(ldct.LEVELS), np.log(variances), 1)[0]
    assert abs(slope + 1.0) < 0.1, f"log-log slope {slope:.3f}"


def test_reconstructed_noise_is_unbiased_on_a_flat_region():
    clean, flat = _water()
    noise = add_noise(clean, Noise("ldct", 0.25), image_id="water") - MODEL.reference(clean)
    values = noise[flat]
    # the pixels are correlated: allow 5 standard errors of 1/10 of the pixels
    assert abs(values.mean()) < 5 * values.std() / np.sqrt(values.size / 10)


def test_counts_have_poisson_plus_electronic_moments():
    p = np.full((200, 500), 3.0)  # 3 attenuation lengths: exp(-3) of the incident photons
    rng = np.random.default_rng(0)
    dose = 0.25
    post_log = ldct.noisy_sinogram(p, dose, rng)
    counts = dose * ldct.I0_FULL * np.exp(-post_log)  # no count fell under the floor here
    expected = dose * ldct.I0_FULL * np.exp(-3.0)
    se = np.sqrt(expected / counts.size)
    assert abs(counts.mean() - expected) < 5 * se
    variance = expected + ldct.ELECTRONIC_VARIANCE
    assert abs(counts.var() / variance - 1) < 5 * np.sqrt(2 / counts.size)


def test_same_cell_same_bits_and_different_cells_differ():
    clean = _phantom()
    noise = Noise("ldct", 0.25)
    a = add_noise(clean, noise, image_id="ct/a")
    np.testing.assert_array_equal(a, add_noise(clean, noise, image_id="ct/a"))
    assert not np.array_equal(a, add_noise(clean, noise, image_id="ct/b"))
    assert not np.array_equal(a, add_noise(clean, noise, image_id="ct/a", seed=1))
    assert a.dtype == np.float32 and a.shape == clean.shape


def test_non_square_slices_keep_their_shape():
    clean = _phantom()[:, 10:118]
    noisy = add_noise(clean, Noise("ldct", 0.5), image_id="ct/narrow")
    assert noisy.shape == clean.shape == MODEL.reference(clean).shape


def test_other_kinds_score_against_the_clean_image():
    clean = _phantom()
    for kind in ("gaussian", "rician", "poisson"):
        assert get_noise_model(kind).reference(clean) is clean


def test_runner_scores_a_cell_against_the_noiseless_reconstruction():
    from benchmark.engine.runner import NOISY, Task, evaluate
    from benchmark.engine.store import CellKey

    clean = _phantom()
    key = CellKey("ct", "test", "ct/p", "ldct", 0.25, False, 0, NOISY, "-")
    _, result = evaluate(Task(key, {}, "cpu", 1.0, clean=clean))
    noisy = add_noise(clean, Noise("ldct", 0.25), image_id="ct/p")
    expected = score(MODEL.reference(clean), noisy)
    assert result["status"] == "ok"
    assert result["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)
    assert result["ssim"] == pytest.approx(expected["ssim"], abs=1e-9)
    assert result["psnr"] > psnr(clean, noisy) + 1.0  # the reconstruction's blur is not scored


def test_noise_std_estimated_from_the_image_at_the_told_dose():
    clean = _phantom()
    reference = MODEL.reference(clean)
    from benchmark.core.noise.ldct_estimate import _body

    for dose in (0.5, 0.0625):
        noisy = add_noise(clean, Noise("ldct", dose), image_id="ct/std")
        body = _body(noisy.astype(np.float64))
        true = np.sqrt(np.mean((noisy - reference)[body] ** 2))
        assert abs(noise_std(noisy, dose) / true - 1) < 0.1


@pytest.mark.slow
@pytest.mark.parametrize("dose", ldct.LEVELS)
def test_dose_estimated_within_10_percent(dose):
    clean = _phantom(2000, 256)  # the card's size: the estimate is worse on coarser pixels
    noisy = add_noise(clean, Noise("ldct", dose), image_id="ct-phantom/p02000")
    assert abs(estimate_dose(noisy) / dose - 1) < 0.10


def test_fair_methods_gain_over_the_noisy_slice():
    from benchmark.core.registry import get_method

    clean = _phantom()
    noise = Noise("ldct", 0.125)
    noisy = add_noise(clean, noise, image_id="ct/fair")[None]
    reference = MODEL.reference(clean)
    before = psnr(reference, noisy[0])
    for name, gain in (("tv.ldct-est", 3.0), ("nlm.ldct-est", 3.0)):
        assert psnr(reference, get_method(name)(noisy, noise)[0]) > before + gain, name


@pytest.mark.slow
def test_bm3d_given_the_noise_spectrum_beats_white_bm3d():
    from benchmark.core.registry import get_method

    clean = _phantom()
    noise = Noise("ldct", 0.125)
    noisy = add_noise(clean, noise, image_id="ct/psd")[None]
    reference = MODEL.reference(clean)
    white = psnr(reference, get_method("bm3d.ldct-est")(noisy, noise)[0])
    coloured = psnr(reference, get_method("bm3d.ldct-psd")(noisy, noise)[0])
    assert coloured > white
    assert coloured > psnr(reference, noisy[0]) + 3.0


def test_fair_candidates_of_bm3d_under_ldct_are_its_two_variants():
    from benchmark.core.registry import get_method, method_names
    from benchmark.report.fair import candidates

    assert get_method("bm3d.ldct-psd").base == "bm3d"
    chosen = candidates("bm3d", method_names(), Noise("ldct", 0.25))
    assert sorted(chosen) == ["bm3d.ldct-est", "bm3d.ldct-psd"]
    assert candidates("tv", method_names(), Noise("ldct", 0.25)) == ["tv.ldct-est"]
    assert "bm3d.ldct-psd" not in candidates("bm3d", method_names(), Noise("gaussian", 0.1))


def test_dose_levels_are_accepted_and_a_dose_above_full_is_refused():
    assert Noise("ldct", 0.0625).sigma == 0.0625
    assert Noise("ldct", 1).sigma == 1.0
    with pytest.raises(BenchError, match="above the full dose") as info:
        Noise("ldct", 2)
    assert "\n" not in str(info.value)


def test_ldct_is_drawn_on_images_and_has_report_defaults():
    assert MODEL.data == ("image",)
    assert MODEL.report_level in ldct.LEVELS
    assert MODEL.default_dataset == "ct-phantom"


def test_phantom_card_splits_are_disjoint_and_drawn_deterministically():
    from benchmark.data.cards import image_ids, load_card

    card = load_card("ct-phantom")
    ids = {split: set(image_ids(card, split)) for split in ("train", "validation", "test")}
    assert len(ids["train"]) >= 200 and len(ids["test"]) == 20
    assert not ids["train"] & ids["test"] and not ids["train"] & ids["validation"]
    assert not ids["validation"] & ids["test"]
    np.testing.assert_array_equal(draw(7, 64), draw(7, 64))
    assert not np.array_equal(draw(7, 64), draw(8, 64))
    widths = [(draw(k, 64)[32] > -500).mean() for k in range(40)]  # of the 400 mm field
    heads = sum(width < 0.45 for width in widths)  # a head is under 170 mm wide, an abdomen
    assert 0 < heads < 20 and all(width < 0.45 or width > 0.65 for width in widths)  # over 280


def test_phantom_has_the_documented_tissues():
    hu = draw(2000, 256)  # an abdomen
    assert hu.min() == -1000 and 700 <= hu.max() <= 1000
    for low, high in ((-115, -85), (25, 55), (50, 75)):  # fat, soft tissue, liver
        assert ((hu > low) & (hu < high)).mean() > 0.01, (low, high)


def test_real_ct_is_windowed_from_hounsfield_units_to_the_model_interval():
    """pydicom's CT_small.dcm (a test fixture): --data FILE --window ldct gives the HU mapped
    to [0, 1] by -1000..1000 HU, the interval the model reads back."""
    import pydicom
    from pydicom.data import get_testdata_file

    from benchmark.data.cards import load_images
    from benchmark.data.loaders.detect import path_card

    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    loaded = load_images(path_card(path, window="ldct"), "all").images[0]
    np.testing.assert_allclose(loaded, np.clip((hu + 1000) / 2000, 0, 1), atol=1e-6)
    inside = (hu > -1000) & (hu < 1000)
    back = ldct.HU_LOW + loaded * (ldct.HU_HIGH - ldct.HU_LOW)
    np.testing.assert_allclose(back[inside], hu[inside], atol=1e-3)


def test_cli_refuses_a_dose_above_full_in_one_line(tmp_path):
    result = _bench(tmp_path, "run", "--noise", "ldct", "--sigma", "2", "--dataset", "ct-phantom",
                    "--limit", "1", "--methods", "tv", "--store", str(tmp_path / "s.sqlite"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "full dose" in result.stderr


@pytest.mark.slow
def test_cli_runs_ldct_cells_end_to_end(tmp_path):
    store = tmp_path / "store.sqlite"
    result = _bench(tmp_path, "run", "--noise", "ldct", "--sigma", "0.25", "--dataset",
                    "ct-phantom", "--limit", "2", "--methods", "bm3d.ldct-psd", "tv",
                    "--store", str(store), "--quiet")
    assert result.returncode == 0, result.stderr
    from benchmark.engine.store import Store

    with Store(store) as opened:
        cells = opened.frame()
    cells = cells[cells["noise"] == "ldct"]
    assert set(cells["method"]) == {"noisy", "bm3d.ldct-psd", "tv"}
    assert (cells["status"] == "ok").all() and len(cells) == 6
    means = cells.groupby("method")["psnr"].mean()
    assert means["bm3d.ldct-psd"] > means["noisy"] + 3.0


def _bench(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True,
                          text=True, timeout=600, env=env, cwd=cwd)
