"""Claims about what deep models train on: the corpus holds out every evaluation pixel, its
shares and augmentation ranges hold, a user's folder splits by subject, and the CT preset trains
on a synthetic CT series (HU through RescaleSlope/Intercept) and records itself."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from dicom_factory import write_dicom

from benchmark.cli import main
from benchmark.core.errors import BenchError
from benchmark.data.autosplit import split_images
from benchmark.data.cards import ImageSet, load_card, load_images
from benchmark.data.corpus import Augment, corpus_sources
from benchmark.data.loaders.detect import path_card
from benchmark.data.schema import parse_card

TINY = ["--width", "4", "--epochs", "1", "--steps", "1", "--batch", "2", "--val-limit", "1",
        "--threads", "1", "--quiet"]


# ---- the corpus --------------------------------------------------------------------------------

@pytest.fixture
def marked_template(monkeypatch):
    """A small MNI152 stand-in whose voxels tell their split: train slabs in [0.1, 0.5],
    validation and test slabs 1.0, slices of no split 0.75."""
    from benchmark.data.loaders import mni152

    card = load_card("mni152")
    rng = np.random.default_rng(0)
    volume = np.full((30, 36, 150), 0.75)
    for name in ("validation", "test"):
        for z0, z1 in card.splits[name].ranges:
            volume[..., z0:z1] = 1.0
    for z0, z1 in card.splits["train"].ranges:
        volume[..., z0:z1] = rng.uniform(0.1, 0.5, (30, 36, z1 - z0))
    monkeypatch.setattr(mni152, "template", lambda resolution=1: volume.copy())
    return card


def test_corpus_never_reads_an_mni152_voxel_outside_the_train_slabs(marked_template):
    from methods.deep.training.corpus import CorpusSampler

    corpus = load_card("train-corpus")
    sources = {name: images for name, _, images in corpus_sources(corpus, "train")}
    train_z = {z for z0, z1 in marked_template.splits["train"].ranges for z in range(z0, z1)}
    assert {int(i.split("/z")[1]) for i in sources["mni152-axial"].ids} == train_z
    mni = [name for name in sources if name.startswith("mni152")]
    assert sorted(mni) == ["mni152-axial", "mni152-coronal", "mni152-sagittal"]
    for name in mni:  # 0 is the axial padding; nothing at or above 0.75 is a train voxel
        assert all(image.max() <= 0.5 for image in sources[name].images), name
    assert {image.shape for image in sources["mni152-coronal"].images} == {(50, 30)}
    sampler = CorpusSampler([(n, sources[n]) for n in mni], [0.2, 0.4, 0.4])
    crops = sampler.sample(np.random.default_rng(1), batch=64, crop=96, augment=False)
    assert crops.shape == (64, 96, 96) and crops.max() <= 0.5  # tiled, never padded


def test_corpus_holds_out_every_evaluation_image_and_excluded_file():
    from benchmark.data.loaders.package_images import EXCLUDED, PACKAGE_IMAGES

    corpus = load_card("train-corpus")
    trained = {name: source for name, source in corpus.sources.items()}
    assert {source.split for source in trained.values()} == {"train"}
    natural = load_card("skimage-natural")
    held_out = set(natural.splits["validation"].images) | set(natural.splits["test"].images)
    assert len(natural.splits["test"].images) == 3
    assert not held_out & set(natural.splits["train"].images)
    package = load_card("package-images")
    assert set(package.splits) == {"train"}
    files = {f"{PACKAGE_IMAGES[n].package}/{PACKAGE_IMAGES[n].path}"
             for n in package.splits["train"].images}
    assert not any(f.startswith(excluded) for f in files for excluded in EXCLUDED)
    validation = load_images(corpus, "validation")
    mni = load_card("mni152")
    expected = ([f"mni152/z{z:03d}" for z0, z1 in mni.splits["validation"].ranges
                 for z in range(z0, z1)]
                + [f"skimage-natural/{n}" for n in natural.splits["validation"].images])
    assert list(validation.ids) == expected
    with pytest.raises(BenchError, match="no test split|splits train, validation"):
        load_images(corpus, "test")


def test_sources_give_their_share_of_crops():
    from methods.deep.training.corpus import CorpusSampler

    rng = np.random.default_rng(0)
    sets = [(f"s{k}", ImageSet("toy", "train", (f"s{k}/a",),
                               (rng.uniform(0, 1, (20, 20)).astype(np.float32),), "none"))
            for k in range(3)]
    shares = np.array([0.5, 0.3, 0.2])
    _, chosen, _ = CorpusSampler(sets, shares).draw(np.random.default_rng(2), batch=6000,
                                                    crop=4, augment=False)
    counts = np.bincount(chosen, minlength=3)
    spread = np.sqrt(6000 * shares * (1 - shares))
    assert np.all(np.abs(counts - 6000 * shares) < 4 * spread)
    assert abs(sum(s.share for s in load_card("train-corpus").sources.values()) - 1) < 1e-9


def test_intensity_augmentation_stays_in_its_documented_ranges():
    from methods.deep.training.corpus import draw_intensity

    spec = load_card("train-corpus").augment
    assert spec == Augment(invert=0.1, gamma=(0.5, 2.0), gamma_probability=0.5,
                           contrast=(0.5, 1.0), offset=(0.0, 0.5), contrast_probability=0.5)
    rng = np.random.default_rng(0)
    draws = [draw_intensity(rng, spec) for _ in range(4000)]
    gammas = np.array([d.gamma for d in draws if d.gamma != 1.0])
    contrasts = np.array([d.contrast for d in draws if d.contrast != 1.0])
    offsets = [(d.offset, d.contrast) for d in draws if d.contrast != 1.0]
    assert abs(np.mean([d.inverted for d in draws]) - 0.1) < 4 * np.sqrt(0.09 / 4000)
    assert abs(len(gammas) / 4000 - 0.5) < 0.04 and abs(len(contrasts) / 4000 - 0.5) < 0.04
    assert 0.5 <= gammas.min() < 0.52 and 1.9 < gammas.max() <= 2.0
    assert abs(np.mean(np.log(gammas))) < 0.05  # log-uniform over [log 0.5, log 2]
    assert 0.5 <= contrasts.min() < 0.52 and 0.98 < contrasts.max() <= 1.0
    assert all(0 <= o <= min(0.5, 1 - c) + 1e-12 for o, c in offsets)
    ramp = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    for d in draws[:200]:
        out = d.apply(ramp)
        x = 1 - ramp if d.inverted else ramp
        assert np.allclose(out, d.contrast * x ** d.gamma + d.offset, atol=1e-6)
        assert out.min() >= 0 and out.max() <= 1 + 1e-6


@pytest.mark.parametrize("table, message", [
    ({"a": {"card": "mni152", "share": 0.5}}, "add up to 0.5"),
    ({"a": {"card": "mni152", "share": 1.0, "axis": "oblique"}}, "axis = 'oblique'"),
    ({"a": {"card": "mni152", "share": 1.0, "shar": 1}}, "did you mean 'share'"),
])
def test_a_bad_corpus_card_is_one_line_naming_the_field(table, message):
    with pytest.raises(BenchError, match=message):
        parse_card({"loader": {"kind": "corpus"}, "sources": table}, source="c.toml", root=".",
                   default_name="c")
    with pytest.raises(BenchError, match="contrast_probability = 2"):
        parse_card({"loader": {"kind": "corpus"}, "sources": {"a": {"card": "x", "share": 1.0}},
                    "augment": {"contrast_probability": 2}}, source="c.toml", root=".",
                   default_name="c")


# ---- a user's folder ---------------------------------------------------------------------------

def ct_slice(size: int, k: int, patient: int) -> np.ndarray:
    """Stored values of a synthetic abdominal CT slice: air, fat, soft tissue and an organ in
    HU, plus 1024 (written with RescaleIntercept -1024)."""
    yy, xx = np.mgrid[:size, :size] - size / 2
    hu = np.full((size, size), -1000.0)
    hu[(yy / (0.42 * size)) ** 2 + (xx / (0.48 * size)) ** 2 < 1] = -100
    hu[(yy / (0.36 * size)) ** 2 + (xx / (0.42 * size)) ** 2 < 1] = 40
    shift = (patient % 5 - 2) * size / 20 + k
    hu[(yy / (0.12 * size)) ** 2 + ((xx - shift) / (0.18 * size)) ** 2 < 1] = 90
    return (hu + 1024).astype(np.int16)


def write_ct(root, patients, *, slices=6, size=48, folder="PANCREAS_{:04d}/s", same_patient=None):
    """One CT series a patient under ``root``; ``same_patient`` gives them all one PatientID."""
    for p in patients:
        for k in range(slices):
            write_dicom(root / folder.format(p) / f"1-{k:03d}.dcm", ct_slice(size, k, p),
                        slope=1, intercept=-1024, position=(0, 0, -k), series=f"1.2.{p}",
                        patient=same_patient or f"P{p}")
    return root


def test_data_split_keeps_each_patient_in_one_split_deterministically(tmp_path):
    first = write_ct(tmp_path / "a", range(1, 7), slices=3, size=16)
    card = path_card(first, window="abdomen")
    train, validation, split = split_images(card, load_images(card, "all"))
    assert split.by == "PatientID" and len(split.validation) == 1 and len(split.train) == 5
    patient = {i: i.split("/")[0] for i in (*train.ids, *validation.ids)}
    assert not {patient[i] for i in train.ids} & {patient[i] for i in validation.ids}
    assert len(train) + len(validation) == 18
    moved = tmp_path / "b"  # other folder names, the same patients: the same split
    for p in range(1, 7):
        shutil.copytree(first / f"PANCREAS_{p:04d}", moved / f"scan-{7 - p}")
    again = split_images(path_card(moved, window="abdomen"),
                         load_images(path_card(moved, window="abdomen"), "all"))[2]
    assert again.validation == split.validation
    assert split.validation[0] == min(split.train + split.validation,
                                      key=lambda k: hashlib.sha256(k.encode()).hexdigest())


def test_data_split_groups_by_series_or_subfolder_when_there_is_no_patient(tmp_path):
    import imageio.v3 as iio

    one = write_ct(tmp_path / "ct", [1, 2, 3], slices=2, size=16, same_patient="anon")
    card = path_card(one, window="abdomen")
    assert split_images(card, load_images(card, "all"))[2].by == "SeriesInstanceUID"
    rng = np.random.default_rng(0)
    for subject in ("sub-01", "sub-02", "sub-03", "sub-04", "sub-05"):
        for k in range(3):
            (tmp_path / "png" / subject).mkdir(parents=True, exist_ok=True)
            iio.imwrite(tmp_path / "png" / subject / f"{k}.png",
                        (rng.random((16, 16)) * 255).astype(np.uint8))
    card = path_card(tmp_path / "png")
    train, validation, split = split_images(card, load_images(card, "all"))
    assert split.by == "top-level subfolder or file" and len(validation) == 3
    assert {i.split("/")[1] for i in validation.ids} == set(split.validation)
    assert not {i.split("/")[1] for i in train.ids} & set(split.validation)


def bench_error(capsys, argv) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: error: ")
    return lines[0]


def test_bad_training_data_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    base = ["train", "cdae", "--noise", "gaussian", "--sigma", "0.1", *TINY]
    assert "empty folder" in bench_error(capsys, [*base, "--data", str(tmp_path / "empty")])
    one = write_ct(tmp_path / "one", [1], slices=2, size=16)
    assert "cannot be split" in bench_error(capsys, [*base, "--data", str(one), "--window",
                                                     "abdomen"])
    assert "not allowed with" in bench_error(capsys, [*base, "--data", str(one), "--dataset",
                                                      "mni152"])
    assert "--window abdomen applies to a --data" in bench_error(
        capsys, [*base, "--window", "abdomen"])
    assert "needs --noise" in bench_error(capsys, ["train", "cdae", *TINY])
    assert "ct-autoencoder" in bench_error(capsys, [*base, "--preset", "ct-autoencodr"])
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "results").exists()


# ---- the CT preset -----------------------------------------------------------------------------

def test_pancreas_ct_without_its_files_fails_at_once_saying_how_to_get_them(tmp_path, capsys,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("BENCH_DATA_PANCREAS_CT", raising=False)
    line = bench_error(capsys, ["train", "cdae", "--preset", "ct-autoencoder", *TINY])
    assert "bench data fetch pancreas-ct" in line and "BENCH_DATA_PANCREAS_CT" in line
    assert not (tmp_path / "checkpoints").exists()


def _patients_in(low: int, high: int, count: int) -> list[int]:
    """Patient numbers whose PANCREAS_<number> hashes into buckets [low, high) (the card's rule)."""
    found = []
    for number in range(1, 400):
        bucket = int(hashlib.sha256(f"PANCREAS_{number:04d}".encode()).hexdigest(), 16) % 100
        if low <= bucket < high:
            found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("no such patients")


@pytest.mark.slow
def test_ct_autoencoder_preset_trains_on_a_synthetic_ct_series(tmp_path, capsys, monkeypatch):
    from methods.deep.checkpoints import load_checkpoint

    monkeypatch.chdir(tmp_path)
    patients = _patients_in(0, 70, 3) + _patients_in(70, 80, 1)
    write_ct(tmp_path / "ct" / "Pancreas-CT", patients, slices=8)
    monkeypatch.setenv("BENCH_DATA_PANCREAS_CT", str(tmp_path / "ct"))
    assert main(["train", "cdae", "--preset", "ct-autoencoder", *TINY]) == 0
    tensors, meta = load_checkpoint(
        tmp_path / "checkpoints" / "cdae-gaussian0.4-ct-autoencoder-pancreas-ct.safetensors")
    config = json.loads(meta["config"])
    assert meta["dataset"] == "pancreas-ct" and meta["preset"] == "ct-autoencoder"
    assert json.loads(meta["noise"]) == [{"kind": "gaussian", "sigma_min": 0.4, "sigma_max": 0.4}]
    assert (config["resize"], config["crop"]) == (128, 128)
    assert all(np.isfinite(t.float().numpy()).all() for t in tensors.values())

    assert main(["train", "cdae", "--preset", "ct-autoencoder", "--data",
                 str(tmp_path / "ct"), *TINY]) == 0
    _, meta = load_checkpoint(
        tmp_path / "checkpoints" / "cdae-gaussian0.4-ct-autoencoder-data-ct.safetensors")
    assert meta["dataset"] == f"dicom:{(tmp_path / 'ct').resolve()}?window=abdomen"
    assert json.loads(meta["data_split"])["by"] == "PatientID"
    assert not any(f'"P{p}"' in meta["data_split"] for p in patients)  # no PatientID written


def test_preset_images_are_hu_windowed_and_resized(tmp_path):
    from methods.deep.training.sources import resized

    write_ct(tmp_path, [1, 2], slices=2, size=48)
    card = path_card(tmp_path, window="abdomen")
    images = load_images(card, "all")
    hu = ct_slice(48, 0, 1).astype(float) - 1024
    first = images.image("PANCREAS_0001/s/1-000.dcm")
    assert np.allclose(first, np.clip((hu - 50) / 400 + 0.5, 0, 1), atol=1e-6)
    small = resized(images, 128)
    assert {x.shape for x in small.images} == {(128, 128)}
    assert all(0 <= x.min() and x.max() <= 1 for x in small.images)
    assert "resized to 128x128" in small.normalisation


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["cdae", "unet-dctda"])
def test_both_architectures_train_on_the_corpus(architecture, tmp_path, monkeypatch):
    from methods.deep.checkpoints import read_metadata

    monkeypatch.chdir(tmp_path)
    assert main(["train", architecture, "--dataset", "train-corpus", "--noise", "gaussian",
                 "rician", "--sigma", "0.01:0.25", "--epochs", "1", "--steps", "1", "--crop",
                 "32", "--batch", "2", "--val-limit", "2", "--threads", "1", "--quiet"]) == 0
    [checkpoint] = (tmp_path / "checkpoints").glob("*.safetensors")
    meta = read_metadata(checkpoint)
    assert checkpoint.name == f"{architecture}-gaussian0.01-0.25_rician0.01-0.25-train-corpus.safetensors"
    assert meta["dataset"] == "train-corpus"
    assert json.loads(meta["corpus_shares"]) == {
        name: source.share for name, source in load_card("train-corpus").sources.items()}
