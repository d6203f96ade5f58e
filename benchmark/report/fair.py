"""Tables 1-2 three ways: the paper's number, ours in the paper's setting, ours in a fair one.

For each of the paper's methods and each metric (SSIM, PSNR):

- **paper**: the value the paper reports (``benchmark/reference/paper_tables.csv``);
- **paper setting**: the plain method with its default parameters, told the noise level
  (``oracle``) or an estimate (``estimated``), treating the noise as Gaussian, as the paper did;
- **fair**: the method tuned on the validation split (:mod:`benchmark.engine.tuning`) and, under
  Rician noise, its Rician-aware variant (bias correction or VST, whichever scored better on
  validation); under a further noise kind (Table 3 onward), the better of its fair variants
  for that kind. Those tables have no paper columns.

Measured values are means over the test images with a seeded 95% bootstrap interval; each is
compared with the best classical method of the same column by a paired Wilcoxon signed-rank test
(``*``: p < 0.05). Anatomy-only metrics (see :mod:`benchmark.core.masks`) are given beside them. A
generated paragraph says where the measured rankings differ from the paper's and by how much.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from benchmark.core.contract import Denoiser, Noise
from benchmark.report.paper import SOURCE, PaperTable, rows_for
from benchmark.report.tables import Selection
from benchmark.engine.runner import NOISY, method_config
from benchmark.engine.store import under_noise
from benchmark.core.stats import ALPHA, bootstrap_ci, compare
from benchmark.engine.tuning import Choice

METRIC_NAMES = ("ssim", "psnr")
_DIGITS = {"ssim": 4, "psnr": 2}
_LABELS = {"ssim": "SSIM", "psnr": "PSNR dB"}
SETTINGS = ("setting", "fair")


@dataclass(frozen=True)
class Cell:
    """Which stored cells one table entry reads: a method and a configuration."""

    method: str
    config: str
    params: dict


def candidates(name: str, names: Sequence[str], noise: Noise) -> list[str]:
    """Methods that may stand for ``name`` in the fair setting, as the registry declares them.

    The registered variants of ``name`` (``base == name``) that apply to ``noise`` (under
    Rician noise: its bias-corrected and VST variants), or the method itself if it has none.
    An opt-in variant (:attr:`~benchmark.core.contract.Denoiser.opt_in`) stands for an opt-in
    method only: it runs when named, never as another method's candidate.
    """
    from benchmark.core.registry import get_method

    opt_in = get_method(name).opt_in
    variants = [n for n in names if n != name and get_method(n).base == name
                and get_method(n).applies_to(noise.kind)
                and (opt_in or not get_method(n).opt_in)]
    return variants or [name]


def fair_cell(method: Denoiser, noise: Noise, registered: Mapping[str, Denoiser],
              choices: Mapping[tuple[str, str, float], Choice], sigma_source: str) -> Cell | None:
    """The fair setting's cell for ``method``: the best tuned candidate on validation.

    Without any tuned candidate: the paper setting's cell for a method with no grid and no
    variants (deep models), else None (not tuned yet).
    """
    options = candidates(method.name, list(registered), noise)
    tuned = [choices[(name, noise.kind, noise.sigma)] for name in options
             if (name, noise.kind, noise.sigma) in choices]
    if tuned:
        best = max(tuned, key=lambda c: c.score)
        chosen = registered[best.method]
        params = chosen.resolve_params(best.params)
        return Cell(chosen.name, method_config(chosen, params, sigma_source=sigma_source), params)
    if options == [method.name] and method.batched:
        params = method.resolve_params()
        return Cell(method.name, method_config(method, params, sigma_source=sigma_source), params)
    return None


def _cells(frame: pd.DataFrame, cell: Cell | None) -> pd.DataFrame:
    if cell is None:
        return frame.iloc[0:0]
    return frame[(frame["method"] == cell.method) & (frame["config"] == cell.config)
                 & (frame["status"] == "ok")]


def _per_image(cells: pd.DataFrame, column: str) -> dict[str, float]:
    if column not in cells:
        return {}
    return {i: float(v) for i, v in zip(cells["image_id"], cells[column]) if np.isfinite(v)}


def build_fair_table(cells: pd.DataFrame, table: PaperTable, registered: Mapping[str, Denoiser],
                     selection: Selection, choices: Mapping[tuple[str, str, float], Choice],
                     *, seed: int = 0, methods: Sequence[Denoiser] = ()) -> pd.DataFrame:
    """One table, one row per paper method (noisy input first), then one per other method of
    ``methods`` (the plain methods a user selected); see the module docstring.

    Columns per metric ``m`` and setting ``s`` (``setting`` = paper setting, ``fair``):
    ``paper_m``, ``s_m_mean``, ``s_m_low``, ``s_m_high``, ``s_m_p`` (Wilcoxon vs ``s_m_ref``),
    ``s_m_anatomy_mean``; and ``n_setting``, ``n_fair``, ``fair_method``, ``fair_params``,
    ``s_sigma_error``.
    """
    noise = table.noise
    mine = cells[(cells["dataset"] == selection.dataset) & (cells["split"] == selection.split)
                 & under_noise(cells, noise)
                 & (cells["seed"] == selection.seed) & (cells["clip"] == selection.clip)]
    paper = rows_for(table.number).set_index("method")
    rows, values = [], {s: {m: {} for m in METRIC_NAMES} for s in SETTINGS}
    extra = [m.name for m in methods if m.name not in paper.index and m.name != NOISY]
    for name in [NOISY] + list(paper.index) + extra:
        row: dict = {"method": name, "paper_label": paper["paper_label"].get(
            name, "Noisy input" if name == NOISY else name),
                     "classical": name in registered and not registered[name].batched}
        for metric in METRIC_NAMES:
            row[f"paper_{metric}"] = float(paper[metric].get(name, np.nan))
        method = registered.get(name)
        if name == NOISY:
            plain = fair = Cell(NOISY, "-", {})
        elif method is None:
            plain = fair = None
            row["paper_label"] += " (not available)"
        else:
            params = method.resolve_params()
            plain = Cell(name, method_config(method, params, sigma_source=selection.sigma_source),
                         params)
            fair = fair_cell(method, noise, registered, choices, selection.sigma_source)
        row["fair_method"] = fair.method if fair else ""
        row["fair_params"] = json.dumps(fair.params, sort_keys=True) if fair else ""
        for setting, cell in (("setting", plain), ("fair", fair)):
            picked = _cells(mine, cell)
            row[f"n_{setting}"] = int(picked["image_id"].nunique())
            row[f"{setting}_sigma_error"] = (float(picked["sigma_error"].mean())
                                             if "sigma_error" in picked and len(picked) else np.nan)
            for metric in METRIC_NAMES:
                per_image = _per_image(picked, metric)
                interval = bootstrap_ci(list(per_image.values()), seed=seed)
                row[f"{setting}_{metric}_mean"] = interval.mean
                row[f"{setting}_{metric}_low"] = interval.low
                row[f"{setting}_{metric}_high"] = interval.high
                anatomy = _per_image(picked, f"{metric}_anatomy")
                row[f"{setting}_{metric}_anatomy_mean"] = (float(np.mean(list(anatomy.values())))
                                                           if anatomy else np.nan)
                if method is not None and per_image:
                    values[setting][metric][name] = per_image
        rows.append(row)
    frame = pd.DataFrame(rows)
    for setting in SETTINGS:
        for metric in METRIC_NAMES:
            measured = values[setting][metric]
            classical = [k for k in measured if not registered[k].batched]
            reference = _best_on_common_images({k: measured[k] for k in classical})
            frame[f"{setting}_{metric}_ref"] = reference or ""
            tests = compare(measured, reference) if reference else {}
            frame[f"{setting}_{metric}_p"] = [tests.get(m, (np.nan, 0))[0] for m in frame["method"]]
    return frame


def _best_on_common_images(measured: dict[str, dict[str, float]]) -> str | None:
    """The method of highest mean over the images every method scored (a method that failed on
    hard images must not win by its missing cells); over each one's own images when none is
    common to all."""
    if not measured:
        return None
    common = set.intersection(*(set(v) for v in measured.values()))

    def mean(name: str) -> float:
        scores = measured[name]
        return float(np.mean([scores[i] for i in (common or scores)]))

    return max(measured, key=mean)


def _interval(row, setting: str, metric: str) -> str:
    mean, low, high = (row[f"{setting}_{metric}_{k}"] for k in ("mean", "low", "high"))
    digits = _DIGITS[metric]
    if not np.isfinite(mean):
        return "–"
    text = f"{mean:.{digits}f}"
    if np.isfinite(low):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    if row["method"] == row[f"{setting}_{metric}_ref"]:
        text += " (ref)"
    elif row[f"{setting}_{metric}_p"] < ALPHA:
        text += " *"
    return text


def _pair(row, metric: str) -> str:
    digits = _DIGITS[metric]
    values = [row[f"{s}_{metric}_anatomy_mean"] for s in SETTINGS]
    return " / ".join("–" if not np.isfinite(v) else f"{v:.{digits}f}" for v in values)


HEADER = ["Method", "SSIM paper", "SSIM paper setting", "SSIM fair", "PSNR paper",
          "PSNR paper setting", "PSNR fair", "SSIM anatomy (setting / fair)",
          "PSNR anatomy (setting / fair)", "N", "Fair setting used"]
#: The header of a further noise kind's fair table: no paper columns, "plain" for the
#: paper's setting (plain methods told the level as a Gaussian sigma).
KIND_HEADER = ["Method", "SSIM plain", "SSIM fair", "PSNR plain", "PSNR fair",
               "SSIM anatomy (plain / fair)", "PSNR anatomy (plain / fair)", "N",
               "Fair setting used"]


def header(table: PaperTable) -> list[str]:
    """The columns of ``table``'s fair table (the paper's only for a table it reports)."""
    return HEADER if table.reported else KIND_HEADER


def problems(frame: pd.DataFrame, images: int, methods: Sequence[str]) -> list[str]:
    """One line per row of ``methods`` (and the noisy input) that is not complete: fewer than
    ``images`` test cells in the paper's setting or in the fair one (not tuned, failed or not
    computed). Rows of methods not selected are not problems."""
    lines = []
    for row in frame.itertuples():
        if row.method != NOISY and row.method not in methods:
            continue
        if row.n_setting < images:
            lines.append(f"{row.method}: {row.n_setting} of {images} images in the paper setting")
        if not row.fair_method:
            lines.append(f"{row.method}: no tuned choice for the fair setting")
        elif row.n_fair < images:
            lines.append(f"{row.method}: {row.n_fair} of {images} images in the fair setting "
                         f"({row.fair_method})")
    return lines


def display_rows(frame: pd.DataFrame, *, paper: bool = True) -> list[list[str]]:
    """The table's cells as text (``paper``: with the paper's columns, :data:`HEADER`; else
    :data:`KIND_HEADER`)."""
    out = []
    for _, row in frame.iterrows():
        cells = [row["paper_label"] if row["method"] != NOISY else "Noisy input"]
        for metric in ("ssim", "psnr"):
            reported = row[f"paper_{metric}"]
            cells += (["–" if not np.isfinite(reported) else f"{reported:.{_DIGITS[metric]}f}"]
                      if paper else [])
            cells += [_interval(row, "setting", metric), _interval(row, "fair", metric)]
        cells += [_pair(row, "ssim"), _pair(row, "psnr"),
                  f"{row['n_setting']} / {row['n_fair']}",
                  "" if row["method"] == NOISY or not row["fair_method"]
                  else f"`{row['fair_method']}` {row['fair_params']}"]
        out.append(cells)
    return out


def _rank_list(frame: pd.DataFrame, column: str) -> list[str]:
    usable = frame[(frame["method"] != NOISY) & np.isfinite(frame[column])]
    return list(usable.sort_values(column, ascending=False, kind="stable")["method"])


def ranking_paragraph(frame: pd.DataFrame, table: PaperTable, metric: str = "psnr") -> str:
    """A few generated sentences: where the measured rankings differ from the paper's."""
    label = {"psnr": "PSNR", "ssim": "SSIM"}[metric]
    unit = " dB" if metric == "psnr" else ""
    digits = _DIGITS[metric]
    paper_col = f"paper_{metric}"
    both = frame[(frame["method"] != NOISY) & np.isfinite(frame[paper_col])
                 & np.isfinite(frame[f"setting_{metric}_mean"])]
    if not table.reported:  # a further noise kind: no paper ranking to compare with
        return (f"Table {table.number} ({label}): "
                + (" ".join(_best_classical(frame, metric, label, unit, digits,
                                            "the plain setting (told the level as a sigma)"))
                   or "too few methods measured to compare the settings."))
    if len(both) < 2:
        return (f"Table {table.number} ({label}): too few methods measured to compare rankings "
                "with the paper.")
    sentences = []
    paper_rank = _rank_list(both, paper_col)
    for setting, name in (("setting", "the paper's setting"), ("fair", "the fair setting")):
        column = f"{setting}_{metric}_mean"
        sub = both[np.isfinite(both[column])]
        if len(sub) < 2:
            continue
        measured = _rank_list(sub, column)
        reference = [m for m in paper_rank if m in measured]
        tau = scipy_stats.kendalltau([reference.index(m) for m in measured],
                                     list(range(len(measured)))).statistic
        moved = [f"{m} {reference.index(m) + 1}→{measured.index(m) + 1}" for m in measured
                 if reference.index(m) != measured.index(m)]
        gap = sub[column] - sub[paper_col]
        sentences.append(
            f"In {name}, the measured {label} ranking of the {len(sub)} methods "
            f"{'matches the paper' if not moved else 'differs from the paper'} (Kendall tau "
            f"{tau:.2f}{'; rank moves paper→measured: ' + ', '.join(moved) if moved else ''}); "
            f"measured minus reported {label} is {gap.mean():+.{digits}f}{unit} on average "
            f"(from {gap.min():+.{digits}f} to {gap.max():+.{digits}f}{unit}).")
    best = _best_classical(frame, metric, label, unit, digits)
    sentences += best
    if best:
        fair = frame[frame["classical"] & np.isfinite(frame[f"fair_{metric}_mean"])]
        best_fair = fair.loc[fair[f"fair_{metric}_mean"].idxmax()]
        deep = frame[frame["method"] == "unet-dctda"]
        if len(deep) and np.isfinite(deep.iloc[0][paper_col]):
            reported = float(deep.iloc[0][paper_col])
            diff = best_fair[f"fair_{metric}_mean"] - reported
            sentences.append(
                f"The paper reports {reported:.{digits}f}{unit} for UNet-DCTD-A; the best fair "
                f"classical result is {abs(diff):.{digits}f}{unit} "
                f"{'above' if diff > 0 else 'below'} it"
                f"{' (the paper ranks every classical method below it)' if diff > 0 else ''}.")
    return f"Table {table.number} ({label}): " + " ".join(sentences)


