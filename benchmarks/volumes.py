"""3-D against slice-wise denoising on the MNI152 test slabs: quality, time and peak memory.

BM4D and 3-D non-local means (dipy) against the best slice-wise method, BM3D, at Gaussian 0.1
and Rician 0.11. Under Rician noise BM4D (a Gaussian-noise method) runs through its fair VST
variant, and BM3D both plain and through its VST variant. Each (method, noise, volume) runs in
a subprocess of its own: it loads the slab, draws the cell's noise (the sweep's own draw,
seed 0), denoises a small crop first (so that imports are not timed), then the slab on one
thread, and reports the seconds of the denoising call, PSNR and 3-D
SSIM (:func:`benchmark.core.volume_metrics.score_volume`) and its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), before and after the call: the growth is what
the method itself needed on top of the interpreter, libraries and data.

Run: ``python benchmarks/volumes.py [--volumes 2] [--out results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

#: (noise kind, sigma) -> methods compared.
SETTINGS = {
    ("gaussian", 0.1): ("bm3d", "bm4d", "nlm-3d"),
    ("rician", 0.11): ("bm3d", "bm3d.rician-vst", "bm4d.rician-vst", "nlm-3d"),
}


def child(method: str, kind: str, sigma: float, index: int) -> dict:
    """Denoise one slab with one method; the measurements of this process."""
    import resource
    import time

    from benchmark.core.contract import Noise, slice_wise
    from benchmark.core.noise import add_noise
    from benchmark.core.registry import get_method
    from benchmark.core.volume_metrics import score_volume
    from benchmark.data.cards import load_card
    from benchmark.data.volumes import load_volumes

    volumes = load_volumes(load_card("mni152"), "test")
    volume_id = volumes.ids[index]
    clean = volumes.image(volume_id)
    noise = Noise(kind, sigma)
    noisy = add_noise(clean, noise, image_id=volume_id, seed=0)
    denoiser = get_method(method)
    whole = slice_wise(denoiser, "volume")
    denoiser(noisy[:1, :32, :32] if whole else noisy[None, :8, :32, :32], noise)  # imports
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    out = denoiser(noisy if whole else noisy[None], noise)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = out if whole else out[0]
    scores = score_volume(clean, out)
    return {"method": method, "noise": kind, "sigma": sigma, "volume": volume_id,
            "runs": "slice-wise" if whole else "3-D", "seconds": seconds,
            "psnr": scores["psnr"], "ssim": scores["ssim"],
            "psnr_slices": scores["extra"]["psnr_slices"],
            "maxrss_before_mib": before / 1024, "maxrss_peak_mib": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volumes", type=int, default=2, help="test slabs (default: both)")
    parser.add_argument("--out", default=None, help="write every measurement as JSON")
    parser.add_argument("--child", nargs=4, metavar=("METHOD", "KIND", "SIGMA", "INDEX"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, kind, sigma, index = args.child
        print(json.dumps(child(method, kind, float(sigma), int(index))))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    rows = []
    for (kind, sigma), methods in SETTINGS.items():
        for method in methods:
            for index in range(args.volumes):
                done = subprocess.run([sys.executable, __file__, "--child", method, kind,
                                       str(sigma), str(index)], env=env, check=True,
                                      capture_output=True, text=True)
                row = json.loads(done.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)
    print("| Noise | Method | Runs | PSNR (dB) | SSIM 3-D | s / volume (min, median) | "
          "peak RSS MiB (growth) |\n|---|---|---|---|---|---|---|")
    for (kind, sigma), methods in SETTINGS.items():
        for method in methods:
            mine = [r for r in rows if r["method"] == method and r["noise"] == kind]
            seconds = [r["seconds"] for r in mine]
            peak = max(r["maxrss_peak_mib"] for r in mine)
            growth = max(r["maxrss_peak_mib"] - r["maxrss_before_mib"] for r in mine)
            print(f"| {kind} {sigma:g} | {method} | {mine[0]['runs']} | "
                  f"{statistics.mean(r['psnr'] for r in mine):.2f} | "
                  f"{statistics.mean(r['ssim'] for r in mine):.4f} | "
                  f"{min(seconds):.1f}, {statistics.median(seconds):.1f} | "
                  f"{peak:.0f} (+{growth:.0f}) |")


if __name__ == "__main__":
    main()
