"""The generalisation table: its evaluation cards, rows and columns, the mean intensity error,
the out-of-domain note read from checkpoint metadata, and ``bench report --data``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.core.contract import Noise
from benchmark.core.masks import anatomy_mask, anatomy_scores
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, register, unregister
from benchmark.data.anatomy import anatomy_recipe
from benchmark.data.cards import load_card, load_dataset
from benchmark.engine.store import CellKey, Store
from benchmark.report import generalisation as table
from benchmark.report.generalisation import Block, Row, TrainingDomain
from benchmark.workflows import _generalise
from benchmark.workflows._generalise import generalisation, rows_for, training_domain

GAUSSIAN, RICIAN = Noise("gaussian", 0.1), Noise("rician", 0.11)


# -- the evaluation cards ------------------------------------------------------------------

def test_dipy_b0_card_is_the_shipped_volume_normalised_by_its_rule():
    import nibabel as nib
    from dipy.data import get_fnames

    images = load_dataset("dipy-b0", "test")
    volume = np.asarray(nib.as_closest_canonical(nib.load(get_fnames(name="S0_10"))).dataobj,
                        dtype=np.float64)[..., 0]
    top = np.percentile(volume, 99.5)
    assert len(images) == volume.shape[2] == 10
    for index, image in enumerate(images.images):
        expected = np.rot90(np.clip((volume[:, :, index] - volume.min()) / (top - volume.min()),
                                    0, 1))
        np.testing.assert_allclose(image, expected, atol=1e-6)
    assert anatomy_recipe("dipy-b0") == load_card("dipy-b0").anatomy.recipe()
    assert all(0.1 < anatomy_mask(image).mean() < 0.6 for image in images.images)


def test_pydicom_ct_card_is_ct_small_in_hounsfield_units_through_the_abdomen_window():
    import pydicom
    from pydicom.data import get_testdata_file

    (image,) = load_dataset("pydicom-ct", "test").images
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_allclose(image, np.clip((hu - 50) / 400 + 0.5, 0, 1), atol=1e-6)
    assert load_card("pydicom-ct").modality == "CT"


def test_natural_test_split_is_held_out_and_its_anatomy_is_the_whole_image():
    card = load_card("skimage-natural")
    test = set(card.splits["test"].images)
    assert test and not test & (set(card.splits["train"].images)
                                | set(card.splits["validation"].images))
    images = load_dataset("skimage-natural", "test")
    assert len(images) == len(test)
    assert all(anatomy_mask(i, anatomy_recipe("skimage-natural")).all() for i in images.images)


def test_a_package_path_names_the_missing_package(tmp_path):
    from benchmark.core.errors import BenchError
    from benchmark.data.cards import read_card
    from benchmark.data.loaders.location import card_location

    path = tmp_path / "x.toml"
    path.write_text('[loader]\nkind = "nifti"\npath = "package:no_such_pkg_zz/a.nii"\n')
    with pytest.raises(BenchError, match="pip install no_such_pkg_zz"):
        card_location(read_card(path))


def test_an_unknown_anatomy_method_is_refused(tmp_path):
    from benchmark.core.errors import BenchError
    from benchmark.data.cards import read_card

    path = tmp_path / "x.toml"
    path.write_text('[loader]\nkind = "folder"\n[anatomy]\nmethod = "whole-imag"\n')
    with pytest.raises(BenchError, match="did you mean 'whole-image'"):
        read_card(path)


# -- the mean intensity error --------------------------------------------------------------

def test_mean_error_is_the_mean_difference_over_the_mask(small_image):
    darker = small_image * 0.8 + 0.01
    mask = anatomy_mask(small_image)
    scores = anatomy_scores(small_image, darker)
    assert scores["mean_error_anatomy"] == pytest.approx(
        float(np.mean(darker.astype(np.float64)[mask] - small_image.astype(np.float64)[mask])),
        rel=1e-12)
    assert scores["mean_error_anatomy"] < 0


# -- the table from a tiny store -----------------------------------------------------------

def _cells(rows: list[dict]) -> pd.DataFrame:
    base = {"split": "test", "seed": 0, "clip": False, "status": "ok", "error": None,
            "psnr_anatomy": 20.0, "ssim_anatomy": 0.5}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_table_has_a_row_per_noise_dataset_and_method_with_the_notes():
    on_brain = TrainingDomain("a.safetensors", ("mni152",), "f00")
    rows = (Row("noisy", "noisy", "-"), Row("bm3d", "classical", "c0"),
            Row("deep-a", "deep", "c1", on_brain),
            Row("deep-b", "deep", None, problem="no checkpoint for rician sigma=0.11"))
    cells, rng = [], np.random.default_rng(0)
    for dataset in ("mni152", "dipy-b0"):
        for image in ("i1", "i2"):
            for method, config in (("noisy", "-"), ("bm3d", "c0"), ("deep-a", "c1")):
                cells.append({"dataset": dataset, "image_id": image, "noise": "gaussian",
                              "sigma": 0.1, "method": method, "config": config,
                              "psnr": 20 + rng.random() * 10, "ssim": rng.random(),
                              "mean_error_anatomy": rng.normal(0, 0.01)})
    cells = _cells(cells)
    blocks = [Block(GAUSSIAN, d, "test", ("i1", "i2"), rows) for d in ("mni152", "dipy-b0")]
    frame = table.build_generalisation(cells, blocks)
    assert list(frame.columns) == table.COLUMNS
    assert frame[["dataset", "method"]].values.tolist() == [
        [d, m] for d in ("mni152", "dipy-b0") for m in ("noisy", "bm3d", "deep-a", "deep-b")]
    notes = frame.set_index(["dataset", "method"])["note"]
    assert notes["mni152", "deep-a"] == "" and notes["dipy-b0", "deep-a"].startswith("outside")
    assert notes["mni152", "bm3d"] == "" and notes["dipy-b0", "noisy"] == ""
    assert notes["dipy-b0", "deep-b"].startswith("no checkpoint")
    for dataset in ("mni152", "dipy-b0"):
        mine = cells[cells["dataset"] == dataset].set_index(["method", "image_id"])
        row = frame[(frame["dataset"] == dataset) & (frame["method"] == "deep-a")].iloc[0]
        assert row["mean_error_anatomy"] == pytest.approx(
            mine.loc["deep-a", "mean_error_anatomy"].mean())
        assert row["psnr_vs_classical"] == pytest.approx(
            (mine.loc["deep-a", "psnr"] - mine.loc["bm3d", "psnr"]).mean())
    assert table.problems(frame) == []  # deep-b has no cells by design
    # the rendered tables leave deep-b's empty rows out and name it once in the notes
    markdown = table.to_markdown(frame)
    assert "| deep-b |" not in markdown and markdown.count("| deep-a |") == 2
    assert markdown.count("deep-b") == 1
    assert "No row under gaussian sigma=0.1: deep-b, no checkpoint for rician" in markdown
    assert "deep-b" not in table.to_latex(frame)
    lost = table.build_generalisation(cells[cells["image_id"] == "i1"], blocks)
    assert len(table.problems(lost)) == 6  # three planned rows, one image short, two datasets
    markdown = table.to_markdown(frame)
    assert markdown.count("| dipy-b0 |") == 3 and "outside its training domain" in markdown
    assert "<td>outside its training domain" in table.to_html(frame)


# -- the training domain from checkpoint metadata ------------------------------------------

class _Toy:
    """A deep model's function as methods.deep serves them: it names its architecture."""

    architecture = "toy-arch"

    @staticmethod
    def unavailable():
        return None

    def __call__(self, stack, noise, *, device="cpu", checkpoint="auto"):
        return np.clip(stack * 0.9, 0, 1)  # darker: a negative mean intensity error


