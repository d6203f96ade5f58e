"""Train a deep denoiser on a dataset card's train split (or a corpus, or a --data folder: see
sources.py), choosing it on the validation split.

One epoch = ``steps`` batches of random augmented crops with noise drawn by
:mod:`benchmark.core.noise` (seeded from the run seed, the epoch, the step and the crop index), then a
validation pass on whole images of the validation split, scored against each kind's reference
(the clean image, or what the kind's ``reference`` gives). A kind drawn on whole images
(``NoiseModel.whole_image``, e.g. ``ldct``) trains on crops of whole-image pairs instead
(:mod:`methods.deep.training.whole_image`). The checkpoint with the best mean
validation SSIM is written (half precision, with provenance). The run directory holds the last
state (model + optimizer, safetensors; history, JSON) so that the same command resumes after an
interruption, and the draws depend only on (seed, epoch), so a resumed run trains the same
batches as an uninterrupted one.

With ``self_supervised`` the clean training images are never seen: the run trains on noisy
images alone with :mod:`methods.deep.training.self_supervised` (Neighbor2Neighbor) and keeps
the checkpoint with the lowest self-supervised validation loss.

How a batch updates the model is the objective's (:class:`Supervised`, or the adversarial one
of :mod:`methods.deep.training.adversarial` when the config has ``adversarial`` options); the
objective names what the run state saves besides the model.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from methods.deep.training import self_supervised as selfsup
from methods.deep.training import whole_image
from methods.deep.level import forward
from benchmark.core.contract import Noise
from benchmark.data.cards import ImageSet, load_card, load_images
from benchmark.core.errors import BenchError
from methods.deep.training.losses import SSIM_WEIGHT, TrainingLoss, load_state_file
from benchmark.core.metrics import psnr, ssim
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.engine.provenance import git_commit, library_versions, machine
from methods.deep.training.sources import training_data

#: Training profiles: ``quick`` fits a CPU; ``paper`` follows the paper (200 epochs, whole images).
PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"epochs": 30, "crop": 96, "batch": 8, "steps": 50, "lr": 1e-3, "val_limit": 10},
    "paper": {"epochs": 200, "crop": 256, "batch": 8, "steps": None, "lr": 5e-4, "val_limit": None},
}


@dataclass
class TrainConfig:
    """Everything that determines a training run (written into the checkpoint)."""

    architecture: str
    noises: list[tuple[str, float, float]]
    dataset: str = "mni152"
    profile: str = "quick"
    epochs: int = 30
    crop: int = 96
    batch: int = 8
    steps: int | None = 50
    lr: float = 1e-3
    weight_decay: float = 1e-5
    val_limit: int | None = 10
    loss: str = "l1"
    ssim_weight: float = SSIM_WEIGHT
    perceptual_weights: str | None = None
    perceptual_weight: float = 0.1
    encoder_weights: str = "none"
    init: str | None = None
    augment: bool = True
    arch_config: dict[str, Any] = field(default_factory=dict)
    train_fraction: float = 1.0
    self_supervised: str | None = None
    n2n_gamma: float = selfsup.GAMMA
    noisy_data: bool = False
    adversarial: dict[str, Any] | None = None
    seed: int = 0
    device: str = "cpu"
    out: str = ""
    run_dir: str = ""
    command: str = ""
    data: str | None = None      # a folder of the user (--data), split by group (sources.py)
    window: str | None = None    # its CT window (--window)
    preset: str | None = None    # a named preset (methods.deep.training.presets)
    resize: int | None = None    # whole images resized to resize x resize (a preset's)


#: Fields added after runs were first saved, with the value that reproduces those runs: at that
#: value they are left out of a run's identity, so that older run folders still match.
ADDED_FIELDS: dict[str, Any] = {"init": None, "ssim_weight": SSIM_WEIGHT, "data": None,
                                "window": None, "preset": None, "resize": None,
                                "self_supervised": None, "n2n_gamma": selfsup.GAMMA,
                                "noisy_data": False,
                                "adversarial": None}


def config_fields(config: TrainConfig, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """``config`` as JSON-able data (as it reads back from a JSON file: tuples become lists),
    without ``exclude`` and without the :data:`ADDED_FIELDS` at their old value."""
    fields = {k: v for k, v in asdict(config).items() if k not in exclude
              and not (k in ADDED_FIELDS and v == ADDED_FIELDS[k])}
    return json.loads(json.dumps(fields))


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    val_loss: float
    val_ssim: float
    val_psnr: float
    seconds: float


def noise_tag(noises: list[tuple[str, float, float]]) -> str:
    """File-name tag of a noise list, e.g. ``gaussian0.05-0.15_rician0.11``."""
    parts = []
    for kind, lo, hi in noises:
        parts.append(f"{kind}{lo:g}" if lo == hi else f"{kind}{lo:g}-{hi:g}")
    return "_".join(parts)


def _validation_set(images: ImageSet, config: TrainConfig
                    ) -> tuple[ImageSet, list[tuple[Noise, list]]]:
    if config.val_limit and len(images) > config.val_limit:
        picks = np.linspace(0, len(images) - 1, config.val_limit).round().astype(int)
        images = ImageSet(images.dataset, images.split, tuple(images.ids[i] for i in picks),
                          tuple(images.images[i] for i in picks), images.normalisation)
    if config.noisy_data:  # already noisy: validated on the self-supervised loss only
        return images, [(selfsup.validation_noise(config), list(images.images))]
    sets = []
    for kind, lo, hi in config.noises:
        noise = Noise(kind, (lo + hi) / 2)
        noisy = [add_noise(x, noise, image_id=i, seed=config.seed)
                 for i, x in zip(images.ids, images.images)]
        sets.append((noise, noisy))
    return images, sets


def _noisy_batch(clean: np.ndarray, config: TrainConfig, epoch: int, step: int,
                 rng: np.random.Generator, levels: np.ndarray | None = None) -> np.ndarray:
    """Each crop with noise of its own kind and sigma; ``levels``, when given, receives the
    sigmas (for the networks that take the noise level)."""
    out = np.empty_like(clean)
    for i, patch in enumerate(clean):
        kind, lo, hi = config.noises[int(rng.integers(len(config.noises)))]
        noise = Noise(kind, rng.uniform(lo, hi) if hi > lo else lo)
        out[i] = add_noise(patch, noise, image_id=f"train/e{epoch}/s{step}/i{i}", seed=config.seed)
        if levels is not None:
            levels[i] = noise.sigma
    return out


def _load_encoder_weights(model, spec: str) -> None:
    from methods.deep.checkpoints import load_checkpoint
    from methods.deep.resnet import load_torchvision_state

    if spec == "none":
        return
    kind, _, path = spec.partition(":")
    if kind not in ("imagenet", "pretrained") or not path:
        raise BenchError(f"--encoder-weights {spec!r}: use none, imagenet:PATH or pretrained:PATH")
    if not hasattr(model, "encoder") or not hasattr(model.encoder, "layer4"):
        raise BenchError("--encoder-weights applies to unet-dctda only")
    if not Path(path).is_file():
        raise BenchError(f"--encoder-weights {spec}: no file {path}")
    if kind == "imagenet":
        state = load_state_file(Path(path))
    else:
        tensors, _ = load_checkpoint(Path(path))
        state = {k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")}
    try:
        load_torchvision_state(model.encoder, state)
    except (RuntimeError, ValueError) as error:
        raise BenchError(f"--encoder-weights {spec}: not a ResNet-18 state dict "
                         f"({str(error).splitlines()[0]})") from None


def _init_digest(config: TrainConfig) -> str:
    from methods.deep.checkpoints import weights_digest

    return weights_digest(config.architecture, config.init)


def _load_init(model, config: TrainConfig) -> None:
    """Start from every weight of the checkpoint ``config.init`` (fine-tuning): it must hold the
    same architecture with the same configuration."""
    from methods.deep.checkpoints import load_checkpoint

    path = Path(config.init)
    if not path.is_file():
        raise BenchError(f"--init {path}: no such file; give a checkpoint written by bench train")
    if config.out and path.resolve() == Path(config.out).resolve():
        raise BenchError(f"--init {path} is also the output; copy it elsewhere first or pass "
                         "another --out (the first epoch would overwrite it)")
    tensors, meta = load_checkpoint(path)
    from methods.deep.nets import ARCHITECTURES

    # a checkpoint written before an option existed has that option's default
    theirs = {**ARCHITECTURES.get(meta.get("architecture", ""), {}),
              **json.loads(meta.get("arch_config", "{}"))}
    ours = build_config(config)
    if meta.get("architecture") != config.architecture or theirs != ours:
        raise BenchError(f"--init {path}: it holds {meta.get('architecture')} {theirs}, not "
                         f"{config.architecture} {ours}; give a checkpoint of the same model")
    model.load_state_dict(tensors, strict=True)


def _lr(config: TrainConfig, step: int, total: int) -> float:
    """Cosine decay from ``lr`` to ``lr / 20`` over the run (a function of the step: resumable)."""
    floor = config.lr / 20
    return floor + 0.5 * (config.lr - floor) * (1 + math.cos(math.pi * min(step / total, 1.0)))


def _save_state(run_dir: Path, parts: dict[tuple[str, str], tuple], state: dict) -> None:
    """Write the run state: each part's module and optimizer tensors under the part's prefixes
    (:meth:`Supervised.parts`) and ``state`` as JSON, atomically."""
    from safetensors.torch import save_file

    tensors = {}
    for (module_key, opt_key), (module, optimizer) in parts.items():
        tensors |= {f"{module_key}.{k}": v.detach().cpu().contiguous()
                    for k, v in module.state_dict().items()}
        for index, slot in optimizer.state_dict()["state"].items():
            for name, value in slot.items():
                tensors[f"{opt_key}.{index}.{name}"] = (value.detach().cpu().contiguous()
                                                        .reshape(value.shape))
    save_file(tensors, str(run_dir / "last.safetensors.partial"))
    (run_dir / "state.json.partial").write_text(json.dumps(state, indent=1))
    os.replace(run_dir / "last.safetensors.partial", run_dir / "last.safetensors")
    os.replace(run_dir / "state.json.partial", run_dir / "state.json")


def _load_state(run_dir: Path, parts: dict[tuple[str, str], tuple], device: str) -> dict:
    from safetensors.torch import load_file

    tensors = load_file(str(run_dir / "last.safetensors"), device=device)
    state = json.loads((run_dir / "state.json").read_text())
    for (module_key, opt_key), (module, optimizer) in parts.items():
        module.load_state_dict({k[len(module_key) + 1:]: v for k, v in tensors.items()
                                if k.startswith(f"{module_key}.")})
        opt_state = optimizer.state_dict()
        slots: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith(f"{opt_key}."):
                _, index, name = key.split(".", 2)
                slots.setdefault(int(index), {})[name] = value.cpu() if name == "step" else value
        opt_state["state"] = slots
        optimizer.load_state_dict(opt_state)
    return state


def write_curve(path_csv: Path, history: list[dict]) -> None:
    """The loss curve as CSV (one row per epoch) and PNG (train and validation loss, val SSIM)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with path_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))  # an objective may add columns
        writer.writeheader()
        writer.writerows(history)
    epochs = [r["epoch"] for r in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [r["train_loss"] for r in history], label="train")
    left.plot(epochs, [r["val_loss"] for r in history], label="validation")
    left.set_xlabel("epoch"), left.set_ylabel("loss"), left.legend()
    right.plot(epochs, [r["val_ssim"] for r in history], color="C2")
    right.set_xlabel("epoch"), right.set_ylabel("validation SSIM")
    fig.tight_layout()
    fig.savefig(path_csv.with_suffix(".png"), dpi=100)
    plt.close(fig)


