import re

import numpy as np
import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.core.noise import report_kinds
from benchmark.report.paper import TABLES, reported
from benchmark.core.registry import resolve_methods
from benchmark.report.tables import Selection, build_table, write_table
from benchmark.engine.runner import plan, run_sweep
from benchmark.engine.store import Store


@pytest.fixture(scope="module")
def cells(small_set, tmp_path_factory):
    methods = resolve_methods(["nlm", "tv"])
    store_path = tmp_path_factory.mktemp("store") / "s.sqlite"
    with Store(store_path) as store:
        run_sweep(plan(small_set, [t.noise for t in TABLES], methods), store, small_set, jobs=1,
                  progress=False)
        return store.frame()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: f"table{t.number}")
def test_table_rows_measured_and_reported(cells, small_set, table):
    methods = resolve_methods(["nlm", "tv"])
    frame = build_table(cells, table, methods, Selection(small_set.dataset, "test"))
    measured = frame[frame["n"] > 0]
    assert list(measured["method"]) == ["noisy", "tv", "nlm"]  # noisy first, then paper order
    assert (measured["n"] == len(small_set)).all()

    tv = frame.set_index("method").loc["tv"]
    mine = cells[(cells["method"] == "tv") & (cells["noise"] == table.noise.kind)]
    assert tv["psnr_mean"] == pytest.approx(mine["psnr"].mean())
    assert tv["ssim_std"] == pytest.approx(mine["ssim"].std(ddof=1))
    paper = reported()
    expected = paper[(paper["table"] == table.number) & (paper["method"] == "tv")].iloc[0]
    assert (tv["paper_ssim"], tv["paper_psnr"]) == (expected["ssim"], expected["psnr"])
    assert tv["psnr_mean"] > frame.set_index("method").loc["noisy", "psnr_mean"]


def test_written_files_agree(cells, small_set, tmp_path):
    methods = resolve_methods(["nlm", "tv"])
    table = TABLES[1]
    frame = build_table(cells, table, methods, Selection(small_set.dataset, "test"))
    md, tex, csv = write_table(frame, table, tmp_path, context="ctx", methods=methods)
    text = md.read_text()
    assert "Table 2: Rician noise, sigma 0.11" in text and "0.4895" in text  # paper's TV SSIM
    tv = frame.set_index("method").loc["tv"]
    assert f"{tv.psnr_mean:.2f} ± {tv.psnr_std:.2f}" in text
    assert "weight_per_sigma" in text  # parameters are shown
    assert r"\toprule" in tex.read_text()
    pd.testing.assert_frame_equal(pd.read_csv(csv)[["method", "n"]], frame[["method", "n"]])


def test_bench_report_runs_missing_cells_then_only_reads(tmp_path, capsys):
    argv = ["report", "--limit", "1", "--methods", "tv", "--store", str(tmp_path / "s.sqlite"),
            "--out", str(tmp_path / "reports"), "--quiet", "--jobs", "1"]
    assert main(argv) == 0
    computed = int(re.search(r"(\d+) cells computed", capsys.readouterr().out).group(1))
    # Tables 1-2 (noisy + tv twice), then each further kind's table and curve
    assert computed > 4
    assert main(argv) == 0
    assert f"0 cells computed, {computed} already" in capsys.readouterr().out
    for n in range(1, 3 + len(report_kinds())):
        for suffix in ("md", "tex", "csv"):
            assert (tmp_path / "reports" / f"table{n}.{suffix}").is_file()
