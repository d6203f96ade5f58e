"""Speed and quality of faster BM3D settings against the reference, on MNI152 test slices.

Each setting denoises the same noisy slices (Gaussian, one thread, cells' own noise draws);
times are taken in one run, alternating settings, repeated, and reported as ratios to the
reference (min and median over the repeats), with the mean PSNR change.

Run: ``python benchmarks/bm3d_fast.py [--images 4] [--repeats 3] [--sigma 0.1]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import bm3d as bm3d_package
import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise
from benchmark.data.cards import load_dataset


def profile(name: str) -> bm3d_package.BM3DProfile:
    """The package's profile for one setting, on one thread."""
    settings = bm3d_package.BM3DProfileLC() if name == "lc" else bm3d_package.BM3DProfile()
    if name in ("wiener-step4", "step4"):
        settings.step_wiener = 4
    if name == "step4":
        settings.step_ht = 4
    settings.num_threads = 1
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sigma", type=float, default=0.1)
    args = parser.parse_args()
    test = load_dataset("mni152", "test")
    picks = np.linspace(0, len(test.ids) - 1, args.images).round().astype(int)
    noise = Noise("gaussian", args.sigma)
    pairs = [(test.images[i], add_noise(test.images[i], noise, image_id=test.ids[i]))
             for i in picks]
    names = ["reference", "wiener-step4", "step4", "lc"]
    seconds = {name: [] for name in names}
    scores = {}
    for _ in range(args.repeats):
        for name in names:
            start = time.perf_counter()
            outputs = [bm3d_package.bm3d(noisy, sigma_psd=noise.sigma, profile=profile(name))
                       for _, noisy in pairs]
            seconds[name].append(time.perf_counter() - start)
            scores[name] = np.mean([psnr(clean, out) for (clean, _), out in zip(pairs, outputs)])
    print(f"{len(pairs)} MNI152 test slices, {noise}, {args.repeats} repeats, one thread")
    print(f"{'setting':14s} {'time ratio min':>15s} {'median':>7s} {'dPSNR dB':>9s}")
    for name in names:
        ratios = [s / r for s, r in zip(seconds[name], seconds["reference"])]
        print(f"{name:14s} {min(ratios):15.2f} {statistics.median(ratios):7.2f} "
              f"{scores[name] - scores['reference']:+9.3f}")


if __name__ == "__main__":
    main()
