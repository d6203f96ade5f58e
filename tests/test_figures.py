"""Figures: the curves' numbers and bands, the visual comparison's noisy image, training logs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmark.core.contract import Noise
from benchmark.report.figures import (Z_95, curve_data, denoise_panels, detail_box, plot_noise_curves,
                               plot_training_curves, plot_visual_comparison, save_png,
                               training_logs)
from benchmark.core.registry import get_method
from benchmark.engine.runner import Task, config_id, evaluate
from benchmark.engine.store import CellKey

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _cells(rows):
    base = {"dataset": "toy", "split": "test", "noise": "gaussian", "seed": 0, "clip": False,
            "status": "ok"}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_curve_band_is_mean_plus_minus_1_96_standard_errors():
    method = get_method("gaussian-filter")
    config = config_id(method.resolve_params())
    psnr = [20.0, 22.0, 27.0]
    rows = [{"image_id": f"i{k}", "sigma": 0.1, "method": method.name, "config": config,
             "psnr": p, "ssim": 0.5} for k, p in enumerate(psnr)]
    rows += [{"image_id": "i0", "sigma": 0.1, "method": method.name, "config": "stale",
              "psnr": 99.0, "ssim": 0.99},  # an old parameter set: must not count
             {"image_id": "i0", "sigma": 0.2, "method": method.name, "config": config,
              "psnr": 18.0, "ssim": 0.4, "status": "error"}]  # failed: must not count
    data = curve_data(_cells(rows), [method], "gaussian", dataset="toy", split="test")
    (row,) = data[data["metric"] == "psnr"].itertuples()
    half = Z_95 * np.std(psnr, ddof=1) / math.sqrt(3)
    assert row.n == 3 and row.sigma == 0.1
    assert row.mean == pytest.approx(np.mean(psnr))
    assert (row.low, row.high) == pytest.approx((np.mean(psnr) - half, np.mean(psnr) + half))


def test_noise_curves_draw_one_line_per_method_and_metric():
    rows = [{"image_id": f"i{k}", "sigma": s, "method": m, "config": c, "psnr": 30 - 50 * s + k,
             "ssim": 0.9 - s} for s in (0.05, 0.1, 0.15) for k in range(3)
            for m, c in (("noisy", "-"), ("tv", config_id(get_method("tv").resolve_params())))]
    data = curve_data(_cells(rows), [get_method("tv")], "gaussian", dataset="toy", split="test")
    figure = plot_noise_curves(data, "gaussian")
    assert [len(ax.get_lines()) for ax in figure.axes] == [2, 2]
    assert save_png(figure).startswith(PNG_MAGIC)


def test_detail_box_finds_the_structured_region():
    image = np.zeros((96, 96), np.float32)
    image[60:80:2, 10:30] = 1.0  # stripes: the only edges
    row, col, size = detail_box(image, 32)
    assert size == 32
    assert row <= 60 and row + size >= 80 and col <= 10 and col + size >= 30


def test_visual_noisy_panel_is_the_stores_noisy_image(tmp_path):
    y, x = np.mgrid[0:48, 0:48] / 48.0
    clean = (0.5 + 0.3 * np.sin(6 * x) * np.cos(4 * y)).astype(np.float32)
    noise = Noise("rician", 0.11)
    panels = denoise_panels(clean, "toy/0", noise, [get_method("gaussian-filter")], seed=3)
    assert [p[0] for p in panels] == ["clean", "noisy", "gaussian-filter"]
    key = CellKey("toy", "test", "toy/0", noise.kind, noise.sigma, False, 3, "noisy", "-")
    _, stored = evaluate(Task(key, {}, "cpu", 0.1, clean=clean))
    from benchmark.core.metrics import score

    assert score(clean, panels[1][1]) == {"psnr": stored["psnr"], "ssim": stored["ssim"]}


def test_visual_comparison_survives_a_failing_method():
    from benchmark.core.contract import Denoiser

    def broken(image, noise):
        raise ValueError("no checkpoint")

    clean = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    panels = denoise_panels(clean, "toy/0", Noise("gaussian", 0.1),
                            [Denoiser("broken", broken), get_method("tv")])
    assert panels[2][1] is None and "no checkpoint" in panels[2][2]
    figure = plot_visual_comparison(panels, title="toy", columns=2)
    labels = [ax.get_xlabel() for ax in figure.axes]
    assert sum("PSNR" in label for label in labels) == 2  # noisy and tv, not the failed one
    assert save_png(figure).startswith(PNG_MAGIC)


def test_training_logs_are_read_and_other_csvs_skipped(tmp_path):
    (tmp_path / "unet").mkdir()
    pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.3, 0.2, 0.1], "val_loss": [0.35, 0.25, 0.2],
                  "val_ssim": [0.7, 0.8, 0.78]}).to_csv(tmp_path / "unet" / "log.csv", index=False)
    pd.DataFrame({"epoch": [1], "loss": [0.1]}).to_csv(tmp_path / "other.csv", index=False)
    pd.DataFrame({"epoch": [2, 1], "train_loss": [0.1, 0.2], "val_loss": [0.1, 0.2],
                  "val_ssim": [0.9, 0.8], "val_psnr": [30, 28]}).to_csv(
        tmp_path / "cdae-gaussian0.1.loss.csv", index=False)  # as bench train writes it
    logs = training_logs(tmp_path)
    assert list(logs) == ["cdae-gaussian0.1", "unet/log"]
    assert list(logs["cdae-gaussian0.1"]["epoch"]) == [1, 2]
    figure = plot_training_curves("unet/log", logs["unet/log"])
    assert "epoch 2" in figure.axes[1].get_legend().get_texts()[0].get_text()
    assert training_logs(tmp_path / "absent") == {}


def test_cached_png_redraws_only_when_inputs_change(tmp_path):
    import matplotlib.pyplot as plt

    from benchmark.report.figures import cached_png

    calls = []

    def draw():
        calls.append(1)
        figure, ax = plt.subplots()
        ax.plot([0, len(calls)])
        return figure

    path = tmp_path / "f.png"
    first = cached_png(path, "key-a", draw)
    assert cached_png(path, "key-a", draw) == first and len(calls) == 1
    cached_png(path, "key-b", draw)
    assert len(calls) == 2 and path.with_suffix(".key").read_text() == "key-b"


def test_visual_figure_is_redrawn_when_a_models_weights_change():
    from dataclasses import replace

    from benchmark.report.tables import Selection
    from benchmark.report.build import visual_key

    selection, noise = Selection("d", "test"), Noise("gaussian", 0.1)
    old = replace(get_method("tv"), weights=lambda params: "old")
    new = replace(old, weights=lambda params: "new")
    assert visual_key(selection, "i", noise, [old]) == visual_key(selection, "i", noise, [old])
    assert visual_key(selection, "i", noise, [old]) != visual_key(selection, "i", noise, [new])


def test_curves_read_the_cells_of_their_sigma_source():
    from benchmark.engine.runner import method_config

    method = get_method("tv")
    rows = [{"image_id": f"i{k}", "sigma": s, "method": method.name,
             "config": method_config(method, sigma_source=source), "psnr": value + k,
             "ssim": 0.5} for s in (0.05, 0.1) for k in range(3)
            for source, value in (("oracle", 30.0), ("estimated", 20.0))]
    for source, value in (("oracle", 30.0), ("estimated", 20.0)):
        data = curve_data(_cells(rows), [method], "gaussian", dataset="toy", split="test",
                          sigma_source=source)
        means = data[data["metric"] == "psnr"]["mean"]
        assert len(means) == 2 and means.tolist() == pytest.approx([value + 1, value + 1])


@pytest.mark.parametrize("count", [1, 9, 10, 11, 18])
def test_each_method_line_gets_its_own_colour(count):
    from benchmark.report.figures import _palette

    colours = _palette(count)
    assert len(set(colours[:count])) == count and len(colours) >= count
