"""Fair tables: the right cells in each column, Wilcoxon marks, the ranking paragraph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.core.contract import Noise
from benchmark.core.noise import report_kinds
from benchmark.report.fair import build_fair_table, candidates, display_rows, ranking_paragraph
from benchmark.report.paper import TABLES, rows_for
from benchmark.core.registry import get_method, method_names
from benchmark.report.tables import Selection
from benchmark.engine.runner import cell_config
from benchmark.engine.tuning import Choice

TABLE2 = TABLES[1]
NOISE = TABLE2.noise
IMAGES = [f"img{i}" for i in range(8)]


def _cells(method: str, params: dict, psnr: float, rng) -> list[dict]:
    config = cell_config(get_method(method).resolve_params(params))
    return [{"dataset": "d", "split": "test", "image_id": image, "noise": NOISE.kind,
             "sigma": NOISE.sigma, "seed": 0, "clip": False, "method": method, "config": config,
             "status": "ok", "psnr": psnr + rng.normal(0, 0.05), "ssim": psnr / 40,
             "psnr_anatomy": psnr - 3, "ssim_anatomy": 0.5} for image in IMAGES]


def _table():
    rng = np.random.default_rng(0)
    rows = (_cells("gaussian-filter", {}, 18.0, rng) + _cells("tv", {}, 17.5, rng)
            + _cells("nlm", {}, 17.0, rng)
            + _cells("tv.rician-bc", {"weight_per_sigma": 2.0}, 32.0, rng)
            + _cells("tv.rician-bc", {}, 20.0, rng))  # default-parameter variant: not chosen
    choices = {("tv.rician-bc", "rician", 0.11): Choice("tv.rician-bc", NOISE,
                                                        {"weight_per_sigma": 2.0}, 31.0, 4, 5),
               ("tv.rician-vst", "rician", 0.11): Choice("tv.rician-vst", NOISE, {}, 25.0, 4, 5)}
    registered = {name: get_method(name) for name in method_names()}
    frame = build_fair_table(pd.DataFrame(rows), TABLE2, registered,
                             Selection("d", "test"), choices)
    return frame.set_index("method", drop=False)


def test_columns_read_the_plain_and_the_tuned_cells():
    frame = _table()
    assert abs(frame.loc["tv", "setting_psnr_mean"] - 17.5) < 0.1
    assert abs(frame.loc["tv", "fair_psnr_mean"] - 32.0) < 0.1  # tuned variant, not defaults
    assert frame.loc["tv", "fair_method"] == "tv.rician-bc"
    assert '"weight_per_sigma": 2.0' in frame.loc["tv", "fair_params"]
    assert frame.loc["tv", "n_setting"] == 8 and frame.loc["nlm", "n_fair"] == 0  # not tuned
    assert frame.loc["tv", "setting_psnr_low"] < frame.loc["tv", "setting_psnr_mean"] < frame.loc["tv", "setting_psnr_high"]
    assert frame.loc["tv", "paper_psnr"] == 17.0059


def test_wilcoxon_marks_against_the_best_classical():
    frame = _table()
    assert frame["setting_psnr_ref"].iloc[0] == "gaussian-filter"
    assert frame.loc["nlm", "setting_psnr_p"] < 0.05  # 8 pairs, all worse
    text = {row[0]: row for row in display_rows(frame.reset_index(drop=True))}
    assert text["Gaussian"][5].endswith("(ref)") and text["Non Local Means (NLM)"][5].endswith("*")


def test_paragraph_reports_rank_changes_and_gaps():
    text = ranking_paragraph(_table(), TABLE2, "psnr")
    # paper: tv 17.01 > nlm 16.94 > gaussian 16.84; measured: gaussian > tv > nlm
    assert "differs from the paper" in text and "gaussian-filter 3→1" in text
    assert "tv.rician-bc" in text and "below it" in text  # 32 dB vs the paper's 36.75 dB


def test_candidates_are_the_rician_variants_under_rician_noise():
    names = method_names()
    assert candidates("bm3d", names, Noise("gaussian", 0.1)) == ["bm3d"]
    assert set(candidates("wavelet", names, NOISE)) == {"wavelet.rician-bc", "wavelet.rician-vst"}
    assert set(candidates("wavelet.shift-invariant", names, NOISE)) == {
        "wavelet.shift-invariant-rician-bc", "wavelet.shift-invariant-rician-vst"}


@pytest.mark.slow
def test_bench_fair_end_to_end(tmp_path, capsys):
    """Tunes on validation, runs test cells, writes both tables; the test split is not tuned on."""
    import sqlite3

    from benchmark.cli import main

    store, out = tmp_path / "s.sqlite", tmp_path / "reports"
    argv = ["fair", "--methods", "tv", "--limit", "1", "--val-limit", "1", "--jobs", "1",
            "--store", str(store), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    text = (out / "table2_fair.md").read_text()
    assert "`tv.rician-" in text and "Table 2 (PSNR)" in text
    with sqlite3.connect(store) as db:
        splits = {row[0] for row in db.execute("SELECT DISTINCT split FROM cells WHERE method "
                                               "LIKE 'tv.rician%' AND config != ?", ("-",))}
        tuned = db.execute("SELECT DISTINCT split FROM tuned").fetchall()
    assert "validation" in splits and tuned == [("validation",)]
    frame = pd.read_csv(out / "table2_fair.csv").set_index("method")
    assert frame.loc["tv", "n_fair"] == 1 and frame.loc["tv", "fair_method"].startswith("tv.")
    capsys.readouterr()
    assert main(argv + ["--no-run"]) == 0
    assert "computed" not in capsys.readouterr().out
    assert main(argv[:-1] + ["--split", "validation", "--quiet"]) == 2


def test_reference_is_chosen_on_the_images_every_method_scored():
    from benchmark.report.fair import _best_on_common_images

    easy, hard = IMAGES[:4], IMAGES[4:]
    failed_on_hard = {image: 25.0 for image in easy}
    scored_all = {image: 26.0 for image in easy} | {image: 15.0 for image in hard}
    # own means 25.0 against 20.5; on the four common images 25.0 against 26.0
    assert _best_on_common_images({"a": failed_on_hard, "b": scored_all}) == "b"
    assert _best_on_common_images({"a": {"x": 1.0}, "b": {"y": 2.0}}) == "b"  # none common
    assert _best_on_common_images({}) is None


def test_bench_fair_with_failed_cells_exits_1(tmp_path, capsys):
    """Failed cells are listed after the tables and the exit status says so."""
    from benchmark.cli import main
    from benchmark.core.registry import register, unregister

    @register("test-fair-fails", uses_sigma=False)
    def fails(image, noise):  # fails under Table 1's noise only: Table 2's tuning still works
        if noise.kind == "gaussian":
            raise ValueError("cannot cope")
        return image

    try:
        argv = ["fair", "--methods", "test-fair-fails", "--limit", "1", "--val-limit", "1",
                "--jobs", "1", "--store", str(tmp_path / "s.sqlite"), "--out",
                str(tmp_path / "reports"), "--quiet"]
        assert main(argv) == 1
    finally:
        unregister("test-fair-fails")
    out = capsys.readouterr().out
    assert "failed: test-fair-fails" in out and "cannot cope" in out


@pytest.fixture
def always_fails():
    from benchmark.core.registry import register, unregister

    @register("test-fair-always-fails", uses_sigma=False)
    def fails(image, noise):
        raise RuntimeError("this method always fails")

    yield "test-fair-always-fails"
    unregister("test-fair-always-fails")


def test_the_default_fair_tables_are_not_rewritten_with_failed_cells(tmp_path, monkeypatch,
                                                                     capsys, always_fails):
    """The committed fair tables stay as they are unless every row is complete."""
    from benchmark.cli import main
    from benchmark.report import folders

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(folders.Setting, "is_default", property(lambda self: True))
    argv = ["fair", "--methods", always_fails, "--limit", "1", "--val-limit", "1", "--jobs",
            "1", "--store", str(tmp_path / "s.sqlite"), "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "were not rewritten" in err and "--allow-failed" in err and always_fails in err
    assert not list((tmp_path / "reports").glob("table*_fair.*"))
    assert main(argv + ["--no-run", "--allow-failed"]) == 1  # written, and still says so
    assert (tmp_path / "reports" / "table1_fair.md").is_file()
    assert (tmp_path / "reports" / "table2_fair.csv").is_file()


def test_other_tuning_settings_get_a_folder_of_their_own():
    from benchmark.workflows._fair import DEFAULT_VAL_LIMIT, output_folder
    from benchmark.workflows._split import Subset, default_reports

    subset = Subset("mni152", "test", ("mni152/z040",))
    options = dict(limit=None, seed=0, clip=False, sigma_source="oracle", methods=None,
                   metric="psnr")
    assert output_folder(subset, val_limit=DEFAULT_VAL_LIMIT, **options) == default_reports()
    assert output_folder(subset, val_limit=4, **options).name == "mni152-val4"
    custom = output_folder(subset, grids={"tv": {"weight_per_sigma": [1.0]}}, **options)
    other = output_folder(subset, grids={"tv": {"weight_per_sigma": [2.0]}}, **options)
    assert custom.name.startswith("mni152-grids-") and custom != other
    assert custom.parent == default_reports()


def test_a_custom_val_limit_never_writes_the_default_fair_tables(tmp_path, monkeypatch):
    import benchmark

    monkeypatch.chdir(tmp_path)
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"")
    result = benchmark.fair(limit=None, val_limit=4, run=False, store=store)
    assert result.out.name == "mni152-val4" and result.out.parent.name == "reports"
    assert not list((tmp_path / "reports").glob("table*_fair.*"))
    with pytest.raises(benchmark.BenchError, match="default report's folder"):
        benchmark.fair(val_limit=4, run=False, store=store, out="reports")


def test_the_note_gives_the_stored_number_of_validation_images(tmp_path):
    """Asked for 5 validation images on a split of 3: the table says 3, not 5."""
    import benchmark
    from benchmark.engine.tuning import save_choices

    store, out = tmp_path / "s.sqlite", tmp_path / "out"
    choice = Choice("tv.rician-bc", NOISE, {"weight_per_sigma": 2.0}, 30.0, 3, 4)
    save_choices(store, "mni152", [choice], metric="psnr", val_limit=5)
    result = benchmark.fair(methods=["tv"], limit=1, val_limit=5, run=False, store=store,
                            out=out)
    text = (out / "table2_fair.md").read_text()
    assert "validation split (3 images)" in text and "(5 images)" not in text
    assert [c.n_images for c in result.tables[1].choices] == [3]
    # tuned on another number of images: that choice is not used
    result = benchmark.fair(methods=["tv"], limit=1, val_limit=4, run=False, store=store,
                            out=out)
    assert result.tables[1].choices == [] and "images)" not in (out / "table2_fair.md").read_text()


@pytest.fixture
def plugin_method():
    from benchmark.core.registry import register, unregister

    @register("test-fair-plugin", uses_sigma=False, grid={"gain": [1.0, 0.9]},
              params={"gain": 1.0})
    def plugin(image, noise, *, gain):
        return image * gain

    yield "test-fair-plugin"
    unregister("test-fair-plugin")


def test_a_new_method_is_in_the_default_fair_tables(tmp_path, plugin_method):
    """Every plain registered method is a row by default, not only the paper's."""
    import benchmark

    store = tmp_path / "s.sqlite"
    store.write_bytes(b"")
    result = benchmark.fair(limit=1, run=False, store=store, out=tmp_path / "out")
    for table in result.tables:
        assert plugin_method in set(table.frame["method"])
        # plain methods, and a further kind's deep variants trained for it (cdae.residual)
        assert all(get_method(m).base is None or get_method(m).trained_for(table.table.noise)
                   for m in table.frame["method"] if m != "noisy")
    rows = [set(t.frame["method"]) - {plugin_method} for t in result.tables[:len(TABLES)]]
    paper = [set(rows_for(t.number)["method"]) | {"noisy"} for t in TABLES]
    # without the plugin: the paper's rows and DRUNet, the modern reference row
    assert rows == [names | {"drunet"} for names in paper]


def test_bench_fair_tunes_and_reports_a_new_method_in_every_table(tmp_path, plugin_method):
    """Tuned on each table's noise and scored (its default-run row: the test above)."""
    import sqlite3

    from benchmark.cli import main

    out, store = tmp_path / "out", tmp_path / "s.sqlite"
    main(["fair", "--methods", plugin_method, "--limit", "1", "--val-limit", "1", "--jobs", "1",
          "--store", str(store), "--out", str(out), "--quiet"])
    for number in range(1, 3 + len(report_kinds())):
        frame = pd.read_csv(out / f"table{number}_fair.csv").set_index("method")
        assert frame.loc[plugin_method, "n_setting"] == 1
        assert frame.loc[plugin_method, "n_fair"] == 1
    with sqlite3.connect(store) as db:
        tuned = db.execute("SELECT DISTINCT noise FROM tuned WHERE method = ?",
                           (plugin_method,)).fetchall()
    assert sorted(tuned) == sorted([("gaussian",), ("rician",)]
                                   + [(kind,) for kind in report_kinds()])