class Supervised:
    """How a batch updates the model (the training loop's hook): one Adam step on the training
    loss, under fp16 autocast with a gradient scaler on CUDA.

    An objective owns the optimizers; :mod:`methods.deep.training.adversarial` is the other one
    (its :meth:`parts` add a discriminator to the run state). ``step`` returns the batch's
    losses by name: ``loss`` (the train loss of the loss curve) and any columns of its own.
    """

    def __init__(self, model, loss_fn: TrainingLoss, config: TrainConfig):
        import torch

        self.cuda = config.device.startswith("cuda")
        self.loss_fn = loss_fn
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                          weight_decay=config.weight_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.cuda)
        self.model = model

    def parts(self) -> dict[tuple[str, str], tuple]:
        """(module prefix, optimizer prefix) -> (module, optimizer) of the run state."""
        return {("model", "opt"): (self.model, self.optimizer)}

    def update(self, loss) -> None:
        """One optimiser step on ``loss`` (also the self-supervised loss's)."""
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()

    def step(self, x, y, levels=None) -> dict[str, float]:
        """One batch: ``levels`` (each crop's sigma) reaches a network that takes the level."""
        import torch

        with torch.autocast("cuda", dtype=torch.float16, enabled=self.cuda):
            estimate = forward(self.model, x, levels)
        loss = self.loss_fn(estimate.float(), y)
        self.update(loss)
        return {"loss": loss.item()}


