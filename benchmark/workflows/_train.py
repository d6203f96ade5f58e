"""The deep-training workflows: ``train``, ``pretrain`` and ``ablate`` (they need PyTorch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from benchmark.core.errors import BenchError

PROFILES = ("quick", "paper")


@dataclass(frozen=True)
class Budget:
    """Overrides of a training profile's budget; ``None`` keeps the profile's value."""

    epochs: int | None = None
    steps: int | None = None
    crop: int | None = None
    batch: int | None = None
    lr: float | None = None
    val_limit: int | None = None

    def overrides(self) -> dict[str, Any]:
        """The given values, by name."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class TrainResult:
    """What a training wrote: the checkpoint, the device, and the trainer's summary
    (``best_epoch``, ``best_val_ssim``, ``checkpoint``, ``seconds``, ...)."""

    checkpoint: Path
    device: str
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AblateResult:
    """What a study wrote: one row a variant, the table (``.md`` and ``.csv``), the models."""

    rows: list[dict[str, Any]]
    table: Path
    folder: Path


def _sigma_range(text: str | float, kind: str = "gaussian") -> tuple[float, float]:
    from benchmark.core.contract import Noise

    lo, _, hi = str(text).partition(":")
    low, high = Noise(kind, lo).sigma, Noise(kind, hi or lo).sigma
    if low > high:
        raise BenchError(f"--sigma {text}: the range must be LO:HI with LO <= HI")
    return low, high


def parse_noises(kinds: Sequence[str], sigmas: Sequence[str | float]
                 ) -> list[tuple[str, float, float]]:
    """Training noises ``(kind, low, high)``: one sigma or ``"LO:HI"`` for all kinds or one
    per kind.

    Examples
    --------
    >>> parse_noises(["gaussian", "rician"], ["0.05:0.15"])
    [('gaussian', 0.05, 0.15), ('rician', 0.05, 0.15)]
    >>> parse_noises(["poisson"], ["10:100"])  # each kind in its own unit: photons at peak
    [('poisson', 10.0, 100.0)]
    """
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    sigmas = [sigmas] if isinstance(sigmas, (str, int, float)) else list(sigmas)
    if len(sigmas) not in (1, len(kinds)):
        raise BenchError(f"--sigma has {len(sigmas)} values for {len(kinds)} noise kinds; "
                         "give one for all or one per kind")
    per_kind = sigmas * len(kinds) if len(sigmas) == 1 else sigmas
    # each range is checked in its own kind's unit (a Poisson peak may exceed 1)
    return [(kind, *_sigma_range(text, kind)) for kind, text in zip(kinds, per_kind)]


def check_out(out: str | Path) -> None:
    """A checkpoint path to write must be a ``.safetensors`` file, not a folder (its folder is
    made when missing)."""
    path = Path(out)
    if path.is_dir():
        raise BenchError(f"--out {path} is a folder; give a checkpoint file such as "
                         f"{path / 'model.safetensors'}")
    if path.suffix != ".safetensors":
        raise BenchError(f"--out {path}: checkpoints are .safetensors files; give e.g. "
                         f"{path.with_suffix('.safetensors')}")


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise BenchError(f"profile {profile!r} is not one of {', '.join(PROFILES)}")


def torch_device(device: str = "auto", threads: int | None = None) -> str:
    """The torch device for ``device`` (``auto``, ``cpu``, ``cuda``), with ``threads`` applied."""
    import torch

    if device not in ("auto", "cpu", "cuda"):
        raise BenchError(f"--device {device!r} is not one of auto, cpu, cuda")
    if threads:
        torch.set_num_threads(threads)
    chosen = "cpu" if device == "cpu" else ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and chosen != "cuda":
        raise BenchError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu")
    return chosen


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


def _arch_config(architecture: str, **given: Any) -> dict[str, Any]:
    """The options in ``given`` that ``architecture`` declares (``None``: not given)."""
    from benchmark.core.registry import load_methods, unknown_name
    from methods.deep.nets import ARCHITECTURES

    load_methods()  # registers the shipped architectures (and any plugin's)
    if architecture not in ARCHITECTURES:
        raise unknown_name("architecture", architecture, list(ARCHITECTURES))
    declared = ARCHITECTURES[architecture]
    config = {name: value for name, value in given.items()
              if name in declared and value is not None}
    if config.get("residual") and not config.get("input_skip"):
        raise BenchError("--residual needs --input-skip: without the full-resolution input "
                         "the decoder cannot represent per-pixel noise")
    return config


