"""Ablation and data-fraction studies of UNet-DCTD-A: train variants, score them on the test split.

A study is a list of :class:`Variant` s, each a :class:`~methods.deep.training.training.TrainConfig` with
one thing changed. Every variant trains into a folder of its own (``NAME.safetensors`` and the
run directory ``NAME.run/``, never the shipped ``checkpoints/``), is chosen on the validation
split as ``bench train`` does, then is scored on the test split with :mod:`benchmark.core.metrics`
(whole image, mean, standard deviation and N). The scores go to ``NAME.result.json``; a variant
whose result file matches its configuration is not trained again, and an interrupted one resumes
where its training stopped.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from benchmark.core.contract import Noise
from benchmark.data.cards import image_ids, load_card, load_images
from benchmark.core.errors import BenchError
from benchmark.core.metrics import psnr, ssim, summarise
from benchmark.core.noise import add_noise
from methods.deep.training.training import TrainConfig, config_fields, train

#: Training fractions of the data-fraction (transfer-learning) study.
FRACTIONS = (0.1, 0.25, 1.0)


@dataclass(frozen=True)
class Variant:
    """One trained model of a study: ``changes`` to the base configuration.

    ``changes`` sets :class:`TrainConfig` fields; its ``arch_config`` entry is merged into the
    base's. ``baseline`` names the variant the deltas are taken against; a variant with a
    ``skipped`` reason is listed but not trained.
    """

    name: str
    removed: str
    changes: dict[str, Any] = field(default_factory=dict)
    baseline: str = "full"
    skipped: str = ""


def component_variants(base: TrainConfig) -> list[Variant]:
    """The full model and one variant per removed component (scSE, dilation, augmentation,
    perceptual loss, pretrained encoder); the last two are skipped when ``base`` lacks them."""
    variants = [
        Variant("full", "nothing"),
        Variant("no-scse", "scSE attention", {"arch_config": {"attention": False}}),
        Variant("no-dilation", "dilated convolutions", {"arch_config": {"dilation": False}}),
        Variant("no-augment", "augmentation (flips, rotations, intensity)", {"augment": False}),
    ]
    if base.perceptual_weights:
        variants.append(Variant("no-perceptual", "VGG16 perceptual loss",
                                {"perceptual_weights": None}))
    else:
        variants.append(Variant("no-perceptual", "VGG16 perceptual loss", skipped=(
            "the full model has no perceptual loss: give --perceptual-weights PATH "
            "(VGG16 ImageNet state dict)")))
    if base.encoder_weights != "none":
        variants.append(Variant("no-pretrained", "pretrained encoder",
                                {"encoder_weights": "none"}))
    else:
        variants.append(Variant("no-pretrained", "pretrained encoder", skipped=(
            "the full model has no pretrained encoder: give --encoder-weights "
            "pretrained:PATH (bench pretrain) or imagenet:PATH")))
    return variants


def transfer_variants(encoder_weights: str, fractions: Sequence[float] = FRACTIONS
                      ) -> list[Variant]:
    """Every fraction of the train slices, from scratch and from ``encoder_weights``; deltas of
    the pretrained runs are against the scratch run of the same fraction."""
    if encoder_weights == "none":
        raise BenchError("the data-fraction study needs --encoder-weights pretrained:PATH "
                         "(make one with: bench pretrain --out PATH) or imagenet:PATH")
    variants = []
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise BenchError(f"--fractions {fraction}: give numbers in (0, 1]")
        scratch = f"frac{fraction:g}-scratch"
        variants.append(Variant(scratch, "", {"train_fraction": fraction,
                                              "encoder_weights": "none"}, baseline=scratch))
        variants.append(Variant(f"frac{fraction:g}-pretrained", "",
                                {"train_fraction": fraction, "encoder_weights": encoder_weights},
                                baseline=scratch))
    return variants


def variant_config(base: TrainConfig, variant: Variant, folder: Path) -> TrainConfig:
    """``base`` with ``variant``'s changes, writing into ``folder``."""
    changes = dict(variant.changes)
    arch = {**base.arch_config, **changes.pop("arch_config", {})}
    return replace(base, **changes, arch_config=arch,
                   out=str(folder / f"{variant.name}.safetensors"),
                   run_dir=str(folder / f"{variant.name}.run"))


def evaluate(checkpoint: Path, clean, noises: Sequence[Noise], *, seed: int = 0,
             device: str = "cpu") -> dict[str, dict[str, Any]]:
    """Whole-image PSNR and SSIM of ``checkpoint`` on ``clean`` (an ImageSet) at each noise.

    Returns
    -------
    dict
        ``{str(noise): {"psnr": [...], "ssim": [...]}}``, per-image values in ``clean`` order.
    """
    from methods.deep.inference import denoise_stack, load_model

    model = load_model("unet-dctda", noises[0], device=device, checkpoint=str(checkpoint))
    scores = {}
    for noise in noises:
        values: dict[str, list[float]] = {"psnr": [], "ssim": []}
        for image_id, x in zip(clean.ids, clean.images):
            y = add_noise(x, noise, image_id=image_id, seed=seed)
            estimate = denoise_stack(model, y[None].astype(np.float32), device=device)[0]
            values["psnr"].append(psnr(x, estimate))
            values["ssim"].append(ssim(x, estimate))
        scores[str(noise)] = {"kind": noise.kind, "sigma": noise.sigma, **values}
    return scores


def _identity(config: TrainConfig, noises: Sequence[Noise], test_limit: int | None) -> dict:
    return {"config": config_fields(config, exclude=("command", "device")),
            "test_noises": [str(n) for n in noises], "test_limit": test_limit}


