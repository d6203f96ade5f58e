"""Noise draws follow their distributions and are fixed by the cell's identity."""

import numpy as np
import pytest
from scipy import stats

from benchmark.core.contract import Noise
from benchmark.core.noise import add_noise

N = 200_000


def _flat(value):
    return np.full(N, value, np.float32)


@pytest.mark.parametrize("level", [0.0, 0.3, 0.8])
def test_gaussian_moments(level):
    sigma = 0.1
    y = add_noise(_flat(level), Noise("gaussian", sigma), image_id="moments").astype(np.float64)
    standard_error = sigma / np.sqrt(N)
    assert abs(y.mean() - level) < 5 * standard_error
    assert abs(y.var() / sigma**2 - 1) < 5 * np.sqrt(2 / N)
    assert stats.kstest((y - level) / sigma, "norm").pvalue > 1e-4


@pytest.mark.parametrize("level", [0.0, 0.05, 0.11, 0.5])
def test_rician_moments_match_the_rice_distribution(level):
    sigma = 0.11
    y = add_noise(_flat(level), Noise("rician", sigma), image_id="moments").astype(np.float64)
    rice = stats.rice(level / sigma, scale=sigma)
    assert abs(y.mean() - rice.mean()) < 5 * rice.std() / np.sqrt(N)
    # The second moment of a Rician variable is level^2 + 2 sigma^2, whatever the level.
    assert abs(np.mean(y**2) / (level**2 + 2 * sigma**2) - 1) < 0.01
    assert stats.kstest(y, rice.cdf).pvalue > 1e-4
    assert (y >= 0).all()


def test_background_of_rician_noise_has_rayleigh_mean():
    sigma = 0.11
    y = add_noise(_flat(0.0), Noise("rician", sigma), image_id="air")
    assert y.mean() == pytest.approx(sigma * np.sqrt(np.pi / 2), rel=0.01)


def test_same_cell_same_bits_and_different_cells_differ():
    x = np.linspace(0, 1, 4096, dtype=np.float32).reshape(64, 64)
    noise = Noise("gaussian", 0.1)
    a = add_noise(x, noise, image_id="img-1", seed=0)
    np.testing.assert_array_equal(a, add_noise(x, noise, image_id="img-1", seed=0))
    for other in (add_noise(x, noise, image_id="img-2", seed=0),
                  add_noise(x, noise, image_id="img-1", seed=1),
                  add_noise(x, Noise("gaussian", 0.11), image_id="img-1", seed=0)):
        assert not np.array_equal(a, other)
    assert a.dtype == np.float32 and a.shape == x.shape


def test_no_clipping_by_default_and_clipping_on_request():
    x = np.full((64, 64), 0.02, np.float32)
    noise = Noise("gaussian", 0.1)
    raw = add_noise(x, noise, image_id="clip")
    assert raw.min() < 0
    clipped = add_noise(x, noise, image_id="clip", clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1
    np.testing.assert_array_equal(clipped, np.clip(raw, 0, 1))
