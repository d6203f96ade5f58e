"""``bench check``: the comparison's verdicts and the command's exit status."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from benchmark.engine.check import (BASELINE_DIR, CHECK_IMAGES, CHECK_NOISES, TOLERANCES, compare, measure,
                             noise_file_name, read_baseline, write_baseline)
from benchmark.cli import main
from benchmark.core.contract import Noise
from benchmark.data.cards import ImageSet
from benchmark.core.errors import BenchError
from benchmark.core.registry import get_method

NOISE = Noise("gaussian", 0.1)


def _frame(rows):
    return pd.DataFrame(rows, columns=["method", "config", "n", "failed", "psnr", "ssim"])


def _status(changes, method, metric):
    (change,) = [c for c in changes if c.method == method and c.metric == metric]
    return change


def test_compare_classifies_every_kind_of_move():
    before = _frame([
        ["noisy", "-", 4, 0, 20.0, 0.10],
        ["steady", "a", 4, 0, 30.0, 0.80],
        ["drops", "a", 4, 0, 30.0, 0.80],
        ["gains", "a", 4, 0, 30.0, 0.80],
        ["breaks", "a", 4, 0, 30.0, 0.80],
        ["gone", "a", 4, 0, 30.0, 0.80],
    ])
    tol_psnr, tol_ssim = TOLERANCES["psnr"], TOLERANCES["ssim"]
    now = _frame([
        ["noisy", "-", 4, 0, 20.0, 0.10],
        ["steady", "a", 4, 0, 30.0 - 0.5 * tol_psnr, 0.80 + 0.5 * tol_ssim],
        ["drops", "a", 4, 0, 30.0 - 2 * tol_psnr, 0.80 - 2 * tol_ssim],
        ["gains", "b", 4, 0, 30.0 + 2 * tol_psnr, 0.80 + 2 * tol_ssim],
        ["breaks", "a", 3, 1, 30.0, 0.80],
        ["fresh", "a", 4, 0, 25.0, 0.5],
    ])
    changes = compare({NOISE: before}, {NOISE: now})
    assert _status(changes, "steady", "psnr").status == "same"
    assert _status(changes, "steady", "ssim").status == "same"
    assert _status(changes, "drops", "psnr").status == "worse"
    assert _status(changes, "drops", "ssim").status == "worse"
    assert _status(changes, "gains", "psnr").status == "better"
    assert _status(changes, "gains", "psnr").note == "parameters changed"
    assert _status(changes, "breaks", "psnr").status == "failed"
    assert _status(changes, "gone", "ssim").status == "missing"
    assert _status(changes, "fresh", "psnr").status == "new"
    regressions = {c.method for c in changes if c.regression}
    assert regressions == {"drops", "breaks", "gone"}


def test_compare_only_ignores_unselected_baseline_methods():
    before = _frame([["noisy", "-", 4, 0, 20.0, 0.1], ["other", "a", 4, 0, 30.0, 0.8]])
    now = _frame([["noisy", "-", 4, 0, 20.0, 0.1]])
    assert not any(c.regression for c in compare({NOISE: before}, {NOISE: now}, only=[]))
    assert any(c.status == "missing" for c in compare({NOISE: before}, {NOISE: now}))


def test_measure_write_read_round_trip(tmp_path):
    y, x = np.mgrid[0:32, 0:32] / 32.0
    smooth = [(0.5 + 0.3 * np.sin(2 * np.pi * k * x) * np.cos(2 * np.pi * y)).astype(np.float32)
              for k in (1, 2)]
    images = ImageSet("toy", "test", ("toy/0", "toy/1"), tuple(smooth), "none")
    current = measure(images, [get_method("gaussian-filter")], [NOISE])
    frame = current[NOISE].set_index("method")
    assert list(frame.index) == ["noisy", "gaussian-filter"]
    assert (frame["n"] == 2).all() and (frame["failed"] == 0).all()
    assert frame.loc["gaussian-filter", "psnr"] > frame.loc["noisy", "psnr"]
    write_baseline(current, tmp_path)
    again = read_baseline([NOISE], tmp_path)
    assert not any(c.regression or c.status != "same" for c in compare(again, current))


def test_missing_baseline_is_a_one_line_error(tmp_path):
    with pytest.raises(BenchError, match="bench check --update"):
        read_baseline(CHECK_NOISES, tmp_path)


def test_committed_baseline_is_complete_and_clean():
    for noise, frame in read_baseline().items():
        assert {"noisy", "gaussian-filter", "bm3d"} <= set(frame["method"]), noise
        assert (frame["failed"] == 0).all() and (frame["n"] == CHECK_IMAGES).all(), noise


def test_cli_exit_status_follows_the_verdict(tmp_path, capsys):
    for noise in CHECK_NOISES:
        shutil.copy(BASELINE_DIR / noise_file_name(noise), tmp_path)
    argv = ["check", "--baseline", str(tmp_path), "--methods", "gaussian-filter", "--quiet",
            "--jobs", "1"]
    assert main(argv) == 0
    assert "check: OK" in capsys.readouterr().out

    path = tmp_path / noise_file_name(CHECK_NOISES[0])
    frame = pd.read_csv(path)
    frame.loc[frame["method"] == "gaussian-filter", "psnr"] += 1.0
    frame.to_csv(path, index=False)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "worse" in out and "gaussian-filter" in out and "FAILED" in out
    assert main(["check", "--update", "--methods", "tv"]) == 2


def test_a_method_failing_in_the_baseline_fails_only_when_it_gets_worse():
    before = _frame([["noisy", "-", 4, 0, 20.0, 0.1], ["deep", "a", 2, 2, 30.0, 0.8]])
    same = _frame([["noisy", "-", 4, 0, 20.0, 0.1], ["deep", "a", 2, 2, 30.0, 0.8]])
    worse = _frame([["noisy", "-", 4, 0, 20.0, 0.1], ["deep", "a", 1, 3, 30.0, 0.8]])
    assert not any(c.regression for c in compare({NOISE: before}, {NOISE: same}))
    assert _status(compare({NOISE: before}, {NOISE: worse}), "deep", "psnr").status == "failed"


def test_cli_help_states_the_check_settings():
    from benchmark.cli import build_parser
    from benchmark.cli.check import BASELINE_DIR as CLI_BASELINE

    help_text = build_parser()._subparsers._group_actions[0].choices["check"].description
    assert f"first {CHECK_IMAGES} MNI152" in help_text
    assert f"{TOLERANCES['psnr']} dB PSNR" in help_text and f"{TOLERANCES['ssim']} SSIM" in help_text
    assert CLI_BASELINE == BASELINE_DIR


def test_note_tells_new_weights_from_new_parameters():
    from benchmark.engine.check import _config_note

    assert _config_note("abc@w1", "abc@w1") == ""
    assert _config_note("abc@w1", "abc@w2") == "weights changed"
    assert _config_note("abc", "abc@w2") == "weights changed"
    assert _config_note("abc@w1", "xyz@w1") == "parameters changed"


def test_update_refuses_to_write_into_an_installed_package(monkeypatch, capsys, tmp_path):
    """Outside a checkout the default baseline is site-packages: --update needs --baseline."""
    from benchmark.cli import check, main
    from benchmark.core import paths

    monkeypatch.setattr(paths, "SOURCE_ROOT", tmp_path)  # no .git there: an installed package
    before = sorted(p.read_bytes() for p in check.BASELINE_DIR.glob("*.csv"))
    assert main(["check", "--update", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--baseline FOLDER" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.read_bytes() for p in check.BASELINE_DIR.glob("*.csv")) == before


def test_curve_track_measures_writes_reads_and_compares(tmp_path):
    from benchmark.engine.check_curves import (CURVE_BASELINE_COLUMNS, CURVE_HIGHER,
                                               CURVE_TOLERANCES, check_curves, measure_curves)

    noise = Noise("relative-gaussian", 0.3)
    current = measure_curves(check_curves(), [get_method("moving-average")], [noise])
    frame = current[noise].set_index("method")
    assert list(frame.index) == ["noisy", "moving-average"]
    assert (frame["n"] == 64).all() and (frame["failed"] == 0).all()
    assert frame.loc["moving-average", "rmse"] < frame.loc["noisy", "rmse"]
    write_baseline(current, tmp_path)
    again = read_baseline([noise], tmp_path, columns=CURVE_BASELINE_COLUMNS)
    changes = compare(again, current, CURVE_TOLERANCES, higher=CURVE_HIGHER)
    assert changes and all(c.status == "same" for c in changes)
    worse = again[noise].copy()
    worse.loc[worse["method"] == "moving-average", "rmse"] -= 2 * CURVE_TOLERANCES["rmse"]
    verdict = compare({noise: worse}, current, CURVE_TOLERANCES, higher=CURVE_HIGHER)
    assert {c.method for c in verdict if c.regression} == {"moving-average"}


def test_committed_baseline_covers_the_curve_track():
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.check_curves import CURVE_BASELINE_COLUMNS, CURVE_CHECK_NOISES

    curve_methods = {m.name for m in resolve_methods(None, kind="relative-gaussian")}
    for noise, frame in read_baseline(CURVE_CHECK_NOISES,
                                      columns=CURVE_BASELINE_COLUMNS).items():
        assert {"noisy", "moving-average", "savitzky-golay"} <= set(frame["method"]), noise
        assert set(frame["method"]) <= curve_methods | {"noisy"}
        plain = frame[frame["failed"] == 0]
        assert (plain["n"] == 64).all(), noise