def _objective(config: TrainConfig) -> type:
    if config.adversarial is None:
        return Supervised
    from methods.deep.training.adversarial import Adversarial

    return Adversarial


def _validate(model, loss_fn, val_sets, clean: ImageSet, device: str) -> tuple[float, float, float]:
    import torch

    model.eval()
    losses, ssims, psnrs = [], [], []
    with torch.no_grad():
        for noise, noisy in val_sets:
            reference = get_noise_model(noise.kind).reference  # what a cell is scored against
            for x, y in zip(clean.images, noisy):
                x = np.asarray(reference(x), np.float32)
                estimate = forward(model, torch.from_numpy(y)[None, None].to(device),
                                   noise.sigma).float()
                target = torch.from_numpy(x)[None, None].to(device)
                losses.append(loss_fn(estimate, target).item())
                e = estimate.clamp(0, 1)[0, 0].cpu().numpy().astype(np.float64)
                ssims.append(ssim(x.astype(np.float64), e))
                psnrs.append(psnr(x.astype(np.float64), e))
    model.train()
    return float(np.mean(losses)), float(np.mean(ssims)), float(np.mean(psnrs))


def train(config: TrainConfig, *, progress: bool = True,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train (or resume) the run that ``config`` describes; returns its summary.

    Returns
    -------
    dict
        ``checkpoint`` path, ``best_epoch``, ``best_val_ssim``, ``history`` and ``seconds``.
    """
    import torch
    from tqdm import tqdm

    from methods.deep.checkpoints import save_checkpoint
    from methods.deep.nets import build

    device = config.device
    cuda = device.startswith("cuda")
    selfsup.check_options(config)
    torch.manual_seed(config.seed)
    if not cuda:
        torch.use_deterministic_algorithms(True)
    loss_fn = TrainingLoss(config.loss, ssim_weight=config.ssim_weight,
                           perceptual_weights=config.perceptual_weights,
                           perceptual_weight=config.perceptual_weight, device=device)
    data = training_data(config, load_images, load_card)  # a card, a corpus or a --data folder
    train_set = None
    if config.self_supervised:  # from here on, the training images are noisy ones
        if data.train is None:
            raise BenchError(f"--self-supervised trains on one image set; {data.name!r} is a "
                             "corpus: give a card or --data instead")
        train_set = selfsup.training_images(data.train, config)
    val_clean, val_sets = _validation_set(data.validation, config)
    steps = config.steps or max(1, math.ceil(data.train_count / config.batch))
    total_steps = steps * config.epochs

    model = build(config.architecture, config.arch_config)
    if config.init and config.encoder_weights != "none":
        raise BenchError("--init sets every weight, the encoder's too: drop --encoder-weights")
    _load_encoder_weights(model, config.encoder_weights)
    init_digest = None
    if config.init:
        _load_init(model, config)
        init_digest = _init_digest(config)  # once, before any save
    model.to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    objective = _objective(config)(model, loss_fn, config)
    parts = objective.parts()

    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = {"train": data.train_fingerprint, "validation": val_clean.fingerprint()}
    identity = config_fields(config, exclude=("epochs", "command", "device")) | {
        "arch_config": build_config(config)}
    state = {"epoch": 0, "best_val_ssim": -1.0, "best_epoch": 0, "history": [], "seconds": 0.0,
             "identity": identity}
    if (run_dir / "state.json").is_file():
        saved = json.loads((run_dir / "state.json").read_text())
        if saved.get("identity") != identity:
            raise BenchError(f"{run_dir} holds a different training run; delete it or pass "
                             "another --out")
        state = _load_state(run_dir, parts, device)
        log(f"resuming {run_dir} after epoch {state['epoch']}")
    out = Path(config.out)
    model.train()
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        start = time.perf_counter()
        rng = np.random.default_rng([config.seed, epoch])
        pool = None  # noise drawn on whole images (whole_image.py), when a kind needs it
        if not config.self_supervised and whole_image.needed(config.noises):
            pool = whole_image.draw_pool(
                data.train.images if data.train is not None else None, config.noises, rng,
                size=whole_image.pool_size(steps, config.batch), epoch=epoch, seed=config.seed)
        losses: dict[str, list[float]] = {}
        bar = tqdm(range(steps), desc=f"epoch {epoch}/{config.epochs}", disable=not progress,
                   leave=False, dynamic_ncols=True)
        for step in bar:
            for _, optimizer in parts.values():
                for group in optimizer.param_groups:
                    group["lr"] = _lr(config, (epoch - 1) * steps + step, total_steps)
            if config.self_supervised:
                loss = selfsup.batch_loss(model, train_set.images, rng, config, device=device,
                                          step=(epoch - 1) * steps + step, total=total_steps)
                objective.update(loss)
                losses.setdefault("loss", []).append(loss.item())
                bar.set_postfix(loss=f"{np.mean(losses['loss'][-20:]):.4f}")
                continue
            if pool is not None:  # target: the kind's reference, cropped with the noisy image
                noisy, clean, levels = pool.batch(rng, batch=config.batch, crop=config.crop,
                                                  augment=config.augment)
            else:
                clean = data.draw(rng, batch=config.batch, crop=config.crop,
                                  augment=config.augment)
                levels = np.empty(len(clean), np.float32)
                noisy = _noisy_batch(clean, config, epoch, step, rng, levels)
            x = torch.from_numpy(noisy)[:, None].to(device)
            y = torch.from_numpy(clean)[:, None].to(device)
            if cuda:
                x, y = x.to(memory_format=torch.channels_last), y.to(memory_format=torch.channels_last)
            levels_t = torch.from_numpy(levels).to(device)
            for name, value in objective.step(x, y, levels_t).items():
                losses.setdefault(name, []).append(value)
            bar.set_postfix(loss=f"{np.mean(losses['loss'][-20:]):.4f}")
        if config.self_supervised:
            val_loss, val_ssim, val_psnr = selfsup.validate(
                model, val_sets, val_clean.ids,
                None if config.noisy_data else val_clean.images, config, device)
        else:
            val_loss, val_ssim, val_psnr = _validate(model, loss_fn, val_sets, val_clean, device)
        seconds = time.perf_counter() - start
        record = EpochRecord(epoch, float(np.mean(losses["loss"])), val_loss, val_ssim, val_psnr,
                             seconds)
        state["history"].append(asdict(record) | {k: float(np.mean(v)) for k, v in losses.items()
                                                  if k != "loss"})
        state["epoch"], state["seconds"] = epoch, state["seconds"] + seconds
        # a self-supervised run is chosen as a user without clean images would choose it
        if (val_loss < state.get("best_val_loss", math.inf) if config.self_supervised
                else val_ssim > state["best_val_ssim"]):
            state["best_val_ssim"], state["best_epoch"] = val_ssim, epoch
            state["best_val_loss"] = val_loss
            save_checkpoint(out, model.state_dict(), {
                "architecture": config.architecture,
                "arch_config": {**build_config(config)},
                "noise": [{"kind": k, "sigma_min": lo, "sigma_max": hi} for k, lo, hi in config.noises],
                "dataset": data.name,
                **data.metadata,
                "train_fingerprint": fingerprint["train"],
                "validation_fingerprint": fingerprint["validation"],
                "train_command": config.command,
                **({"init_weights": init_digest} if init_digest else {}),
                **({"self_supervised": selfsup.metadata(config)}
                   if config.self_supervised else {}),
                "git_commit": git_commit(),
                "config": asdict(config),
                "epoch": epoch,
                "val_ssim": val_ssim,
                "val_psnr": val_psnr,
                "val_loss": val_loss,
                "machine": machine(),
                "device": device,
                "versions": library_versions(),
            })
        _save_state(run_dir, parts, state)
        write_curve(out.with_suffix(".loss.csv"), state["history"])
        log(f"epoch {epoch}/{config.epochs}: train loss {record.train_loss:.4f}, validation loss "
            f"{val_loss:.4f}, SSIM {val_ssim:.4f}, PSNR {val_psnr:.2f} dB ({seconds:.0f} s)")
    return {"checkpoint": str(out), "best_epoch": state["best_epoch"],
            "best_val_ssim": state["best_val_ssim"], "history": state["history"],
            "seconds": state["seconds"],
            **({"best_val_loss": state["best_val_loss"]} if "best_val_loss" in state else {})}


def build_config(config: TrainConfig) -> dict[str, Any]:
    """The architecture configuration stored with the checkpoint (defaults filled in)."""
    from methods.deep.nets import ARCHITECTURES

    return {**ARCHITECTURES[config.architecture], **config.arch_config}
