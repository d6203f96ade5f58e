"""``bench train``: train a deep denoiser on a dataset's train split (see methods.deep.training.training)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmark.cli.common import add_budget_options, budget, device, positive_int
from benchmark.core.errors import BenchError


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="train a deep denoiser (cdae, unet-dctda) and write its checkpoint")
    parser.add_argument("architecture", choices=("cdae", "unet-dctda"))
    parser.add_argument("--noise", required=True, nargs="+", metavar="KIND",
                        help="noise kind(s): gaussian and/or rician (one model for all given)")
    parser.add_argument("--sigma", required=True, nargs="+", metavar="SIGMA",
                        help="noise level, or LO:HI for a range drawn uniformly; one for all "
                             "kinds or one per kind")
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
    parser.add_argument("--ssim-weight", type=float, default=0.84, metavar="W",
                        help="loss = W (1 - SSIM) + (1 - W) pixel loss (default: 0.84, Zhao et "
                             "al. 2017); 0 for the pixel loss alone")
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
    parser.add_argument("--width", type=positive_int, help="cdae: first-stage channels")
    parser.add_argument("--dataset", default="mni152", help="dataset card (default: mni152)")
    parser.add_argument("--out", help="checkpoint path (default: checkpoints/ARCH-NOISE.safetensors)")
    add_budget_options(parser)
    return parser


def _sigma_range(text: str) -> tuple[float, float]:
    from benchmark.core.contract import Noise

    lo, _, hi = text.partition(":")
    low, high = Noise("gaussian", lo).sigma, Noise("gaussian", hi or lo).sigma
    if low > high:
        raise BenchError(f"--sigma {text}: the range must be LO:HI with LO <= HI")
    return low, high


def parse_noises(kinds: list[str], sigmas: list[str]) -> list[tuple[str, float, float]]:
    from benchmark.core.contract import Noise

    if len(sigmas) not in (1, len(kinds)):
        raise BenchError(f"--sigma has {len(sigmas)} values for {len(kinds)} noise kinds; "
                         "give one for all or one per kind")
    ranges = [_sigma_range(s) for s in sigmas] * (len(kinds) if len(sigmas) == 1 else 1)
    noises = []
    for kind, (lo, hi) in zip(kinds, ranges):
        Noise(kind, lo)  # validates the kind
        noises.append((kind, lo, hi))
    return noises


def check_init(path: str, architecture: str, arch_config: dict, out: str) -> None:
    """Refuse an ``--init`` file at once: missing, not safetensors, truncated, of another model
    or configuration, or with tensors of other names or shapes than the model being trained.

    Reads the file's header only; the model is built (no data, no training) to compare shapes.
    """
    import json

    from methods.deep.checkpoints import inspect_checkpoint
    from methods.deep.nets import ARCHITECTURES, build

    where = Path(path)
    if not where.is_file():
        raise BenchError(f"--init {path}: no such file; give a checkpoint written by bench train")
    if where.resolve() == Path(out).resolve():
        raise BenchError(f"--init {path} is also the output; copy it elsewhere first or pass "
                         "another --out (the first epoch would overwrite it)")
    try:
        shapes, meta = inspect_checkpoint(where)
    except BenchError as error:
        raise BenchError(f"--init: {error}") from None
    ours = {**ARCHITECTURES[architecture], **arch_config}
    try:
        theirs = {**ARCHITECTURES.get(meta.get("architecture", ""), {}),
                  **json.loads(meta.get("arch_config", "{}"))}
    except (json.JSONDecodeError, TypeError):
        theirs = None
    if meta.get("architecture") != architecture or theirs != ours:
        held = f"{meta['architecture']} {theirs}" if "architecture" in meta else "no architecture"
        raise BenchError(f"--init {path}: it holds {held}, not {architecture} {ours}; give a "
                         "checkpoint of the same model")
    wanted = {k: tuple(v.shape) for k, v in build(architecture, ours).state_dict().items()}
    if shapes != wanted:
        wrong = sorted(set(wanted) ^ set(shapes)) or sorted(
            k for k in wanted if wanted[k] != shapes[k])
        first = wrong[0]
        detail = (f"{first}: {list(shapes[first])} where the model has {list(wanted[first])}"
                  if first in shapes and first in wanted else
                  f"{first} {'missing' if first in wanted else 'not in the model'}")
        raise BenchError(f"--init {path}: its tensors do not fit {architecture} {ours} "
                         f"({len(wrong)} differ; {detail}); give a checkpoint of the same model")


def run(args: argparse.Namespace) -> int:
    from benchmark.core.paths import PROJECT_ROOT, RESULTS_DIR
    from benchmark.engine.runner import resolve_device
    from methods.deep.training.training import PROFILES, TrainConfig, noise_tag, train

    noises = parse_noises(args.noise, args.sigma)
    profile = {**PROFILES[args.profile], **budget(args)}
    arch_config = {}
    if args.architecture == "unet-dctda":
        arch_config = {"attention": not args.no_attention, "dilation": not args.no_dilation,
                       **({"input_skip": True} if args.input_skip else {}),
                       **({"residual": True} if args.residual else {})}
        if args.residual and not args.input_skip:
            raise BenchError("--residual needs --input-skip: without the full-resolution input "
                             "the decoder cannot represent per-pixel noise")
    elif args.width:
        arch_config = {"width": args.width}
    tag = f"{args.architecture}-{noise_tag(noises)}"
    out = args.out or str(PROJECT_ROOT / "methods" / "deep" / "weights" / f"{tag}.safetensors")
    if args.init:  # refused at once, before any data are read or a weight is trained
        check_init(args.init, args.architecture, arch_config, out)
    chosen = device(args)
    config = TrainConfig(
        architecture=args.architecture, noises=noises, dataset=args.dataset, profile=args.profile,
        **profile, loss=args.loss, ssim_weight=args.ssim_weight, perceptual_weights=args.perceptual_weights,
        encoder_weights=args.encoder_weights, init=args.init, augment=not args.no_augment,
        arch_config=arch_config, train_fraction=args.train_fraction, seed=args.seed,
        device=chosen, out=out, run_dir=str(RESULTS_DIR / "train" / Path(out).stem),
        command=shlex.join(["bench", "train", *sys.argv[2:]]) if sys.argv[1:2] == ["train"]
        else shlex.join(["bench", "train", args.architecture])
    )
    summary = train(config, progress=not args.quiet)
    print(f"best epoch {summary['best_epoch']} (validation SSIM {summary['best_val_ssim']:.4f}); "
          f"checkpoint {summary['checkpoint']}; {summary['seconds']:.0f} s on {chosen}")
    return 0
