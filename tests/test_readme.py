"""The README and docs: tables generated from reports/, links that resolve, an example that runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.report import readme

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REPORTS = ROOT / "reports"

#: The docs pages this part of the project writes; their links are checked here.
OWN_DOCS = ("index.md", "methods.md", "training.md", "speed.md")
#: Docs pages written by the other parts of the documentation (set-up, store, data, noise,
#: reports, API, adding a method), linked from the README and docs/index.md.
OTHER_DOCS = ("install.md", "store.md", "data.md", "noise.md", "reports.md", "api.md",
              "adding-a-method.md", "cluster.md")

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CODE = re.compile(r"```.*?```", re.DOTALL)
_PATH = re.compile(r"`((?:benchmark|benchmarks|methods|tests|reports|results|docs)/[\w./-]+"
                   r"\.(?:py|toml|md|csv|png|safetensors|html))`")


def _table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def _between(text: str, name: str) -> str:
    start, end = readme.markers(name)
    return text.split(start, 1)[1].split(end, 1)[0]


def _env() -> dict[str, str]:
    """This checkout first on the path of a subprocess started from another folder."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def _written_docs() -> list[Path]:
    return [README, *(ROOT / "docs" / name for name in OWN_DOCS)]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _CODE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


# --- the committed README -----------------------------------------------------------------------

@pytest.mark.parametrize("name", readme.TABLES)
def test_readme_table_rows_equal_the_report(name):
    section = _between(README.read_text(encoding="utf-8"), name)
    report = (REPORTS / f"{name}.md").read_text(encoding="utf-8")
    assert _table_rows(section) == _table_rows(report), (
        f"README's {name} differs from reports/{name}.md: run python -m benchmark.report.readme")


def test_readme_is_up_to_date_with_the_report():
    assert readme.render(README, REPORTS) == README.read_text(encoding="utf-8")


def test_readme_is_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250


@pytest.mark.parametrize("path", _written_docs(), ids=lambda p: p.name)
def test_relative_links_resolve(path):
    """Every relative link (and its #anchor) points to a file that exists.

    Links to the pages of :data:`OTHER_DOCS` are left to
    :func:`test_docs_of_the_other_parts_exist`.
    """
    text = _CODE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if resolved.parent == ROOT / "docs" and resolved.name in OTHER_DOCS:
            continue
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    assert not broken, f"{path.name}: broken links {broken}"


@pytest.mark.parametrize("path", _written_docs(), ids=lambda p: p.name)
def test_file_paths_named_in_the_docs_exist(path):
    named = {name for name in _PATH.findall(path.read_text(encoding="utf-8"))
             if name == name.lower()}  # upper case marks a placeholder: ARCH-NOISETAG.safetensors
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert not missing, f"{path.name} names files that do not exist: {missing}"


def test_docs_of_the_other_parts_exist():
    """The docs pages written by the other parts of the documentation work.

    They are merged with this page before CI runs; until then this test names the ones missing.
    """
    missing = [name for name in OTHER_DOCS if not (ROOT / "docs" / name).is_file()]
    assert not missing, f"docs pages linked from the README but missing: {missing}"


def test_docs_describe_the_software_not_its_making():
    words = re.compile(r"\b(session|this task|the issue)\b", re.IGNORECASE)
    found = {p.name: words.findall(p.read_text(encoding="utf-8")) for p in _written_docs()}
    assert not any(found.values()), found


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path):
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert code, "the README has no Python example"
    done = subprocess.run([sys.executable, "-c", code.group(1)], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["noisy", "bm3d", "bm3d.rician-bc"]
    psnr = [float(re.search(r"([\d.]+) dB", line).group(1)) for line in lines]
    assert psnr[2] > psnr[1] > psnr[0], "bias correction should help BM3D under Rician noise"


# --- the generator ------------------------------------------------------------------------------

REPORT = """# Table 1: demo, sigma 0.10

| Method | PSNR |
|---|---:|
| noisy | {value} |

- Data: demo.
"""


def _checkout(tmp_path: Path, value: str = "20.00") -> tuple[Path, Path]:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in readme.TABLES:
        (reports / f"{name}.md").write_text(REPORT.format(value=value), encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text("intro\n<!-- table1:start -->\nold\n<!-- table1:end -->\nmiddle\n"
                    "<!-- table2:start --><!-- table2:end -->\nend\n", encoding="utf-8")
    return page, reports


def test_update_replaces_only_between_the_markers(tmp_path):
    page, reports = _checkout(tmp_path)
    assert readme.main(["--readme", str(page), "--reports", str(reports)]) == 0
    text = page.read_text(encoding="utf-8")
    outside = re.sub(r"<!-- (table\d):start -->.*?<!-- \1:end -->", "", text, flags=re.DOTALL)
    assert outside == "intro\n\nmiddle\n\nend\n"
    for name in readme.TABLES:
        assert _table_rows(_between(text, name)) == _table_rows(REPORT.format(value="20.00"))
        assert f"[reports/{name}.md](reports/{name}.md)" in _between(text, name)
    assert readme.render(page, reports) == text  # a second run changes nothing


def test_check_reports_an_out_of_date_readme_and_changes_nothing(tmp_path, capsys):
    page, reports = _checkout(tmp_path)
    before = page.read_bytes()
    assert readme.main(["--check", "--readme", str(page), "--reports", str(reports)]) == 1
    assert page.read_bytes() == before
    assert "python -m benchmark.report.readme" in capsys.readouterr().err
    readme.main(["--readme", str(page), "--reports", str(reports)])
    assert readme.main(["--check", "--readme", str(page), "--reports", str(reports)]) == 0
    (reports / "table2.md").write_text(REPORT.format(value="21.00"), encoding="utf-8")
    assert readme.main(["--check", "--readme", str(page), "--reports", str(reports)]) == 1


@pytest.mark.parametrize("damage", ["no-markers", "twice", "no-report", "no-table", "no-readme"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, damage):
    page, reports = _checkout(tmp_path)
    if damage == "no-markers":
        page.write_text("intro only\n", encoding="utf-8")
    elif damage == "twice":
        page.write_text(page.read_text(encoding="utf-8") * 2, encoding="utf-8")
    elif damage == "no-report":
        (reports / "table2.md").unlink()
    elif damage == "no-table":
        (reports / "table1.md").write_text("# Table 1\n\nno table here\n", encoding="utf-8")
    else:
        page.unlink()
    before = page.read_bytes() if page.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "benchmark.report.readme", "--readme", str(page),
         "--reports", str(reports)],
        cwd=tmp_path, capture_output=True, text=True,
        env=_env())
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("readme: error:"), done.stderr
    assert "Traceback" not in done.stderr
    assert (page.read_bytes() if page.exists() else None) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["reports"] + (["README.md"] if before is not None else []))