def _check_source(dataset: str | None, data: str | Path | None, window: str | None) -> str:
    """Refuse at once (before PyTorch loads) a training source that cannot be read; returns the
    name the run records: the card's, or the ``--data`` folder's (``KIND:/path``)."""
    from benchmark.data.cards import load_card
    from benchmark.data.loaders.detect import path_card
    from benchmark.data.loaders.location import require_location

    if data is not None and dataset is not None:
        raise BenchError("give --data PATH or --dataset CARD, not both")
    if data is not None:
        from benchmark.data.autosplit import check_splittable

        card = path_card(data, window=window)
        check_splittable(card)  # two groups at least, from headers and paths alone
        return card.name
    if window is not None:
        raise BenchError(f"--window {window} applies to a --data folder of DICOM or NIfTI CT; "
                         "a card sets its own window")
    card = load_card(dataset or "mni152")
    if card.loader.kind in ("dicom", "nifti", "folder"):
        require_location(card)  # offline and not fetched: says how to get the files
    for source in card.sources.values():
        load_card(source.card)
    return card.name


def _require_noise(noise, sigma) -> None:
    if not noise or not sigma:
        raise BenchError("bench train needs --noise KIND and --sigma S (or LO:HI), or a --preset "
                         "that sets them (e.g. --preset ct-autoencoder)")


def _run_tag(architecture: str, noises, preset: str | None, dataset: str | None,
             data: str | Path | None) -> str:
    """The default checkpoint name: ``ARCH-NOISETAG``, then the preset and any data other
    than the default card."""
    from methods.deep.training.training import noise_tag

    parts = [architecture, noise_tag(noises)]
    if preset:
        parts.append(preset)
    if data is not None:
        parts.append("data-" + Path(data).expanduser().resolve().name)
    elif dataset and dataset != "mni152":
        parts.append(Path(dataset).stem)
    return "-".join(parts)


