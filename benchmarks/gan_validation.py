"""The deep image models on validation slices: PSNR, SSIM and how much fine detail they keep.

Every method denoises the same noisy validation slices (noise drawn as a cell draws it, seed 0)
through the registered methods and the checkpoints they find (``BENCH_CHECKPOINTS`` to serve
others). Per method and noise: whole-image PSNR and SSIM, the same on the anatomy, and the
detail ratio, the mean squared gradient of the output over that of the clean slice on the
anatomy (1: as much fine structure as the clean image; below 1: smoother; above 1: added
texture or residual noise). ``--panel PATH`` draws the visual comparison of the report for the
middle slice. Validation slices only: no test image is looked at.

Run: ``python benchmarks/gan_validation.py [--methods cdae gan] [--limit 6] [--panel gan.png]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.masks import anatomy_mask, anatomy_scores
from benchmark.core.metrics import score
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method
from benchmark.data.cards import load_dataset


def detail_ratio(clean: np.ndarray, estimate: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared gradient magnitude of ``estimate`` over that of ``clean``, on ``mask``."""
    def energy(image):
        rows, cols = np.gradient(image.astype(np.float64))
        return float(np.mean((rows**2 + cols**2)[mask]))

    return energy(estimate) / energy(clean)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", default=["cdae", "unet-dctda", "gan"])
    parser.add_argument("--noise", nargs="+", default=["gaussian:0.1", "rician:0.11"],
                        metavar="KIND:SIGMA")
    parser.add_argument("--limit", type=int, default=6, help="validation slices, evenly spaced")
    parser.add_argument("--panel", help="write the visual comparison of the middle slice here")
    args = parser.parse_args()
    images = load_dataset("mni152", "validation")
    picks = np.linspace(0, len(images) - 1, min(args.limit, len(images))).round().astype(int)
    ids, clean = [images.ids[i] for i in picks], np.stack([images.images[i] for i in picks])
    masks = [anatomy_mask(x) for x in clean]
    print(f"MNI152 validation, {len(ids)} slices ({ids[0]} ... {ids[-1]}), seed 0; "
          "mean over slices")
    print("| method | noise | PSNR (dB) | SSIM | anatomy PSNR | anatomy SSIM | detail ratio |")
    print("|---|---|---|---|---|---|---|")
    noises = [Noise(*text.split(":")) for text in args.noise]
    for noise in noises:
        noisy = np.stack([add_noise(x, noise, image_id=i) for i, x in zip(ids, clean)])
        outputs = {"noisy": noisy}
        for name in args.methods:
            outputs[name] = get_method(name)(noisy, noise)
        for name, out in outputs.items():
            rows = [score(c, e) | anatomy_scores(c, e, m) | {"detail": detail_ratio(c, e, m)}
                    for c, e, m in zip(clean, out, masks)]
            mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(f"| {name} | {noise.kind} {noise.sigma:g} | {mean['psnr']:.2f} | "
                  f"{mean['ssim']:.4f} | {mean['psnr_anatomy']:.2f} | "
                  f"{mean['ssim_anatomy']:.4f} | {mean['detail']:.2f} |")
    if args.panel:
        from benchmark.report.figures import denoise_panels, plot_visual_comparison, save_png

        middle = len(ids) // 2
        noise = noises[0]
        panels = denoise_panels(clean[middle], ids[middle], noise,
                                [get_method(name) for name in args.methods])
        save_png(plot_visual_comparison(panels, title=f"{ids[middle]}, {noise}", columns=5),
                 Path(args.panel))


if __name__ == "__main__":
    main()
