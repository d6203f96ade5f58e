"""Tuned parameters: a grid search on the validation split per (method, noise kind, sigma).

Each method declares its grid where it is registered (``grid=`` beside its defaults; a derived
variant has its base's grid). Each grid point is a
cell configuration like any other, so its validation cells go through the runner into the
store (resumable, cached); the chosen values are then written to the store's ``tuned`` table
and read back by the fair tables and the curve report. The test split is refused: nothing is
tuned on it.

An image objective is a mean over the validation images (higher is better). A curve objective
(:data:`CURVE_TUNING_METRICS`, e.g. ``rmse``) is the mean over every validation curve: the
per-curve values of all blocks are pooled, and its direction is the metric's own (lower is
better for ``rmse``).
"""

from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.errors import BenchError
from benchmark.engine.store import Store, under_noise

TUNING_SPLIT = "validation"
#: Metrics a grid search may maximise (all higher-is-better): whole image or anatomy only.
TUNING_METRICS = ("psnr", "ssim", "psnr_anatomy", "ssim_anatomy")
#: Per-curve metrics a grid search on curve blocks may optimise, in their own direction.
CURVE_TUNING_METRICS = ("rmse", "max_dev", "prd", "cosine")


def higher_is_better(metric: str) -> bool:
    """The direction of a tuning metric (image metrics: higher; curve errors: lower).

    Raises
    ------
    BenchError
        For a metric that is neither in :data:`TUNING_METRICS` nor :data:`CURVE_TUNING_METRICS`.

    Examples
    --------
    >>> higher_is_better("psnr"), higher_is_better("rmse")
    (True, False)
    """
    from benchmark.core.curve_metrics import CURVE_METRICS

    if metric in TUNING_METRICS:
        return True
    if metric in CURVE_TUNING_METRICS:
        return CURVE_METRICS[metric][1]
    raise BenchError(f"--metric {metric!r}: use one of "
                     f"{', '.join(TUNING_METRICS + CURVE_TUNING_METRICS)}")


@dataclass(frozen=True)
class Choice:
    """The grid point chosen for one (method, noise): parameters, validation score, counts.

    ``n_images`` validation images were scored (``val_limit`` were asked for: fewer when the
    split is smaller).
    """

    method: str
    noise: Noise
    params: dict[str, Any]
    score: float
    n_images: int
    n_points: int
    scores: tuple[float, ...] = field(default=(), compare=False)
    val_limit: int | None = None


def load_grids() -> dict[str, dict[str, list]]:
    """Every registered method's declared grid: method name -> parameter -> values."""
    from benchmark.core.registry import get_method, method_names

    return {name: {k: list(v) for k, v in get_method(name).grid.items()}
            for name in method_names() if get_method(name).grid}


def grid_for(method: Denoiser, grids: Mapping[str, Mapping[str, list]] | None = None
             ) -> dict[str, list]:
    """The grid of ``method``: ``grids[method.name]`` when given, else the one it declares.

    Raises
    ------
    BenchError
        If the grid names a parameter the method does not have.
    """
    grid = dict(grids.get(method.name, {}) if grids is not None else method.grid)
    for parameter in grid:
        method.resolve_params({parameter: grid[parameter][0]})  # unknown -> one-line error
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in file order (``[{}]`` for an empty grid)."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def grid_search(objective: Callable[[dict[str, Any]], float], points: Sequence[dict[str, Any]],
                *, higher_is_better: bool = True) -> tuple[dict[str, Any], float, list[float]]:
    """The point with the best finite ``objective``; ties go to the earlier point.

    Returns
    -------
    (params, score, scores)
        The chosen point, its score, and every point's score (NaN where it failed).

    Examples
    --------
    >>> grid_search(lambda p: -(p["x"] - 2) ** 2, grid_points({"x": [0, 1, 2, 3]}))[0]
    {'x': 2}
    """
    scores = [float(objective(point)) for point in points]
    usable = [i for i, s in enumerate(scores) if np.isfinite(s)]
    if not usable:
        raise BenchError("grid search: every grid point failed or has no validation cells")
    sign = 1.0 if higher_is_better else -1.0
    best = max(usable, key=lambda i: (sign * scores[i], -i))
    return dict(points[best]), scores[best], scores


def tuning_tasks(split, noises: Sequence[Noise], methods: Sequence[Denoiser], *,
                 grids: Mapping[str, Mapping[str, list]], seed: int = 0, clip: bool = False,
                 sigma_source: str = "oracle") -> list:
    """Every validation cell of every grid point (duplicates removed, slow ones first)."""
    from benchmark.engine.runner import plan

    check_split(split.split)
    tasks = {}
    for method in methods:
        for point in grid_points(grid_for(method, grids)):
            for task in plan(split, noises, [method], seed=seed, clip=clip,
                             include_noisy=False, sigma_source=sigma_source,
                             params_for=lambda m, n, point=point: point):
                tasks.setdefault(task.key, task)
    return sorted(tasks.values(), key=lambda task: -task.cost)


