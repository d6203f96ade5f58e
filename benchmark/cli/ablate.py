"""``bench ablate``: the UNet-DCTD-A ablation (one component removed at a time) or the
data-fraction study (transfer learning); see methods.deep.training.ablation."""

from __future__ import annotations

import argparse

from benchmark.cli.common import add_budget_options, budget, positive_int


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "ablate", help="train unet-dctda variants (ablation or data-fraction study), score them "
                       "on the test split, write reports/ablation.md or reports/transfer.md")
    parser.add_argument("--study", default="components", choices=("components", "transfer"),
                        help="components: one part removed at a time (default); transfer: "
                             "10%%/25%%/100%% of the train slices, scratch vs --encoder-weights")
    parser.add_argument("--noise", required=True, nargs="+", metavar="KIND",
                        help="training noise kind(s), as for bench train")
    parser.add_argument("--sigma", required=True, nargs="+", metavar="SIGMA",
                        help="training noise level(s) or LO:HI ranges, as for bench train")
    parser.add_argument("--test-sigma", nargs="+", type=float, metavar="SIGMA",
                        help="noise levels to score on the test split (default: the training "
                             "sigma, the middle of a range), for every training noise kind")
    parser.add_argument("--profile", default="quick", choices=("quick", "paper"))
    parser.add_argument("--encoder-weights", default="none", metavar="SPEC",
                        help="full model's encoder: none | imagenet:PATH | pretrained:PATH")
    parser.add_argument("--perceptual-weights", metavar="PATH",
                        help="VGG16 ImageNet state dict; the full model uses the perceptual loss")
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.1, 0.25, 1.0],
                        help="transfer study: fractions of the train slices (default 0.1 0.25 1)")
    parser.add_argument("--dataset", default="mni152", help="dataset card (default: mni152)")
    parser.add_argument("--test-limit", type=positive_int,
                        help="score only the first N test images (default: all)")
    parser.add_argument("--folder", help="where the variants are trained (default: "
                                         "results/ablation/STUDY-NOISE/)")
    parser.add_argument("--reports", help="report folder (default: reports/)")
    add_budget_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import ablate

    result = ablate(study=args.study, noise=args.noise, sigma=args.sigma,
                    test_sigma=args.test_sigma, profile=args.profile,
                    encoder_weights=args.encoder_weights,
                    perceptual_weights=args.perceptual_weights, fractions=args.fractions,
                    dataset=args.dataset, test_limit=args.test_limit, folder=args.folder,
                    reports=args.reports, budget=budget(args), seed=args.seed,
                    device=args.device, threads=args.threads, progress_bar=not args.quiet,
                    command=getattr(args, "command_line", "bench ablate"))
    print(f"wrote {result.table.with_suffix('')}.md and .csv ({len(result.rows)} rows)")
    return 0
