"""``bench train``: train a deep denoiser on a dataset's train split (see methods.deep.training.training)."""

from __future__ import annotations

import argparse
import shlex
import sys

from benchmark.cli.common import add_budget_options, budget, non_negative_float, positive_int


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="train a deep denoiser (cdae, unet-dctda, drunet, gan, a variant such as "
                      "cdae.nlmap, or a curve model such as drnn) and write its checkpoint")
    parser.add_argument("architecture", metavar="ARCH",
                        help="a registered deep architecture: cdae, unet-dctda, drunet, gan, a "
                             "variant (cdae.nlmap, unet-dctda.nlmap) or a plugin's (see "
                             "'bench methods')")
    parser.add_argument("--noise", nargs="+", metavar="KIND",
                        help="noise kind(s): gaussian and/or rician (one model for all given); "
                             "relative-gaussian for curve models (required unless --preset "
                             "sets it)")
    parser.add_argument("--sigma", nargs="+", metavar="SIGMA",
                        help="noise level, or LO:HI for a range drawn uniformly; one for all "
                             "kinds or one per kind (required unless --preset sets it)")
    parser.add_argument("--preset", metavar="NAME",
                        help="a named setting that fills in the options not given: "
                             "ct-autoencoder (HU-windowed CT resized to 128 x 128, Gaussian "
                             "sigma 0.4, Pancreas-CT unless --data/--dataset; docs/training.md)")
    parser.add_argument("--profile", default="quick", choices=("quick", "paper"),
                        help="quick: 96-px crops, fits a CPU; paper: whole images, 200 epochs")
    parser.add_argument("--encoder-weights", default="none", metavar="SPEC",
                        help="none | imagenet:PATH (torchvision resnet18 state dict) | "
                             "pretrained:PATH (a unet-dctda checkpoint)")
    parser.add_argument("--init", metavar="CHECKPOINT",
                        help="start from all the weights of this checkpoint (fine-tune; same "
                             "architecture and options)")
    parser.add_argument("--loss", default="l1", choices=("l1", "mse"),
                        help="pixel loss, mixed with SSIM (default: l1)")
    parser.add_argument("--ssim-weight", type=float, metavar="W",
                        help="loss = W (1 - SSIM) + (1 - W) pixel loss (default: 0.84, Zhao et "
                             "al. 2017; gan: 0, L1 as pix2pix); 0 for the pixel loss alone")
    parser.add_argument("--perceptual-weights", metavar="PATH",
                        help="VGG16 ImageNet state dict file; adds the perceptual loss")
    parser.add_argument("--no-attention", action="store_true", help="ablation: no scSE")
    parser.add_argument("--no-dilation", action="store_true", help="ablation: no dilation")
    parser.add_argument("--no-augment", action="store_true", help="ablation: crops only")
    parser.add_argument("--input-skip", action="store_true",
                        help="unet-dctda: feed the noisy image to the full-resolution decoder block")
    parser.add_argument("--residual", action="store_true",
                        help="unet-dctda: predict the noise (output = input + head); needs "
                             "--input-skip")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="use this fraction of the train slices (default: 1)")
    parser.add_argument("--width", type=positive_int,
                        help="cdae, gan: first-stage channels (gan: 32; pix2pix: 64); drunet: "
                             "full-resolution channels (default 32; the paper's: 64)")
    parser.add_argument("--blocks", type=positive_int,
                        help="drunet: residual blocks per scale (default 2; the paper's: 4)")
    parser.add_argument("--depth", type=positive_int,
                        help="gan: U-Net levels (default 5; pix2pix's unet_256: 8)")
    parser.add_argument("--norm", choices=("none", "batch", "instance"),
                        help="gan: the generator's normalisation (default none; pix2pix: batch)")
    parser.add_argument("--gan-loss", choices=("vanilla", "lsgan", "none"),
                        help="gan: adversarial loss, cross-entropy (vanilla, the default, as "
                             "pix2pix) or least squares; none: L1 only, no discriminator (the "
                             "control)")
    parser.add_argument("--l1-weight", type=float, metavar="LAMBDA",
                        help="gan: weight of the L1 term against the adversarial one "
                             "(default 100, as pix2pix)")
    parser.add_argument("--disc-width", type=positive_int,
                        help="gan: the PatchGAN's first-layer channels (default 32; pix2pix: 64)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", help="dataset card (default: mni152; dce-sim for curve "
                                          "models); train-corpus: the varied training corpus")
    source.add_argument("--data", metavar="PATH",
                        help="your own folder of DICOM, NIfTI or PNG/JPEG/TIFF images, split "
                             "into train and validation by patient, series, subfolder or file "
                             "(docs/training.md)")
    parser.add_argument("--window", default=None, metavar="NAME",
                        help="CT window for --data: brain, subdural, abdomen, lung, bone, file "
                             "(the DICOM's own; default) or CENTRE,WIDTH in HU")
    parser.add_argument("--self-supervised", action="store_const", const="neighbor2neighbor",
                        help="train on noisy images only (Neighbor2Neighbor): one fixed noisy "
                             "realisation of each training image, never the clean image")
    parser.add_argument("--n2n-gamma", type=non_negative_float, default=2.0, metavar="G",
                        help="final weight of the Neighbor2Neighbor regulariser, ramped up "
                             "from 0 (default: 2)")
    parser.add_argument("--noisy-data", action="store_true",
                        help="with --self-supervised: the card's images are noisy already; add "
                             "no noise (--noise/--sigma then say what they hold)")
    parser.add_argument("--out", help="checkpoint path (default: checkpoints/ARCH-NOISE.safetensors)")
    add_budget_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import train

    command = (shlex.join(["bench", "train", *sys.argv[2:]]) if sys.argv[1:2] == ["train"]
               else shlex.join(["bench", "train", args.architecture]))
    adversarial = {key: value for key, value in (
        ("loss", args.gan_loss), ("l1_weight", args.l1_weight), ("disc_width", args.disc_width))
        if value is not None}
    result = train(args.architecture, noise=args.noise, sigma=args.sigma, profile=args.profile,
                   budget=budget(args), encoder_weights=args.encoder_weights, init=args.init,
                   loss=args.loss, ssim_weight=args.ssim_weight,
                   perceptual_weights=args.perceptual_weights,
                   attention=not args.no_attention, dilation=not args.no_dilation,
                   augment=not args.no_augment, input_skip=args.input_skip,
                   residual=args.residual, train_fraction=args.train_fraction, width=args.width,
                   blocks=args.blocks, depth=args.depth, norm=args.norm,
                   adversarial=adversarial or None,
                   dataset=args.dataset, data=args.data, window=args.window,
                   preset=args.preset, self_supervised=args.self_supervised,
                   n2n_gamma=args.n2n_gamma, noisy_data=args.noisy_data, out=args.out,
                   seed=args.seed, device=args.device,
                   threads=args.threads, progress_bar=not args.quiet, command=command)
    summary = result.summary
    if "best_val_rmse" in summary:  # a curve model
        print(f"best epoch {summary['best_epoch']} (validation RMSE {summary['best_val_rmse']:.5f}"
              f" mM, noisy {summary['noisy_val_rmse']:.5f}); checkpoint {summary['checkpoint']}; "
              f"{summary['seconds']:.0f} s on {result.device}")
        return 0
    if args.self_supervised:  # chosen on the self-supervised loss
        print(f"best epoch {summary['best_epoch']} (validation self-supervised loss "
              f"{summary['best_val_loss']:.5f}, SSIM {summary['best_val_ssim']:.4f}); "
              f"checkpoint {summary['checkpoint']}; "
              f"{summary['seconds']:.0f} s on {result.device}")
        return 0
    print(f"best epoch {summary['best_epoch']} (validation SSIM {summary['best_val_ssim']:.4f}); "
          f"checkpoint {summary['checkpoint']}; {summary['seconds']:.0f} s on {result.device}")
    return 0
