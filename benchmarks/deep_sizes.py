"""Size and CPU cost of the deep image networks: parameters, forward time of one 256 x 256
image, and the time of one training step (batch 8 of 96-px crops, the quick profile's).

Networks are built with fresh weights (no checkpoint needed): every registered image
architecture at its registered configuration, plus DRUNet's ``paper`` setting. Times are the
process's CPU time (``time.process_time``), which on one thread is the compute time even on a
machine shared with other jobs, where wall time is not. Prints Markdown rows.

Run: ``python benchmarks/deep_sizes.py [--threads 1] [--repeats 3] [--models drunet cdae]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmark.engine.provenance import machine
from methods.deep.drunet import SETTINGS
from methods.deep.level import forward
from methods.deep.nets import ARCHITECTURE_DATA, build


def _forward_ms(model, repeats: int) -> float:
    x = torch.rand(1, 1, 256, 256)
    with torch.inference_mode():
        forward(model, x, 0.1)  # warm-up
        start = time.process_time()
        for _ in range(repeats):
            forward(model, x, 0.1)
    return (time.process_time() - start) / repeats * 1000


def _step_s(model, repeats: int) -> float:
    model.train()
    optimizer = torch.optim.Adam(model.parameters())
    x, level = torch.rand(8, 1, 96, 96), torch.full((8,), 0.1)
    for k in range(repeats + 1):
        if k == 1:
            start = time.process_time()
        loss = forward(model, x, level).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.process_time() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+",
                        default=[n for n, d in ARCHITECTURE_DATA.items() if d == "image"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [(name, {}) for name in args.models]
    if "drunet" in args.models:
        rows.append(("drunet", SETTINGS["paper"]))
    print(f"{machine()}, torch {torch.__version__}, {args.threads} thread(s), fp32")
    print("| network | configuration | parameters | forward, 256 x 256 (CPU ms) | "
          "training step, 8 x 96 x 96 (CPU s) |")
    print("|---|---|---|---|---|")
    for name, config in rows:
        model = build(name, config).eval()
        count = sum(p.numel() for p in model.parameters())
        ms = _forward_ms(model, args.repeats)
        step = _step_s(model, args.repeats)
        shown = ", ".join(f"{k} {v}" for k, v in config.items()) or "registered"
        print(f"| {name} | {shown} | {count:,} | {ms:.0f} | {step:.2f} |", flush=True)


if __name__ == "__main__":
    main()