def run_study(base: TrainConfig, variants: Sequence[Variant], folder: Path,
              noises: Sequence[Noise], *, test_limit: int | None = None, progress: bool = True,
              log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Train (or reuse) and score every variant; returns one table row per variant and noise."""
    folder = Path(folder)
    _check_files(base, variants)
    folder.mkdir(parents=True, exist_ok=True)
    card = load_card(base.dataset)
    test = load_images(card, "test").head(test_limit)
    ids = image_ids(card, "train")
    results: dict[str, dict] = {}
    for variant in variants:
        if variant.skipped:
            log(f"{variant.name}: skipped ({variant.skipped})")
            continue
        config = variant_config(base, variant, folder)
        identity = _identity(config, noises, test_limit)
        path = folder / f"{variant.name}.result.json"
        if path.is_file():
            saved = json.loads(path.read_text())
            if saved["identity"] != identity:
                raise BenchError(f"{path} belongs to a different study; delete {folder} or pass "
                                 "another --folder")
            log(f"{variant.name}: finished before, not retrained")
            results[variant.name] = saved
            continue
        log(f"{variant.name}: training ({variant.removed or 'see table'})")
        summary = train(config, progress=progress, log=log)
        scores = evaluate(Path(config.out), test, noises, seed=base.seed, device=base.device)
        saved = {"identity": identity, "best_epoch": summary["best_epoch"],
                 "best_val_ssim": summary["best_val_ssim"], "seconds": summary["seconds"],
                 "scores": scores}
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(saved, indent=1))
        partial.replace(path)
        results[variant.name] = saved
    return _rows(variants, results, noises, len(ids) if ids is not None else None)


def _check_files(base: TrainConfig, variants: Sequence[Variant]) -> None:
    """Fail before anything is written when a weights file that a variant needs is missing."""
    for variant in variants:
        if variant.skipped:
            continue
        config = replace(base, **{k: v for k, v in variant.changes.items() if k != "arch_config"})
        spec = config.encoder_weights
        if spec != "none" and not Path(spec.partition(":")[2]).is_file():
            raise BenchError(f"--encoder-weights {spec}: no such file; make one with: "
                             "bench pretrain --out PATH")
        if config.perceptual_weights and not Path(config.perceptual_weights).is_file():
            raise BenchError(f"--perceptual-weights {config.perceptual_weights}: no such file")


def _rows(variants, results, noises, n_train) -> list[dict[str, Any]]:
    rows = []
    for variant in variants:
        for noise in noises:
            row: dict[str, Any] = {"variant": variant.name, "removed": variant.removed,
                                   "train_fraction": variant.changes.get("train_fraction", 1.0),
                                   "encoder_weights": variant.changes.get("encoder_weights", ""),
                                   "noise": noise.kind, "sigma": noise.sigma,
                                   "status": variant.skipped and f"skipped: {variant.skipped}"}
            if n_train is not None:
                row["train_slices"] = max(1, round(n_train * row["train_fraction"]))
            saved = results.get(variant.name)
            if saved:
                for metric in ("psnr", "ssim"):
                    summary = summarise(saved["scores"][str(noise)][metric])
                    row |= {f"{metric}_mean": summary.mean, f"{metric}_std": summary.std,
                            "n": summary.n}
                    reference = results.get(variant.baseline)
                    if reference:
                        row[f"delta_{metric}"] = summary.mean - float(
                            np.mean(reference["scores"][str(noise)][metric]))
                row |= {"best_epoch": saved["best_epoch"],
                        "train_seconds": round(saved["seconds"], 1), "status": "done"}
            rows.append(row)
    return rows


COLUMNS = ("variant", "removed", "train_fraction", "train_slices", "encoder_weights", "noise",
           "sigma", "psnr_mean", "psnr_std", "ssim_mean", "ssim_std", "n", "delta_psnr",
           "delta_ssim", "best_epoch", "train_seconds", "status")


def write_table(rows: Sequence[dict[str, Any]], stem: Path, *, title: str, notes: str) -> None:
    """``stem``.csv (every column) and ``stem``.md (a Markdown table with ``notes``)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with stem.with_suffix(".csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    def cell(row, metric, digits):
        if "n" not in row:
            return "–"
        delta = row.get(f"delta_{metric}")
        text = f"{row[f'{metric}_mean']:.{digits}f} ± {row[f'{metric}_std']:.{digits}f}"
        return text + ("" if delta is None else f" ({delta:+.{digits}f})")

    lines = [f"# {title}", "", notes, "",
             "| variant | removed | train fraction | noise | PSNR (dB), Δ | SSIM, Δ | N | status |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['variant']} | {row['removed'] or '–'} | {row['train_fraction']:g} | "
                     f"{row['noise']} {row['sigma']:g} | {cell(row, 'psnr', 2)} | "
                     f"{cell(row, 'ssim', 4)} | {row.get('n', 0)} | {row['status']} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


def plot_transfer(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Test PSNR and SSIM against the train fraction, from scratch and pretrained (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, metric, label in zip(axes, ("psnr", "ssim"), ("PSNR (dB)", "SSIM")):
        for kind, style in (("scratch", "o-"), ("pretrained", "s--")):
            points = sorted((r["train_fraction"], r[f"{metric}_mean"], r[f"{metric}_std"])
                            for r in rows if r["variant"].endswith(kind) and "n" in r)
            if points:
                x, y, e = zip(*points)
                axis.errorbar(x, y, yerr=e, fmt=style, capsize=3, label=kind)
        axis.set_xscale("log"), axis.set_xlabel("fraction of train slices"), axis.set_ylabel(label)
        axis.legend()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
