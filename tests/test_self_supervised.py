"""Claims about self-supervised training (Neighbor2Neighbor): the sub-sampler, the loss, and a
run that never sees a clean training pixel."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.cli import main  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from benchmark.data.cards import ImageSet, load_images  # noqa: E402
from methods.deep.checkpoints import load_checkpoint  # noqa: E402
from methods.deep.training import self_supervised as selfsup  # noqa: E402
from methods.deep.training.training import TrainConfig, train  # noqa: E402

_SPLITS: dict = {}
QUIET = {"progress": False, "log": lambda _: None}


@pytest.fixture(autouse=True)
def load_each_split_once(monkeypatch):
    """Read the MNI152 volume once per split; hand out copies (a test poisons its copy)."""
    import methods.deep.training.training as training

    def cached(card, split):
        key = (card.name, split)
        if key not in _SPLITS:
            _SPLITS[key] = load_images(card, split)
        s = _SPLITS[key]
        return ImageSet(s.dataset, s.split, s.ids, tuple(x.copy() for x in s.images),
                        s.normalisation)

    monkeypatch.setattr(training, "load_images", cached)


def tiny(tmp_path, name, epochs=1, **changes):
    config = TrainConfig(architecture="cdae", noises=[("gaussian", 0.1, 0.1)], epochs=epochs,
                         crop=32, batch=2, steps=2, val_limit=2, arch_config={"width": 4},
                         self_supervised="neighbor2neighbor",
                         out=str(tmp_path / f"{name}.safetensors"), run_dir=str(tmp_path / name))
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_subsampler_takes_two_different_neighbours_of_each_cell():
    n, h, w = 3, 10, 14
    image = torch.arange(n * h * w, dtype=torch.float32).reshape(n, 1, h, w)  # pixel = its index
    sampler = selfsup.draw_subsampler(image.shape, np.random.default_rng(1))
    first, second = sampler(image)
    assert first.shape == second.shape == (n, 1, h // 2, w // 2)
    position_a, position_b = first.long() % (h * w), second.long() % (h * w)
    rows_a, cols_a = position_a // w, position_a % w
    rows_b, cols_b = position_b // w, position_b % w
    cell_rows = torch.arange(h // 2)[:, None].expand(h // 2, w // 2)
    cell_cols = torch.arange(w // 2)[None, :].expand(h // 2, w // 2)
    for rows, cols in ((rows_a, cols_a), (rows_b, cols_b)):  # both inside their own cell
        assert torch.equal(rows // 2, cell_rows.expand_as(rows))
        assert torch.equal(cols // 2, cell_cols.expand_as(cols))
    # different pixels, horizontal or vertical neighbours (never diagonal), of the same image
    assert torch.all((rows_a - rows_b).abs() + (cols_a - cols_b).abs() == 1)
    images = torch.arange(n)[:, None, None, None].expand_as(first)
    assert torch.equal(first.long() // (h * w), images)
    pairs = {(int(p), int(q)) for p, q in zip(sampler.first.ravel(), sampler.second.ravel())}
    assert pairs == {tuple(p) for p in selfsup.NEIGHBOUR_PAIRS}  # all 8 ordered pairs occur
    again = selfsup.draw_subsampler(image.shape, np.random.default_rng(1))
    assert np.array_equal(again.first, sampler.first)


def test_odd_sizes_drop_the_last_row_and_column():
    image = torch.rand(1, 2, 7, 9)
    first, second = selfsup.draw_subsampler(image.shape, np.random.default_rng(0))(image)
    assert first.shape == second.shape == (1, 2, 3, 4)


def test_regulariser_vanishes_for_the_identity_and_reconstruction_is_twice_the_variance():
    sigma = 0.1
    rng = np.random.default_rng(0)
    noisy = torch.from_numpy(0.5 + sigma * rng.standard_normal((4, 1, 128, 128))).float()
    sampler = selfsup.draw_subsampler(noisy.shape, rng)
    reconstruction, regulariser = selfsup.neighbor2neighbor_terms(lambda x: x, noisy, sampler)
    assert float(regulariser) == pytest.approx(0, abs=1e-12)
    # g1(y) - g2(y) on a flat image is the difference of two independent noise pixels: 2 sigma²
    # (standard error of the mean of 32768 squares of N(0, 2 sigma²): 2 sigma² sqrt(2 / 32768))
    assert float(reconstruction) == pytest.approx(2 * sigma ** 2, rel=4 * math.sqrt(2 / 32768))


def test_full_image_pass_carries_no_gradient():
    """f(y) enters the regulariser as a constant: for f(x) = a x the gradient is analytic."""
    rng = np.random.default_rng(2)
    noisy = torch.rand(2, 1, 16, 16)
    sampler = selfsup.draw_subsampler(noisy.shape, rng)
    a = torch.tensor(0.7, requires_grad=True)
    gamma = 1.5
    loss = selfsup.neighbor2neighbor_loss(lambda x: a * x, noisy, sampler, gamma)
    loss.backward()
    g1, g2 = sampler(noisy)
    difference = 0.7 * g1 - g2
    expected = 0.7 * (g1 - g2)
    analytic = (2 * difference * g1).mean() + gamma * (2 * (difference - expected) * g1).mean()
    assert float(a.grad) == pytest.approx(float(analytic), rel=1e-5)


def test_gamma_ramps_linearly_to_its_final_value():
    values = [selfsup.gamma_at(2.0, step, 10) for step in range(10)]
    assert values[-1] == 2.0 and np.allclose(np.diff(values), 0.2) and values[0] > 0


def test_a_few_steps_lower_the_loss_on_a_fixed_batch():
    from methods.deep.nets import build

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32] / 32
    clean = (0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy))[None, None].repeat(4, 0)
    noisy = torch.from_numpy(clean + 0.1 * rng.standard_normal(clean.shape)).float()
    sampler = selfsup.draw_subsampler(noisy.shape, rng)
    model = build("cdae", {"width": 8})
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    before = selfsup.neighbor2neighbor_loss(model, noisy, sampler, 2.0).item()
    for _ in range(25):
        loss = selfsup.neighbor2neighbor_loss(model, noisy, sampler, 2.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = selfsup.neighbor2neighbor_loss(model, noisy, sampler, 2.0).item()
    assert after < 0.5 * before


def image_architectures():
    from benchmark.core.registry import load_methods
    from methods.deep.nets import ARCHITECTURE_DATA, TAKES_LEVEL

    load_methods()  # a network that also takes the noise level is refused (test below)
    return sorted(name for name, data in ARCHITECTURE_DATA.items()
                  if data == "image" and name not in TAKES_LEVEL)


def test_a_network_taking_the_noise_level_is_refused_before_any_data_are_read(tmp_path):
    from benchmark.core.errors import BenchError
    from benchmark.workflows import train

    with pytest.raises(BenchError, match="takes the noise level"):
        train("drunet", noise=["gaussian"], sigma=["0.1"], self_supervised="neighbor2neighbor",
              out=tmp_path / "x.safetensors", dataset="no-such-card")


@pytest.mark.parametrize("architecture", image_architectures())
def test_every_image_architecture_trains_on_the_loss(architecture):
    from methods.deep.nets import build

    torch.manual_seed(0)
    model = build(architecture).train()
    noisy = torch.rand(2, 1, 32, 32)
    loss = selfsup.neighbor2neighbor_loss(
        model, noisy, selfsup.draw_subsampler(noisy.shape, np.random.default_rng(0)), 2.0)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert math.isfinite(loss.item()) and all(g is not None and torch.isfinite(g).all()
                                              for g in grads)
    assert any(float(g.abs().sum()) > 0 for g in grads)


def test_realisations_are_fixed_per_image_and_seeded_by_its_id():
    clean = ImageSet("demo", "train", ("a", "b"),
                     (np.full((16, 16), 0.5, np.float32), np.full((16, 16), 0.5, np.float32)),
                     "none")
    one = selfsup.noisy_realisations(clean, [("gaussian", 0.05, 0.15)], seed=0)
    two = selfsup.noisy_realisations(clean, [("gaussian", 0.05, 0.15)], seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(one.images, two.images))
    assert not np.array_equal(one.images[0], one.images[1])  # each image its own draw
    other = selfsup.noisy_realisations(clean, [("gaussian", 0.05, 0.15)], seed=1)
    assert not np.array_equal(one.images[0], other.images[0])
    assert all(np.array_equal(x, np.full((16, 16), 0.5, np.float32)) for x in clean.images)


def test_training_never_touches_a_clean_training_pixel(tmp_path, monkeypatch):
    """Right after the noisy realisations are drawn the clean training images are overwritten
    with NaN: any later read of them would make the loss NaN."""
    real = selfsup.training_images
    drawn = {}

    def draw_then_poison(train_set, config):
        noisy = real(train_set, config)
        for image in train_set.images:
            image[...] = np.nan
        drawn["noisy"] = noisy
        return noisy

    monkeypatch.setattr(selfsup, "training_images", draw_then_poison)
    summary = train(tiny(tmp_path, "poisoned", epochs=2), **QUIET)
    assert drawn and all(np.isfinite(x).all() for x in drawn["noisy"].images)  # drawn before
    assert all(math.isfinite(r[k]) for r in summary["history"]
               for k in ("train_loss", "val_loss", "val_ssim", "val_psnr"))
    # chosen as without clean images: on the self-supervised validation loss, not on SSIM
    best = min(summary["history"], key=lambda r: r["val_loss"])
    assert summary["best_epoch"] == best["epoch"]
    tensors, meta = load_checkpoint(tmp_path / "poisoned.safetensors")
    assert all(torch.isfinite(t).all() for t in tensors.values())
    import json

    recorded = json.loads(meta["self_supervised"])
    assert recorded["method"] == "neighbor2neighbor" and recorded["gamma"] == 2.0
    assert recorded["noisy_data"] is False


def test_noisy_data_is_used_as_is_and_validated_on_the_loss_alone(tmp_path, monkeypatch):
    import methods.deep.training.training as training

    def no_noise(*args, **kwargs):
        raise AssertionError("noise added to data declared noisy")

    monkeypatch.setattr(selfsup, "add_noise", no_noise)
    monkeypatch.setattr(training, "add_noise", no_noise)
    summary = train(tiny(tmp_path, "noisy", epochs=2, noisy_data=True), **QUIET)
    history = summary["history"]
    assert all(math.isnan(r["val_ssim"]) and math.isnan(r["val_psnr"]) for r in history)
    best = min(history, key=lambda r: r["val_loss"])
    assert summary["best_epoch"] == best["epoch"]
    assert summary["best_val_loss"] == best["val_loss"]
    _, meta = load_checkpoint(tmp_path / "noisy.safetensors")
    assert '"noisy_data": true' in meta["self_supervised"]


def test_resumed_self_supervised_run_equals_uninterrupted_run(tmp_path):
    from safetensors.torch import load_file

    train(tiny(tmp_path, "whole", 2), **QUIET)

    def interrupt(line):
        raise KeyboardInterrupt  # right after epoch 1 was saved

    with pytest.raises(KeyboardInterrupt):
        train(tiny(tmp_path, "split", 2), progress=False, log=interrupt)
    train(tiny(tmp_path, "split", 2), **QUIET)
    whole = load_file(str(tmp_path / "whole" / "last.safetensors"))
    split = load_file(str(tmp_path / "split" / "last.safetensors"))
    assert whole.keys() == split.keys()
    assert all(torch.equal(whole[k], split[k]) for k in whole)


def test_options_that_do_not_fit_are_refused_before_any_data(tmp_path):
    for changes, match in (({"self_supervised": None, "noisy_data": True}, "needs --self-sup"),
                           ({"loss": "mse"}, "drop --loss"),
                           ({"ssim_weight": 0.0}, "drop --ssim-weight"),
                           ({"crop": 31}, "even size"),
                           ({"n2n_gamma": -1.0}, "n2n-gamma")):
        config = tiny(tmp_path, "refused", **changes)
        with pytest.raises(BenchError, match=match):
            train(config, **QUIET)
        assert not (tmp_path / "refused").exists()


def test_cli_refuses_noisy_data_without_self_supervision_and_curve_models(capsys, tmp_path):
    out = tmp_path / "never.safetensors"
    assert main(["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", "--noisy-data",
                 "--out", str(out)]) == 2
    assert "--noisy-data needs --self-supervised" in capsys.readouterr().err
    assert main(["train", "drnn", "--noise", "relative-gaussian", "--sigma", "0.05",
                 "--self-supervised", "--out", str(out)]) == 2
    assert "--self-supervised" in capsys.readouterr().err
    assert not out.exists()
