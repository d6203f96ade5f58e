"""PSNR effect of reduced-precision inference (bf16, fp16 autocast) on the deep models.

Each model denoises the cells' own noisy images of a split (default: the MNI152 test split,
Gaussian 0.1) in fp32 and in each reduced precision, through the registered method as
``bench run --precision`` calls it; prints the mean PSNR of each and the change against fp32
(mean, and the largest change on one image), as Markdown rows.

Run: ``python benchmarks/deep_precision.py [--precisions bf16 fp16] [--limit N] [--device cpu]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method
from benchmark.data.cards import load_dataset
from benchmark.engine.provenance import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["unet-dctda", "cdae"])
    parser.add_argument("--precisions", nargs="+", default=["bf16", "fp16"],
                        choices=["bf16", "fp16"])
    parser.add_argument("--sigma", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args()
    import torch

    device = args.device if args.device != "auto" else (
        "cuda" if torch.cuda.is_available() else "cpu")
    test = load_dataset("mni152", "test")
    ids = test.ids[:args.limit] if args.limit else test.ids
    noise = Noise("gaussian", args.sigma)
    clean = np.stack([test.image(i) for i in ids])
    noisy = np.stack([add_noise(test.image(i), noise, image_id=i) for i in ids])
    where = torch.cuda.get_device_name() if device == "cuda" else machine()
    print(f"{len(ids)} MNI152 test slices, {noise}, {device} ({where}); torch {torch.__version__}")
    print("| model | precision | mean PSNR dB | change vs fp32 (mean) | largest change on one "
          "image | seconds |\n|---|---|---:|---:|---:|---:|")
    for name in args.models:
        method = get_method(name)
        scores = {}
        for precision in ["fp32", *args.precisions]:
            start = time.perf_counter()
            out = method(noisy, noise, device=device, precision=precision)
            seconds = time.perf_counter() - start
            scores[precision] = np.array([psnr(c, o) for c, o in zip(clean, out)])
            change = scores[precision] - scores["fp32"]
            print(f"| {name} | {precision} | {scores[precision].mean():.4f} | "
                  f"{change.mean():+.4f} | {change[np.abs(change).argmax()]:+.4f} | "
                  f"{seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
