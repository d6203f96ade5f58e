"""Whole volumes: splits and ids, noise seeding, 3-D metrics, slice-wise planning, the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, register, resolve_methods, unregister
from benchmark.data.cards import load_card
from benchmark.data.volumes import group_slices, load_volumes, volume_ids

NOISE = Noise("gaussian", 0.1)


@pytest.fixture(scope="module")
def mni_volumes():
    return load_volumes(load_card("mni152"), "test")


def test_mni_volumes_are_the_test_slabs_and_nothing_of_training(mni_volumes):
    card = load_card("mni152")
    assert volume_ids(card, "test") == ["mni152/z034-044", "mni152/z090-100"]
    assert mni_volumes.ids == ("mni152/z034-044", "mni152/z090-100")
    assert all(v.shape == (10, 256, 256) and v.dtype == np.float32 for v in mni_volumes.volumes)
    assert all(0.0 <= v.min() and v.max() <= 1.0 for v in mni_volumes.volumes)
    test_slices = {s for members in mni_volumes.slice_ids for s in members}
    assert len(test_slices) == 20
    for split in ("train", "validation"):
        other = load_volumes(card, split)
        assert not test_slices & {s for members in other.slice_ids for s in members}


def test_a_volume_is_its_slices_stacked(mni_volumes, mni_test):
    """The same pixels as the image track's slices (same loader, same normalisation)."""
    volume = mni_volumes.image("mni152/z090-100")
    for k, slice_id in enumerate(mni_volumes.slice_ids[1]):
        np.testing.assert_array_equal(volume[k], mni_test.image(slice_id))


def test_nifti_and_dicom_slices_group_into_runs():
    from benchmark.data.schema import Card, Loader

    nifti = Card(name="nifti:/d", loader=Loader(kind="nifti", path="/d"), root="/")
    ids = ["a.nii.gz/z003", "a.nii.gz/z004", "a.nii.gz/z005", "a.nii.gz/z007", "b.nii/z000"]
    assert group_slices(nifti, "all", ids) == [("a.nii.gz/z003-006", [0, 1, 2]),
                                               ("a.nii.gz/z007-008", [3]),
                                               ("b.nii/z000-001", [4])]
    dicom = Card(name="dicom:/d", loader=Loader(kind="dicom", path="/d"), root="/")
    ids = ["s1/1.dcm", "s1/2.dcm", "s2/1.dcm", "m.dcm#f000", "m.dcm#f001"]
    assert group_slices(dicom, "all", ids) == [("s1", [0, 1]), ("s2", [2]),
                                               ("m.dcm/f000-002", [3, 4])]


def test_nifti_file_gives_volumes(tmp_path):
    import nibabel

    rng = np.random.default_rng(0)
    data = (rng.random((40, 48, 12)) * 1000).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(data, np.eye(4)), tmp_path / "scan.nii.gz")
    from benchmark.data.loaders.detect import path_card

    volumes = load_volumes(path_card(tmp_path / "scan.nii.gz"), "all")
    assert volumes.ids == ("scan.nii.gz/z000-012",)
    assert volumes.image(volumes.ids[0]).shape == (12, 48, 40)


def test_volume_over_the_voxel_limit_is_refused(monkeypatch):
    from benchmark.data.limits import TooLarge

    monkeypatch.setenv("BENCH_MAX_VOXELS", "100000")
    with pytest.raises(TooLarge, match="10 x 256 x 256"):
        load_volumes(load_card("mni152"), "test")


def test_same_volume_same_noise_for_every_method(small_volume):
    """A cell's noise comes from its identity: a 3-D and a slice-wise method see one draw."""
    from benchmark.engine.runner import NOISY, Task, evaluate
    from benchmark.engine.store import CellKey

    def echo(item, noise):
        return item

    register("test-echo-3d", uses_sigma=False, data="volume")(echo)
    register("test-echo-2d", uses_sigma=False)(echo)
    try:
        scores = {}
        for name in (NOISY, "test-echo-3d", "test-echo-2d"):
            key = CellKey("d", "test", "d/z000-010", "gaussian", 0.1, False, 0, name, "-")
            _, result = evaluate(Task(key, {}, "cpu", 1.0, clean=small_volume, data="volume"))
            assert result["status"] == "ok", result
            scores[name] = (result["psnr"], result["ssim"], result["extra"]["psnr_slices"])
        assert scores["test-echo-3d"] == scores[NOISY] == scores["test-echo-2d"]
        other = CellKey("d", "test", "d/z000-010", "gaussian", 0.1, False, 1, NOISY, "-")
        _, result = evaluate(Task(other, {}, "cpu", 1.0, clean=small_volume, data="volume"))
        assert result["psnr"] != scores[NOISY][0]  # another seed, another draw
    finally:
        unregister("test-echo-3d")
        unregister("test-echo-2d")


def test_volume_metrics_equal_direct_scikit_image_calls(small_volume):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from benchmark.core.volume_metrics import score_volume

    clean = small_volume.astype(np.float64)
    noisy = add_noise(small_volume, NOISE, image_id="metrics").astype(np.float64)
    scores = score_volume(clean, noisy)
    settings = dict(data_range=1.0, gaussian_weights=True, sigma=1.5,
                    use_sample_covariance=False)
    assert scores["psnr"] == pytest.approx(peak_signal_noise_ratio(clean, noisy, data_range=1.0),
                                           abs=1e-10)
    with pytest.raises(ValueError, match="win_size exceeds image extent"):
        structural_similarity(clean, noisy, **settings)  # 10 slices < the 11-tap window
    assert scores["ssim"] == pytest.approx(structural_similarity(clean, noisy, win_size=9,
                                                                 **settings), abs=1e-12)
    assert scores["extra"]["psnr_slices"] == pytest.approx(
        np.mean([peak_signal_noise_ratio(c, n, data_range=1.0) for c, n in zip(clean, noisy)]))
    assert scores["extra"]["ssim_slices"] == pytest.approx(
        np.mean([structural_similarity(c, n, **settings) for c, n in zip(clean, noisy)]))
    thick = np.concatenate([clean, clean[::-1]])
    assert score_volume(thick, thick)["ssim"] == pytest.approx(1.0)


