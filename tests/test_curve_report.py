"""The curve report: table aggregation, failed fits, tuning on validation only, the files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmark.core.contract import Noise
from benchmark.core.registry import get_method
from benchmark.engine.tuning import choose, grid_points, check_split
from benchmark.core.errors import BenchError
from benchmark.engine.runner import method_config
from benchmark.report.curve_tables import CurveRow, build_curve_table, curve_rows
from benchmark.workflows._split import Subset

NOISE = Noise("relative-gaussian", 0.2)


def _cell(block, method, config, values, split="test", status="ok", sigma=0.2):
    row = {"dataset": "dce-sim", "split": split, "image_id": f"dce-sim/{split}-b{block:02d}",
           "noise": "relative-gaussian", "sigma": sigma, "clip": False, "seed": 0,
           "method": method, "config": config, "status": status}
    row.update(values)
    return row


def _values(rng, n, fail=()):
    true = rng.uniform(0.02, 0.2, size=(3, n))
    fitted = true + rng.normal(0, 0.01, size=(3, n))
    fit_ok = np.ones(n, bool)
    fit_ok[list(fail)] = False
    values = {f"{p}_true": true[k].tolist() for k, p in enumerate(("ktrans", "ve", "vp"))}
    values.update({f"{p}_fit": [None if not ok else float(v) for v, ok in zip(fitted[k], fit_ok)]
                   for k, p in enumerate(("ktrans", "ve", "vp"))})
    for metric in ("rmse", "ssd", "max_dev", "prd", "cosine"):
        values[metric] = rng.uniform(0.001, 0.01, n).tolist()
    values["fit_ok"] = fit_ok.tolist()
    values["within_tolerance"] = (fit_ok & (rng.random(n) < 0.5)).tolist()
    return values


def test_table_pools_every_block_as_numpy_does():
    rng = np.random.default_rng(1)
    blocks = [_values(rng, 5), _values(rng, 4)]
    cells = pd.DataFrame([_cell(b, "m", "c", v) for b, v in enumerate(blocks)]
                         + [_cell(0, "m", "c", _values(rng, 5), sigma=0.3)])  # another level
    frame = build_curve_table(cells, NOISE, [CurveRow("m", "m", "c", "classical")],
                              dataset="dce-sim", split="test").iloc[0]
    rmse = np.concatenate([b["rmse"] for b in blocks])
    assert frame["n_curves"] == 9 and frame["failed_cells"] == 0
    assert frame["rmse_mean"] == pytest.approx(rmse.mean())
    assert frame["rmse_sd"] == pytest.approx(rmse.std(ddof=1))
    fit = np.concatenate([b["ktrans_fit"] for b in blocks]).astype(float)
    true = np.concatenate([b["ktrans_true"] for b in blocks])
    assert frame["ktrans_rmse"] == pytest.approx(np.sqrt(np.mean((fit - true) ** 2)))
    assert frame["ktrans_mae"] == pytest.approx(np.mean(np.abs(fit - true)))
    assert frame["ktrans_medrel"] == pytest.approx(np.median(np.abs(fit - true) / true))
    inside = np.concatenate([b["within_tolerance"] for b in blocks])
    assert frame["within_tolerance"] == pytest.approx(inside.mean())


def test_failed_fits_are_counted_not_dropped():
    rng = np.random.default_rng(2)
    values = _values(rng, 4, fail=(0, 1, 2))
    cells = pd.DataFrame([_cell(0, "m", "c", values),
                          _cell(1, "m", "c", {}, status="error")])
    frame = build_curve_table(cells, NOISE, [CurveRow("m", "m", "c", "classical")],
                              dataset="dce-sim", split="test").iloc[0]
    assert frame["n_curves"] == 4 and frame["fit_failed"] == 3 and frame["failed_cells"] == 1
    assert frame["within_tolerance"] == pytest.approx(np.mean(values["within_tolerance"]))
    assert frame["within_tolerance"] <= 0.25  # the three failed fits count as outside
    assert np.isinf(frame["ktrans_medrel"])  # most fits failed: the median error is infinite
    only = values["ktrans_fit"][3] - values["ktrans_true"][3]
    assert frame["ktrans_rmse"] == pytest.approx(abs(only))


def test_tuning_picks_the_lowest_validation_rmse_and_refuses_the_test_split():
    method = get_method("moving-average")
    points = grid_points(method.grid)
    rng = np.random.default_rng(3)
    means = {json.dumps(p): 0.01 + 0.001 * k for k, p in enumerate(points)}
    best = points[2]
    means[json.dumps(best)] = 0.001
    rows = []
    for point in points:
        for block in range(2):
            values = _values(rng, 8)
            values["rmse"] = [means[json.dumps(point)]] * 8
            rows.append(_cell(block, method.name, method_config(method, point), values,
                              split="validation"))
    cells = pd.DataFrame(rows)
    split = Subset("dce-sim", "validation", ("dce-sim/validation-b00", "dce-sim/validation-b01"),
                   "curve")
    (choice,) = choose(cells, split, [NOISE], [method], grids={method.name: method.grid},
                       metric="rmse")
    assert choice.params == method.resolve_params(best) and choice.score == pytest.approx(0.001)
    with pytest.raises(BenchError, match="validation"):
        check_split("test")


def test_report_tunes_on_validation_only_and_writes_tables_figures_and_page(tmp_path):
    from benchmark.workflows import report
    from benchmark.engine.store import Store

    result = report(dataset="dce-sim", methods=["moving-average"], sigma=[0.2, 0.4], limit=1,
                    val_limit=1, store=tmp_path / "s.sqlite", out=tmp_path / "dce")
    names = sorted(p.name for p in (tmp_path / "dce").iterdir())
    assert {"index.html", "summary.md", "curves-all-levels.csv", "figures",
            "table-relative-gaussian-0.2.md", "table-relative-gaussian-0.4.csv"} <= set(names)
    assert {p.name for p in (tmp_path / "dce" / "figures").glob("*.png")} == {
        "noise-levels.png", "examples.png", "ktrans-scatter.png"}
    frame = result.frame(0.2)
    assert list(frame["label"]) == ["noisy", "moving-average", "moving-average (tuned)"]
    assert (frame["n_curves"] == 64).all() and not result.incomplete
    assert result.summary.startswith("At 20% noise") and "Ktrans RMSE" in result.summary
    page = (tmp_path / "dce" / "index.html").read_text()
    assert result.summary.split(",")[0] in page and "data:image/png;base64" in page
    with Store(tmp_path / "s.sqlite") as store:
        cells = store.frame()
    method = get_method("moving-average")
    test_configs = set(cells.loc[(cells["split"] == "test")
                                 & (cells["method"] == method.name), "config"])
    chosen = {method_config(method, c.params) for c in result.choices}
    assert test_configs == {method_config(method)} | chosen  # no other grid point on test
    tried = set(cells.loc[cells["split"] == "validation", "config"])
    assert tried == {method_config(method, p) for p in grid_points(method.grid)}


def test_rows_label_the_tuned_methods():
    rows = curve_rows([get_method("moving-average")], {"moving-average": {"window": 5}})
    assert [(r.label, r.kind) for r in rows] == [
        ("noisy", "input"), ("moving-average", "classical"),
        ("moving-average (tuned)", "tuned")]


def test_image_page_links_the_curve_report_when_it_exists(tmp_path):
    from benchmark.report.build import curve_report_links

    assert curve_report_links(tmp_path) == []
    (tmp_path / "dce-sim").mkdir()
    (tmp_path / "dce-sim" / "index.html").write_text("<html></html>")
    assert curve_report_links(tmp_path) == [("DCE-MRI curve report (dce-sim)",
                                             "dce-sim/index.html")]
