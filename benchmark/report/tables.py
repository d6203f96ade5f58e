"""Tables 1-2 regenerated from the store, beside the paper's reported numbers.

Each table has one row for the noisy input and one per method in the paper's order (then any
other registered method), with measured SSIM and PSNR as mean ± std over the test images, N,
and the paper's reported SSIM and PSNR. Cells are matched on the method's current parameters,
so a changed default never mixes with old numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from benchmark.core.contract import Denoiser
from benchmark.core.metrics import summarise
from benchmark.report.paper import SOURCE, PaperTable, rows_for
from benchmark.core.registry import method_names
from benchmark.engine.runner import NOISY, method_config
from benchmark.engine.store import under_noise

_NOISY_LABEL = "Noisy input"


@dataclass(frozen=True)
class Selection:
    """Which cells a table reads: dataset, split, seed and clipping."""

    dataset: str
    split: str
    seed: int = 0
    clip: bool = False
    sigma_source: str = "oracle"


def build_table(
    cells: pd.DataFrame, table: PaperTable, methods: Sequence[Denoiser], selection: Selection
) -> pd.DataFrame:
    """One table as a DataFrame (one row a method, noisy input first).

    Rows: the noisy input, the paper's methods in the paper's order (those selected, and those
    the benchmark does not have yet, unmeasured), then other selected methods.

    Columns: method, label, ssim_mean, ssim_std, psnr_mean, psnr_std, n, failed, error,
    seconds, then (only for a table the paper reports) paper_label, paper_ssim, paper_psnr, then
    the means of :data:`EXTRA_COLUMNS`. ``error`` is the first failed cell's error.
    """
    noise = table.noise
    mine = cells[
        (cells["dataset"] == selection.dataset)
        & (cells["split"] == selection.split)
        & under_noise(cells, noise)
        & (cells["seed"] == selection.seed)
        & (cells["clip"] == selection.clip)
    ]
    paper = (rows_for(table.number) if table.reported else
             pd.DataFrame(columns=["method", "paper_label", "ssim", "psnr"])).set_index("method")
    registered = {m.name: m for m in methods}
    known = set(method_names())
    order = [NOISY] + [n for n in paper.index if n in registered or n not in known]
    order += [n for n in registered if n not in paper.index]
    rows = []
    for name in order:
        if name == NOISY:
            config, label = "-", _NOISY_LABEL
        elif name in registered:
            method = registered[name]
            config = method_config(method, sigma_source=selection.sigma_source)
            label = name
        else:
            config, label = None, f"{name} (not in the benchmark yet)"
        picked = mine[(mine["method"] == name) & (mine["config"] == config)]
        ok = picked[picked["status"] == "ok"]
        ssim, psnr = summarise(ok["ssim"]), summarise(ok["psnr"])
        bad = picked[picked["status"] != "ok"]
        reported = {"paper_label": paper["paper_label"].get(name, ""),
                    "paper_ssim": paper["ssim"].get(name, float("nan")),
                    "paper_psnr": paper["psnr"].get(name, float("nan"))} if table.reported else {}
        rows.append({
            "method": name,
            "label": label,
            "ssim_mean": ssim.mean, "ssim_std": ssim.std,
            "psnr_mean": psnr.mean, "psnr_std": psnr.std,
            "n": ssim.n,
            "failed": len(bad),
            "error": str(bad["error"].iloc[0]) if len(bad) and "error" in bad else "",
            "seconds": float(ok["seconds"].mean()) if len(ok) else float("nan"),
            **reported,
            **_extra_means(ok),
        })
    return pd.DataFrame(rows)


#: Extra per-cell values averaged into the tables when the store has them.
EXTRA_COLUMNS = ("ssim_anatomy", "psnr_anatomy", "sigma_error")


def _extra_means(ok: pd.DataFrame) -> dict[str, float]:
    """Mean of each of :data:`EXTRA_COLUMNS` over the ok cells (NaN when absent)."""
    return {f"{column}_mean": float(ok[column].mean()) if column in ok and len(ok) else
            float("nan") for column in EXTRA_COLUMNS}


def _fmt(mean: float, std: float, n: int, digits: int) -> str:
    return "–" if n == 0 else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _num(value: float, digits: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def _display_rows(frame: pd.DataFrame) -> list[list[str]]:
    paper = has_paper(frame)
    return [
        [row.label, _fmt(row.ssim_mean, row.ssim_std, row.n, 4),
         _fmt(row.psnr_mean, row.psnr_std, row.n, 2), str(row.n)]
        + ([_num(row.paper_ssim, 4), _num(row.paper_psnr, 2)] if paper else [])
        + [_num(getattr(row, "ssim_anatomy_mean", float("nan")), 4),
           _num(getattr(row, "psnr_anatomy_mean", float("nan")), 2)]
        for row in frame.itertuples()
    ]


HEADER = ["Method", "SSIM (measured)", "PSNR dB (measured)", "N", "SSIM (paper)", "PSNR dB (paper)",
          "SSIM anatomy", "PSNR dB anatomy"]

#: Columns kept out of the written CSV: timings vary from run to run and machine to machine
#: (the store keeps them, ``bench export`` shows them), so a committed table does not.
UNSTABLE_COLUMNS = ("seconds",)


def has_paper(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a table the paper reports (it has the paper's columns)."""
    return "paper_ssim" in frame


