"""Claims about training on a kind drawn on whole images (``NoiseModel.whole_image``): the noise
sees the whole image, noisy and target crops share their window, targets and validation are the
kind's reference, not the clean image."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from benchmark.core.noise import NoiseModel, get_noise_model, register_noise, unregister_noise  # noqa: E402,E501
from benchmark.data.cards import ImageSet  # noqa: E402
from methods.deep.training import whole_image  # noqa: E402
from methods.deep.training.training import TrainConfig, _validate, _validation_set  # noqa: E402

KIND = "test-whole"
SIGMA = 1e-3


class _Mirrored(NoiseModel):
    """Reference: the image's negative upside down (a crop's depends on the whole image); noise: a
    Gaussian of std ``sigma`` added to the reference. Records the shapes it is drawn on."""

    kind = KIND
    whole_image = True
    shapes: list = []

    def sample(self, clean, sigma, rng):
        self.shapes.append(clean.shape)
        return self.reference(clean) + sigma * rng.standard_normal(clean.shape)

    def reference(self, clean):
        return np.ascontiguousarray(1.0 - np.asarray(clean)[::-1])


@pytest.fixture
def mirrored():
    register_noise(_Mirrored)
    _Mirrored.shapes.clear()
    yield get_noise_model(KIND)
    unregister_noise(KIND)


def _images(n=2, size=24):
    rng = np.random.default_rng(5)
    return [rng.random((size, size)).astype(np.float32) for _ in range(n)]


def _windows(image, crop):
    """Every crop x crop window of ``image`` under every flip and quarter turn."""
    h, w = image.shape
    for top in range(h - crop + 1):
        for left in range(w - crop + 1):
            patch = image[top:top + crop, left:left + crop]
            for flipped in (patch, patch[:, ::-1]):
                for turns in range(4):
                    yield np.rot90(flipped, turns)


def test_only_kinds_marked_whole_image_need_it(mirrored):
    assert whole_image.needed([(KIND, SIGMA, SIGMA)])
    assert whole_image.needed([("gaussian", 0.1, 0.1), (KIND, SIGMA, SIGMA)])
    assert not whole_image.needed([("gaussian", 0.1, 0.1), ("poisson", 10, 100)])


def test_pool_draws_noise_on_whole_images_and_crops_pairs_at_one_window(mirrored):
    images = _images()
    pool = whole_image.draw_pool(images, [(KIND, SIGMA, SIGMA)], np.random.default_rng(0),
                                 size=3, epoch=1, seed=0)
    assert _Mirrored.shapes == [(24, 24)] * 3  # whole images, never crops
    noisy, target, levels = pool.batch(np.random.default_rng(1), batch=6, crop=8, augment=True)
    assert noisy.shape == target.shape == (6, 8, 8) and np.allclose(levels, SIGMA)
    assert np.abs(noisy - target).max() < 10 * SIGMA  # same window, same flip and turns
    references = [mirrored.reference(x) for x in images]
    for crop in target:  # each target is a window of a reference, not of a clean image
        assert any(np.array_equal(crop, w) for r in references for w in _windows(r, 8))
        assert not any(np.array_equal(crop, w) for x in images for w in _windows(x, 8))


def test_pool_is_seeded_by_the_epoch():
    draw = dict(size=2, seed=0)
    images, noises = _images(), [("gaussian", 0.1, 0.2)]
    a = whole_image.draw_pool(images, noises, np.random.default_rng([0, 1]), epoch=1, **draw)
    b = whole_image.draw_pool(images, noises, np.random.default_rng([0, 1]), epoch=1, **draw)
    c = whole_image.draw_pool(images, noises, np.random.default_rng([0, 2]), epoch=2, **draw)
    assert all(np.array_equal(x, y) for x, y in zip(a.noisy, b.noisy))
    assert not np.array_equal(a.noisy[0], c.noisy[0])


def test_a_corpus_is_refused_for_whole_image_kinds(mirrored):
    with pytest.raises(BenchError, match="whole images"):
        whole_image.draw_pool(None, [(KIND, SIGMA, SIGMA)], np.random.default_rng(0),
                              size=1, epoch=1, seed=0)


def test_validation_scores_against_the_reference(mirrored):
    images = _images(3)
    clean = ImageSet("toy", "validation", ("a", "b", "c"), tuple(images), "none")
    config = TrainConfig(architecture="cdae", noises=[(KIND, SIGMA, SIGMA)], val_limit=None)
    clean, val_sets = _validation_set(clean, config)
    assert val_sets[0][0] == Noise(KIND, SIGMA)
    loss, _, val_psnr = _validate(torch.nn.Identity(), lambda a, b: (a - b).abs().mean(),
                                  val_sets, clean, "cpu")
    # the identity's output is the reference plus noise of std 1e-3: about 60 dB against the
    # reference, a few dB against the clean image
    assert val_psnr > 50 and loss < 5 * SIGMA
