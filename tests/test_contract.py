"""Every registered denoiser honours the contract (the matrix grows with the registry)."""

import numpy as np
import pytest

from benchmark.core.contract import Noise, as_image_stack
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, method_names

NOISE = Noise("gaussian", 0.1)


@pytest.fixture(scope="module")
def noisy_pair(small_image):
    stack = np.stack([small_image, small_image[::-1]])
    noisy = np.stack([add_noise(img, NOISE, image_id=f"contract/{i}")
                      for i, img in enumerate(stack)])
    return stack, noisy


@pytest.mark.parametrize("name", method_names())
def test_contract(name, noisy_pair):
    clean, noisy = noisy_pair
    before = noisy.copy()
    method = get_method(name)

    out = method(noisy, NOISE)
    again = method(noisy, NOISE)

    assert out.shape == noisy.shape and out.dtype == np.float32
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(noisy, before, err_msg="input was modified")
    np.testing.assert_array_equal(out, again, err_msg="not deterministic")
    for k in range(len(clean)):
        gain = psnr(clean[k], out[k]) - psnr(clean[k], noisy[k])
        assert gain > 3.0, f"{name}: PSNR gain {gain:.2f} dB at sigma 0.1"


@pytest.mark.parametrize("name", method_names())
def test_declares_what_the_runner_needs(name):
    method = get_method(name)
    assert set(method.devices) <= {"cpu", "cuda"} and "cpu" in method.devices
    assert method.summary
    assert method.cost > 0


@pytest.mark.parametrize("bad, reason", [
    (np.zeros((8, 8)), "shape"),
    (np.zeros((1, 8, 8, 3)), "shape"),
    (np.zeros((0, 8, 8)), "shape"),
    (np.full((1, 8, 8), np.nan), "NaN"),
    (np.zeros((1, 8, 8), complex), "dtype"),
])
def test_shape_rule_rejects_bad_stacks(bad, reason):
    with pytest.raises(BenchError, match=reason):
        as_image_stack(bad)


@pytest.mark.parametrize("kind, sigma, message", [
    ("poisson", 0.1, "unknown noise kind 'poisson'"),
    ("gaussian", 0, "must be a finite number > 0"),
    ("gaussian", -0.1, "must be a finite number > 0"),
    ("gaussian", float("nan"), "must be a finite number > 0"),
    ("gaussian", "abc", "is not a number"),
])
def test_noise_description_is_validated(kind, sigma, message):
    with pytest.raises(BenchError, match=message):
        Noise(kind, sigma)


def test_sigma_is_canonical():
    assert Noise("gaussian", 0.1000000001) == Noise("gaussian", "0.1")
