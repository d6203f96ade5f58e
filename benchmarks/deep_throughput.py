"""Inference throughput of the shipped deep denoisers: images/s at 256 x 256, fp32 and bf16.

    python benchmarks/deep_throughput.py [--device auto|cpu|cuda] [--batch 1 16] [--seconds 5]
                                         [--repeats 3]

Times the model's forward pass alone, with the 32-px reflected context that ``bench run`` adds
(so the network sees 320 x 320), on random inputs in [0, 1], after warm-up. On CUDA it
synchronises after each timed batch and uses channels_last memory (``bench run`` does not).
bf16 runs under ``torch.autocast``. Each repeat times every (precision, batch) of a model in
turn for ``--seconds``, so that slow drifts of a shared machine hit all of them alike; prints
one Markdown row per (model, precision, batch) with the best and the median repeat (images/s)
and the median's ratio to batch 1 at the same precision. The throughput table in docs/speed.md
is its output. It runs on CUDA when PyTorch sees a GPU (``--device auto``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmark.core.contract import Noise
from benchmark.engine.provenance import machine
from methods.deep.inference import load_model, with_context

SIZE = 256


def images_per_second(model, batch: int, device: str, dtype: torch.dtype | None,
                      seconds: float) -> float:
    """Mean throughput of ``model`` on ``batch`` random 256 x 256 images over ``seconds``."""
    x = with_context(torch.rand(batch, 1, SIZE, SIZE, device=device))
    if device == "cuda":
        x = x.to(memory_format=torch.channels_last)

    def step():
        with torch.inference_mode(), torch.autocast(device, dtype=dtype or torch.float32,
                                                    enabled=dtype is not None):
            model(x)
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):
        step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        done += batch
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads of PyTorch (default: its own choice)")
    parser.add_argument("--models", nargs="+", default=["cdae", "unet-dctda"])
    args = parser.parse_args()
    if min(args.batch) < 1:
        parser.error("--batch sizes must be 1 or more")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu")
    device = args.device if args.device != "auto" else (
        "cuda" if torch.cuda.is_available() else "cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    where = torch.cuda.get_device_name() if device == "cuda" else (
        f"{machine()}, {torch.get_num_threads()} threads")
    print(f"{where}; torch {torch.__version__}")
    print(f"{args.repeats} repeats of {args.seconds:g} s each")
    print("| model | precision | batch | images/s, best repeat | median | median vs batch "
          f"{args.batch[0]} |\n|---|---|---:|---:|---:|---:|")
    precisions = (("fp32", None), ("bf16", torch.bfloat16))
    for name in args.models:
        model = load_model(name, Noise("gaussian", 0.1), device=device)
        if device == "cuda":
            model = model.to(memory_format=torch.channels_last)
        rates = {(label, batch): [] for label, _ in precisions for batch in args.batch}
        for _ in range(args.repeats):
            for label, dtype in precisions:
                for batch in args.batch:
                    rates[label, batch].append(
                        images_per_second(model, batch, device, dtype, args.seconds))
        for label, _ in precisions:
            first = statistics.median(rates[label, args.batch[0]])
            for batch in args.batch:
                median = statistics.median(rates[label, batch])
                print(f"| {name} | {label} | {batch} | {max(rates[label, batch]):.1f} | "
                      f"{median:.1f} | {median / first:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
