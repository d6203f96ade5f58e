"""Adding a method is one file: a module named in BENCH_PLUGINS is found by every command.

The module is written to ``tmp_path`` and registers one classical method with a grid; nothing
else is edited. The method (and the Rician-aware variants the registry derives from its
declarations) must appear in ``bench methods``, Tables 1-2 (``bench report``), ``bench fair``
and ``bench check``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmark.core import registry

PLUGIN = '''"""Box filter: the mean over a square window whose width grows with sigma (scipy.ndimage)."""

from scipy import ndimage

from benchmark.core.registry import register


@register(
    "test-box",
    params={"width_per_sigma": 30.0},
    grid={"width_per_sigma": [20.0, 30.0]},
    summary="Box filter, width = width_per_sigma * sigma px (scipy.ndimage)",
)
def box_filter(image, noise, *, width_per_sigma):
    """Uniform filter over a window of about width_per_sigma * sigma pixels."""
    size = max(1, int(round(width_per_sigma * noise.sigma)))
    return ndimage.uniform_filter(image, size=size, mode="reflect")
'''

VARIANTS = ["test-box.rician-bc", "test-box.rician-vst"]


@pytest.fixture
def plugin(tmp_path, monkeypatch) -> Path:
    """The one file, named in BENCH_PLUGINS; the registry reloads its plugins once."""
    path = tmp_path / "box_plugin.py"
    path.write_text(PLUGIN)
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, str(path))
    monkeypatch.setattr(registry, "_loaded", False)
    yield path
    registry.unregister("test-box")
    sys.modules.pop("bench_plugin_box_plugin", None)


def test_plugin_method_and_its_variants_are_registered(plugin):
    names = registry.method_names()
    assert "test-box" in names and all(v in names for v in VARIANTS)
    box = registry.get_method("test-box")
    assert box.base is None and box.grid == {"width_per_sigma": [20.0, 30.0]}
    assert {registry.get_method(v).base for v in VARIANTS} == {"test-box"}
    assert [m.name for m in registry.resolve_methods(["test-box*"], kind="gaussian")] == ["test-box"]
    assert [m.name for m in registry.resolve_methods(["test-box*"], kind="rician")] == \
        ["test-box", *VARIANTS]


def test_bench_methods_lists_it_from_the_environment_variable(plugin, tmp_path):
    """A fresh process: the variable alone makes the command find the file."""
    env = {**os.environ, registry.PLUGINS_VARIABLE: str(plugin),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "benchmark.cli", "methods"], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line[:1].strip()]
    assert "test-box" in listed and all(v in listed for v in VARIANTS)


def test_a_broken_plugin_is_one_line(tmp_path, monkeypatch, capsys):
    from benchmark.cli import main

    path = tmp_path / "broken.py"
    path.write_text("import not_a_module_anywhere\n")
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, str(path))
    monkeypatch.setattr(registry, "_loaded", False)
    assert main(["methods"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.py" in err and "not_a_module_anywhere" in err
    monkeypatch.setattr(registry, "_loaded", True)


@pytest.mark.slow
def test_tables_fair_and_check_find_it(plugin, tmp_path, capsys):
    from benchmark.cli import main
    from benchmark.engine.check import BASELINE_DIR, CHECK_NOISES, noise_file_name

    store, out = tmp_path / "s.sqlite", tmp_path / "reports"
    common = ["--limit", "1", "--jobs", "1", "--quiet", "--store", str(store), "--out", str(out)]

    assert main(["report", "--methods", "test-box", "--no-figures", *common]) == 0
    for number in (1, 2):
        table = pd.read_csv(out / f"table{number}.csv").set_index("method")
        assert table.loc["test-box", "n"] == 1

    assert main(["fair", "--methods", "test-box", "--val-limit", "1", *common]) == 0
    gaussian = pd.read_csv(out / "table1_fair.csv").set_index("method")
    rician = pd.read_csv(out / "table2_fair.csv").set_index("method")
    assert gaussian.loc["test-box", "fair_method"] == "test-box"
    assert rician.loc["test-box", "fair_method"] in VARIANTS
    assert rician.loc["test-box", "n_fair"] == 1

    baseline = tmp_path / "baseline"
    baseline.mkdir()
    for noise in CHECK_NOISES:
        shutil.copy(BASELINE_DIR / noise_file_name(noise), baseline)
    capsys.readouterr()
    assert main(["check", "--methods", "test-box*", "--baseline", str(baseline), "--jobs", "1",
                 "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    new = {line.split()[3] for line in lines if line.startswith("new")}
    assert new == {"test-box", *VARIANTS}
    # Under Gaussian noise only the plain method runs: the Rician-aware variants do not apply.
    assert not any(line.startswith("new") and "gaussian" in line and "rician-" in line
                   for line in lines)