def train(architecture: str, *, noise: Sequence[str] | None = None,
          sigma: Sequence[str | float] | None = None, profile: str = "quick", budget: Budget = Budget(), encoder_weights: str = "none",
          init: str | None = None, loss: str = "l1", ssim_weight: float | None = None,
          perceptual_weights: str | None = None, attention: bool = True, dilation: bool = True,
          augment: bool = True, input_skip: bool = False, residual: bool = False,
          train_fraction: float = 1.0, width: int | None = None, blocks: int | None = None,
          depth: int | None = None, norm: str | None = None,
          adversarial: dict[str, Any] | None = None,
          dataset: str | None = None,
          data: str | Path | None = None, window: str | None = None, preset: str | None = None,
          self_supervised: str | None = None, n2n_gamma: float = 2.0, noisy_data: bool = False,
          out: str | Path | None = None, seed: int = 0, device: str = "auto",
          threads: int | None = None, progress_bar: bool = False,
          command: str | None = None) -> TrainResult:
    """Train a deep denoiser on a dataset's train split and write its checkpoint.

    The same as ``bench train`` (see :mod:`methods.deep.training.training`); needs PyTorch.

    Parameters
    ----------
    architecture : str
        A registered deep architecture (``methods.deep.nets.ARCHITECTURES``): ``"cdae"``,
        ``"unet-dctda"``, ``"drunet"``, a variant such as ``"cdae.nlmap"``, or a plugin's; an
        option it does not declare is ignored.
    noise : sequence of str
        Training noise kind(s); one model for all given (may come from ``preset``).
    sigma : sequence of str or float
        Noise level, or ``"LO:HI"`` for a range drawn uniformly; one for all kinds or one per
        kind (may come from ``preset``).
    profile : {"quick", "paper"}
        quick: 96-px crops, fits a CPU; paper: whole images, 200 epochs.
    budget : Budget
        Overrides of the profile (epochs, steps, crop, batch, lr, val_limit).
    encoder_weights, init, loss, perceptual_weights
        As ``bench train``'s options of the same names.
    ssim_weight : float, optional
        Weight of (1 - SSIM) in the training loss (default: the architecture's; 0.84, and 0
        for ``gan``, whose pixel term is L1 as in pix2pix).
    attention, dilation, augment, input_skip, residual
        unet-dctda's components (``residual`` needs ``input_skip``); ``augment`` for both.
    train_fraction : float
        Fraction of the train slices used.
    width : int, optional
        cdae and gan: first-stage channels; drunet: full-resolution channels (doubled at each
        scale).
    blocks : int, optional
        drunet: residual blocks per scale.
    depth, norm : optional
        gan: U-Net levels and normalisation (see :mod:`methods.deep.gan`).
    adversarial : dict, optional
        gan: options of the adversarial objective over its defaults (``loss``, ``l1_weight``,
        ``disc_width``, ...; :data:`methods.deep.training.adversarial.DEFAULTS`).
    dataset : str, optional
        Dataset card (default: ``mni152`` for image models, ``dce-sim`` for curve models); a
        corpus card such as ``train-corpus`` mixes several (:mod:`benchmark.data.corpus`).
    data : str or path, optional
        A folder of DICOM, NIfTI or PNG/JPEG/TIFF images instead of a card, split into train
        and validation by group (:mod:`benchmark.data.autosplit`).
    window : str, optional
        CT window for ``data`` (as ``bench run --window``).
    preset : str, optional
        A named preset (:data:`methods.deep.training.presets.PRESETS`, e.g.
        ``"ct-autoencoder"``): fills in the noise, sigma, data, window, size and crop not given.
    self_supervised : {"neighbor2neighbor"}, optional
        Train on noisy images alone (:mod:`methods.deep.training.self_supervised`): one fixed
        noisy realisation of each training image, or the card's images as they are with
        ``noisy_data``.
    n2n_gamma : float
        Final weight of the Neighbor2Neighbor regulariser (ramped up from 0).
    noisy_data : bool
        The card's images are noisy already: no noise is added; ``noise`` and ``sigma`` say
        what they hold (recorded in the checkpoint). Needs ``self_supervised``.
    out : str or path, optional
        Checkpoint path (default: ``checkpoints/ARCH-NOISE.safetensors`` in the working folder,
        ``ARCH-NOISE-n2n.safetensors`` when self-supervised; serve it with
        ``BENCH_CHECKPOINTS=checkpoints``).
    seed, device, threads
        Seed, torch device (``auto``, ``cpu``, ``cuda``) and CPU threads.
    progress_bar : bool
        Show a progress bar on stderr.
    command : str, optional
        Recorded in the checkpoint's metadata.

    Returns
    -------
    TrainResult
        The checkpoint's path, the device and the trainer's summary.

    Notes
    -----
    A curve architecture (``methods.deep.nets.ARCHITECTURE_DATA``) trains on the curve card
    ``dce-sim`` with :mod:`methods.deep.training.curves`: ``profile`` and ``budget`` (epochs,
    steps, batch, lr) apply; an image-only option given is an error.
    """
    from benchmark.core.paths import RESULTS_DIR
    from methods.deep.level import check_level_noises
    from methods.deep.nets import ARCHITECTURE_DATA, TAKES_LEVEL
    from methods.deep.training.presets import get_preset
    from methods.deep.training.training import TrainConfig
    from methods.deep.training.training import train as train_model

    chosen_preset = get_preset(preset) if preset else None
    arch_config = _arch_config(architecture, attention=attention, dilation=dilation,
                               input_skip=input_skip or None, residual=residual or None,
                               width=width, blocks=blocks, depth=depth, norm=norm)
    _check_profile(profile)
    if ARCHITECTURE_DATA[architecture] == "curve":
        image_only = [flag for flag, given in (
            ("--init", init), ("--encoder-weights", encoder_weights != "none"),
            ("--perceptual-weights", perceptual_weights), ("--loss", loss != "l1"),
            ("--ssim-weight", ssim_weight is not None), ("--no-augment", not augment),
            ("--no-attention", not attention), ("--no-dilation", not dilation),
            ("--input-skip", input_skip), ("--train-fraction", train_fraction != 1.0),
            ("--width", width is not None), ("--blocks", blocks is not None),
            ("--depth", depth is not None), ("--norm", norm is not None),
            ("the adversarial options", adversarial),
            ("--crop", budget.crop is not None),
            ("--val-limit", budget.val_limit is not None), ("--data", data is not None),
            ("--window", window is not None), ("--preset", preset),
            ("--self-supervised", self_supervised), ("--noisy-data", noisy_data)) if given]
        if image_only:
            raise BenchError(f"{architecture} is a curve model: {', '.join(image_only)} "
                             "apply to image models only")
        _require_noise(noise, sigma)
        return _train_curves(architecture, noise, sigma, profile=profile, budget=budget,
                             dataset=dataset or "dce-sim", out=out, seed=seed, device=device,
                             threads=threads, progress_bar=progress_bar, command=command)
    overrides = budget.overrides()
    resize = None
    if chosen_preset:  # what the command line leaves out
        noise, sigma = noise or chosen_preset.noise, sigma or chosen_preset.sigma
        if data is None and dataset is None:
            dataset = chosen_preset.dataset
        if data is not None and window is None and chosen_preset.window:
            from benchmark.data.loaders.detect import kind_of

            if kind_of(Path(data).expanduser().resolve()) != "folder":
                window = chosen_preset.window
        overrides = {**chosen_preset.budget, **overrides}
        resize = chosen_preset.resize
    _require_noise(noise, sigma)
    noises = parse_noises(noise, sigma)
    if architecture in TAKES_LEVEL:  # refused before any data are read
        check_level_noises(architecture, noises)
        if self_supervised:
            raise BenchError("--self-supervised trains networks of the image alone; "
                             f"{architecture} takes the noise level too: train it supervised")
    source_name = _check_source(dataset, data, window)
    tag = _run_tag(architecture, noises, preset, dataset, data) + ("-n2n" if self_supervised else "")
    check_out(out or Path("checkpoints") / f"{tag}.safetensors")
    out = str(out or Path("checkpoints") / f"{tag}.safetensors")
    if init:  # refused at once, before any data are read or a weight is trained
        check_init(init, architecture, arch_config, out)
    chosen = torch_device(device, threads)
    settings = _training_settings(architecture, profile, overrides, ssim_weight, adversarial)
    if self_supervised and settings.get("adversarial"):
        raise BenchError(f"--self-supervised has no clean target for {architecture}'s "
                         "discriminator: train it supervised")
    config = TrainConfig(
        architecture=architecture, noises=noises, dataset=source_name, profile=profile,
        **settings, loss=loss,
        perceptual_weights=perceptual_weights, encoder_weights=encoder_weights, init=init,
        augment=augment, arch_config=arch_config, train_fraction=train_fraction,
        self_supervised=self_supervised, n2n_gamma=n2n_gamma, noisy_data=noisy_data, seed=seed,
        device=chosen, out=out, run_dir=str(RESULTS_DIR / "train" / Path(out).stem),
        command=command or f"bench train {architecture}",
        data=str(Path(data).expanduser().resolve()) if data is not None else None,
        window=window if data is not None else None, preset=preset, resize=resize,
    )
    summary = train_model(config, progress=progress_bar)
    return TrainResult(Path(summary.get("checkpoint", out)), chosen, dict(summary))


