"""Outputs that never clobber: where results and reports go, what a report of another setting
may overwrite, and what makes a regenerated report differ from the committed one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest

import benchmark
from benchmark.cli import main
from benchmark.core.registry import register, unregister
from benchmark.report import folders
from benchmark.report.build import curve_figures, training_figures
from benchmark.report.figures import curve_data
from benchmark.report.tables import Selection

ROOT = Path(benchmark.__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_RESULTS", "BENCH_REPORTS")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _bench(cwd: Path, *argv: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = f"import sys\n{prelude}\nfrom benchmark.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=300)


def _scans(folder: Path) -> Path:
    """Three small 8-bit PNG scans (a bright disc on a dark background)."""
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[:48, :48]
    for i in range(3):
        disc = ((yy - 24) ** 2 + (xx - 20 - i) ** 2 < 200) * (150 + 30 * i) + 10
        iio.imwrite(folder / f"scan{i}.png", disc.astype(np.uint8))
    return folder


def test_results_and_reports_go_to_the_working_folder(tmp_path):
    scans = _scans(tmp_path / "in" / "myscans")
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p.name for p in (ROOT / "results").glob("*")) if (ROOT / "results").is_dir() else []
    done = _bench(work, "report", "--data", str(scans), "--methods", "gaussian-filter",
                  "--no-visual", "--quiet", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert (work / "results" / "bench.sqlite").is_file()
    (folder,) = (work / "reports").glob("folder-myscans-*-gaussian-filter")
    assert (folder / "table1.md").is_file() and (folder / "index.html").is_file()
    assert not (work / "reports" / "table1.md").exists()  # never the default report's place
    after = sorted(p.name for p in (ROOT / "results").glob("*")) if (ROOT / "results").is_dir() else []
    assert after == before  # nothing written into the checkout the package came from


def test_a_report_of_other_data_has_no_paper_columns_and_no_absolute_path(tmp_path):
    scans = _scans(tmp_path / "myscans")
    store = tmp_path / "s.sqlite"
    done = _bench(tmp_path, "report", "--data", str(scans), "--methods", "gaussian-filter",
                  "--no-visual", "--quiet", "--jobs", "1", "--store", str(store))
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "reports").glob("folder-myscans-*-gaussian-filter")
    table = (folder / "table1.md").read_text()
    assert "(paper)" not in table and "paper_ssim" not in (folder / "table1.csv").read_text()
    for name in ("table1.md", "table2.md", "index.html"):
        assert str(tmp_path) not in (folder / name).read_text()


def test_other_noise_settings_get_a_folder_of_their_own(tmp_path):
    store = tmp_path / "s.sqlite"
    done = _bench(tmp_path, "report", "--noise", "rician", "--sigma", "0.05", "--methods",
                  "gaussian-filter", "--limit", "2", "--no-figures", "--quiet", "--jobs", "1",
                  "--store", str(store))
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "reports" / "mni152-first2-rician-0.05-gaussian-filter"
    assert (folder / "table1.md").read_text().startswith("# Table 1: rician sigma=0.05")
    assert "(paper)" not in (folder / "table1.md").read_text()
    assert not (folder / "table2.md").exists()
    cells = pd.read_csv(folder / "table1.csv")
    assert "seconds" not in cells.columns  # timings stay in the store, out of committed files


def test_the_default_report_folder_is_refused_for_another_setting(tmp_path):
    (tmp_path / "s.sqlite").write_bytes(b"")  # --no-run needs a store file
    done = _bench(tmp_path, "report", "--limit", "2", "--methods", "tv", "--out", "reports",
                  "--no-run", "--store", str(tmp_path / "s.sqlite"))
    assert done.returncode == 2
    assert "default report's folder" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()


@pytest.fixture
def failing_method():
    @register("test-always-fails", uses_sigma=False)
    def always_fails(image, noise):
        raise RuntimeError("this method always fails")

    yield "test-always-fails"
    unregister("test-always-fails")


def _report(store: Path, *extra: str) -> int:
    return main(["report", "--methods", "gaussian-filter", "test-always-fails", "--limit", "2",
                 "--noise", "gaussian", "--sigma", "0.1", "--no-figures", "--quiet", "--jobs",
                 "1", "--store", str(store), *extra])


def test_a_report_with_failed_rows_says_so_and_exits_1(tmp_path, monkeypatch, capsys,
                                                       failing_method):
    monkeypatch.chdir(tmp_path)
    assert _report(tmp_path / "s.sqlite") == 1
    err = capsys.readouterr().err
    assert "test-always-fails: 2 failed cell(s)" in err and "always fails" in err
    # not the default setting: written to its own folder all the same
    assert list((tmp_path / "reports").glob("*/table1.md"))


def test_the_default_report_is_not_rewritten_with_failed_rows(tmp_path, monkeypatch, capsys,
                                                              failing_method):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(folders.Setting, "is_default", property(lambda self: True))
    assert _report(tmp_path / "s.sqlite") == 1
    assert "was not rewritten" in capsys.readouterr().err
    assert not (tmp_path / "reports" / "table1.md").exists()
    assert _report(tmp_path / "s.sqlite", "--no-run", "--allow-failed") == 1
    assert (tmp_path / "reports" / "table1.md").is_file()


def test_the_report_workflow_says_which_rows_failed_and_leaves_the_default_report(
        tmp_path, monkeypatch, failing_method):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(folders.Setting, "is_default", property(lambda self: True))
    options = dict(methods=["gaussian-filter", failing_method], noise="gaussian", sigma=0.1,
                   limit=2, figures=False, store=tmp_path / "s.sqlite")
    result = benchmark.report(**options)
    assert not result.written and result.paths == []
    assert [line.split(": ")[1] for line in result.incomplete] == [failing_method]
    assert not (tmp_path / "reports" / "table1.md").exists()
    result = benchmark.report(**options, run=False, allow_failed=True)
    assert result.written and (tmp_path / "reports" / "table1.md").is_file()
    assert len(result.incomplete) == 1


def test_the_workflows_refuse_the_default_folder_for_another_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"")
    for call in (lambda: benchmark.report(methods=["tv"], limit=2, out="reports", run=False,
                                          store=store),
                 lambda: benchmark.curves(noise=["gaussian"], sigma=[0.1, 0.2], limit=1,
                                          out="reports", run=False, store=store),
                 lambda: benchmark.fair(methods=["tv"], limit=2, out="reports", run=False,
                                        store=store)):
        with pytest.raises(benchmark.BenchError, match="default report's folder"):
            call()
    assert not (tmp_path / "reports").exists()


def test_a_report_written_twice_is_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["report", "--methods", "gaussian-filter", "--limit", "2", "--quiet", "--jobs", "1",
            "--store", str(tmp_path / "s.sqlite"), "--no-visual"]
    assert main(argv) == 0
    folder = next((tmp_path / "reports").iterdir())
    first = {p.name: p.read_bytes() for p in folder.glob("*.*")}
    assert main(argv + ["--no-run"]) == 0
    assert {p.name: p.read_bytes() for p in folder.glob("*.*")} == first
    assert b"Generated" not in first["index.html"]


def _cells(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["method", "sigma", "image_id", "psnr", "ssim"])
    return frame.assign(dataset="d", split="test", noise="gaussian", seed=0, clip=False,
                        status="ok", config="-")


def test_curves_average_the_same_images_at_every_level():
    # image b is missing at 0.2: it must not count at 0.1 either (no spurious jump)
    cells = _cells([("noisy", 0.1, "a", 20.0, 0.1), ("noisy", 0.1, "b", 30.0, 0.3),
                    ("noisy", 0.2, "a", 14.0, 0.05)])
    data = curve_data(cells, [], "gaussian", dataset="d", split="test")
    assert set(data["n"]) == {1}
    assert data[(data["metric"] == "psnr") & (data["sigma"] == 0.1)]["mean"].item() == 20.0


def test_curves_are_drawn_only_over_the_levels_asked_for(tmp_path):
    cells = _cells([("noisy", s, i, 20.0 - s, 0.1) for s in (0.1, 0.2, 11.0) for i in "ab"])
    items, _ = curve_figures(cells, [], Selection("d", "test"), tmp_path, kinds=["gaussian"],
                             sigmas=[0.1, 0.2], image_ids=["a", "b"])
    assert "sigma 0.1 0.2;" in items[0].caption and "N = 2" in items[0].caption


def test_a_complete_curve_figure_is_kept_when_the_store_has_only_part_of_it(tmp_path, caplog,
                                                                          capsys):
    (tmp_path / "curves-gaussian.png").write_bytes(b"\x89PNG committed")
    (tmp_path / "curves-gaussian.caption").write_text("the committed caption\n")
    cells = _cells([("noisy", 0.1, "a", 20.0, 0.1)])  # a fresh store: one level
    items, warnings = curve_figures(cells, [], Selection("d", "test"), tmp_path,
                                    kinds=["gaussian"], image_ids=["a"], keep=True)
    assert [(i.caption, i.png) for i in items] == [("the committed caption",
                                                    b"\x89PNG committed")]
    assert warnings == []
    assert "kept the figure already there" in caplog.text  # said through logging, not printed
    assert capsys.readouterr().out == ""
    items, warnings = curve_figures(cells, [], Selection("d", "test"), tmp_path,
                                    kinds=["gaussian"], image_ids=["a"], keep=False)
    assert items == [] and warnings


def test_a_method_of_another_noise_kind_does_not_keep_a_curve_figure_stale(tmp_path):
    """A complete sweep redraws the committed figure, though a speckle-only method (obnlm)
    is among the methods and has no Gaussian cell."""
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import method_config

    (tmp_path / "curves-gaussian.png").write_bytes(b"\x89PNG committed")
    (tmp_path / "curves-gaussian.caption").write_text("the committed caption\n")
    methods = [get_method("bm3d"), get_method("obnlm")]
    cells = _cells([(m, s, "a", 20.0 + s, 0.1) for m in ("noisy", "bm3d") for s in (0.1, 0.2)])
    cells.loc[cells["method"] == "bm3d", "config"] = method_config(methods[0])
    assert not methods[1].applies_to("gaussian")
    items, _ = curve_figures(cells, methods, Selection("d", "test"), tmp_path,
                             kinds=["gaussian"], sigmas=[0.1, 0.2], image_ids=["a"], keep=True)
    assert items[0].png != b"\x89PNG committed" and "sigma 0.1 0.2;" in items[0].caption


def test_training_captions_name_no_absolute_path(tmp_path, monkeypatch):
    logs = tmp_path / "elsewhere" / "logs"
    logs.mkdir(parents=True)
    pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6],
                  "val_ssim": [0.5, 0.6]}).to_csv(logs / "m.loss.csv", index=False)
    monkeypatch.chdir(tmp_path / "elsewhere")
    items, _ = training_figures(logs, tmp_path / "figures")
    assert items and str(tmp_path) not in items[0].caption and "under logs" in items[0].caption


def test_folder_names_say_what_differs():
    plain = folders.Setting("mni152", "test")
    assert plain.is_default and plain.name() == "default"
    assert folders.Setting("mni152", "test", seed=1).name() == "mni152-seed1"
    assert folders.Setting("ixi-t1", "test").name() == "ixi-t1"
    many = folders.Setting("mni152", "test", methods=tuple("abcd"))
    assert many.name().startswith("mni152-4methods-")


def test_two_data_folders_of_one_name_get_two_report_folders(tmp_path):
    """``--data /a/scans`` and ``--data /b/scans``: the name, then a digest of the path."""
    import re

    names = [folders.Setting(f"folder:{tmp_path / side / 'scans'}", "all").name()
             for side in ("a", "b")]
    assert names[0] != names[1]
    assert all(re.fullmatch(r"folder-scans-[0-9a-f]{6}", name) for name in names)
    assert str(tmp_path) not in names[0]  # the digest, never the path itself
    again = folders.Setting(f"folder:{tmp_path / 'a' / 'scans'}", "all").name()
    assert again == names[0]  # the same folder keeps its report folder
    windowed = folders.Setting(f"dicom:{tmp_path / 'a' / 'ct'}?window=brain", "all").name()
    assert re.fullmatch(r"dicom-ct-[0-9a-f]{6}-window-brain", windowed)


def test_missing_safetensors_makes_the_deep_models_unavailable_with_the_fix(tmp_path):
    block = "sys.modules['safetensors'] = None"
    listed = _bench(tmp_path, "methods", prelude=block)
    assert listed.returncode == 0, listed.stderr
    assert "UNAVAILABLE: needs safetensors" in listed.stdout
    assert "pip install safetensors" in listed.stdout
    store = tmp_path / "s.sqlite"
    done = _bench(tmp_path, "run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "cdae",
                  "--limit", "1", "--quiet", "--jobs", "1", "--store", str(store), prelude=block)
    from benchmark.engine.store import Store

    with Store(store) as opened:
        errors = opened.frame().query("method == 'cdae'")["error"].tolist()
    assert errors and all("pip install safetensors" in e for e in errors)
    assert not any("bench train" in e for e in errors)
    assert "bench train" not in done.stdout + done.stderr


def test_missing_torch_is_named_with_the_cpu_wheel_index(tmp_path):
    listed = _bench(tmp_path, "methods", prelude="sys.modules['torch'] = None")
    assert "needs torch" in listed.stdout
    assert "download.pytorch.org/whl/cpu" in listed.stdout


def test_start_up_imports_only_what_the_command_needs(tmp_path):
    """No torch, pyplot, scipy.stats or nilearn.datasets for listing methods or for a
    one-image classical run; importing the figure module leaves the backend alone."""
    probe = ("import sys, matplotlib\nmatplotlib.use('svg')\n"
             "from benchmark.cli import main\n"
             "assert main(sys.argv[1:]) == 0\n"
             "import benchmark.report.build\n"
             "heavy = [m for m in ('torch', 'matplotlib.pyplot', 'scipy.stats', 'nilearn.datasets')"
             " if m in sys.modules]\n"
             "print('heavy:', heavy, 'backend:', matplotlib.get_backend())\n")
    for argv in (["methods"], ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods",
                               "gaussian-filter", "--limit", "1", "--quiet", "--store",
                               str(tmp_path / "s.sqlite")]):
        done = subprocess.run([sys.executable, "-c", probe, *argv], cwd=tmp_path, env=_env(),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "heavy: [] backend: svg" in done.stdout


def test_auto_device_does_not_import_torch_where_no_gpu_driver_exists(tmp_path):
    probe = ("import sys\nimport benchmark.engine.runner as runner\n"
             "runner._gpu_device_nodes = lambda: False\n"
             "from benchmark.core.registry import resolve_methods\n"
             "print(runner.resolve_device('auto', resolve_methods(['cdae'])),"
             " 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["cpu", "False"], done.stderr


def test_visual_comparisons_show_the_methods_of_their_table_only(tmp_path, monkeypatch):
    """Under Gaussian noise no speckle-only filter (srad) is drawn, as it is no table row."""
    import benchmark.report.build as build
    from benchmark.core.registry import get_method
    from benchmark.data.cards import ImageSet
    from benchmark.report.build import FigureOptions, visual_figures

    drawn = {}

    def panels(image, image_id, noise, methods, **_):
        drawn[noise.kind] = [m.name for m in methods]
        raise RuntimeError("stop before drawing")

    monkeypatch.setattr(build, "denoise_panels", panels)
    images = ImageSet("d", "test", ("a",), (np.zeros((8, 8), np.float32),), "none")
    methods = [get_method("gaussian-filter"), get_method("srad")]
    with pytest.raises(RuntimeError, match="stop before drawing"):
        visual_figures(images, ["a"], methods, Selection("d", "test"), FigureOptions(), tmp_path)
    assert drawn == {"gaussian": ["gaussian-filter"]}
