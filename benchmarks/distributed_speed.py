"""The Table 1+2 sweep through the process pool and through a local Dask cluster.

Both executors compute the same 320 cells (the 20 MNI152 test slices x Gaussian 0.1 and Rician
0.11 x the 7 classical methods and the noisy input; ``--limit`` takes fewer slices) into fresh
stores, alternating which goes first, ``--repeats`` times. It prints each wall time, their
ratio, whether the two stores hold the same cells to the bit, and the engine's cost of a cell:
start-up (executor made, a first task back, closed) and the time per cell of a sweep of noisy
cells only (no denoising: noise, metrics, transfer, store) against the same cells computed in
this process without the engine.

Needs Dask distributed (``pip install "dask[distributed]"``). Run it on a quiet machine::

    python benchmarks/distributed_speed.py [--jobs 2] [--limit N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmark.core.registry import resolve_methods
from benchmark.data.cards import load_dataset
from benchmark.engine.executors import make_executor
from benchmark.engine.provenance import machine
from benchmark.engine.runner import _registered_names, evaluate, plan, run_sweep
from benchmark.engine.store import KEY_COLUMNS, Store
from benchmark.report.paper import TABLES

CLASSICAL = ["gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant", "nlm",
             "bm3d"]
EXECUTORS = ("process", "dask")
#: What two stores must agree on, cell by cell.
COMPARED = ["status", "psnr", "ssim", "params", "error", "psnr_anatomy", "ssim_anatomy"]


def sweep(tasks, images, jobs: int, executor: str, folder: Path) -> tuple[float, pd.DataFrame]:
    """Seconds for ``tasks`` into a fresh store (executor start and stop included); its cells."""
    path = folder / f"{executor}-{time.monotonic_ns()}.sqlite"
    start = time.perf_counter()
    with Store(path) as store:
        outcome = run_sweep(tasks, store, images, jobs=jobs, progress=False, executor=executor)
        elapsed = time.perf_counter() - start
        cells = store.frame()
    assert not outcome.failed and outcome.computed == len(tasks), outcome
    return elapsed, cells


def same_cells(a: pd.DataFrame, b: pd.DataFrame) -> tuple[int, int]:
    """(cells in both stores with every compared value equal, cells in either store)."""
    keys = list(KEY_COLUMNS)
    merged = a[keys + COMPARED].merge(b[keys + COMPARED], on=keys, how="outer",
                                      suffixes=("_a", "_b"), indicator=True)
    equal = merged["_merge"] == "both"
    for column in COMPARED:
        x, y = merged[f"{column}_a"], merged[f"{column}_b"]
        equal &= (x == y) | (x.isna() & y.isna())
    return int(equal.sum()), len(merged)


def startup(jobs: int, executor: str) -> float:
    """Seconds to make the executor, get a first (trivial) task back and close it."""
    start = time.perf_counter()
    pool = make_executor(max(jobs, 2), executor=executor)
    list(pool.imap_unordered(_registered_names, [None]))
    pool.close()
    return time.perf_counter() - start


def trivial_tasks(images, seeds: int):
    """Noisy-input cells only (no denoiser), ``seeds`` replicates of each image and setting."""
    noises = [table.noise for table in TABLES]
    return [t for seed in range(seeds) for t in plan(images, noises, [], seed=seed)]


def in_process(tasks, images) -> float:
    """Seconds to compute ``tasks`` here, one after another, without the engine."""
    from dataclasses import replace

    ready = [replace(t, clean=images.image(t.key.image_id)) for t in tasks]
    start = time.perf_counter()
    for task in ready:
        evaluate(task)
    return time.perf_counter() - start


def _summary(values: list[float]) -> str:
    return f"min {min(values):6.1f} s, median {statistics.median(values):6.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trivial-seeds", type=int, default=10,
                        help="replicates of the noisy-only sweep that measures the cost a cell")
    parser.add_argument("--part", choices=("all", "sweep", "cost"), default="all",
                        help="the Table 1+2 sweep, the cost of a cell, or both (default)")
    args = parser.parse_args()
    images = load_dataset("mni152", "test").head(args.limit)
    noises = [table.noise for table in TABLES]
    tasks = plan(images, noises, resolve_methods(CLASSICAL))
    print(f"machine: {machine()}")
    print(f"{len(tasks)} cells ({len(images)} images x {len(noises)} noise settings x "
          f"{len(CLASSICAL)} methods + noisy input), --jobs {args.jobs}")

    walls: dict[str, list[float]] = {name: [] for name in EXECUTORS}
    ratios, stores = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats if args.part != "cost" else 0):
            order = EXECUTORS if repeat % 2 == 0 else EXECUTORS[::-1]
            for name in order:
                seconds, cells = sweep(tasks, images, args.jobs, name, Path(scratch))
                walls[name].append(seconds)
                stores.setdefault(name, cells)
            ratios.append(walls["dask"][-1] / walls["process"][-1])
            print(f"repeat {repeat + 1}: process pool {walls['process'][-1]:6.1f} s, "
                  f"dask {walls['dask'][-1]:6.1f} s, ratio {ratios[-1]:.3f}")
        if ratios:
            equal, total = same_cells(stores["process"], stores["dask"])
            print(f"Table 1+2 sweep, process pool: {_summary(walls['process'])}")
            print(f"Table 1+2 sweep, dask cluster: {_summary(walls['dask'])}")
            print(f"wall-time ratio dask / process: min {min(ratios):.3f}, median "
                  f"{statistics.median(ratios):.3f}")
            print(f"identical cells: {equal} of {total}")
        if args.part == "sweep":
            return

        trivial = trivial_tasks(images, args.trivial_seeds)
        here = in_process(trivial, images) / len(trivial)
        print(f"\n{len(trivial)} noisy-input cells (no denoiser); computed in this process "
              f"without the engine: {1e3 * here:.1f} ms a cell")
        for name in EXECUTORS:
            starts = [startup(args.jobs, name) for _ in range(args.repeats)]
            per_cell = []
            for _ in range(args.repeats):
                seconds, _ = sweep(trivial, images, args.jobs, name, Path(scratch))
                per_cell.append((seconds - statistics.median(starts)) / len(trivial))
            print(f"{name:7s}: start-up min {min(starts):.2f} s, median "
                  f"{statistics.median(starts):.2f} s; a cell (start-up taken off) min "
                  f"{1e3 * min(per_cell):.1f} ms, median {1e3 * statistics.median(per_cell):.1f}"
                  " ms")


if __name__ == "__main__":
    main()
