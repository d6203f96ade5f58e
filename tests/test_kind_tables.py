"""The noise kinds beyond the paper's two in the reports: Table 3 onward of ``bench report``,
their curves and panels, their ``bench fair`` tables and their ``bench check`` baselines."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.core.contract import Noise
from benchmark.core.noise import get_noise_model, noise_kinds, report_kinds
from benchmark.core.registry import get_method, register, resolve_methods, unregister
from benchmark.data.cards import card_names
from benchmark.report.kinds import FIRST, available, fairest, kind_notes, kind_rows, kind_tables
from benchmark.report.paper import TABLES


@pytest.fixture
def no_checkpoint_method():
    """A batched method that, like a deep model without a checkpoint for the kind, cannot
    denoise Poisson noise here."""
    def why(noise, params):
        return (None if noise.kind != "poisson" else
                f"no test-nockpt checkpoint covers {noise}; train one with 'bench train x'")

    @register("test-nockpt", uses_sigma=False, batched=True, availability=why)
    def nockpt(stack, noise, *, device="cpu"):
        return stack

    yield get_method("test-nockpt")
    unregister("test-nockpt")


def test_report_kinds_are_the_models_with_a_report_level():
    assert list(report_kinds()) == [k for k in noise_kinds()
                                    if get_noise_model(k).report_level is not None]
    assert {"poisson", "ncchi8"} <= set(report_kinds())
    assert not {"gaussian", "rician", "ncchi4", "ncchi32"} & set(report_kinds())


@pytest.mark.parametrize("kind", report_kinds())
def test_each_kind_declares_a_valid_table_curve_and_dataset(kind):
    model = get_noise_model(kind)
    Noise(kind, model.report_level)  # a valid level of the kind
    assert model.report_level in model.report_levels  # the table's level is on its curve
    levels = list(model.report_levels)
    assert len(levels) >= 2 and levels == sorted(levels)
    assert model.default_dataset in card_names()
    assert "image" in model.data


def test_kind_tables_are_numbered_from_3_in_registration_order():
    tables = kind_tables()
    assert FIRST == len(TABLES) + 1 == 3
    assert [t.number for t in tables] == list(range(3, 3 + len(report_kinds())))
    assert [t.noise.kind for t in tables] == list(report_kinds())
    assert not any(t.reported for t in tables)
    # a subset keeps the numbers of the default report
    (poisson,) = kind_tables(["poisson"])
    assert poisson.number == 3 + list(report_kinds()).index("poisson")
    assert poisson.caption == "Poisson noise, peak 30"


@pytest.mark.parametrize("kind", report_kinds())
def test_rows_follow_each_plain_method_with_its_fair_variants(kind):
    plain = resolve_methods(None, kind=kind, variants=False, data="image")
    rows = kind_rows(kind, plain)
    names = [m.name for m in rows]
    trained = {m.name for m in rows if m.opt_in}  # deep variants with weights for the kind
    for index, method in enumerate(rows):
        assert method.applies_to(kind)
        if method.base is not None:  # a variant comes after its plain method, for this kind
            assert names.index(method.base) < index
            assert method.noise_kinds == (kind,) or method.name in trained
    for name in trained:
        method = get_method(name)
        assert method.weights is not None
        assert method.unavailable_for(Noise(kind, get_noise_model(kind).report_level)) is None
    suffixes = tuple(t.suffix for t in get_noise_model(kind).fair_transforms)
    variants = [m for m in rows if m.base is not None]
    # the fair transforms' variants, any registered for this kind alone (bm3d.ldct-psd), and
    # the deep variants trained for it (cdae.residual under ldct)
    assert any(m.name.endswith(suffixes) for m in variants)
    assert all(m.name.endswith(suffixes) or m.noise_kinds == (kind,) or m.name in trained
               for m in variants)
    # the curves show each method in its fairest form: its variants, or itself
    shown = fairest(rows)
    assert {m.base for m in variants} <= {m.name for m in rows} - {m.name for m in shown}
    assert all(m.base is not None or m.name not in {v.base for v in variants} for m in shown)


def test_poisson_and_ncchi8_rows_in_order():
    methods = resolve_methods(["tv", "nlm"])
    assert [m.name for m in kind_rows("poisson", methods)] == [
        "tv", "tv.poisson-anscombe", "nlm", "nlm.poisson-anscombe"]
    assert [m.name for m in kind_rows("ncchi8", methods)] == [
        "tv", "tv.ncchi8-bc", "tv.ncchi8-vst", "nlm", "nlm.ncchi8-bc", "nlm.ncchi8-vst"]


def test_a_deep_model_without_checkpoint_names_the_train_command():
    why = get_method("cdae").unavailable_for(Noise("poisson", 30))
    assert why is None or (why.startswith("no cdae checkpoint covers poisson sigma=30")
                           and "bench train cdae --noise poisson --sigma 30" in why
                           and "/" not in why.split("checkpoints/")[0])  # no path
    # the shipped checkpoints cover the paper's settings
    if why is not None:
        assert get_method("cdae").unavailable_for(TABLES[0].noise) is None
    assert get_method("tv").unavailable_for(Noise("poisson", 30)) is None


def test_rows_that_cannot_run_are_left_out_with_their_reason(no_checkpoint_method):
    rows = kind_rows("poisson", [get_method("tv"), no_checkpoint_method])
    kept, left_out = available(rows, Noise("poisson", 30))
    assert [m.name for m in kept] == ["tv", "tv.poisson-anscombe"]
    assert list(left_out) == ["test-nockpt"] and "bench train x" in left_out["test-nockpt"]
    (table,) = kind_tables(["poisson"])
    notes = kind_notes(table, kept, left_out)
    assert any(n.startswith("No row for test-nockpt: no test-nockpt checkpoint") for n in notes)
    assert any("`poisson-anscombe`" in n for n in notes)


def test_report_builds_each_kind_table_from_its_own_cells(tmp_path, no_checkpoint_method):
    import benchmark
    from benchmark.engine.store import Store

    store = tmp_path / "s.sqlite"
    result = benchmark.report(methods=["gaussian-filter", "test-nockpt"], limit=1,
                              kinds=["poisson"], store=store, out=tmp_path / "out",
                              figures=False)
    (poisson,) = kind_tables(["poisson"])
    assert [t.table.number for t in result.tables] == [1, 2, poisson.number]
    assert result.incomplete == [] and result.written
    frame = result.frame(poisson.number).set_index("method")
    assert list(frame.index) == ["noisy", "gaussian-filter", "gaussian-filter.poisson-anscombe"]
    assert (frame["n"] == 1).all() and "paper_ssim" not in frame
    # the fair variant beats the plain filter, which reads the peak as a Gaussian sigma
    assert frame.loc["gaussian-filter.poisson-anscombe", "psnr_mean"] > \
        frame.loc["gaussian-filter", "psnr_mean"] + 10
    assert result.tables[-1].left_out.keys() == {"test-nockpt"}
    text = (tmp_path / "out" / f"table{poisson.number}.md").read_text()
    assert "No row for test-nockpt" in text and "(paper)" not in text
    # the curve's cells: the fairest form of each method and the noisy input at every level
    with Store(store) as opened:
        cells = opened.frame()
    cells = cells[cells["noise"] == "poisson"]
    for method in ("noisy", "gaussian-filter.poisson-anscombe"):
        assert sorted(cells[cells["method"] == method]["sigma"]) == sorted(
            get_noise_model("poisson").report_levels)
    assert set(cells[cells["method"] == "gaussian-filter"]["sigma"]) == {30.0}
    stored = cells[(cells["method"] == "gaussian-filter.poisson-anscombe")
                   & (cells["sigma"] == 30.0)]["psnr"]
    assert frame.loc["gaussian-filter.poisson-anscombe", "psnr_mean"] == pytest.approx(
        float(stored.iloc[0]))
    # Tables 1-2 are as before: the paper's columns, no variant rows
    assert "paper_ssim" in result.frame(1) and "tv.poisson-anscombe" not in set(
        result.frame(2)["method"])


def test_other_data_or_noise_settings_get_no_kind_tables(tmp_path):
    import benchmark

    result = benchmark.report(methods=["gaussian-filter"], noise="rician", sigma=0.05, limit=1,
                              store=tmp_path / "s.sqlite", out=tmp_path / "out", figures=False)
    assert [t.table.number for t in result.tables] == [1]
    result = benchmark.report(methods=["gaussian-filter"], limit=1, kinds=(),
                              store=tmp_path / "s.sqlite", out=tmp_path / "out2", figures=False)
    assert [t.table.number for t in result.tables] == [1, 2]


def test_kind_curves_and_panel_on_the_page(tmp_path):
    import benchmark

    out = tmp_path / "out"
    result = benchmark.report(methods=["gaussian-filter"], limit=2, kinds=["poisson"],
                              store=tmp_path / "s.sqlite", out=out)
    (poisson,) = kind_tables(["poisson"])
    figures = out / "figures"
    assert (figures / "curves-poisson.png").is_file()
    assert (figures / "visual-poisson-30.png").is_file()
    caption = (figures / "curves-poisson.caption").read_text()
    assert "peak 5 10 30 100 300" in caption and "N = 2" in caption
    page = result.page.read_text()
    assert f"Table {poisson.number}: Poisson noise, peak 30" in page
    assert f"Table {poisson.number}, visual comparison" in page
    assert "Noise-level curves (poisson)" in page
    assert "Noise-level curves, poisson" not in page  # nothing missing


def test_fair_tables_of_a_kind_tune_its_fair_variants(tmp_path, no_checkpoint_method):
    import benchmark

    (tmp_path / "table1_fair.md").write_text("kept")
    result = benchmark.fair(methods=["gaussian-filter", "test-nockpt"], val_limit=1, limit=2,
                            grids={"gaussian-filter": {"width_per_sigma": [5.0, 10.0]}},
                            noise=["poisson"], out=tmp_path, store=tmp_path / "s.sqlite")
    (poisson,) = kind_tables(["poisson"])
    assert [t.table.number for t in result.tables] == [poisson.number]
    assert (tmp_path / "table1_fair.md").read_text() == "kept"  # other tables left alone
    table = result.tables[-1]
    assert table.left_out.keys() == {"test-nockpt"}
    row = table.frame.set_index("method").loc["gaussian-filter"]
    assert row["fair_method"] == "gaussian-filter.poisson-anscombe"
    assert row["n_setting"] == row["n_fair"] == 2
    assert row["fair_psnr_mean"] > row["setting_psnr_mean"]
    assert {c.method for c in table.choices} == {"gaussian-filter.poisson-anscombe"}
    text = (tmp_path / f"table{poisson.number}_fair.md").read_text()
    header = text.splitlines()[2]
    assert "PSNR plain" in header and "paper" not in header
    assert "No row for test-nockpt" in text and "`poisson-anscombe`" in text
    assert result.incomplete == []


def test_fair_noise_must_name_a_table(tmp_path, capsys):
    from benchmark.cli import main

    store = tmp_path / "s.sqlite"
    store.write_bytes(b"")
    argv = ["fair", "--noise", "ncchi4", "--no-run", "--store", str(store), "--out",
            str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "ncchi4" in err and "poisson" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_check_covers_each_kind_at_its_report_level():
    from benchmark.engine.check import CHECK_NOISES, check_methods, check_noises, kind_noises

    assert check_noises()[:len(CHECK_NOISES)] == CHECK_NOISES
    assert [(n.kind, n.sigma) for n in kind_noises()] == [
        (k, get_noise_model(k).report_level) for k in report_kinds()]
    methods = resolve_methods(None, data="image")
    for noise in kind_noises():
        chosen = check_methods(methods, noise)
        assert all(m.applies_to(noise.kind) and m.unavailable_for(noise) is None
                   for m in chosen)
        assert any(m.base is not None for m in chosen)  # the fair variants are checked
    # the paper's settings keep every method that applies, as before
    assert len(check_methods(methods, CHECK_NOISES[0])) == len(
        [m for m in methods if m.applies_to("gaussian")])


def test_committed_baseline_covers_every_kind():
    from benchmark.engine.check import (BASELINE_DIR, CHECK_IMAGES, kind_noises,
                                        noise_file_name, read_baseline)

    baseline = read_baseline(kind_noises(), BASELINE_DIR)
    methods = resolve_methods(None, data="image")
    from benchmark.engine.check import check_methods

    for noise, frame in baseline.items():
        assert (frame["failed"] == 0).all() and (frame["n"] == CHECK_IMAGES).all(), noise
        expected = {"noisy", *(m.name for m in check_methods(methods, noise))}
        assert set(frame["method"]) == expected, noise_file_name(noise)


def test_check_cli_kind_baseline_missing_update_and_unknown(tmp_path, capsys):
    import shutil

    from benchmark.cli import main
    from benchmark.engine.check import BASELINE_DIR, CHECK_NOISES, noise_file_name

    for noise in CHECK_NOISES:
        shutil.copy(BASELINE_DIR / noise_file_name(noise), tmp_path)
    argv = ["check", "--baseline", str(tmp_path), "--methods", "gaussian-filter", "--quiet",
            "--jobs", "1", "--noise", "poisson"]
    assert main(argv) == 0  # no poisson baseline yet: reported, not failed
    out = capsys.readouterr().out
    assert "no baseline for poisson sigma=30" in out and "--update --noise poisson" in out
    assert "new" in out and "check: OK" in out

    assert main(["check", "--update", "--baseline", str(tmp_path), "--quiet", "--jobs", "1",
                 "--noise", "poisson", "--methods", "gaussian-filter"]) == 2  # --methods
    before = {p.name: p.read_bytes() for p in tmp_path.glob("check-*.csv")}
    # --update --noise rewrites that kind's file only (here with a one-method registry slice)
    from benchmark.engine import check as engine_check

    current = engine_check.measure_all([get_method("gaussian-filter")], [Noise("poisson", 30)],
                                       limit=1)
    engine_check.write_baseline(current, tmp_path, replace_all=False)
    after = {p.name: p.read_bytes() for p in tmp_path.glob("check-*.csv")}
    assert {k: after[k] for k in before} == before and "check-poisson-30.csv" in after
    assert main(["check", "--noise", "speckle-typo", "--baseline", str(tmp_path)]) == 2
    assert "bench check covers" in capsys.readouterr().err


def test_poisson_curve_axis_is_its_peak_on_a_log_scale():
    from benchmark.report.figures import curve_levels, plot_noise_curves

    assert curve_levels("poisson") == get_noise_model("poisson").report_levels
    data = pd.DataFrame([{"method": "noisy", "sigma": s, "metric": m, "mean": 1.0, "low": 0.9,
                          "high": 1.1, "n": 3} for s in curve_levels("poisson")
                         for m in ("psnr", "ssim")])
    figure = plot_noise_curves(data, "poisson")
    axis = figure.axes[0]
    assert axis.get_xscale() == "log"
    assert axis.get_xlabel() == get_noise_model("poisson").level_axis
    gaussian = pd.DataFrame([{**row, "sigma": s} for s in curve_levels("gaussian")
                             for row in data.iloc[:2].to_dict("records")])
    assert plot_noise_curves(gaussian, "gaussian").axes[0].get_xscale() == "linear"


def test_bench_curves_of_a_kind_default_to_its_documented_levels(tmp_path):
    import benchmark

    levels = get_noise_model("poisson").report_levels
    result = benchmark.curves(noise=["poisson"], methods=["gaussian-filter"], limit=1,
                              store=tmp_path / "s.sqlite", out=tmp_path / "out")
    assert [s.computed for s in result.sweeps] == [2 * len(levels)]  # noisy + the filter
    (figure,) = result.figures
    assert figure.title.startswith("Noise-level curves (poisson)")
    assert f"peak {' '.join(f'{s:g}' for s in levels)}" in figure.caption



def test_bench_run_without_a_dataset_runs_on_the_kinds_own_card(tmp_path, capsys):
    from benchmark.cli import main
    from benchmark.engine.store import Store

    store = tmp_path / "store.sqlite"
    code = main(["run", "--noise", "speckle", "--sigma", "4", "--limit", "1", "--methods",
                 "srad", "--jobs", "1", "--quiet", "--store", str(store)])
    assert code == 0, capsys.readouterr().err
    with Store(store) as s:
        cells = s.frame()
    assert set(cells["image_id"]) == {"us-phantom/p0220"}  # speckle's card, not MNI152
