"""Train a curve denoiser on a curve card's train split, choosing it on the validation split.

One epoch = ``steps`` batches of clean training curves (a seeded permutation per epoch; all of
them once with ``steps=None``), each curve with its own noise level drawn uniformly from the
training range and fresh noise every epoch; the draws depend only on (seed, epoch), so the same
command on the same machine gives the same model. The loss is the mean squared error of the
curves divided by their scale (:func:`methods.deep.curves.scale.curve_scale` of the noisy
curve), which weighs every curve alike whatever its concentration. After every epoch the
validation split is denoised at fixed, seeded noise on :data:`VALIDATION_LEVELS` levels
spanning the training range, and the checkpoint with the lowest mean per-curve RMSE in mM is
written (half precision, with provenance). Adam, a cosine learning rate from ``lr`` to
``lr / 20``, and early stopping once the validation RMSE has not improved by ``min_delta``
(relative) for ``patience`` epochs. A run takes minutes, so there is no resume.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.noise import add_noise, get_noise_model

#: Budgets of curve training: ``quick`` fits a 2-core CPU in minutes a model; ``paper`` passes
#: over the whole train split every epoch.
CURVE_PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"epochs": 20, "steps": 25, "batch": 256, "lr": 1e-3},
    "paper": {"epochs": 100, "steps": None, "batch": 256, "lr": 1e-3},
}
#: Noise levels of the validation pass, evenly spaced over the training range.
VALIDATION_LEVELS = 10


@dataclass
class CurveTrainConfig:
    """Everything that determines a curve training run (written into the checkpoint)."""

    architecture: str
    noises: list[tuple[str, float, float]]
    dataset: str = "dce-sim"
    profile: str = "quick"
    epochs: int = 20
    steps: int | None = 25
    batch: int = 256
    lr: float = 1e-3
    patience: int = 8
    min_delta: float = 0.005
    arch_config: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "cpu"
    out: str = ""
    command: str = ""


def check_curve_noises(noises: list[tuple[str, float, float]]) -> None:
    """Every training noise must be drawn on curves (``relative-gaussian``)."""
    for kind, _, _ in noises:
        if "curve" not in get_noise_model(kind).data:
            raise BenchError(f"--noise {kind} is not drawn on curves; curve models train on "
                             "relative-gaussian noise (e.g. --noise relative-gaussian --sigma "
                             "0.05:0.5)")


def validation_noises(noises: list[tuple[str, float, float]]) -> list[Noise]:
    """The fixed validation levels: :data:`VALIDATION_LEVELS` over each training range.

    Examples
    --------
    >>> [n.sigma for n in validation_noises([("relative-gaussian", 0.05, 0.5)])][:3]
    [0.05, 0.1, 0.15]
    """
    return [Noise(kind, s) for kind, lo, hi in noises
            for s in np.unique(np.linspace(lo, hi, VALIDATION_LEVELS))]


def noisy_training_batch(clean: np.ndarray, noises: list[tuple[str, float, float]],
                         rng: np.random.Generator) -> np.ndarray:
    """``clean`` curves with noise of a kind and level drawn per curve (float32)."""
    out = np.empty_like(clean)
    kinds = rng.integers(len(noises), size=len(clean))
    for index, (kind, lo, hi) in enumerate(noises):
        rows = np.flatnonzero(kinds == index)
        sigma = rng.uniform(lo, hi, size=(len(rows), 1))
        out[rows] = get_noise_model(kind).sample(clean[rows], sigma, rng)
    return out


def _write_log(path: Path, history: list[dict]) -> None:
    """The loss log as CSV, one row an epoch."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def _validate(model, loss_of, sets, device: str) -> tuple[float, float]:
    """Normalised validation loss and mean per-curve RMSE (mM) over every level."""
    import torch

    model.eval()
    losses, rmses = [], []
    with torch.no_grad():
        for clean, noisy in sets:
            x, y = torch.from_numpy(noisy).to(device), torch.from_numpy(clean).to(device)
            estimate = model(x)
            losses.append(loss_of(estimate, y, x).item())
            rmses.append(((estimate - y) ** 2).mean(dim=-1).sqrt().mean().item())
    model.train()
    return float(np.mean(losses)), float(np.mean(rmses))


