"""``bench pretrain``: pretrain the UNet-DCTD-A encoder offline on scikit-image's natural images."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import add_budget_options, budget, device


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
    from benchmark.core.paths import RESULTS_DIR
    from methods.deep.training.pretrain import pretrain_config
    from methods.deep.training.training import train

    out = Path(args.out)
    config = pretrain_config(str(out), str(RESULTS_DIR / "pretrain" / out.stem),
                             noises=parse_noises(args.noise, args.sigma),
                             command=getattr(args, "command_line", "bench pretrain"),
                             seed=args.seed, device=device(args), **budget(args))
    summary = train(config, progress=not args.quiet)
    print(f"best epoch {summary['best_epoch']} (validation SSIM {summary['best_val_ssim']:.4f} on "
          f"held-out natural images); encoder for --encoder-weights pretrained:{out}")
    return 0
