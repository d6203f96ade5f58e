"""Speed of the Table 1+2 sweep: the runner against a plain serial loop.

Both compute the same cells (every test image of the default dataset, Gaussian 0.1 and Rician
0.11, the noisy input and every classical method, same parameters): the baseline is a plain
Python loop calling each method's library function in this process; the runner is
``bench run``'s engine (process pool, SQLite store, fresh store each time). A second loop calls
BM3D with the bm3d package's default threading (every core, not bit-reproducible), the fastest
plain loop one could write.

Run it on a quiet machine::

    python benchmarks/sweep_speed.py [--jobs 2] [--limit N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmark.data.cards import load_dataset
from benchmark.core.metrics import score
from benchmark.core.noise import add_noise
from benchmark.report.paper import TABLES
from benchmark.engine.provenance import machine
from benchmark.core.registry import resolve_methods
from benchmark.engine.runner import plan, run_sweep
from benchmark.engine.store import Store

CLASSICAL = ["gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant", "nlm",
             "bm3d"]


def serial_loop(images, noises, methods, *, bm3d_all_cores: bool = False) -> float:
    """Seconds for the plain loop: noise, library call, metrics, one cell after another.

    With ``bm3d_all_cores``, BM3D is called with the bm3d package's default threading (its own
    pool over every core, not bit-reproducible) instead of the benchmark's single thread.
    """
    import bm3d

    start = time.perf_counter()
    for noise in noises:
        for image_id, clean in zip(images.ids, images.images):
            noisy = add_noise(clean, noise, image_id=image_id)
            score(clean, noisy)
            for method in methods:
                if bm3d_all_cores and method.name == "bm3d":
                    output = bm3d.bm3d(noisy.copy(), sigma_psd=noise.sigma, profile="np")
                else:
                    output = method.function(noisy.copy(), noise, **method.resolve_params())
                score(clean, output)
    return time.perf_counter() - start


def runner(images, noises, methods, jobs: int) -> float:
    """Seconds for the runner into a fresh store, process start-up included."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with Store(Path(folder) / "speed.sqlite") as store:
            outcome = run_sweep(plan(images, noises, methods), store, images, jobs=jobs,
                                progress=False)
        elapsed = time.perf_counter() - start
    assert not outcome.failed, outcome.failed
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    images = load_dataset("mni152", "test").head(args.limit)
    noises = [table.noise for table in TABLES]
    methods = resolve_methods(CLASSICAL)
    cells = len(images) * len(noises) * (len(methods) + 1)
    serial = serial_loop(images, noises, methods)
    threaded = serial_loop(images, noises, methods, bm3d_all_cores=True)
    parallel = runner(images, noises, methods, args.jobs)
    print(f"machine: {machine()}")
    print(f"{cells} cells ({len(images)} images x {len(noises)} noise settings x "
          f"{len(methods)} methods + noisy input)")
    print(f"plain serial loop, same calls:          {serial:7.1f} s")
    print(f"plain loop, BM3D on all cores (default): {threaded:7.1f} s")
    print(f"runner, {args.jobs} jobs:                       {parallel:7.1f} s   "
          f"speed-up {serial / parallel:.2f}x (vs all-core BM3D loop {threaded / parallel:.2f}x)")


if __name__ == "__main__":
    main()