def train_curves(config: CurveTrainConfig, *, progress: bool = False,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the curve network that ``config`` describes; returns its summary.

    Returns
    -------
    dict
        ``checkpoint`` path, ``best_epoch``, ``best_val_rmse`` (mM), ``noisy_val_rmse`` (mM,
        the noisy input's), ``parameters``, ``history`` and ``seconds``.
    """
    import torch
    from tqdm import tqdm

    from benchmark.data.cards import load_card, load_images
    from benchmark.engine.provenance import git_commit, library_versions, machine
    from methods.deep.checkpoints import save_checkpoint
    from methods.deep.curves.scale import curve_scale
    from methods.deep.nets import ARCHITECTURES, build
    from methods.deep.training.training import _lr

    check_curve_noises(config.noises)
    device = config.device
    torch.manual_seed(config.seed)
    if not device.startswith("cuda"):
        torch.use_deterministic_algorithms(True)
    card = load_card(config.dataset)
    if card.data != "curve":
        raise BenchError(f"--dataset {config.dataset} holds {card.data}s; curve models train on "
                         "a curve card such as dce-sim")
    train_set, val_set = load_images(card, "train"), load_images(card, "validation")
    train_clean = train_set.curves()
    val_sets = []
    for noise in validation_noises(config.noises):
        clean = val_set.curves()
        noisy = np.concatenate([add_noise(block, noise, image_id=f"val/{block_id}",
                                          seed=config.seed)
                                for block_id, block in zip(val_set.ids, val_set.blocks)])
        val_sets.append((clean, noisy.astype(np.float32)))
    noisy_rmse = float(np.mean([np.sqrt(((n - c) ** 2).mean(-1)).mean() for c, n in val_sets]))

    def loss_of(estimate, clean, noisy):
        return (((estimate - clean) / curve_scale(noisy)) ** 2).mean()

    steps = config.steps or int(np.ceil(len(train_clean) / config.batch))
    total_steps = steps * config.epochs
    arch_config = {**ARCHITECTURES[config.architecture], **config.arch_config}
    model = build(config.architecture, config.arch_config).to(device)
    parameters = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    out = Path(config.out)
    history: list[dict] = []
    best = {"epoch": 0, "rmse": float("inf")}
    stale, seconds = 0, 0.0
    model.train()
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(len(train_clean))
        losses = []
        for step in tqdm(range(steps), desc=f"epoch {epoch}/{config.epochs}",
                         disable=not progress, leave=False, dynamic_ncols=True):
            lr = _lr(config, (epoch - 1) * steps + step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            picks = order[(step * config.batch) % len(order):][:config.batch]
            clean = train_clean[picks]
            noisy = noisy_training_batch(clean, config.noises, rng)
            x, y = torch.from_numpy(noisy).to(device), torch.from_numpy(clean).to(device)
            loss = loss_of(model(x), y, x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        val_loss, val_rmse = _validate(model, loss_of, val_sets, device)
        elapsed = time.perf_counter() - start
        seconds += elapsed
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)),
                        "val_loss": val_loss, "val_rmse": val_rmse, "lr": lr,
                        "seconds": round(elapsed, 2)})
        improved = val_rmse < best["rmse"] * (1 - config.min_delta)
        if val_rmse < best["rmse"]:
            best = {"epoch": epoch, "rmse": val_rmse}
            save_checkpoint(out, model.state_dict(), {
                "architecture": config.architecture,
                "arch_config": arch_config,
                "data": "curve",
                "noise": [{"kind": k, "sigma_min": lo, "sigma_max": hi}
                          for k, lo, hi in config.noises],
                "dataset": card.name,
                "train_fingerprint": train_set.fingerprint(),
                "validation_fingerprint": val_set.fingerprint(),
                "train_command": config.command,
                "git_commit": git_commit(),
                "config": asdict(config),
                "epoch": epoch,
                "val_rmse": val_rmse,
                "noisy_val_rmse": noisy_rmse,
                "parameters": parameters,
                "machine": machine(),
                "device": device,
                "versions": library_versions(),
            })
        stale = 0 if improved else stale + 1
        _write_log(out.with_suffix(".loss.csv"), history)
        log(f"epoch {epoch}/{config.epochs}: train loss {history[-1]['train_loss']:.5f}, "
            f"validation RMSE {val_rmse:.5f} mM (noisy {noisy_rmse:.5f}) ({elapsed:.1f} s)")
        if stale >= config.patience:
            log(f"stopping: no {config.min_delta:.1%} gain in validation RMSE for "
                f"{config.patience} epochs")
            break
    return {"checkpoint": str(out), "best_epoch": best["epoch"], "best_val_rmse": best["rmse"],
            "noisy_val_rmse": noisy_rmse, "parameters": parameters, "history": history,
            "seconds": seconds}
