"""The Python API: ``import benchmark`` is cheap, and a notebook gets the CLI's numbers."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmark
from benchmark.cli import main
from benchmark.core.errors import BenchError
from benchmark.engine.store import Store

ROOT = Path(benchmark.__file__).parent
FILTER = "gaussian-filter"


def _stored(store: Path) -> pd.DataFrame:
    with Store(store) as opened:
        return opened.frame()


def test_import_loads_no_heavy_library():
    heavy = ["torch", "pandas", "matplotlib", "scipy.stats", "skimage"]
    code = f"import sys, benchmark; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_resolve_to_the_library_objects():
    from benchmark.core.contract import Denoiser, Noise
    from benchmark.core.noise import NoiseModel, add_noise, get_noise_model, noise_kinds
    from benchmark.core.registry import get_method
    from benchmark.workflows import fair, run

    assert benchmark.Denoiser is Denoiser and benchmark.Noise is Noise
    assert benchmark.add_noise is add_noise and benchmark.get_method is get_method
    assert benchmark.NoiseModel is NoiseModel and benchmark.get_noise_model is get_noise_model
    assert benchmark.noise_kinds is noise_kinds
    assert benchmark.run is run and benchmark.fair is fair
    assert callable(benchmark.report) and benchmark.report.__name__ == "benchmark.report"
    importlib.import_module("benchmark.report.tables")
    assert benchmark.report.tables.Selection  # still the report layer's package
    assert callable(benchmark.report)
    assert set(benchmark.__all__) <= set(dir(benchmark))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        benchmark.nope


def test_no_layer_below_imports_the_workflows_or_the_cli():
    below = [p for layer in ("core", "data", "engine", "report") for p in (ROOT / layer).rglob("*.py")]
    offenders = []
    for path in below:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.startswith(("benchmark.workflows", "benchmark.cli"))]
    assert offenders == []


def test_notebook_example_run_then_report(tmp_path):
    """The example of docs/api.md: a run on two images, then a report into tmp_path."""
    store = tmp_path / "bench.sqlite"
    result = benchmark.run(noise="gaussian", sigma=0.1, methods=[FILTER], limit=2, store=store)

    assert result.sweep.computed == 4 and not result.sweep.failed
    stored = _stored(store)
    assert len(stored) == 4 and (stored["status"] == "ok").all()
    mine = result.cells.set_index(["image_id", "method"]).sort_index()
    theirs = stored.set_index(["image_id", "method"]).sort_index()
    assert mine.index.equals(theirs.index)
    np.testing.assert_array_equal(mine["psnr"], theirs["psnr"])
    np.testing.assert_array_equal(mine["ssim"], theirs["ssim"])
    means = result.means()
    assert list(means.index) == ["noisy", FILTER]
    assert means.loc[FILTER, "psnr"] > means.loc["noisy", "psnr"] + 3

    from benchmark.engine.store import Store

    with Store(store) as opened:
        noted = opened.datasets()[["dataset", "split", "images"]].values.tolist()
    assert noted == [["mni152", "test", 2]]

    out = tmp_path / "report"
    report = benchmark.report(methods=[FILTER], limit=2, store=store, out=out, figures=False)

    assert report.sweep.skipped == 4  # the Gaussian cells of the run are reused
    stored = _stored(store)
    # the Rician ones are new, and those of each further kind's table and curve (Table 3 on)
    assert report.sweep.computed == len(stored) - 4
    assert (stored["noise"] == "rician").sum() == 4
    numbers = [t.table.number for t in report.tables]
    assert numbers == list(range(1, 3 + len(benchmark.core.noise.report_kinds())))
    assert {p.name for p in report.paths} == {f"table{n}.{ext}" for n in numbers
                                              for ext in ("md", "csv", "tex")}
    assert all(p.is_file() and p.parent == out for p in report.paths)
    table = report.frame(1).set_index("method")
    filtered = result.cells[result.cells["method"] == FILTER]
    assert table.loc[FILTER, "n"] == 2
    assert table.loc[FILTER, "psnr_mean"] == pytest.approx(filtered["psnr"].mean(), abs=1e-12)
    assert table.loc[FILTER, "ssim_mean"] == pytest.approx(filtered["ssim"].mean(), abs=1e-12)
    written = pd.read_csv(out / "table1.csv").set_index("method")
    assert written.loc[FILTER, "psnr_mean"] == round(table.loc[FILTER, "psnr_mean"], 4)


def test_cli_and_api_give_the_same_numbers(tmp_path, capsys):
    argv = ["run", "--noise", "rician", "--sigma", "0.11", "--methods", "tv", FILTER,
            "--limit", "2", "--jobs", "1", "--quiet"]
    assert main([*argv, "--store", str(tmp_path / "cli.sqlite")]) == 0
    printed = capsys.readouterr().out
    result = benchmark.run(noise="rician", sigma=[0.11], methods=["tv", FILTER], limit=2,
                           store=tmp_path / "api.sqlite")

    columns = ["image_id", "method", "config", "psnr", "ssim", "psnr_anatomy", "ssim_anatomy"]
    cli = _stored(tmp_path / "cli.sqlite")[columns].sort_values(["image_id", "method"])
    api = result.cells[columns].sort_values(["image_id", "method"])
    assert len(api) == 6
    pd.testing.assert_frame_equal(cli.reset_index(drop=True), api.reset_index(drop=True))
    for method in ("noisy", "tv", FILTER):  # the CLI prints the workflow's means
        line = next(line.split() for line in printed.splitlines() if line.startswith(method + " "))
        means = result.means().loc[method]
        assert [float(v) for v in line[1:3]] == [round(means["psnr"], 2), round(means["ssim"], 4)]


def test_report_without_run_needs_the_store(tmp_path):
    with pytest.raises(BenchError, match="does not exist"):
        benchmark.report(run=False, store=tmp_path / "typo.sqlite", out=tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "typo.sqlite").exists()


@pytest.mark.parametrize("options, fragment", [
    ({"limit": 0}, "limit 0"),
    ({"jobs": 0}, "jobs 0"),
    ({"noise": "speckel"}, "Did you mean: speckle"),
    ({"sigma": "abc"}, "sigma 'abc'"),
    ({"methods": ["bm3dd"]}, "Did you mean: bm3d"),
    ({"sigma_source": "guess"}, "guess"),
])
def test_bad_keyword_values_are_one_line_errors(tmp_path, options, fragment):
    store = tmp_path / "s.sqlite"
    arguments = {"noise": "gaussian", "sigma": 0.1, "methods": [FILTER], "limit": 1,
                 "store": store, **options}
    with pytest.raises(BenchError) as error:
        benchmark.run(**arguments)
    assert fragment in str(error.value) and "\n" not in str(error.value)
    assert not store.exists()


def test_fair_refuses_the_validation_split(tmp_path):
    with pytest.raises(BenchError, match="tuning already uses validation"):
        benchmark.fair(split="validation", store=tmp_path / "s.sqlite", out=tmp_path / "out")