def _checkpoint(folder: Path, name: str, sigma: tuple[float, float], **meta: str) -> Path:
    from safetensors.numpy import save_file

    from methods.deep.checkpoints import FORMAT

    path = folder / f"{name}.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(path), metadata={
        "format": FORMAT, "architecture": "toy-arch", "train_fingerprint": "f" + name,
        "noise": json.dumps([{"kind": "gaussian", "sigma_min": sigma[0],
                              "sigma_max": sigma[1]}]), **meta})
    return path


@pytest.fixture
def toy_model(tmp_path, monkeypatch):
    """A registered deep image model whose checkpoints (metadata only) lie in a scratch
    folder: trained on mni152 for sigma 0.05-0.15, on a corpus for 0.2 only."""
    pytest.importorskip("safetensors")
    import methods.deep.checkpoints as checkpoints

    folder = tmp_path / "checkpoints"
    folder.mkdir()
    _checkpoint(folder, "brain", (0.05, 0.15), dataset="mni152")
    _checkpoint(folder, "corpus", (0.2, 0.2), dataset="corpus",
                sources=json.dumps(["mni152", "skimage-natural"]))
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", folder)
    register("toy-deep", params={"checkpoint": "auto"}, uses_sigma=False, batched=True,
             weights=lambda params: "toy")(_Toy())
    yield get_method("toy-deep")
    unregister("toy-deep")