def header(frame: pd.DataFrame) -> list[str]:
    """The displayed column names of ``frame`` (the paper's only beside the paper's setting)."""
    return HEADER if has_paper(frame) else [h for h in HEADER if "(paper)" not in h]


def problems(frame: pd.DataFrame, images: int) -> list[str]:
    """One line per measured row that is not complete: failed cells, or fewer than ``images``.

    Rows of the paper's methods that the benchmark does not have are not problems.
    """
    lines = []
    for row in frame.itertuples():
        if row.label.endswith("(not in the benchmark yet)"):
            continue
        if row.failed:
            lines.append(f"{row.method}: {row.failed} failed cell(s), e.g. {row.error}")
        elif row.n < images:
            lines.append(f"{row.method}: {row.n} of {images} images in the store")
    return lines


def to_markdown(frame: pd.DataFrame, title: str, notes: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table with a title and notes."""
    names = header(frame)
    lines = [f"# {title}", "", "| " + " | ".join(names) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(names) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _display_rows(frame)]
    lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def to_latex(frame: pd.DataFrame, title: str) -> str:
    """A booktabs LaTeX table."""
    def escape(text: str) -> str:
        return text.replace("\\", r"\textbackslash{}").replace("&", r"\&").replace(
            "_", r"\_").replace("%", r"\%").replace("±", r"$\pm$").replace("–", "--")

    names = header(frame)
    body = [" & ".join(escape(c) for c in cells) + r" \\" for cells in _display_rows(frame)]
    return "\n".join([
        r"\begin{table}[t]", r"\centering", rf"\caption{{{escape(title)}}}",
        r"\begin{tabular}{l" + "r" * (len(names) - 1) + "}", r"\toprule",
        " & ".join(escape(h) for h in names) + r" \\", r"\midrule", *body,
        r"\bottomrule", r"\end{tabular}", r"\end{table}", "",
    ])


#: The note on what the methods of Tables 1-2 are told of the noise.
PAPER_SETTING = ("Classical methods are told the true sigma and treat the noise as Gaussian (the "
                 "paper's setting); under Rician noise they do not remove its bias.")


def parameter_notes(methods: Sequence[Denoiser]) -> list[str]:
    """One line per method: its summary and resolved parameters."""
    return [f"`{m.name}`: {m.summary}; parameters {json.dumps(m.resolve_params(), sort_keys=True)}"
            for m in methods]


def write_table(
    frame: pd.DataFrame,
    table: PaperTable,
    out_dir: Path,
    *,
    context: str,
    methods: Sequence[Denoiser],
    setting: Sequence[str] | None = None,
) -> list[Path]:
    """Write ``table<N>.md``, ``.tex`` and ``.csv``; returns the paths.

    ``setting``: the notes on what the rows are told of the noise (default: the paper's
    setting, Gaussian denoisers told the true sigma; a noise kind's own table says more,
    :func:`benchmark.report.kinds.kind_notes`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"Table {table.number}: {table.caption}"
    notes = [
        context,
        "Measured: mean ± sample std over N test images; PSNR with data range 1, SSIM of Wang "
        "et al. 2004 (scikit-image, Gaussian window sigma 1.5, population covariance); whole "
        "image, background included.",
        *([f"Paper: reported values ({SOURCE}); the paper's own metric code differed, see "
           "benchmark/report/reference/README.md."] if has_paper(frame) else []),
        *(setting if setting is not None else [PAPER_SETTING]),
        *parameter_notes(methods),
    ]
    stem = out_dir / f"table{table.number}"
    paths = [stem.with_suffix(".md"), stem.with_suffix(".tex"), stem.with_suffix(".csv")]
    paths[0].write_text(to_markdown(frame, title, notes))
    paths[1].write_text(to_latex(frame, title))
    frame.drop(columns=[c for c in UNSTABLE_COLUMNS if c in frame]).to_csv(
        paths[2], index=False, float_format="%.6g")
    return paths
