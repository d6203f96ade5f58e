"""``bench pretrain``: pretrain the UNet-DCTD-A encoder offline on scikit-image's natural images."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import positive_int


def add_budget_options(parser: argparse.ArgumentParser) -> None:
    """Seed and budget options shared with ``bench train`` (each overrides the quick profile)."""
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--epochs", type=positive_int, help="override the profile's epochs")
    parser.add_argument("--steps", type=positive_int, help="batches per epoch (override)")
    parser.add_argument("--crop", type=positive_int, help="crop size in pixels (override)")
    parser.add_argument("--batch", type=positive_int, help="batch size (override)")
    parser.add_argument("--lr", type=float, help="peak learning rate (override)")
    parser.add_argument("--val-limit", type=positive_int, help="validation images (override)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def budget(args: argparse.Namespace) -> dict:
    """The profile overrides given on the command line."""
    keys = ("epochs", "steps", "crop", "batch", "lr", "val_limit")
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


def device(args: argparse.Namespace) -> str:
    """The torch device for ``--device`` (and ``--threads`` applied)."""
    import torch

    from benchmark.errors import BenchError

    if args.threads:
        torch.set_num_threads(args.threads)
    chosen = "cpu" if args.device == "cpu" else ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cuda" and chosen != "cuda":
        raise BenchError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu")
    return chosen


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "pretrain", help="pretrain the unet-dctda encoder on scikit-image's natural images "
                         "(offline), for --encoder-weights pretrained:PATH")
    parser.add_argument("--out", required=True, help="checkpoint file to write (.safetensors)")
    parser.add_argument("--noise", nargs="+", metavar="KIND", default=["gaussian", "rician"],
                        help="noise kind(s) (default: gaussian rician)")
    parser.add_argument("--sigma", nargs="+", metavar="SIGMA", default=["0.02:0.2"],
                        help="noise level or LO:HI range (default: 0.02:0.2)")
    add_budget_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.cli.train import parse_noises
    from benchmark.paths import RESULTS_DIR
    from benchmark.pretrain import pretrain_config
    from benchmark.training import train

    out = Path(args.out)
    config = pretrain_config(str(out), str(RESULTS_DIR / "pretrain" / out.stem),
                             noises=parse_noises(args.noise, args.sigma),
                             command=getattr(args, "command_line", "bench pretrain"),
                             seed=args.seed, device=device(args), **budget(args))
    summary = train(config, progress=not args.quiet)
    print(f"best epoch {summary['best_epoch']} (validation SSIM {summary['best_val_ssim']:.4f} on "
          f"held-out natural images); encoder for --encoder-weights pretrained:{out}")
    return 0
