"""Adding a method is one file: a module named in BENCH_PLUGINS is found by every command.

The module (the complete example of ``docs/adding-a-method.md``) is written to ``tmp_path`` and
registers one classical method with a grid; nothing else is edited. The method (and the Rician-aware variants the registry derives from its
declarations) must appear in ``bench methods``, Tables 1-2 (``bench report``), ``bench fair``
and ``bench check``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmark.core import registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-method.md"
#: The complete example of the documentation, used as is.
PLUGIN = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)


VARIANTS = ["box-filter.rician-bc", "box-filter.rician-vst"]


@pytest.fixture
def plugin(tmp_path, monkeypatch) -> Path:
    """The one file, named in BENCH_PLUGINS; the registry reloads its plugins once."""
    path = tmp_path / "box_plugin.py"
    path.write_text(PLUGIN)
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, str(path))
    monkeypatch.setattr(registry, "_loaded", False)
    yield path
    registry.unregister("box-filter")
    sys.modules.pop("bench_plugin_box_plugin", None)


def test_plugin_method_and_its_variants_are_registered(plugin):
    names = registry.method_names()
    assert "box-filter" in names and all(v in names for v in VARIANTS)
    box = registry.get_method("box-filter")
    assert box.base is None and box.grid == {"width_per_sigma": [20.0, 30.0, 40.0]}
    assert {registry.get_method(v).base for v in VARIANTS} == {"box-filter"}
    gaussian = registry.resolve_methods(["box-filter*"], kind="gaussian")
    assert [m.name for m in gaussian] == ["box-filter"]
    assert [m.name for m in registry.resolve_methods(["box-filter*"], kind="rician")] == \
        ["box-filter", *VARIANTS]


def test_bench_methods_lists_it_from_the_environment_variable(plugin, tmp_path):
    """A fresh process: the variable alone makes the command find the file."""
    env = {**os.environ, registry.PLUGINS_VARIABLE: str(plugin),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "benchmark.cli", "methods"], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line[:1].strip()]
    assert "box-filter" in listed and all(v in listed for v in VARIANTS)


def test_a_plugin_may_be_a_module_name(tmp_path, monkeypatch):
    (tmp_path / "box_module.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, "box_module")
    monkeypatch.setattr(registry, "_loaded", False)
    try:
        assert registry.get_method("box-filter.rician-vst").base == "box-filter"
    finally:
        registry.unregister("box-filter")
        sys.modules.pop("box_module", None)


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

    assert main(["report", "--methods", "box-filter", "--no-figures", *common]) == 0
    for number in (1, 2):
        table = pd.read_csv(out / f"table{number}.csv").set_index("method")
        assert table.loc["box-filter", "n"] == 1

    assert main(["fair", "--methods", "box-filter", "--val-limit", "1", *common]) == 0
    gaussian = pd.read_csv(out / "table1_fair.csv").set_index("method")
    rician = pd.read_csv(out / "table2_fair.csv").set_index("method")
    assert gaussian.loc["box-filter", "fair_method"] == "box-filter"
    assert rician.loc["box-filter", "fair_method"] in VARIANTS
    assert rician.loc["box-filter", "n_fair"] == 1

    baseline = tmp_path / "baseline"
    baseline.mkdir()
    for noise in CHECK_NOISES:
        shutil.copy(BASELINE_DIR / noise_file_name(noise), baseline)
    capsys.readouterr()
    assert main(["check", "--methods", "box-filter*", "--noise", "gaussian", "rician",
                 "--baseline", str(baseline), "--jobs", "1", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    new = {line.split()[3] for line in lines if line.startswith("new")}
    assert new == {"box-filter", *VARIANTS}
    # Under Gaussian noise only the plain method runs: the Rician-aware variants do not apply.
    assert not any(line.startswith("new") and "gaussian" in line and "rician-" in line
                   for line in lines)


def test_a_module_dropped_into_methods_is_registered(tmp_path):
    """A file in methods/ is found by the package's own import, with no other edit."""
    import methods

    package = tmp_path / "methods"
    shutil.copytree(Path(methods.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__", "weights", "deep"))
    (package / "deep").mkdir()
    (package / "deep" / "__init__.py").write_text("")
    (package / "zz_box.py").write_text(
        "from benchmark.core.registry import register\n\n\n"
        "@register('zz-box', uses_sigma=False)\n"
        "def zz_box(image, noise):\n"
        "    '''A do-nothing filter for the test.'''\n"
        "    return image\n")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import methods; "
            "from benchmark.core.registry import method_names; "
            "names = method_names(); print(names.index('zz-box') > names.index('bm3d'))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
