"""Each registered method's time to denoise one 256 x 256 image (pytest-benchmark).

Not part of the default test run (``testpaths`` is ``tests`` and ``--benchmark-skip`` is in
``addopts``); docs/speed.md says how to run, store and compare runs. The image is the middle
MNI152 test slice with Gaussian noise sigma 0.1, drawn as the store's cell would draw it.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.data.cards import load_dataset
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, method_names

NOISE = Noise("gaussian", 0.1)


@pytest.fixture(scope="module")
def noisy_stack() -> np.ndarray:
    images = load_dataset("mni152", "test")
    image_id = images.ids[len(images.ids) // 2]
    noisy = add_noise(images.image(image_id), NOISE, image_id=image_id)
    assert noisy.shape == (256, 256)
    return noisy[None]


@pytest.mark.parametrize("name", method_names())
def test_denoise_one_256_image(benchmark, name, noisy_stack):
    method = get_method(name)
    try:
        method(noisy_stack, NOISE)  # warm-up; also loads a deep model's weights once
    except Exception as error:  # e.g. a deep model whose checkpoint is not present
        pytest.skip(f"{name} cannot run here: {type(error).__name__}: {error}")
    # Slow methods get few rounds so that the suite stays a few minutes long.
    rounds = max(3, min(30, int(60 / method.cost)))
    out = benchmark.pedantic(method, args=(noisy_stack, NOISE), rounds=rounds, iterations=1)
    benchmark.extra_info.update(method=name, cost=method.cost, pixels=int(noisy_stack.size))
    assert out.shape == noisy_stack.shape
