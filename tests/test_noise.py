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


def _draw_before_the_noise_models(clean, kind, sigma, image_id, seed):
    """The sampler as it was written before noise kinds became registered models."""
    import hashlib

    identity = f"{image_id}|{kind}|{sigma!r}|{int(seed)}"
    digest = hashlib.sha256(identity.encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:16], "little"))
    x = np.asarray(clean, dtype=np.float64)
    if kind == "gaussian":
        y = x + sigma * rng.standard_normal(x.shape)
    else:
        real = x + sigma * rng.standard_normal(x.shape)
        imaginary = sigma * rng.standard_normal(x.shape)
        y = np.hypot(real, imaginary)
    return y.astype(np.float32)


@pytest.mark.parametrize("kind", ["gaussian", "rician"])
@pytest.mark.parametrize("image_id, sigma, seed", [("mni152/z040", 0.1, 0), ("a", 0.11, 3),
                                                   ("folder/x.png", 0.05, 1)])
def test_the_models_draw_the_same_bits_as_before(kind, image_id, sigma, seed):
    """Cells stored before keep their identity: same cell, same noisy image, bit for bit."""
    clean = np.linspace(0, 1, 48 * 40, dtype=np.float32).reshape(48, 40)
    new = add_noise(clean, Noise(kind, sigma), image_id=image_id, seed=seed)
    old = _draw_before_the_noise_models(clean, kind, Noise(kind, sigma).sigma, image_id, seed)
    np.testing.assert_array_equal(new, old)


def test_every_kind_documents_its_parameters_with_units_and_estimates_sigma():
    from benchmark.core.noise import get_noise_model, noise_kinds
    from benchmark.data.cards import load_dataset

    assert noise_kinds()[:2] == ("gaussian", "rician")
    image = np.zeros((128, 128), np.float32)
    image[32:96, 32:96] = 0.6
    curves = load_dataset("dce-sim", "validation").curves()
    items = {"image": (image, "[0, 1] intensity range"), "curve": (curves, "each curve's mean")}
    level = {"poisson": 30.0, "speckle": 4.0}  # photons, looks; the others' are fractions
    for kind in noise_kinds():
        model = get_noise_model(kind)
        x, unit = items[model.data[0]]
        assert unit in model.parameters["sigma"]
        noisy = add_noise(x, Noise(kind, level.get(kind, 0.1)), image_id="estimate")
        assert model.estimate_sigma(noisy) == pytest.approx(level.get(kind, 0.1), rel=0.15)


def test_unknown_kind_suggests_the_close_one():
    from benchmark.core.errors import UnknownNameError
    from benchmark.core.noise import get_noise_model

    with pytest.raises(UnknownNameError, match="Did you mean: rician"):
        get_noise_model("rican")


def test_a_kind_registered_in_one_place_is_known_everywhere():
    """A new model class is all a kind needs: Noise, add_noise, NOISE_KINDS and the methods."""
    import benchmark.core.contract as contract
    from benchmark.core.noise import NoiseModel, register_noise, unregister_noise
    from benchmark.core.registry import get_method, resolve_methods

    @register_noise
    class UniformNoise(NoiseModel):
        kind = "test-uniform"

        def sample(self, clean, sigma, rng):
            return clean + sigma * np.sqrt(3) * rng.uniform(-1, 1, clean.shape)

    try:
        assert "test-uniform" in contract.NOISE_KINDS
        y = add_noise(_flat(0.5), Noise("test-uniform", 0.1), image_id="u").astype(np.float64)
        assert abs(y.std() - 0.1) < 0.001 and np.abs(y - 0.5).max() <= 0.1 * np.sqrt(3) + 1e-6
        names = [m.name for m in resolve_methods(None, kind="test-uniform")]
        assert "tv" in names and "tv.rician-vst" not in names
        assert get_method("tv").applies_to("test-uniform")
        with pytest.raises(ValueError, match="already registered"):
            register_noise(UniformNoise)
    finally:
        unregister_noise("test-uniform")
    with pytest.raises(KeyError, match="unknown noise kind"):
        Noise("test-uniform", 0.1)


def test_the_documented_example_of_a_new_kind_runs():
    """docs/noise.md's scaled-Poisson module, as written: a kind in one module, blind mode refused."""
    import re
    import types
    from pathlib import Path

    from benchmark.core.errors import BenchError
    from benchmark.core.estimate import estimate_sigma
    from benchmark.core.noise import unregister_noise

    doc = (Path(__file__).resolve().parents[1] / "docs" / "noise.md").read_text()
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    try:
        exec(compile(code, "docs/noise.md", "exec"), vars(types.ModuleType("poisson_doc")))
        y = add_noise(_flat(0.25), Noise("poisson-gain", 0.05), image_id="p").astype(np.float64)
        assert y.mean() == pytest.approx(0.25, rel=0.01)
        assert y.std() == pytest.approx(0.05 * np.sqrt(0.25), rel=0.02)  # sigma sqrt(x)
        with pytest.raises(BenchError, match="--sigma-source oracle"):
            estimate_sigma(y, "poisson-gain")
    finally:
        unregister_noise("poisson-gain")
