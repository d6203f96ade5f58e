"""Claims about DRUNet: the paper's layout and size, bias-free scale equivariance, the level map
reaching the network in training and inference, and the train -> checkpoint -> serve path."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.cli import main  # noqa: E402
from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from benchmark.core.registry import get_method  # noqa: E402
from methods.deep.checkpoints import load_checkpoint, save_checkpoint  # noqa: E402
from methods.deep.drunet import SETTINGS, DRUNet, parameter_count  # noqa: E402
from methods.deep.nets import build  # noqa: E402

LEVELS = torch.tensor([0.05, 0.1])


def net(seed: int = 0, **config) -> DRUNet:
    torch.manual_seed(seed)
    return DRUNet(**{"width": 4, "blocks": 1, **config}).eval()


def test_paper_setting_has_the_papers_parameter_count():
    """32.6 M in the paper; built on the meta device (no memory), counted from the layout."""
    with torch.device("meta"):
        paper = DRUNet(**SETTINGS["paper"])
    count = sum(p.numel() for p in paper.parameters())
    assert count == parameter_count(**SETTINGS["paper"])
    assert count == pytest.approx(32.6e6, rel=0.002)
    assert sum(p.numel() for p in DRUNet().parameters()) == parameter_count(**SETTINGS["small"])


def test_registered_default_is_the_small_setting_and_no_layer_has_a_bias():
    model = build("drunet")
    assert model.head.in_channels == 2  # image + level map
    assert sum(p.numel() for p in model.parameters()) == parameter_count(**SETTINGS["small"])
    assert all(p.ndim == 4 for p in model.parameters()), "a bias or a normalisation crept in"


@pytest.mark.parametrize("a", [0.3, 2.5])
def test_bias_free_output_scales_with_image_and_level(a):
    """f(a x, a sigma) = a f(x, sigma) for a > 0: no bias, ReLU, linear padding and resampling."""
    model = net()
    x = torch.rand(2, 1, 20, 28)
    with torch.no_grad():
        scaled, plain = model(a * x, a * LEVELS), model(x, LEVELS)
    assert plain.abs().max() > 1e-3  # not trivially zero
    torch.testing.assert_close(scaled, a * plain, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("size", [(5, 9), (13, 21), (33, 8), (64, 64)])
def test_output_keeps_any_input_size(size):
    with torch.no_grad():
        assert net()(torch.rand(2, 1, *size), LEVELS).shape == (2, 1, *size)


def test_level_map_reaches_the_network_per_image():
    model = net()
    x = torch.rand(1, 1, 24, 24).repeat(2, 1, 1, 1)
    with torch.no_grad():
        out = model(x, LEVELS)  # the same image at two levels
        assert (out[0] - out[1]).abs().max() > 1e-4
        torch.testing.assert_close(out[1:], model(x[1:], LEVELS[1:]))  # each image its own map


def test_checkpoint_round_trip_rebuilds_the_same_network(tmp_path):
    model = net(width=3, blocks=2)
    path = tmp_path / "d.safetensors"
    save_checkpoint(path, model.state_dict(), {"architecture": "drunet",
                                               "arch_config": {"width": 3, "blocks": 2}})
    tensors, meta = load_checkpoint(path)
    again = build("drunet", json.loads(meta["arch_config"]), defaults=False).eval()
    again.load_state_dict(tensors, strict=True)
    halved = net(width=3, blocks=2)
    halved.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    x = torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(again(x, LEVELS[:1]), halved(x, LEVELS[:1]))


def test_registered_as_a_sigma_reading_method_of_gaussian_and_rician_noise():
    method = get_method("drunet")
    assert method.uses_sigma and method.batched and method.base is None
    assert method.noise_kinds == ("gaussian", "rician")


def test_the_shipped_checkpoint_is_a_default_row_trained_on_the_corpus():
    from methods.deep.checkpoints import find_checkpoint, read_metadata

    assert not get_method("drunet").opt_in  # a row of Tables 1-2 and of bench check
    for noise in (Noise("gaussian", 0.1), Noise("rician", 0.11), Noise("gaussian", 0.25)):
        meta = read_metadata(find_checkpoint("drunet", noise))
        assert meta["dataset"] == "train-corpus" and json.loads(meta["arch_config"]) == {
            "width": 32, "blocks": 2}


def test_missing_checkpoint_names_the_train_command(tmp_path, monkeypatch):
    import methods.deep.checkpoints as checkpoints

    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(BenchError, match="'bench train drunet --noise rician --sigma 0.07'"):
        get_method("drunet")(np.full((1, 16, 16), 0.5, np.float32), Noise("rician", 0.07))


def test_cli_refuses_a_noise_kind_without_a_level_map(capsys, tmp_path):
    out = tmp_path / "never.safetensors"
    assert main(["train", "drunet", "--noise", "poisson", "--sigma", "10:100",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "gaussian and rician noise only, not poisson" in err and len(err.splitlines()) == 1
    assert not out.exists()


@pytest.mark.slow
def test_training_steps_pass_each_crops_sigma_and_the_checkpoint_serves(tmp_path, monkeypatch):
    """Two steps on tiny crops: the network gets the sigma each crop was drawn with; the
    checkpoint holds the options and serves the registered method, whose output follows the
    cell's sigma."""
    import methods.deep.training.training as training
    from methods.deep.training.training import TrainConfig, train

    seen = []
    real = training.forward

    def spy(model, x, level=None):
        if model.training:
            seen.append(np.asarray(level.cpu()).copy())
        return real(model, x, level)

    monkeypatch.setattr(training, "forward", spy)
    drawn = []
    real_batch = training._noisy_batch

    def record(clean, config, epoch, step, rng, levels=None):
        out = real_batch(clean, config, epoch, step, rng, levels)
        drawn.append((clean, out, levels.copy()))
        return out

    monkeypatch.setattr(training, "_noisy_batch", record)
    out = tmp_path / "drunet.safetensors"
    config = TrainConfig(architecture="drunet", noises=[("gaussian", 0.05, 0.15)], epochs=1,
                         crop=32, batch=3, steps=2, val_limit=1,
                         arch_config={"width": 4, "blocks": 1}, out=str(out),
                         run_dir=str(tmp_path / "run"), command="bench train drunet")
    train(config, progress=False, log=lambda _: None)

    assert len(seen) == 2 and all(s.shape == (3,) for s in seen)
    for levels, (clean, noisy, drew) in zip(seen, drawn):
        np.testing.assert_array_equal(levels, drew)
        assert ((levels >= 0.05) & (levels <= 0.15)).all() and len(set(levels)) == 3
        spread = (noisy - clean).reshape(3, -1).std(axis=1)  # each crop's noise has its sigma
        np.testing.assert_allclose(spread, levels, rtol=0.15)
    tensors, meta = load_checkpoint(out)
    assert meta["architecture"] == "drunet"
    assert json.loads(meta["arch_config"]) == {"width": 4, "blocks": 1}

    stack = np.random.default_rng(0).random((2, 24, 24)).astype(np.float32)
    drunet = get_method("drunet")
    low = drunet(stack, Noise("gaussian", 0.05), params={"checkpoint": str(out)})
    high = drunet(stack, Noise("gaussian", 0.15), params={"checkpoint": str(out)})
    assert low.shape == stack.shape and np.abs(low - high).max() > 1e-5
