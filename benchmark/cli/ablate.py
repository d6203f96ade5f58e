"""``bench ablate``: the UNet-DCTD-A ablation (one component removed at a time) or the
data-fraction study (transfer learning); see methods.deep.training.ablation."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import add_budget_options, budget, device, positive_int


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


def _shown(folder: Path) -> str:
    """``folder`` relative to the project when inside it (tables are committed)."""
    from benchmark.core.paths import PROJECT_ROOT

    try:
        return str(folder.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(folder)


def run(args: argparse.Namespace) -> int:
    from methods.deep.training import ablation
    from benchmark.cli.train import parse_noises
    from benchmark.core.contract import Noise
    from benchmark.core.paths import REPORTS_DIR, RESULTS_DIR
    from methods.deep.training.training import PROFILES, TrainConfig, noise_tag

    noises = parse_noises(args.noise, args.sigma)
    sigmas = args.test_sigma
    test_noises = [Noise(kind, s) for kind, lo, hi in noises for s in (sigmas or [(lo + hi) / 2])]
    tag = f"{args.study}-{noise_tag(noises)}"
    folder = Path(args.folder) if args.folder else RESULTS_DIR / "ablation" / tag
    base = TrainConfig(
        architecture="unet-dctda", noises=noises, dataset=args.dataset, profile=args.profile,
        **{**PROFILES[args.profile], **budget(args)}, perceptual_weights=args.perceptual_weights,
        encoder_weights=args.encoder_weights, seed=args.seed, device=device(args),
        command=getattr(args, "command_line", "bench ablate"))
    if args.study == "components":
        variants = ablation.component_variants(base)
    else:
        variants = ablation.transfer_variants(args.encoder_weights, args.fractions)
    reports = Path(args.reports) if args.reports else REPORTS_DIR
    rows = ablation.run_study(base, variants, folder, test_noises, test_limit=args.test_limit,
                              progress=not args.quiet)
    command = getattr(args, "command_line", "bench ablate")
    notes = (f"Made by `{command}`. Test split of {args.dataset}, whole image, mean ± std over N "
             f"images; Δ against the "
             + ("full model." if args.study == "components" else
                "scratch run with the same fraction.")
             + f" Models in `{_shown(folder)}`.")
    if args.study == "components":
        ablation.write_table(rows, reports / "ablation", title="Ablation of UNet-DCTD-A",
                             notes=notes)
    else:
        ablation.write_table(rows, reports / "transfer",
                             title="Transfer learning: train fraction, scratch vs pretrained",
                             notes=notes)
        ablation.plot_transfer(rows, reports / "transfer.png")
    name = "ablation" if args.study == "components" else "transfer"
    print(f"wrote {reports / name}.md and .csv ({len(rows)} rows)")
    return 0