def test_out_of_domain_note_follows_the_checkpoint_metadata(toy_model):
    brain, problem = training_domain(toy_model, GAUSSIAN)
    assert problem == "" and brain.datasets == ("mni152",) and brain.fingerprint == "fbrain"
    corpus, _ = training_domain(toy_model, Noise("gaussian", 0.2))
    assert corpus.datasets == ("corpus", "mni152", "skimage-natural")
    row = Row("toy-deep", "deep", "c", brain)
    assert table.domain_note(row, "mni152") == ""
    assert "trained on mni152" in table.domain_note(row, "dipy-b0")
    assert table.domain_note(row, "folder:/scans").startswith("outside its training domain")
    assert table.domain_note(Row("toy-deep", "deep", "c", corpus), "skimage-natural") == ""
    none, problem = training_domain(toy_model, RICIAN)
    assert none is None and "no checkpoint for rician sigma=0.11" in problem
    assert "bench train toy-arch --noise rician --sigma 0.11" in problem
    (row,) = [r for r in rows_for(RICIAN, [toy_model], "gaussian-filter") if r.role == "deep"]
    assert row.config is None  # listed, with no cells planned


def test_deep_rows_come_from_the_registry(toy_model):
    names = [m.name for m in _generalise.deep_models()]
    assert "toy-deep" in names and "cdae" in names and "bm3d" not in names


def _nifti_folder(folder: Path) -> Path:
    import nibabel as nib

    folder.mkdir()
    yy, xx = np.mgrid[:40, :40]
    volume = np.stack([((yy - 20) ** 2 + (xx - 18 - k) ** 2 < 150) * (100.0 + 20 * k) + 5
                       for k in range(2)], axis=-1)
    nib.save(nib.Nifti1Image(volume.astype(np.float32), np.eye(4)), folder / "scan.nii.gz")
    return folder


