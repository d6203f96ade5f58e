"""Wall time of the Table 1+2 deep cells: one image a cell against batched inference.

The deep cells of Tables 1-2 (every test image of the default dataset x Gaussian 0.1 and Rician
0.11 x cdae and unet-dctda; 80 cells) are computed by the runner into a fresh store two ways,
alternating within each repeat:

- ``per-cell``: every cell denoised alone (:func:`benchmark.engine.runner.evaluate`), as the
  runner did before batching;
- ``batched``: the cells of one setting denoised together (:func:`evaluate_batch`), batch size
  chosen from the device (16 on a CPU) or ``--batch-size``.

Prints the wall time of each (best and median repeat) and the ratio of the medians; process
start-up is included, as in ``bench report``.

Run: ``python benchmarks/deep_sweep.py [--jobs 2] [--repeats 2] [--limit N] [--device cpu]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from benchmark.core.registry import resolve_methods
from benchmark.data.cards import load_dataset
from benchmark.engine import runner
from benchmark.engine.provenance import machine
from benchmark.engine.store import Store
from benchmark.report.paper import TABLES


def sweep(images, batched: bool, *, jobs: int, device: str, batch_size: int | None) -> float:
    """Seconds to compute the deep cells into a fresh store."""
    tasks = runner.plan(images, [table.noise for table in TABLES],
                        resolve_methods(["cdae", "unet-dctda"]), device=device,
                        include_noisy=False)
    per_cell = mock.patch.object(runner, "_batched", lambda task: False)
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.sqlite") as store:
        start = time.perf_counter()
        if batched:
            outcome = runner.run_sweep(tasks, store, images, jobs=jobs, progress=False,
                                       batch_size=batch_size)
        else:
            with per_cell:
                outcome = runner.run_sweep(tasks, store, images, jobs=jobs, progress=False)
        seconds = time.perf_counter() - start
    if outcome.failed or outcome.computed != len(tasks):
        raise SystemExit(f"{len(outcome.failed)} cells failed: {outcome.failed[:1]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    images = load_dataset("mni152", "test").head(args.limit)
    device = runner.resolve_device(args.device, resolve_methods(["cdae", "unet-dctda"]))
    seconds = {"per-cell": [], "batched": []}
    for _ in range(args.repeats):
        for name in seconds:
            seconds[name].append(sweep(images, name == "batched", jobs=args.jobs,
                                       device=device, batch_size=args.batch_size))
            print(f"{name}: {seconds[name][-1]:.1f} s", flush=True)
    cells = len(images.ids) * len(TABLES) * 2
    print(f"{cells} deep cells (Tables 1-2), {device}, --jobs {args.jobs}, "
          f"{args.repeats} repeats; {machine()}")
    print("| how | wall time, best | median | median vs per-cell |\n|---|---:|---:|---:|")
    base = statistics.median(seconds["per-cell"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"| {name} | {min(values):.1f} s | {median:.1f} s | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