def test_plan_runs_image_methods_slice_wise_and_3d_methods_only_on_volumes():
    from benchmark.engine.runner import plan
    from benchmark.workflows import Subset

    methods = [get_method(n) for n in ("gaussian-filter", "gaussian-3d", "bm4d")]
    on_volumes = plan(Subset("d", "test", ("v",), data="volume"), [NOISE], methods)
    assert sorted(t.key.method for t in on_volumes) == ["bm4d", "gaussian-3d",
                                                       "gaussian-filter", "noisy"]
    assert {t.data for t in on_volumes} == {"volume"}
    on_images = plan(Subset("d", "test", ("i",)), [NOISE], methods)
    assert sorted(t.key.method for t in on_images) == ["gaussian-filter", "noisy"]
    assert not any(m.data == "curve" for m in resolve_methods(None, data="volume"))
    assert not any(m.data == "volume" for m in resolve_methods(None, data="image"))
    with pytest.raises(BenchError, match="bm4d denoises volumes"):
        resolve_methods(["bm4d"], data="image")


def test_bm4d_runs_under_rician_noise_through_its_fair_variants():
    names = [m.name for m in resolve_methods(["bm4d*"], kind="rician", data="volume")]
    assert names == ["bm4d.rician-bc", "bm4d.rician-vst"]
    assert all(get_method(n).data == "volume" for n in names)
    with pytest.raises(BenchError, match="does not apply to rician"):
        resolve_methods(["bm4d"], kind="rician")


@pytest.mark.parametrize("kind, rician", [("gaussian", False), ("rician", True)])
def test_nlm_3d_tells_dipy_the_noise_model(monkeypatch, kind, rician):
    import dipy.denoise.nlmeans as dipy_nlm

    seen = {}

    def fake(arr, sigma, **kwargs):
        seen.update(kwargs, sigma=sigma, low=float(arr.min()))
        return arr

    monkeypatch.setattr(dipy_nlm, "nlmeans", fake)
    volume = np.zeros((1, 4, 8, 8), np.float32)
    out = get_method("nlm-3d")(volume, Noise(kind, 0.1))
    assert seen["rician"] is rician and seen["num_threads"] == 1 and seen["sigma"] == 0.1
    assert seen["low"] == (0.0 if rician else 1.0)  # Gaussian data shifted off zero, and back
    np.testing.assert_array_equal(out, volume)


def test_nlm_3d_blockwise_is_fast_deterministic_and_denoises(small_volume):
    """nlm-3d with dipy's fast algorithm too (the contract test runs the default one)."""
    noisy = add_noise(small_volume, NOISE, image_id="nlm")[None]
    before = noisy.copy()
    params = {"method": "blockwise", "block_radius": 2}
    out = get_method("nlm-3d")(noisy, NOISE, params=params)
    np.testing.assert_array_equal(out, get_method("nlm-3d")(noisy, NOISE, params=params))
    np.testing.assert_array_equal(noisy, before)
    assert out.dtype == np.float32 and out.shape == noisy.shape
    assert psnr(small_volume, out[0]) - psnr(small_volume, noisy[0]) > 3.0


def test_bench_run_volumes_through_the_cli(tmp_path, capsys, monkeypatch):
    from benchmark.cli import main
    from benchmark.engine.store import Store

    monkeypatch.chdir(tmp_path)
    store = tmp_path / "bench.sqlite"
    code = main(["run", "--volumes", "--limit", "1", "--methods", "gaussian-3d",
                 "gaussian-filter", "--noise", "gaussian", "--sigma", "0.1", "--store",
                 str(store), "--jobs", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 cells computed" in out and "mean over 1 volumes" in out
    with Store(store) as opened:
        cells = opened.frame()
    assert set(cells["image_id"]) == {"mni152/z034-044"}
    means = cells.set_index("method")
    assert means.loc["gaussian-3d", "psnr"] > means.loc["noisy", "psnr"] + 5
    assert means.loc["gaussian-filter", "psnr"] > means.loc["noisy", "psnr"] + 5
    assert {"psnr_slices", "ssim_slices", "psnr_anatomy"} <= set(cells.columns)


def test_bench_report_volumes_writes_its_own_folder_table_and_views(tmp_path, capsys,
                                                                    monkeypatch):
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENCH_REPORTS", str(tmp_path / "reports"))
    code = main(["report", "--volumes", "--limit", "1", "--methods", "gaussian-filter",
                 "gaussian-3d", "--noise", "gaussian", "--sigma", "0.1", "--store",
                 str(tmp_path / "s.sqlite"), "--jobs", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    folders = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    assert len(folders) == 1 and folders[0].name.startswith("mni152-volumes")
    folder = folders[0]
    table = (folder / "volumes-gaussian-0.1.md").read_text()
    assert "| gaussian-filter | slice-wise |" in table and "| gaussian-3d | 3-D |" in table
    assert (folder / "figures" / "volumes-gaussian-0.1-views.png").stat().st_size > 1000
    page = (folder / "index.html").read_text()
    assert "Orthogonal views" in page and "slice-wise" in page