def _best_classical(frame: pd.DataFrame, metric: str, label: str, unit: str,
                    digits: int, plain: str = "the paper's setting") -> list[str]:
    """The sentence comparing the best classical method of each setting (none if unmeasured)."""
    fair = frame[frame["classical"] & np.isfinite(frame[f"fair_{metric}_mean"])]
    setting = frame[frame["classical"] & np.isfinite(frame[f"setting_{metric}_mean"])]
    if not (len(fair) and len(setting)):
        return []
    best_fair = fair.loc[fair[f"fair_{metric}_mean"].idxmax()]
    best_plain = setting.loc[setting[f"setting_{metric}_mean"].idxmax()]
    gain = best_fair[f"fair_{metric}_mean"] - best_plain[f"setting_{metric}_mean"]
    return [f"The best classical method measured in the fair setting is "
            f"{best_fair['fair_method']} ({best_fair[f'fair_{metric}_mean']:.{digits}f}{unit}), "
            f"against {best_plain['method']} "
            f"({best_plain[f'setting_{metric}_mean']:.{digits}f}{unit}) in {plain}: "
            f"{gain:+.{digits}f}{unit}."]


def notes(frame: pd.DataFrame, selection: Selection, *, val_images: int | Sequence[int] | None,
          metric: str, table: PaperTable | None = None) -> list[str]:
    """The notes under a fair table; ``val_images``: the validation images the stored choices
    were made on (their ``n_images``)."""
    if isinstance(val_images, int):
        val_images = [val_images]
    counts = ", ".join(str(v) for v in sorted(set(val_images or ())))
    n = sorted((set(frame["n_setting"]) | set(frame["n_fair"])) - {0})
    ref = {s: frame[f"{s}_psnr_ref"].iloc[0] for s in SETTINGS}
    reported = table is None or table.reported
    out = [
        f"Data: {selection.dataset}, split {selection.split}; seed {selection.seed}; sigma "
        f"source {selection.sigma_source}. N (test images per entry): {', '.join(map(str, n))}.",
        *([f"Paper: reported values ({SOURCE})."] if reported else []),
        f"{'Paper setting' if reported else 'Plain (the paper setting)'}: plain method, default "
        "parameters, treating the noise as Gaussian, given the "
        f"{'true' if selection.sigma_source == 'oracle' else 'estimated'} "
        f"{'sigma' if reported else 'level as its sigma'}.",
        "Fair: parameters tuned by grid search (each method's declared grid) on the validation split"
        f"{f' ({counts} images)' if counts else ''}, maximising mean {metric}, per noise "
        f"setting; {_variants_note(table)}. Never tuned on the test split.",
        "Measured: mean [95% percentile-bootstrap CI, 2000 resamples, seeded] over the test "
        "images; whole image, background included. Anatomy: mean over a threshold+morphology "
        "mask of the clean image (see the dataset card).",
        f"`*`: paired two-sided Wilcoxon signed-rank test against the best classical method of "
        f"the same column ((ref); PSNR: {ref['setting']} / {ref['fair']}), p < {ALPHA}. With "
        "N < 6 images no difference can reach p < 0.05.",
    ]
    errors = frame[[f"{s}_sigma_error" for s in SETTINGS]].stack().dropna()
    if len(errors):
        out.append(f"Blind mode: relative error of the estimated sigma, mean {errors.mean():+.2%} "
                   f"(range {errors.min():+.2%} to {errors.max():+.2%}).")
    return out


