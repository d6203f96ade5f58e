"""Score the deep denoisers against the classical ones on a dataset's test split.

Whole-image PSNR/SSIM (benchmark.metrics), the same noisy images as ``bench run`` (seed 0).
At Rician noise BM3D is also scored followed by the bias correction
``sqrt(max(d^2 - 2 sigma^2, 0))``. Classical results are cached in ``--cache`` (JSON).

Usage: python scripts/eval_deep.py [--methods ...] [--cache results/eval_deep.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmark.contract import Noise
from benchmark.data import load_dataset
from benchmark.metrics import score
from benchmark.noise import add_noise
from benchmark.registry import get_method

SETTINGS = (Noise("gaussian", 0.1), Noise("rician", 0.11))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", nargs="+",
                        default=["gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant", "nlm", "bm3d",
                                 "bm3d+rician-correction", "cdae", "unet-dctda"])
    parser.add_argument("--cache", type=Path, default=Path("results/eval_deep.json"))
    parser.add_argument("--dataset", default="mni152")
    args = parser.parse_args()
    cache = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    test = load_dataset(args.dataset, "test")
    for noise in SETTINGS:
        noisy = [add_noise(x, noise, image_id=i, seed=0) for i, x in zip(test.ids, test.images)]
        rows = {"noisy": [score(x, y) for x, y in zip(test.images, noisy)]}
        for name in args.methods:
            key = f"{noise}|{name}"
            if name == "bm3d+rician-correction" and noise.kind != "rician":
                continue
            if key not in cache or name in ("cdae", "unet-dctda"):
                start = time.perf_counter()
                method = get_method(name.split("+")[0])
                out = method(np.stack(noisy), noise)
                if name.endswith("+rician-correction"):
                    out = np.sqrt(np.maximum(out.astype(np.float64) ** 2 - 2 * noise.sigma**2, 0))
                cache[key] = {"scores": [score(x, e) for x, e in zip(test.images, out)],
                              "seconds": time.perf_counter() - start}
                args.cache.parent.mkdir(parents=True, exist_ok=True)
                args.cache.write_text(json.dumps(cache))
            rows[name] = cache[key]["scores"]
        print(f"\n{noise}, {args.dataset} test split, N = {len(test)}")
        for name, scores in rows.items():
            p = np.array([s["psnr"] for s in scores])
            s = np.array([s["ssim"] for s in scores])
            print(f"  {name:24s} PSNR {p.mean():6.2f} ± {p.std(ddof=1):4.2f}   "
                  f"SSIM {s.mean():.4f} ± {s.std(ddof=1):.4f}")


if __name__ == "__main__":
    main()