def test_bench_report_data_writes_the_table_with_the_note(tmp_path, toy_model, monkeypatch,
                                                          capsys):
    monkeypatch.setattr(_generalise, "deep_models", lambda: [toy_model])
    scans = _nifti_folder(tmp_path / "scans")
    out, store = tmp_path / "out", tmp_path / "s.sqlite"
    assert main(["report", "--data", str(scans), "--noise", "gaussian", "--sigma", "0.1",
                 "--methods", "gaussian-filter", "--generalisation", "--no-visual", "--quiet",
                 "--jobs", "1", "--store", str(store), "--out", str(out),
                 "--training-logs", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Generalisation -> " in printed and "toy-deep on nifti-scans" in printed
    frame = pd.read_csv(out / "generalisation.csv", keep_default_na=False)
    assert frame["method"].tolist() == ["noisy", "bm3d", "toy-deep"]
    assert frame["n"].tolist() == [2, 2, 2]
    assert frame.loc[2, "note"].startswith("outside its training domain: trained on mni152")
    page = (out / "index.html").read_text()
    assert 'id="generalisation"' in page and str(tmp_path) not in page
    assert str(tmp_path) not in (out / "generalisation.md").read_text()
    # the mean intensity error, directly: the toy model makes the anatomy 10% darker
    from benchmark.workflows._split import load_split

    subset, loaded = load_split(data=scans)
    errors = []
    for image_id in subset.ids:
        clean = loaded().image(image_id)
        noisy = add_noise(clean, GAUSSIAN, image_id=image_id, seed=0)
        out_image = np.clip(noisy * 0.9, 0, 1).astype(np.float32)
        mask = anatomy_mask(clean)
        errors.append(np.mean(out_image.astype(np.float64)[mask] - clean[mask]))
    assert frame.loc[2, "mean_error_anatomy"] == pytest.approx(np.mean(errors), rel=1e-5)


def test_cells_stored_before_the_mean_error_get_it(tmp_path):
    import sqlite3

    scans = _nifti_folder(tmp_path / "scans")
    store = tmp_path / "s.sqlite"
    options = dict(data=scans, models=[], baseline="gaussian-filter", noises=[GAUSSIAN],
                   store=store)
    first = generalisation(**options)
    with sqlite3.connect(store) as db:  # as cells written before the metric existed
        db.execute("UPDATE cell_extras SET extra = '{}'")
    assert Store(store).frame()["mean_error_anatomy"].isna().all() if "mean_error_anatomy" in \
        Store(store).frame() else True
    result = generalisation(**options)
    assert result.refilled == 4 and sum(s.computed for s in result.sweeps) == 0
    pd.testing.assert_series_equal(result.frame["mean_error_anatomy"],
                                   first.frame["mean_error_anatomy"])
    assert generalisation(**options).refilled == 0


def test_generalisation_does_not_apply_to_volume_reports(tmp_path, capsys):
    assert main(["report", "--volumes", "--generalisation", "--store",
                 str(tmp_path / "s.sqlite")]) == 2
    assert "--generalisation applies to image reports" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_report_data_scores_the_shipped_models_outside_their_domain(tmp_path):
    """The real CDAE and UNet-DCTD-A on a PNG folder: their rows carry the note."""
    pytest.importorskip("torch")
    import imageio.v3 as iio

    scans = tmp_path / "pngs"
    scans.mkdir()
    yy, xx = np.mgrid[:48, :48]
    for k in range(2):
        iio.imwrite(scans / f"s{k}.png",
                    (((yy - 24) ** 2 + (xx - 22 - k) ** 2 < 200) * (150 + 30 * k) + 10
                     ).astype(np.uint8))
    out = tmp_path / "out"
    assert main(["report", "--data", str(scans), "--no-figures", "--quiet", "--jobs", "1",
                 "--store", str(tmp_path / "s.sqlite"), "--out", str(out)]) == 0
    frame = pd.read_csv(out / "generalisation.csv", keep_default_na=False)
    deep = frame[frame["role"] == "deep"]
    assert {"cdae", "unet-dctda"} <= set(deep["method"])
    served = deep[deep["method"].isin(["cdae", "unet-dctda"])]  # the others: no checkpoint
    assert served["note"].str.startswith("outside its training domain").all()
    assert set(frame[frame["role"] == "classical"]["method"]) == {"bm3d", "bm3d.rician-bc"}
    scored = frame[~frame["method"].isin(set(deep["method"]) - {"cdae", "unet-dctda", "gan"})]
    assert (scored["n"] == 2).all()


def test_a_card_of_a_shipped_file_has_nothing_to_fetch(capsys):
    assert main(["data", "fetch", "pydicom-ct"]) == 2
    assert "has nothing to fetch" in capsys.readouterr().err


def test_the_store_reads_the_cells_of_some_datasets_only(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        run = store.start_run(command="test", git_commit="", versions={}, machine="")
        for dataset in ("a", "b"):
            key = CellKey(dataset, "test", "i", "gaussian", 0.1, False, 0, "m", "c")
            store.put(key, {"status": "ok", "psnr": 30.0, "ssim": 0.9,
                            "extra": {f"only_{dataset}": 1.0}}, run_id=run)
        cells = store.frame(["b"])
        assert cells["dataset"].tolist() == ["b"] and "only_a" not in cells
        assert cells["only_b"].tolist() == [1.0]
        assert sorted(store.frame()["dataset"]) == ["a", "b"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["drunet", "cdae.nlmap"])
def test_the_corpus_checkpoints_carry_over_to_a_b0_scan_the_mni152_models_fail_on(name):
    """dipy's b0 volume, never trained on: a model trained on the corpus gains on the noisy
    slice where the MNI152-only CDAE does not (drunet +7.9, cdae.nlmap +8.0, cdae +0.0 dB
    here; on the 10 slices of the generalisation table 28.07 and 27.97 against 19.96 dB)."""
    pytest.importorskip("torch")
    from benchmark.core.metrics import psnr
    from benchmark.core.registry import get_method

    scans = load_dataset("dipy-b0", "test")
    noise = Noise("gaussian", 0.1)
    clean = np.stack(scans.images[4:6])
    noisy = np.stack([add_noise(x, noise, image_id=i)
                      for i, x in zip(scans.ids[4:6], scans.images[4:6])])
    gains = {}
    for method in (name, "cdae"):
        out = get_method(method)(noisy, noise)
        gains[method] = np.mean([psnr(c, o) - psnr(c, n) for c, o, n in zip(clean, out, noisy)])
    assert gains[name] > 5.0 and gains[name] > gains["cdae"] + 4.0, gains
