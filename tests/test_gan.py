"""Claims about the conditional GAN: patch discriminator, adversarial steps, resume, checkpoint."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.cli import main  # noqa: E402
from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from benchmark.core.registry import get_method  # noqa: E402
from methods.deep.checkpoints import load_checkpoint  # noqa: E402
from methods.deep.gan import PatchDiscriminator, UNetGenerator, receptive_field  # noqa: E402
from methods.deep.training.adversarial import DEFAULTS, Adversarial  # noqa: E402
from methods.deep.training.losses import TrainingLoss  # noqa: E402
from methods.deep.training.training import TrainConfig, train  # noqa: E402

QUIET = {"progress": False, "log": lambda _: None}
TINY_GENERATOR = {"width": 4, "depth": 3, "norm": "none"}


@pytest.fixture(autouse=True)
def load_each_split_once(cached_splits):
    """Reading the MNI152 volume is the slow part of a tiny run: do it once per split."""


def tiny(tmp_path, name, epochs, **adversarial):
    return TrainConfig(architecture="gan", noises=[("gaussian", 0.1, 0.1)], epochs=epochs,
                       crop=32, batch=2, steps=2, val_limit=1, lr=2e-4, weight_decay=0.0,
                       ssim_weight=0.0, arch_config=dict(TINY_GENERATOR),
                       adversarial={**DEFAULTS, "disc_width": 4, **adversarial},
                       out=str(tmp_path / f"{name}.safetensors"), run_dir=str(tmp_path / name),
                       command="bench train gan --noise gaussian --sigma 0.1")


def test_discriminator_answers_one_logit_per_70px_patch():
    disc = PatchDiscriminator(width=4).eval()  # eval: batch norm no longer couples pixels
    noisy = torch.rand(1, 1, 128, 128)
    candidate = torch.rand(1, 1, 128, 128, requires_grad=True)
    logits = disc(noisy, candidate)
    assert logits.shape == (1, 1, 128 // 8 - 2, 128 // 8 - 2)
    logits[0, 0, 7, 7].backward()
    rows, cols = np.nonzero(candidate.grad[0, 0].numpy())
    assert rows.max() - rows.min() + 1 == receptive_field(3) == 70
    assert cols.max() - cols.min() + 1 == 70


def test_generator_keeps_the_shape_and_denoises_each_image_alone():
    torch.manual_seed(0)
    net = UNetGenerator(**TINY_GENERATOR).eval()
    stack = torch.rand(3, 1, 37, 50)
    with torch.no_grad():
        together, alone = net(stack), net(stack[1:2])
    assert together.shape == stack.shape
    assert 0 < together.min() and together.max() < 1
    torch.testing.assert_close(together[1:2], alone)  # no batch coupling


def test_one_step_of_each_network_lowers_its_own_loss_on_the_batch():
    torch.manual_seed(0)
    config = TrainConfig(architecture="gan", noises=[("gaussian", 0.1, 0.1)], lr=1e-3,
                         weight_decay=0.0, adversarial={**DEFAULTS, "disc_width": 4})
    model = UNetGenerator(**TINY_GENERATOR)
    objective = Adversarial(model, TrainingLoss("l1", ssim_weight=0.0), config)
    clean = torch.rand(4, 1, 32, 32)
    noisy = clean + 0.1 * torch.randn_like(clean)
    fake = model(noisy).detach()

    before, _, _ = objective.discriminator_loss(noisy, clean, fake)
    objective.update_discriminator(noisy, clean, fake)
    after, _, _ = objective.discriminator_loss(noisy, clean, fake)
    assert after.item() < before.item()

    def generator_objective():
        adversarial, pixel = objective.generator_loss(noisy, clean, model(noisy))
        return (adversarial + objective.l1_weight * pixel).item()

    first = generator_objective()
    disc = {k: v.clone() for k, v in objective.disc.named_parameters()}
    objective.update_generator(noisy, clean)
    assert generator_objective() < first
    changed = [k for k, v in objective.disc.named_parameters() if not torch.equal(v, disc[k])]
    assert not changed, f"G's step changed D's {changed[:3]}"


@pytest.mark.slow
def test_resumed_gan_run_equals_uninterrupted_run(tmp_path):
    train(tiny(tmp_path, "whole", 2), **QUIET)

    def interrupt(line):
        raise KeyboardInterrupt  # Ctrl-C right after epoch 1 was saved

    with pytest.raises(KeyboardInterrupt):
        train(tiny(tmp_path, "split", 2), progress=False, log=interrupt)
    train(tiny(tmp_path, "split", 2), **QUIET)
    from safetensors.torch import load_file

    whole = load_file(str(tmp_path / "whole" / "last.safetensors"))
    split = load_file(str(tmp_path / "split" / "last.safetensors"))
    assert any(k.startswith("disc.") for k in whole) and any(k.startswith("disc-opt.") for k in whole)
    assert whole.keys() == split.keys()
    assert all(torch.equal(whole[k], split[k]) for k in whole)


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """A gan checkpoint of two steps (Gaussian 0.1), in a folder of its own."""
    config = tiny(tmp_path, "gan", 1)
    config.out = str(tmp_path / "checkpoints" / "gan.safetensors")
    train(config, **QUIET)
    return tmp_path / "checkpoints"


def test_checkpoint_holds_the_generator_alone_and_loads_without_unpickling(tiny_checkpoint,
                                                                          monkeypatch):
    from methods.deep import inference

    tensors, meta = load_checkpoint(tiny_checkpoint / "gan.safetensors")
    assert set(tensors) == set(UNetGenerator(**TINY_GENERATOR).state_dict())
    assert meta["architecture"] == "gan" and '"disc_width": 4' in meta["config"]

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling attempted")

    for module, name in ((pickle, "load"), (pickle, "loads"), (torch, "load")):
        monkeypatch.setattr(module, name, refuse)
    model = inference.load_model("gan", Noise("gaussian", 0.1),
                                 checkpoint=str(tiny_checkpoint / "gan.safetensors"))
    assert isinstance(model, UNetGenerator) and not model.training


def test_missing_checkpoint_names_the_gan_train_command(tmp_path, monkeypatch):
    import methods.deep.checkpoints as checkpoints

    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(BenchError, match="bench train gan --noise rician --sigma 0.3"):
        get_method("gan")(np.full((1, 32, 32), 0.5, np.float32), Noise("rician", 0.3))


@pytest.mark.slow
def test_bench_run_serves_a_trained_gan_from_bench_checkpoints(tiny_checkpoint, tmp_path):
    """End to end: the subprocess finds the checkpoint through $BENCH_CHECKPOINTS."""
    command = [sys.executable, "-m", "benchmark.cli", "run", "--methods", "gan", "--noise",
               "gaussian", "--sigma", "0.1", "--limit", "1", "--jobs", "1", "--quiet",
               "--store", str(tmp_path / "store.sqlite")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BENCH_CHECKPOINTS": str(tiny_checkpoint)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout
    assert any(line.split()[:1] == ["gan"] for line in done.stdout.splitlines())  # its row


def test_adversarial_options_apply_to_gan_only(capsys, tmp_path):
    out = tmp_path / "never.safetensors"
    assert main(["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", "--gan-loss", "lsgan",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "apply to gan only" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "gan", "--noise", "gaussian", "--sigma", "0.1", "--l1-weight", "-1",
                 "--out", str(out)]) == 2
    assert "--l1-weight" in capsys.readouterr().err
    assert not out.exists()


def test_gan_trains_with_pix2pix_settings_by_default():
    from benchmark.workflows._train import Budget, _training_settings

    settings = _training_settings("gan", "quick", Budget().overrides(), None, {"loss": "lsgan"})
    assert settings["lr"] == 2e-4 and settings["ssim_weight"] == 0.0
    assert settings["adversarial"] == {**DEFAULTS, "loss": "lsgan"}
    assert DEFAULTS["l1_weight"] == 100.0 and DEFAULTS["betas"] == [0.5, 0.999]
    assert "adversarial" not in _training_settings("cdae", "quick", Budget().overrides(), None, None)


def test_the_l1_only_control_trains_the_same_generator_without_a_discriminator():
    config = TrainConfig(architecture="gan", noises=[("gaussian", 0.1, 0.1)], lr=1e-3,
                         weight_decay=0.0, adversarial={**DEFAULTS, "loss": "none"})
    model = UNetGenerator(**TINY_GENERATOR)
    objective = Adversarial(model, TrainingLoss("l1", ssim_weight=0.0), config)
    assert list(objective.parts()) == [("model", "opt")]
    clean = torch.rand(2, 1, 32, 32)
    first = objective.step(clean + 0.1, clean)
    assert list(first) == ["loss"] and objective.step(clean + 0.1, clean)["loss"] < first["loss"]
