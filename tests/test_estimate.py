"""Blind mode: each sigma estimator within 10% of the truth on synthetic images with air."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.estimate import estimate_sigma
from benchmark.core.noise import add_noise


def _head(size: int = 128) -> np.ndarray:
    """A synthetic 'head': air around an ellipse of tissue with texture and a dark ventricle."""
    yy, xx = np.mgrid[:size, :size] / size
    head = ((yy - 0.5) / 0.38) ** 2 + ((xx - 0.5) / 0.3) ** 2 < 1
    tissue = 0.55 + 0.25 * np.sin(14 * xx) * np.cos(9 * yy)
    ventricle = ((yy - 0.5) / 0.1) ** 2 + ((xx - 0.5) / 0.05) ** 2 < 1
    return np.where(head, np.where(ventricle, 0.15, tissue), 0.0).astype(np.float32)


@pytest.mark.parametrize("kind", ["gaussian", "rician"])
@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.11, 0.2])
def test_estimator_within_ten_percent(kind, sigma):
    noisy = add_noise(_head(), Noise(kind, sigma), image_id=f"head-{kind}-{sigma}")
    assert abs(estimate_sigma(noisy, kind) / sigma - 1) < 0.10


def test_rician_estimator_needs_air():
    with pytest.raises(BenchError, match="no air"):
        estimate_sigma(np.zeros((32, 32), np.float32), "rician")


def test_blind_cells_have_their_own_identity():
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import cell_config, evaluate, plan

    split = type("S", (), {"dataset": "synthetic", "split": "test", "ids": ["head"]})()
    methods = [get_method("tv"), get_method("gaussian-filter")]
    oracle = plan(split, [Noise("rician", 0.11)], methods)
    blind = plan(split, [Noise("rician", 0.11)], methods, sigma_source="estimated")
    assert {t.key for t in oracle}.isdisjoint({t.key for t in blind if t.key.method != "noisy"})
    assert blind[0].key.config == cell_config(methods[0].params, sigma_source="estimated")
    task = next(t for t in blind if t.key.method == "tv")
    from dataclasses import replace

    _, result = evaluate(replace(task, clean=_head()))
    assert result["status"] == "ok"
    assert abs(result["extra"]["sigma_error"]) < 0.10
    assert result["extra"]["psnr_anatomy"] > 0