def _training_settings(architecture: str, profile: str, overrides: dict[str, Any],
                       ssim_weight: float | None, adversarial: dict[str, Any] | None
                       ) -> dict[str, Any]:
    """``TrainConfig`` fields: the profile's, then the architecture's training defaults
    (``register_architecture(training=...)``), then what was given."""
    from methods.deep.nets import TRAINING_DEFAULTS
    from methods.deep.training.training import PROFILES

    settings = {**PROFILES[profile], **TRAINING_DEFAULTS.get(architecture, {}), **overrides}
    if ssim_weight is not None:
        settings["ssim_weight"] = ssim_weight
    if adversarial and "adversarial" not in settings:
        raise BenchError(f"{architecture} trains without a discriminator: the adversarial "
                         f"options ({', '.join(adversarial)}) apply to gan only")
    if "adversarial" in settings:
        from methods.deep.training.adversarial import check_options

        settings["adversarial"] = check_options({**settings["adversarial"],
                                                 **(adversarial or {})})
    return settings


def _train_curves(architecture: str, noise: Sequence[str], sigma: Sequence[str | float], *,
                  profile: str, budget: Budget, dataset: str, out: str | Path | None, seed: int,
                  device: str, threads: int | None, progress_bar: bool,
                  command: str | None) -> TrainResult:
    """:func:`train` for a curve architecture (:mod:`methods.deep.training.curves`)."""
    from methods.deep.training.curves import (CURVE_PROFILES, CurveTrainConfig,
                                              check_curve_noises, train_curves)
    from methods.deep.training.training import noise_tag

    noises = parse_noises(noise, sigma)
    check_curve_noises(noises)
    out = str(out or Path("checkpoints") / f"{architecture}-{noise_tag(noises)}.safetensors")
    check_out(out)
    chosen = torch_device(device, threads)
    allowed = {k: v for k, v in budget.overrides().items() if k in CURVE_PROFILES[profile]}
    config = CurveTrainConfig(architecture=architecture, noises=noises, dataset=dataset,
                              profile=profile, **{**CURVE_PROFILES[profile], **allowed},
                              seed=seed, device=chosen, out=out,
                              command=command or f"bench train {architecture}")
    summary = train_curves(config, progress=progress_bar)
    return TrainResult(Path(out), chosen, dict(summary))


