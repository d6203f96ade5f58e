"""``bench pretrain``: pretrain the UNet-DCTD-A encoder offline on scikit-image's natural images."""

from __future__ import annotations

import argparse

from benchmark.cli.common import add_budget_options, budget


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
    from benchmark.workflows import pretrain

    result = pretrain(out=args.out, noise=args.noise, sigma=args.sigma, budget=budget(args),
                      seed=args.seed, device=args.device, threads=args.threads,
                      progress_bar=not args.quiet,
                      command=getattr(args, "command_line", "bench pretrain"))
    summary = result.summary
    print(f"best epoch {summary['best_epoch']} (validation SSIM {summary['best_val_ssim']:.4f} on "
          f"held-out natural images); encoder for --encoder-weights pretrained:{result.checkpoint}")
    return 0
