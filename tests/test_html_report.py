"""``bench report`` writes figures and a self-contained ``index.html`` that a browser shows."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.report.kinds import kind_tables
from benchmark.report.page import FigureItem, Page, TableItem, render

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    """A real report: two curve levels of Gaussian noise, Rician only at Table 2's level (not a
    curve level), a training log."""
    root = tmp_path_factory.mktemp("report")
    store, logs, out = root / "s.sqlite", root / "logs", root / "out"
    logs.mkdir()
    pd.DataFrame({"epoch": [1, 2], "train_loss": [0.2, 0.1], "val_loss": [0.3, 0.2],
                  "val_ssim": [0.8, 0.85]}).to_csv(logs / "toy-model.csv", index=False)
    common = ["--methods", "tv", "--limit", "2", "--store", str(store), "--jobs", "1", "--quiet"]
    assert main(["run", "--noise", "gaussian", "--sigma", "0.04", "0.1", *common]) == 0
    assert main(["report", *common, "--out", str(out), "--training-logs", str(logs)]) == 0
    return out


def test_report_writes_every_figure_and_the_page(report_dir):
    names = sorted(p.name for p in (report_dir / "figures").glob("*.png"))
    # each further kind: its curves (the report computes their levels) and its visual panel
    kinds = [(t.number, t.noise) for t in kind_tables()]
    assert names == sorted(["curves-gaussian.png", "training-toy-model.png",
                            "visual-gaussian-0.1.png", "visual-rician-0.11.png",
                            *(f"curves-{n.kind}.png" for _, n in kinds),
                            *(f"visual-{n.kind}-{n.sigma:g}.png" for _, n in kinds)])
    keys = sorted(p.name for p in (report_dir / "figures").glob("*.key"))
    assert keys == [name.replace(".png", ".key") for name in names]  # what each was drawn from
    page = (report_dir / "index.html").read_text()
    for title in ("Table 1", "Table 2", "Figure 1", "Figure 2 and 4", "Figure 3 (gaussian)",
                  "Training curves: toy-model",
                  *(f"Table {number}, visual comparison" for number, _ in kinds),
                  *(f"Noise-level curves ({n.kind})" for _, n in kinds)):
        assert title in page
    assert "Noise-level curves, rician: the store holds 0 noise level" in page
    assert "Noise-level curves, ncchi4" not in page  # a kind without a table has no curve


def test_page_is_self_contained(report_dir):
    page = (report_dir / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    for source in sources:
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG_MAGIC)


def test_tables_match_the_markdown_tables():
    frame = pd.DataFrame([{"method": "noisy", "label": "Noisy <input>", "ssim_mean": 0.1,
                           "ssim_std": 0.01, "psnr_mean": 20.0, "psnr_std": 0.5, "n": 4,
                           "failed": 0, "seconds": 0.0, "paper_label": "",
                           "paper_ssim": float("nan"), "paper_psnr": 19.5}])
    html = render(Page("t", "c", tables=[TableItem("Table 9: toy", frame)],
                       figures=[FigureItem("f", "cap", PNG_MAGIC)]))
    assert "<td>Noisy &lt;input&gt;</td><td>0.1000 ± 0.0100</td><td>20.00 ± 0.50</td>" in html
    assert "<td>–</td><td>19.50</td>" in html


def _chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome"))), None)


@pytest.mark.skipif(_chromium() is None,
                    reason="Chromium is not installed (apt-get install -y chromium)")
def test_page_loads_in_headless_chromium_without_errors(report_dir, tmp_path):
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
               "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
               (report_dir / "index.html").as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # Console output of the page (errors, CSP violations, failed loads) shows as CONSOLE lines.
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert 'data-images="ok"' in dom  # every embedded figure decoded
    assert dom.count("<table>") == 2 + len(kind_tables()) and "Noisy input" in dom