def choose(cells: pd.DataFrame, split, noises: Sequence[Noise], methods: Sequence[Denoiser], *,
           grids: Mapping[str, Mapping[str, list]], metric: str = "psnr", seed: int = 0,
           clip: bool = False, sigma_source: str = "oracle") -> list[Choice]:
    """Pick each (method, noise)'s grid point by its mean ``metric`` over the split's cells.

    An image metric is averaged over the images; a curve metric (:data:`CURVE_TUNING_METRICS`)
    over every curve of every block, pooled. The direction is the metric's
    (:func:`higher_is_better`). A (method, noise) whose every grid point failed gets no choice; its failed cells are in the
    store and in the sweep's result.
    """
    from benchmark.engine.runner import method_config

    check_split(split.split)
    higher = higher_is_better(metric)
    pooled = metric in CURVE_TUNING_METRICS
    mine = cells[(cells["dataset"] == split.dataset) & (cells["split"] == split.split)
                 & cells["image_id"].isin(list(split.ids)) & (cells["seed"] == seed)
                 & (cells["clip"] == clip) & (cells["status"] == "ok")]
    choices = []
    for method in methods:
        points = grid_points(grid_for(method, grids))
        for noise in noises:
            here = mine[(mine["method"] == method.name) & under_noise(mine, noise)]
            by_config = here.groupby("config")
            every_image = set(split.ids)

            def objective(point, method=method, by_config=by_config):
                # A point counts only if it scored on every image: a mean over the easy images a
                # point did not fail on must not beat a mean over all of them.
                config = method_config(method, point, sigma_source=sigma_source)
                if config not in by_config.groups:
                    return float("nan")
                group = by_config.get_group(config)
                if set(group["image_id"]) != every_image:
                    return float("nan")
                if pooled:  # lists of per-curve values, one a block
                    values = np.concatenate([np.asarray(v, dtype=np.float64)
                                             for v in group[metric]])
                    return float(np.mean(values))
                return float(np.mean(group[metric]))

            try:
                params, score, scores = grid_search(objective, points, higher_is_better=higher)
            except BenchError:  # every point failed: no choice; the failed cells say why
                continue
            n_images = len(every_image)
            choices.append(Choice(method.name, noise, method.resolve_params(params), score,
                                  n_images, len(points), tuple(scores)))
    return choices


def check_split(split: str) -> None:
    """Refuse to tune on anything but the validation split."""
    if split != TUNING_SPLIT:
        raise BenchError(f"parameters are tuned on the {TUNING_SPLIT!r} split only, not "
                         f"{split!r}; the test split never touches tuning")


def save_choices(store: Store | Path, dataset: str, choices: Sequence[Choice], *, metric: str,
                 searched: Sequence[tuple[str, Noise]] | None = None,
                 val_limit: int | None = None, seed: int = 0, clip: bool = False,
                 sigma_source: str = "oracle") -> None:
    """Write the chosen values to the ``tuned`` table of ``store`` (a store or its file).

    Every ``(method, noise)`` of ``searched`` (default: those of ``choices``) loses its
    previous row first, so a search that gives no choice leaves none from an earlier search.
    ``val_limit`` is the number of validation images asked for (default: each choice's).
    """
    searched = [(c.method, c.noise) for c in choices] if searched is None else searched
    keys = {(dataset, noise.kind, noise.sigma, seed, int(clip), sigma_source, method, metric)
            for method, noise in searched}
    rows = [(dataset, TUNING_SPLIT, c.noise.kind, c.noise.sigma, seed, int(clip), sigma_source,
             c.method, metric, json.dumps(c.params, sort_keys=True), c.score, c.n_images,
             c.n_points, val_limit if val_limit is not None else c.val_limit or c.n_images)
            for c in choices]
    with _opened(store) as opened:
        opened.save_tuned(rows, sorted(keys))


def load_choices(store: Store | Path, dataset: str, *, metric: str = "psnr", seed: int = 0,
                 clip: bool = False, sigma_source: str = "oracle", val_limit: int | None = None
                 ) -> dict[tuple[str, str, float], Choice]:
    """The stored choices as ``{(method, noise kind, sigma): Choice}`` (empty if none).

    With ``val_limit``, only the choices made on that many validation images asked for: a
    choice of another tuning run is never used in its place.
    """
    with _opened(store) as opened:
        rows = opened.tuned(dataset, metric=metric, seed=seed, clip=clip,
                            sigma_source=sigma_source, val_limit=val_limit)
    return {(m, kind, float(f"{sigma:.6g}")): Choice(m, Noise(kind, sigma), json.loads(p), score,
                                                      n, k, val_limit=limit)
            for m, kind, sigma, p, score, n, k, limit in rows}


@contextmanager
def _opened(store: Store | Path) -> Iterator[Store]:
    """``store`` itself, or a store opened on the file ``store`` for the block."""
    if isinstance(store, Store):
        yield store
        return
    with Store(store) as opened:
        yield opened