def _variants_note(table: PaperTable | None) -> str:
    """What the fair setting picks from under ``table``'s noise."""
    if table is None or table.noise.kind in ("gaussian", "rician"):
        return ("under Rician noise the better Rician-aware variant on validation "
                "(`.rician-bc`: output bias correction, `.rician-vst`: Foi's VST with exact "
                "unbiased inverse)")
    from benchmark.core.noise import get_noise_model

    transforms = get_noise_model(table.noise.kind).fair_transforms
    if not transforms:
        return f"under {table.noise.kind} noise the plain method (the kind has no fair variant)"
    return (f"under {table.noise.kind} noise the better of its fair variants on validation ("
            + "; ".join(f"`{t.suffix}`: {t.summary}" for t in transforms) + ")")


def write_fair_table(frame: pd.DataFrame, table: PaperTable, out_dir: Path, *,
                     selection: Selection, val_images: int | Sequence[int] | None,
                     metric: str, left_out: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``table<N>_fair.md`` and ``.csv``; returns the paths. ``left_out``: methods with
    no row, as they cannot denoise the table's noise here, and why (a note each)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = header(table)
    lines = [f"# Table {table.number} (fair): {table.caption}", "",
             "| " + " | ".join(names) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(names) - 2) + ["---"]) + "|"]
    lines += ["| " + " | ".join(cells) + " |"
              for cells in display_rows(frame, paper=table.reported)]
    lines += ["", ranking_paragraph(frame, table, "psnr"), "",
              ranking_paragraph(frame, table, "ssim"), ""]
    lines += [f"- {note}" for note in notes(frame, selection, val_images=val_images,
                                             metric=metric, table=table)]
    lines += [f"- No row for {name}: {why}." for name, why in (left_out or {}).items()]
    stem = out_dir / f"table{table.number}_fair"
    paths = [stem.with_suffix(".md"), stem.with_suffix(".csv")]
    paths[0].write_text("\n".join(lines) + "\n")
    frame.to_csv(paths[1], index=False, float_format="%.6g")
    return paths
