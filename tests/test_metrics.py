import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from benchmark.core.contract import Noise
from benchmark.core.metrics import METRICS, psnr, score, ssim, summarise
from benchmark.core.noise import add_noise


def test_metrics_equal_direct_scikit_image_calls(small_image):
    noisy = add_noise(small_image, Noise("rician", 0.11), image_id="metrics")
    clean64, noisy64 = small_image.astype(np.float64), noisy.astype(np.float64)
    assert psnr(small_image, noisy) == peak_signal_noise_ratio(clean64, noisy64, data_range=1)
    assert ssim(small_image, noisy) == structural_similarity(
        clean64, noisy64, data_range=1, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False)
    assert score(small_image, noisy) == {"psnr": psnr(small_image, noisy),
                                         "ssim": ssim(small_image, noisy)}


def test_metrics_know_their_direction():
    assert all(metric.higher_is_better for metric in METRICS.values())
    assert METRICS["psnr"].unit == "dB"


def test_psnr_of_known_error():
    clean = np.zeros((16, 16))
    assert psnr(clean, clean + 0.1) == pytest.approx(20.0)


def test_summary_has_spread_and_n_and_ignores_failed_cells():
    summary = summarise([1.0, 2.0, 3.0, float("nan")])
    assert (summary.mean, summary.std, summary.n) == (2.0, 1.0, 3)
    assert summarise([]).n == 0
    assert summary.format(2) == "2.00 ± 1.00"


def test_an_exact_output_counts_and_is_not_a_failure():
    summary = summarise([float("inf"), 30.0, float("nan")])
    assert summary.n == 2 and summary.mean == float("inf")
