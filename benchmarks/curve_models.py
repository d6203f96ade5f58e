"""Quality of the shipped curve models on the dce-sim test split: mean per-curve RMSE (mM).

Every model denoises the same noisy curves (relative-Gaussian noise drawn per block as a cell
draws it, seed 0), through the registered methods and their shipped checkpoints; the table
gives each model's mean per-curve RMSE at each level, the noisy input's, and the reduction
against it, with each model's parameter count and its checkpoint's validation RMSE.

Run: ``python benchmarks/curve_models.py [--sigma 0.05 0.2 0.5]``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.curve_metrics import curve_errors
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method
from benchmark.data.cards import load_dataset
from methods.deep.checkpoints import find_checkpoint, read_metadata
from methods.deep.curves import CURVE_ARCHITECTURES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sigma", type=float, nargs="+", default=[0.05, 0.2, 0.5])
    args = parser.parse_args()
    test = load_dataset("dce-sim", "test")
    clean = test.curves()
    noisy = {}
    for sigma in args.sigma:
        noise = Noise("relative-gaussian", sigma)
        noisy[sigma] = np.concatenate([add_noise(block, noise, image_id=block_id)
                                       for block_id, block in zip(test.ids, test.blocks)])
    levels = " | ".join(f"RMSE at {s:g}" for s in args.sigma)
    print(f"| model | parameters | validation RMSE | {levels} |")
    print("|---|---|---|" + "---|" * len(args.sigma))
    raw = {s: curve_errors(clean, y)["rmse"].mean() for s, y in noisy.items()}
    print("| noisy input | | | " + " | ".join(f"{raw[s]:.4f}" for s in args.sigma) + " |")
    for name in CURVE_ARCHITECTURES:
        meta = read_metadata(find_checkpoint(name, Noise("relative-gaussian", args.sigma[0])))
        cells = []
        for sigma in args.sigma:
            out = get_method(name)(noisy[sigma], Noise("relative-gaussian", sigma))
            rmse = curve_errors(clean, out)["rmse"].mean()
            cells.append(f"{rmse:.4f} ({rmse / raw[sigma] - 1:+.0%})")
        print(f"| `{name}` | {int(json.loads(meta['parameters'])):,} | "
              f"{float(meta['val_rmse']):.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
