"""The package works installed from a wheel, outside the checkout: cards, grids, checkpoints,
the paper's numbers and the check baseline are package data; outputs go to the working folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "methods" / "deep" / "weights"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a checkout: no pyproject.toml to build from")
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("src") / "checkout"  # build from a copy: no build/ left here
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "results", "build", "*.egg-info", "__pycache__", ".pytest_cache", "reports"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", str(source), "-w", str(out)], check=True, timeout=300, env=_clean_env())
    return next(out.glob("*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A virtual environment seeing this interpreter's packages (the dependencies), with the
    wheel installed in it."""
    folder = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)],
                   check=True, timeout=300, env=_clean_env())
    python = folder / "bin" / "python"
    # --force-reinstall: an editable install of the checkout in the system packages must not
    # count as "already satisfied"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, timeout=300, env=_clean_env())
    return folder


def _clean_env() -> dict[str, str]:
    """This environment without what would point Python or the benchmark at the checkout."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "BENCH_RESULTS", "BENCH_REPORTS", "BENCH_CHECKPOINTS")}


def _run(venv: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), *argv], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=600)


def test_the_wheel_carries_the_package_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if "/" in n and ".dist-info" not in n} == {
        "benchmark", "methods"}
    for expected in ("benchmark/data/datasets/mni152.toml",
                     "benchmark/report/reference/paper_tables.csv",
                     "benchmark/engine/baseline/check-gaussian-0.1.csv",
                     "methods/deep/weights/cdae-gaussian0.05-0.15_rician0.05-0.15.loss.csv",
                     "methods/deep/curves/scale.py",
                     "methods/deep/weights/drnn-dce.safetensors"):
        assert expected in names
    shipped = {f"methods/deep/weights/{p.name}" for p in WEIGHTS.glob("*.safetensors")}
    assert len(shipped) >= 20  # image models of every kind, drunet, the 7 curve models
    assert {n for n in names if n.startswith("methods/deep/weights/")
            and n.endswith(".safetensors")} == shipped


def test_installed_bench_runs_from_an_empty_folder(venv, tmp_path):
    where = _run(venv, tmp_path, "-c", "import benchmark; print(benchmark.__file__)")
    assert str(venv) in where.stdout, where.stderr  # the wheel, not the checkout
    listed = _run(venv, tmp_path, "-m", "benchmark.cli", "methods")
    assert listed.returncode == 0, listed.stderr
    assert "bm3d" in listed.stdout and "unet-dctda" in listed.stdout
    done = _run(venv, tmp_path, "-m", "benchmark.cli", "run", "--noise", "gaussian", "--sigma",
                "0.1", "--methods", "gaussian-filter", "cdae", "--limit", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "0 failed" in done.stdout  # the shipped checkpoint is found in site-packages
    assert (tmp_path / "results" / "bench.sqlite").is_file()
    checked = _run(venv, tmp_path, "-m", "benchmark.cli", "check", "--methods",
                   "gaussian-filter", "--jobs", "1", "--quiet")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the baseline is found
    reported = _run(venv, tmp_path, "-m", "benchmark.cli", "report", "--methods",
                    "gaussian-filter", "--limit", "1", "--jobs", "1", "--quiet")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    tables = sorted((tmp_path / "reports").rglob("table1.md"))
    assert len(tables) == 1 and "gaussian-filter" in tables[0].read_text()
    assert (tables[0].parent / "index.html").is_file()  # figures and page, from package data
    site = Path(_run(venv, tmp_path, "-c", "import benchmark, pathlib; "
                     "print(pathlib.Path(benchmark.__file__).parents[1])").stdout.strip())
    assert not (site / "results").exists() and not (site / "reports").exists()
