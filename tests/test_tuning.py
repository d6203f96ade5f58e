"""Grid search picks the known optimum; tuning runs on validation only; grids are valid."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.registry import get_method, method_names
from benchmark.engine.tuning import (Choice, choose, grid_for, grid_points, grid_search,
                                     load_choices, load_grids, save_choices, tuning_tasks)


def test_grid_search_finds_the_known_optimum_of_a_toy_problem():
    points = grid_points({"a": [0.5, 1.0, 1.5, 2.0], "b": [-1, 0, 1]})
    params, score, scores = grid_search(lambda p: -(p["a"] - 1.5) ** 2 - (p["b"] - 1) ** 2, points)
    assert params == {"a": 1.5, "b": 1} and score == 0 and len(scores) == 12
    assert grid_search(lambda p: (p["a"] - 1.0) ** 2, points, higher_is_better=False)[0]["a"] == 1.0


def test_grid_search_skips_failed_points_and_fails_when_all_fail():
    points = grid_points({"x": [1, 2, 3]})
    assert grid_search(lambda p: np.nan if p["x"] == 3 else p["x"], points)[0] == {"x": 2}
    with pytest.raises(BenchError):
        grid_search(lambda p: np.nan, points)


def test_every_shipped_grid_fits_its_method_and_holds_the_default():
    grids = load_grids()
    for name in method_names():
        method = get_method(name)
        grid = grid_for(method, grids)
        for parameter, values in grid.items():
            assert method.params[parameter] in values, (name, parameter)
    assert grid_for(get_method("wavelet.shift-invariant-rician-bc"), grids) == \
        grids["wavelet.shift-invariant"]


def test_tuning_refuses_the_test_split():
    split = argparse.Namespace(dataset="d", split="test", ids=["a"])
    with pytest.raises(BenchError, match="validation"):
        tuning_tasks(split, [Noise("gaussian", 0.1)], [get_method("tv")], grids=load_grids())


def test_tuning_end_to_end_picks_a_sensible_tv_weight(tmp_path):
    """On a blocky phantom the TV weight chosen from the grid beats the smallest one."""
    from benchmark.engine.runner import run_sweep
    from benchmark.engine.store import Store

    yy, xx = np.mgrid[:48, :48]
    clean = (((yy // 12) + (xx // 12)) % 2 * 0.6 + 0.2).astype(np.float32)
    images = argparse.Namespace(image=lambda image_id: clean)
    split = argparse.Namespace(dataset="toy", split="validation", ids=["a", "b"])
    grids = {"tv": {"weight_per_sigma": [0.05, 1.0, 3.0]}}
    noise = Noise("gaussian", 0.1)
    tasks = tuning_tasks(split, [noise], [get_method("tv")], grids=grids)
    assert len(tasks) == 6
    with Store(tmp_path / "s.sqlite") as store:
        run_sweep(tasks, store, images, progress=False)
        cells = store.frame()
    (choice,) = choose(cells, split, [noise], [get_method("tv")], grids=grids)
    assert choice.params["weight_per_sigma"] != 0.05 and choice.n_images == 2
    assert choice.score == max(choice.scores)
    save_choices(tmp_path / "s.sqlite", "toy", [choice], metric="psnr")
    stored = load_choices(tmp_path / "s.sqlite", "toy")
    assert stored[("tv", "gaussian", 0.1)].params == choice.params


def test_a_new_search_replaces_the_old_choice_even_when_it_gives_none(tmp_path):
    """A search whose every point failed leaves no choice of an earlier search behind."""
    store = tmp_path / "s.sqlite"
    noise = Noise("gaussian", 0.1)
    old = Choice("tv", noise, {"weight_per_sigma": 1.0}, 30.0, 2, 3)
    save_choices(store, "toy", [old], metric="psnr", val_limit=2)
    assert ("tv", "gaussian", 0.1) in load_choices(store, "toy", val_limit=2)
    save_choices(store, "toy", [], metric="psnr", searched=[("tv", noise)], val_limit=2)
    assert load_choices(store, "toy") == {}


def test_a_choice_is_used_only_with_the_same_number_of_validation_images(tmp_path):
    store = tmp_path / "s.sqlite"
    noise = Noise("gaussian", 0.1)
    save_choices(store, "toy", [Choice("tv", noise, {"weight_per_sigma": 1.0}, 30.0, 3, 3)],
                 metric="psnr", val_limit=10)  # 10 asked for, the split had 3
    (stored,) = load_choices(store, "toy", val_limit=10).values()
    assert stored.n_images == 3 and stored.val_limit == 10
    assert load_choices(store, "toy", val_limit=4) == {}
    assert load_choices(store, "toy", val_limit=3) == {}


def test_a_store_made_before_val_limit_was_kept_still_reads_and_writes(tmp_path):
    """An older ``tuned`` table (no val_limit column): its rows match on n_images."""
    import sqlite3

    store = tmp_path / "s.sqlite"
    save_choices(store, "other", [], metric="psnr")  # a store of ours, then its old table
    with sqlite3.connect(store) as db:
        db.execute("DROP TABLE tuned")
        db.execute("CREATE TABLE tuned (dataset TEXT NOT NULL, split TEXT NOT NULL, noise TEXT "
                   "NOT NULL, sigma REAL NOT NULL, seed INTEGER NOT NULL, clip INTEGER NOT "
                   "NULL, sigma_source TEXT NOT NULL, method TEXT NOT NULL, metric TEXT NOT "
                   "NULL, params TEXT NOT NULL, score REAL NOT NULL, n_images INTEGER NOT NULL, "
                   "n_points INTEGER NOT NULL, PRIMARY KEY (dataset, noise, sigma, seed, clip, "
                   "sigma_source, method, metric))")
        db.execute("INSERT INTO tuned VALUES ('toy', 'validation', 'gaussian', 0.1, 0, 0, "
                   "'oracle', 'tv', 'psnr', '{}', 30.0, 4, 3)")
    assert list(load_choices(store, "toy", val_limit=4)) == [("tv", "gaussian", 0.1)]
    assert load_choices(store, "toy", val_limit=10) == {}
    noise = Noise("gaussian", 0.2)
    save_choices(store, "toy", [Choice("tv", noise, {}, 31.0, 4, 3)], metric="psnr",
                 val_limit=4)
    assert len(load_choices(store, "toy", val_limit=4)) == 2
