"""Claims about training: outputs and provenance, resume = uninterrupted, fail-fast options."""

import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from methods.deep.training.augment import sample_batch  # noqa: E402
from benchmark.cli import main  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from methods.deep.training.losses import TrainingLoss, ssim_torch  # noqa: E402
from benchmark.core.metrics import ssim  # noqa: E402
from methods.deep.training.training import TrainConfig, train  # noqa: E402
from methods.deep.checkpoints import load_checkpoint  # noqa: E402


@pytest.fixture(autouse=True)
def load_each_split_once(cached_splits):
    """Reading the MNI152 volume is the slow part of a tiny run: do it once per split."""


def tiny(tmp_path, name, epochs):
    return TrainConfig(architecture="cdae", noises=[("rician", 0.1, 0.12)], epochs=epochs,
                       crop=32, batch=2, steps=2, val_limit=2, arch_config={"width": 4},
                       out=str(tmp_path / f"{name}.safetensors"), run_dir=str(tmp_path / name),
                       command="bench train cdae --noise rician --sigma 0.1:0.12")


@pytest.mark.slow
def test_training_writes_checkpoint_curve_and_provenance(tmp_path):
    summary = train(tiny(tmp_path, "a", 2), progress=False, log=lambda _: None)
    tensors, meta = load_checkpoint(tmp_path / "a.safetensors")
    assert meta["architecture"] == "cdae" and meta["dataset"] == "mni152"
    assert meta["train_command"] == "bench train cdae --noise rician --sigma 0.1:0.12"
    assert len(meta["train_fingerprint"]) == 12 and meta["train_fingerprint"] != meta["validation_fingerprint"]
    assert int(meta["epoch"]) == summary["best_epoch"]
    with open(tmp_path / "a.loss.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(np.isfinite(float(r[k])) for r in rows for k in ("train_loss", "val_loss", "val_ssim"))
    assert (tmp_path / "a.loss.png").stat().st_size > 1000


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(tmp_path):
    quiet = {"progress": False, "log": lambda _: None}
    train(tiny(tmp_path, "whole", 2), **quiet)

    def interrupt(line):
        raise KeyboardInterrupt  # Ctrl-C right after epoch 1 was saved

    with pytest.raises(KeyboardInterrupt):
        train(tiny(tmp_path, "split", 2), progress=False, log=interrupt)
    train(tiny(tmp_path, "split", 2), **quiet)  # the same command again resumes
    from safetensors.torch import load_file

    whole = load_file(str(tmp_path / "whole" / "last.safetensors"))
    split = load_file(str(tmp_path / "split" / "last.safetensors"))
    assert whole.keys() == split.keys()
    assert all(torch.equal(whole[k], split[k]) for k in whole)


def test_resume_refuses_a_different_run(tmp_path):
    quiet = {"progress": False, "log": lambda _: None}
    train(tiny(tmp_path, "r", 1), **quiet)
    other = tiny(tmp_path, "r", 1)
    other.lr = 0.5
    with pytest.raises(BenchError, match="different training run"):
        train(other, **quiet)


def test_perceptual_loss_without_weights_fails_at_once(tmp_path):
    config = tiny(tmp_path, "p", 1)
    config.perceptual_weights = str(tmp_path / "vgg16.safetensors")
    with pytest.raises(BenchError, match="VGG16"):
        train(config, progress=False)
    assert not (tmp_path / "p").exists()


def test_cli_rejects_bad_sigma_range_and_unknown_encoder_spec(capsys):
    assert main(["train", "cdae", "--noise", "gaussian", "--sigma", "0.3:0.1"]) == 2
    assert "LO:HI" in capsys.readouterr().err
    assert main(["train", "cdae", "--noise", "gaussian", "rician", "--sigma", "0.1", "0.2", "0.3"]) == 2


def test_cli_residual_needs_the_input_skip(capsys, tmp_path):
    out = tmp_path / "never.safetensors"
    assert main(["train", "unet-dctda", "--noise", "gaussian", "--sigma", "0.1", "--residual",
                 "--out", str(out)]) == 2
    assert "--input-skip" in capsys.readouterr().err
    assert not out.exists()


def test_torch_ssim_matches_the_benchmark_metric():
    rng = np.random.default_rng(0)
    x = rng.random((40, 48)).astype(np.float32)
    y = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1).astype(np.float32)
    ours = float(ssim_torch(torch.from_numpy(y)[None, None], torch.from_numpy(x)[None, None]))
    assert ours == pytest.approx(ssim(x.astype(np.float64), y.astype(np.float64)), abs=1e-4)


def test_augmented_crops_stay_in_range_and_are_seeded():
    images = [np.linspace(0, 1, 50 * 60, dtype=np.float32).reshape(50, 60)]
    a = sample_batch(images, np.random.default_rng(3), batch=6, crop=32)
    b = sample_batch(images, np.random.default_rng(3), batch=6, crop=32)
    assert a.shape == (6, 32, 32) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b)
    assert not np.array_equal(a, sample_batch(images, np.random.default_rng(4), batch=6, crop=32))


def test_training_loss_decreases_as_estimate_improves():
    loss = TrainingLoss("l1")
    clean = torch.rand(1, 1, 32, 32)
    assert float(loss(clean, clean)) == pytest.approx(0, abs=1e-6)
    assert float(loss(clean + 0.05, clean)) < float(loss(clean + 0.2, clean))


@pytest.mark.slow
def test_init_starts_from_every_weight_of_a_checkpoint(tmp_path):
    first = tiny(tmp_path, "first", 1)
    train(first, progress=False)
    start, _ = load_checkpoint(first.out)
    again = tiny(tmp_path, "again", 1)
    again.init, again.lr = first.out, 0.0  # no step taken: the weights stay the initial ones
    train(again, progress=False)
    tensors, meta = load_checkpoint(again.out)
    assert all(torch.equal(tensors[k], start[k]) for k in start)
    assert len(meta["init_weights"]) == 12

    other = tiny(tmp_path, "other", 1)
    other.init, other.arch_config = first.out, {"width": 8}
    with pytest.raises(BenchError, match="same model"):
        train(other, progress=False)
    assert not (tmp_path / "other").exists()


def test_options_added_later_keep_older_run_identities():
    from methods.deep.training.training import ADDED_FIELDS, config_fields

    config = TrainConfig(architecture="cdae", noises=[("gaussian", 0.1, 0.1)])
    fields = config_fields(config)
    assert not set(ADDED_FIELDS) & set(fields)  # at their old values: as before they existed
    config.ssim_weight = 0.0
    assert config_fields(config)["ssim_weight"] == 0.0


def test_ssim_weight_zero_is_the_pixel_loss_alone():
    estimate, clean = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    loss = TrainingLoss("mse", ssim_weight=0.0)(estimate, clean)
    assert torch.isclose(loss, torch.nn.functional.mse_loss(estimate, clean))
    with pytest.raises(BenchError, match="ssim-weight"):
        TrainingLoss("l1", ssim_weight=1.5)


@pytest.mark.slow
def test_init_refuses_its_own_output_and_encoder_weights(tmp_path):
    first = tiny(tmp_path, "first", 1)
    train(first, progress=False)
    same = tiny(tmp_path, "first-again", 1)
    same.init, same.out = first.out, first.out
    with pytest.raises(BenchError, match="also the output"):
        train(same, progress=False)
    both = tiny(tmp_path, "both", 1)
    both.init, both.encoder_weights = first.out, f"pretrained:{first.out}"
    with pytest.raises(BenchError, match="drop --encoder-weights"):
        train(both, progress=False)