def pretrain(*, out: str | Path, noise: Sequence[str] = ("gaussian", "rician"),
             sigma: Sequence[str | float] = ("0.02:0.2",), budget: Budget = Budget(),
             seed: int = 0, device: str = "auto", threads: int | None = None,
             progress_bar: bool = False, command: str = "bench pretrain") -> TrainResult:
    """Pretrain the unet-dctda encoder offline on scikit-image's natural images.

    The same as ``bench pretrain``; the checkpoint is for ``encoder_weights="pretrained:OUT"``.
    Parameters as for :func:`train`.
    """
    from benchmark.core.paths import RESULTS_DIR
    from methods.deep.training.pretrain import pretrain_config
    from methods.deep.training.training import train as train_model

    out = Path(out)
    check_out(out)
    noises = parse_noises(noise, sigma)
    chosen = torch_device(device, threads)
    config = pretrain_config(str(out), str(RESULTS_DIR / "pretrain" / out.stem),
                             noises=noises, command=command, seed=seed,
                             device=chosen, **budget.overrides())
    summary = train_model(config, progress=progress_bar)
    return TrainResult(out, chosen, dict(summary))


def _shown(folder: Path) -> str:
    """``folder`` relative to the working folder when inside it (tables are committed)."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


def ablate(*, study: str = "components", noise: Sequence[str], sigma: Sequence[str | float],
           test_sigma: Sequence[float] | None = None, profile: str = "quick",
           encoder_weights: str = "none", perceptual_weights: str | None = None,
           fractions: Sequence[float] = (0.1, 0.25, 1.0), dataset: str = "mni152",
           test_limit: int | None = None, folder: str | Path | None = None,
           reports: str | Path | None = None, budget: Budget = Budget(), seed: int = 0,
           device: str = "auto", threads: int | None = None, progress_bar: bool = False,
           command: str = "bench ablate") -> AblateResult:
    """Train unet-dctda variants, score them on the test split, write the study's table.

    The same as ``bench ablate`` (see :mod:`methods.deep.training.ablation`): ``study``
    ``"components"`` removes one part at a time (``reports/ablation.md``); ``"transfer"``
    trains on ``fractions`` of the train slices, scratch vs ``encoder_weights``
    (``reports/transfer.md`` and ``.png``).
    """
    from benchmark.core.contract import Noise
    from benchmark.core.paths import REPORTS_DIR, RESULTS_DIR
    from methods.deep.training import ablation
    from methods.deep.training.training import PROFILES, TrainConfig, noise_tag

    if study not in ("components", "transfer"):
        raise BenchError(f"study {study!r} is not one of components, transfer")
    _check_profile(profile)
    noises = parse_noises(noise, sigma)
    sigmas = test_sigma
    test_noises = [Noise(kind, s) for kind, lo, hi in noises for s in (sigmas or [(lo + hi) / 2])]
    tag = f"{study}-{noise_tag(noises)}"
    folder = Path(folder) if folder else RESULTS_DIR / "ablation" / tag
    base = TrainConfig(
        architecture="unet-dctda", noises=noises, dataset=dataset, profile=profile,
        **{**PROFILES[profile], **budget.overrides()}, perceptual_weights=perceptual_weights,
        encoder_weights=encoder_weights, seed=seed, device=torch_device(device, threads),
        command=command)
    if study == "components":
        variants = ablation.component_variants(base)
    else:
        variants = ablation.transfer_variants(encoder_weights, fractions)
    reports = Path(reports) if reports else REPORTS_DIR
    rows = ablation.run_study(base, variants, folder, test_noises, test_limit=test_limit,
                              progress=progress_bar)
    notes = (f"Made by `{command}`. Test split of {dataset}, whole image, mean ± std over N "
             f"images; Δ against the "
             + ("full model." if study == "components" else
                "scratch run with the same fraction.")
             + f" Models in `{_shown(folder)}`.")
    if study == "components":
        ablation.write_table(rows, reports / "ablation", title="Ablation of UNet-DCTD-A",
                             notes=notes)
    else:
        ablation.write_table(rows, reports / "transfer",
                             title="Transfer learning: train fraction, scratch vs pretrained",
                             notes=notes)
        ablation.plot_transfer(rows, reports / "transfer.png")
    name = "ablation" if study == "components" else "transfer"
    return AblateResult(list(rows), reports / f"{name}.md", folder)
