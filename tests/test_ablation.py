"""Claims about bench ablate / bench pretrain: every variant trained and scored, the right rows,
resume without retraining, an offline pretrained encoder that --encoder-weights accepts."""

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import methods.deep.training.ablation as ablation  # noqa: E402
import methods.deep.training.training as training  # noqa: E402
from benchmark.core.contract import Noise  # noqa: E402
from benchmark.data.cards import load_images  # noqa: E402
from methods.deep.training.pretrain import pretrain_config  # noqa: E402
from methods.deep.training.training import TrainConfig, train  # noqa: E402
from methods.deep.checkpoints import load_checkpoint  # noqa: E402

pytestmark = pytest.mark.slow  # every test here trains models

TINY = {"epochs": 1, "crop": 32, "batch": 2, "steps": 1, "val_limit": 1}
NOISES = [Noise("rician", 0.11)]
_SPLITS: dict = {}


def _cached(card, split):
    key = (card.name, split)
    if key not in _SPLITS:
        _SPLITS[key] = load_images(card, split)
    return _SPLITS[key]


@pytest.fixture(scope="module")
def patched():
    """Reading the MNI152 volume is the slow part of a tiny run: do it once per split."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "load_images", _cached)
        mp.setattr(ablation, "load_images", _cached)
        yield mp


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, patched):
    folder = tmp_path_factory.mktemp("pretrain")
    config = pretrain_config(str(folder / "enc.safetensors"), str(folder / "run"), **TINY)
    train(config, progress=False, log=lambda _: None)
    return folder / "enc.safetensors"


def base(**changes):
    return TrainConfig(architecture="unet-dctda", noises=[("rician", 0.11, 0.11)], **TINY,
                       **changes)


@pytest.fixture(scope="module")
def components(tmp_path_factory, pretrained):
    folder = tmp_path_factory.mktemp("ablate")
    config = base(encoder_weights=f"pretrained:{pretrained}")
    variants = ablation.component_variants(config)
    rows = ablation.run_study(config, variants, folder, NOISES, test_limit=2, progress=False,
                              log=lambda _: None)
    return config, variants, folder, rows


def test_pretraining_writes_a_checkpoint_that_encoder_weights_accepts(pretrained, tmp_path):
    tensors, meta = load_checkpoint(pretrained)
    assert meta["dataset"] == "skimage-natural" and meta["architecture"] == "unet-dctda"
    assert json.loads(meta["noise"])[0]["kind"] == "gaussian"
    from methods.deep.nets import build

    model = build("unet-dctda")
    training._load_encoder_weights(model, f"pretrained:{pretrained}")
    encoder = model.encoder.state_dict()
    assert all(torch.equal(encoder[k[len("encoder."):]].float(), v)
               for k, v in tensors.items() if k.startswith("encoder.") and v.is_floating_point())
    assert not torch.equal(model.encoder.conv1.weight, build("unet-dctda").encoder.conv1.weight)


def test_ablation_trains_every_variant_and_tabulates_them(components, tmp_path):
    config, variants, folder, rows = components
    assert [r["variant"] for r in rows] == ["full", "no-scse", "no-dilation", "no-augment",
                                            "no-perceptual", "no-pretrained"]
    by_name = {r["variant"]: r for r in rows}
    assert by_name["no-perceptual"]["status"].startswith("skipped: ")
    assert "n" not in by_name["no-perceptual"]
    done = [r for r in rows if r["status"] == "done"]
    assert len(done) == 5 and all(r["n"] == 2 for r in done)
    full = by_name["full"]
    for row in done:
        assert row["delta_psnr"] == pytest.approx(row["psnr_mean"] - full["psnr_mean"])
        assert np.isfinite(row["ssim_mean"]) and row["ssim_std"] >= 0
    meta = {name: load_checkpoint(folder / f"{name}.safetensors")[1]
            for name in by_name if name != "no-perceptual"}
    arch = {name: json.loads(m["arch_config"]) for name, m in meta.items()}
    meta = {name: json.loads(m["config"]) for name, m in meta.items()}
    assert arch["no-scse"]["attention"] is False and arch["no-scse"]["dilation"] is True
    assert arch["no-dilation"]["dilation"] is False and arch["no-dilation"]["attention"] is True
    assert arch["full"]["attention"] is True and arch["full"]["dilation"] is True
    assert meta["no-augment"]["augment"] is False and meta["full"]["augment"] is True
    assert meta["no-pretrained"]["encoder_weights"] == "none"
    assert meta["full"]["encoder_weights"].startswith("pretrained:")
    ablation.write_table(rows, tmp_path / "ablation", title="t", notes="n")
    with open(tmp_path / "ablation.csv") as handle:
        table = list(csv.DictReader(handle))
    assert [r["variant"] for r in table] == [r["variant"] for r in rows]
    assert (tmp_path / "ablation.md").read_text().count("\n| ") == len(rows) + 1


def test_resuming_skips_finished_variants(components, monkeypatch):
    config, variants, folder, rows = components
    (folder / "no-dilation.result.json").unlink()  # as if interrupted before scoring it
    trained = []

    def counting_train(cfg, **kwargs):
        trained.append(cfg.out)
        return train(cfg, **kwargs)

    monkeypatch.setattr(ablation, "train", counting_train)
    again = ablation.run_study(config, variants, folder, NOISES, test_limit=2, progress=False,
                               log=lambda _: None)
    assert trained == [str(folder / "no-dilation.safetensors")]
    assert [r.get("psnr_mean") for r in again] == pytest.approx([r.get("psnr_mean") for r in rows])


def test_data_fraction_study_has_six_rows(pretrained, tmp_path):
    config = base()
    variants = ablation.transfer_variants(f"pretrained:{pretrained}")
    rows = ablation.run_study(config, variants, tmp_path, NOISES, test_limit=1, progress=False,
                              log=lambda _: None)
    assert [(r["train_fraction"], r["encoder_weights"] != "none") for r in rows] == [
        (0.1, False), (0.1, True), (0.25, False), (0.25, True), (1.0, False), (1.0, True)]
    assert all(r["status"] == "done" and r["n"] == 1 for r in rows)
    n_train = len(_SPLITS[("mni152", "train")])
    assert [r["train_slices"] for r in rows[::2]] == [round(n_train * f) for f in (0.1, 0.25, 1)]
    for scratch, warm in zip(rows[::2], rows[1::2]):
        assert scratch["delta_psnr"] == 0
        assert warm["delta_psnr"] == pytest.approx(warm["psnr_mean"] - scratch["psnr_mean"])
    ablation.plot_transfer(rows, tmp_path / "transfer.png")
    assert (tmp_path / "transfer.png").stat().st_size > 1000


def test_cli_reuses_a_finished_study_and_writes_the_report(components, pretrained, tmp_path,
                                                           monkeypatch):
    from benchmark.cli import main

    config, variants, folder, rows = components
    monkeypatch.setattr(ablation, "train", lambda *a, **k: pytest.fail("retrained"))
    status = main(["ablate", "--noise", "rician", "--sigma", "0.11", "--epochs", "1", "--steps",
                   "1", "--crop", "32", "--batch", "2", "--val-limit", "1", "--test-limit", "2",
                   "--encoder-weights", f"pretrained:{pretrained}", "--folder", str(folder),
                   "--reports", str(tmp_path), "--device", "cpu", "--quiet"])
    assert status == 0
    with open(tmp_path / "ablation.csv") as handle:
        table = list(csv.DictReader(handle))
    assert [r["variant"] for r in table] == [r["variant"] for r in rows]
    assert [r["status"] for r in table].count("done") == 5


def test_missing_weights_file_fails_before_writing(tmp_path):
    from benchmark.core.errors import BenchError

    config = base(encoder_weights=f"pretrained:{tmp_path / 'none.safetensors'}")
    with pytest.raises(BenchError, match="bench pretrain"):
        ablation.run_study(config, ablation.component_variants(config), tmp_path / "out", NOISES)
    assert not (tmp_path / "out").exists()


def test_tables_name_the_models_folder_relative_to_the_working_folder(tmp_path, monkeypatch):
    from benchmark.workflows._train import _shown

    monkeypatch.chdir(tmp_path)
    assert _shown(tmp_path / "results" / "ablation" / "x") == "results/ablation/x"
    assert _shown(tmp_path.parent) == str(tmp_path.parent)
