"""The generalisation table: every deep model and the fair classical baseline beyond the training data.

Rows, for each noise setting and each dataset: the noisy input, the fair classical baseline
(:func:`fair_classical`: BM3D, bias-corrected under Rician noise) and every deep image model.
Columns: N (images scored), PSNR and SSIM on the whole image and on the anatomy
(:mod:`benchmark.core.masks`, with each card's own mask recipe), the **mean intensity error
over the anatomy** (mean of ``denoised - clean`` over the mask, averaged over the images: a
signed distortion, negative when the output is darker than the clean image), the PSNR
difference to the classical baseline on the same images, and a note.

The note says when a deep model is evaluated **outside its training domain**: the checkpoint
that serves the noise setting records the dataset card it was trained on (``dataset``, plus the
component cards of a corpus in ``sources``); a dataset whose name is not among them is outside
(another card, or a ``--data`` folder). A model with no checkpoint for the noise is listed with
the reason and the ``bench train`` command, and no cells.

The default report scores :data:`DATASETS`; a report of other data (``bench report --data
PATH``) the same rows on its own images.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Noise
from benchmark.engine.runner import NOISY
from benchmark.engine.store import under_noise
from benchmark.report.folders import dataset_slug

#: The default report's datasets, as (card, split): the MNI152 test split the models were
#: trained beside, and three sets no training reads (docs/data.md has their cards).
DATASETS: tuple[tuple[str, str], ...] = (
    ("mni152", "test"),
    ("dipy-b0", "test"),
    ("pydicom-ct", "test"),
    ("skimage-natural", "test"),
)

#: The fair classical baseline of each noise kind (the best classical method of the fair tables,
#: in the variant and with the parameters that ``bench fair`` chose on 10 MNI152 validation
#: images at Gaussian 0.10 and Rician 0.11: BM3D with its defaults, told the true sigma, and
#: under Rician noise its bias-corrected variant). One place: a kind not listed takes BM3D's
#: own variant for it (``bm3d.<kind>-bc`` first, else the first ``bm3d.<kind>-...``), else
#: ``bm3d``.
FAIR_CLASSICAL: dict[str, str] = {"gaussian": "bm3d", "rician": "bm3d.rician-bc"}

#: Roles of the rows, in the order shown.
ROLES = ("noisy", "classical", "deep")

COLUMNS = ["kind", "sigma", "dataset", "split", "method", "role", "planned", "n", "images",
           "failed", "error", "psnr", "ssim", "psnr_anatomy", "ssim_anatomy",
           "mean_error_anatomy", "psnr_vs_classical", "note"]


def fair_classical(kind: str, names: Sequence[str] | None = None) -> str:
    """The classical baseline of noise ``kind`` (see :data:`FAIR_CLASSICAL`) among the
    registered ``names`` (default: the registry's).

    Examples
    --------
    >>> fair_classical("gaussian"), fair_classical("rician")
    ('bm3d', 'bm3d.rician-bc')
    >>> fair_classical("poisson", names=["bm3d", "bm3d.poisson-anscombe"])
    'bm3d.poisson-anscombe'
    >>> fair_classical("ncchi8", names=["bm3d", "bm3d.ncchi8-vst", "bm3d.ncchi8-bc"])
    'bm3d.ncchi8-bc'
    >>> fair_classical("speckle", names=["bm3d"])
    'bm3d'
    """
    if kind in FAIR_CLASSICAL:
        return FAIR_CLASSICAL[kind]
    if names is None:
        from benchmark.core.registry import method_names

        names = method_names()
    own = [name for name in names if name.startswith(f"bm3d.{kind}-")]
    return f"bm3d.{kind}-bc" if f"bm3d.{kind}-bc" in own else (own[0] if own else "bm3d")


@dataclass(frozen=True)
class TrainingDomain:
    """What a deep model's checkpoint for one noise setting was trained on.

    Attributes
    ----------
    checkpoint : str
        The checkpoint's file name.
    datasets : tuple of str
        Dataset names of its training data: the card (``dataset`` in its metadata) and, for a
        corpus, its component cards (``sources``).
    fingerprint : str
        The training split's fingerprint (``train_fingerprint``), shown in the note.
    """

    checkpoint: str
    datasets: tuple[str, ...]
    fingerprint: str = ""

    def covers(self, dataset: str) -> bool:
        """Whether ``dataset`` is one of the training data's datasets."""
        return dataset in self.datasets


@dataclass(frozen=True)
class Row:
    """One row of a block: which cells it averages, and what is known of its method.

    ``config`` is the cells' config (``"-"`` for the noisy input), None for a row without
    cells (a deep model with no checkpoint for the noise: ``problem`` says why). ``domain``
    is the checkpoint's training domain of a deep model (None when unknown).
    """

    method: str
    role: str
    config: str | None
    domain: TrainingDomain | None = None
    problem: str = ""


@dataclass(frozen=True)
class Block:
    """The rows of one noise setting on one dataset split (``ids``: the images scored)."""

    noise: Noise
    dataset: str
    split: str
    ids: tuple[str, ...]
    rows: tuple[Row, ...]


def domain_note(row: Row, dataset: str) -> str:
    """The note of ``row`` on ``dataset``: why it has no cells, or that ``dataset`` is outside
    its training domain; empty otherwise.

    Examples
    --------
    >>> domain = TrainingDomain("cdae.safetensors", ("mni152",), "06d047027828")
    >>> domain_note(Row("cdae", "deep", "c", domain), "mni152")
    ''
    >>> domain_note(Row("cdae", "deep", "c", domain), "dipy-b0")
    'outside its training domain: trained on mni152 (train fingerprint 06d047027828)'
    """
    if row.problem:
        return row.problem
    if row.role != "deep":
        return ""
    if row.domain is None:
        return "training data not recorded in the checkpoint"
    if row.domain.covers(dataset):
        return ""
    trained = ", ".join(dataset_slug(d) for d in row.domain.datasets) or "unknown data"
    fingerprint = (f" (train fingerprint {row.domain.fingerprint})"
                   if row.domain.fingerprint else "")
    return f"outside its training domain: trained on {trained}{fingerprint}"


def _mean(cells: pd.DataFrame, column: str) -> float:
    if column not in cells or not len(cells):
        return float("nan")
    values = pd.to_numeric(cells[column], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def build_generalisation(cells: pd.DataFrame, blocks: Sequence[Block], *, seed: int = 0,
                         clip: bool = False) -> pd.DataFrame:
    """The table as a DataFrame: one row a (noise, dataset, method), :data:`COLUMNS`.

    Each row averages the ok cells of its method and config over the block's images; ``planned``
    is False for a row without cells (``config`` None); ``n`` counts them, ``failed`` the failed ones (``error`` is the first error). ``psnr_vs_classical``
    is a deep row's PSNR minus the classical row's, over the images both have.

    Examples
    --------
    >>> cells = pd.DataFrame({"dataset": "d", "split": "test", "image_id": ["a", "b"],
    ...     "noise": "gaussian", "sigma": 0.1, "seed": 0, "clip": False, "method": "m",
    ...     "config": "c", "status": "ok", "error": None, "psnr": [30.0, 32.0],
    ...     "ssim": [0.8, 0.9], "mean_error_anatomy": [-0.02, 0.0]})
    >>> block = Block(Noise("gaussian", 0.1), "d", "test", ("a", "b"),
    ...               (Row("m", "classical", "c"),))
    >>> row = build_generalisation(cells, [block]).iloc[0]
    >>> int(row["n"]), float(row["psnr"]), round(float(row["mean_error_anatomy"]), 3)
    (2, 31.0, -0.01)
    """
    rows = []
    for block in blocks:
        mine = cells[(cells["dataset"] == block.dataset) & (cells["split"] == block.split)
                     & cells["image_id"].isin(block.ids) & under_noise(cells, block.noise)
                     & (cells["seed"] == seed) & (cells["clip"] == clip)]
        per_image: dict[str, pd.Series] = {}
        built = []
        for row in block.rows:
            picked = (mine[(mine["method"] == row.method) & (mine["config"] == row.config)]
                      if row.config is not None else mine.iloc[0:0])
            ok = picked[picked["status"] == "ok"]
            bad = picked[picked["status"] != "ok"]
            per_image[row.method] = ok.set_index("image_id")["psnr"].astype(float)
            built.append({
                "kind": block.noise.kind, "sigma": block.noise.sigma,
                "dataset": dataset_slug(block.dataset), "split": block.split,
                "method": row.method, "role": row.role, "planned": row.config is not None,
                "n": int(ok["image_id"].nunique()),
                "images": len(block.ids), "failed": int(len(bad)),
                "error": str(bad["error"].iloc[0]) if len(bad) else "",
                **{column: _mean(ok, column) for column in
                   ("psnr", "ssim", "psnr_anatomy", "ssim_anatomy", "mean_error_anatomy")},
                "note": domain_note(row, block.dataset),
            })
        classical = next((r.method for r in block.rows if r.role == "classical"), None)
        for entry in built:
            entry["psnr_vs_classical"] = float("nan")
            if entry["role"] == "deep" and classical is not None:
                both = per_image[entry["method"]].align(per_image[classical], join="inner")
                if len(both[0]):
                    entry["psnr_vs_classical"] = float((both[0] - both[1]).mean())
        rows += built
    return pd.DataFrame(rows, columns=COLUMNS)


def problems(frame: pd.DataFrame) -> list[str]:
    """One line a row with failed cells or fewer cells than images (rows without cells by
    design, ``planned`` False: a deep model with no checkpoint for the noise, are not
    problems)."""
    lines = []
    for row in frame.itertuples():
        label = f"{row.dataset} ({row.kind} sigma={row.sigma:g}): {row.method}"
        if row.failed:
            lines.append(f"{label}: {row.failed} failed cell(s), e.g. {row.error}")
        elif row.n < row.images and row.planned:
            lines.append(f"{label}: {row.n} of {row.images} images in the store")
    return lines


HEADER = ["Data", "Method", "N", "PSNR dB", "SSIM", "PSNR dB anatomy", "SSIM anatomy",
          "Mean error anatomy", "Δ PSNR vs classical", "Note"]


def _num(value: float, digits: int, sign: bool = False) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def display_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The cell text of each row (the Markdown, LaTeX and HTML tables share it)."""
    label = {NOISY: "Noisy input"}
    return [[row.dataset, label.get(row.method, row.method), str(row.n),
             _num(row.psnr, 2), _num(row.ssim, 4), _num(row.psnr_anatomy, 2),
             _num(row.ssim_anatomy, 4), _num(row.mean_error_anatomy, 4, sign=True),
             _num(row.psnr_vs_classical, 2, sign=True), row.note]
            for row in frame.itertuples()]


def settings(frame: pd.DataFrame, *, shown: bool = True) -> list[tuple[str, float, pd.DataFrame]]:
    """The frame split by noise setting, in order: ``(kind, sigma, rows)``; with ``shown``,
    only the rows the tables show (a model that cannot run under the setting, having no
    checkpoint for it, is named once in the notes instead: :func:`not_run`)."""
    keys = list(dict.fromkeys(zip(frame["kind"], frame["sigma"])))
    if shown:
        frame = frame[frame["planned"].astype(bool)]
    return [(kind, sigma, frame[(frame["kind"] == kind) & (frame["sigma"] == sigma)])
            for kind, sigma in keys]


def not_run(frame: pd.DataFrame) -> list[str]:
    """One line a noise setting naming each deep model that has no row under it, and why (no
    checkpoint covers the noise: the command that trains one)."""
    lines = []
    for kind, sigma, rows in settings(frame, shown=False):
        absent = rows[~rows["planned"].astype(bool)].drop_duplicates("method")
        if len(absent):
            lines.append(f"No row under {kind} sigma={sigma:g}: "
                         + "; ".join(f"{row.method}, {row.note}" for row in absent.itertuples()))
    return lines


TITLE = "Generalisation: deep models and the fair classical baseline beyond the training data"


def notes(frame: pd.DataFrame, context: str = "") -> list[str]:
    """The notes under the table: what the columns are, how rows are chosen, the datasets."""
    kinds = list(dict.fromkeys(frame["kind"]))
    baselines = ", ".join(f"{kind}: {fair_classical(kind)}" for kind in kinds)
    return [
        *([context] if context else []),
        "Mean over N images of each dataset split; PSNR (data range 1) and SSIM (scikit-image, "
        "Gaussian window sigma 1.5) on the whole image and on the anatomy mask of the dataset's "
        "card (the whole image for natural images).",
        "Mean error anatomy: mean of (denoised - clean) over the anatomy mask, averaged over "
        "the images; negative = darker than the clean image. Δ PSNR vs classical: the deep "
        "model's PSNR minus the classical baseline's on the same images.",
        f"Classical baseline (fair setting, told the true sigma): {baselines}; "
        "benchmark/report/generalisation.py FAIR_CLASSICAL.",
        "Note 'outside its training domain': the dataset is not the one the checkpoint for this "
        "noise was trained on (its metadata 'dataset', and 'sources' for a corpus).",
        *not_run(frame),
    ]


def to_markdown(frame: pd.DataFrame, context: str = "") -> str:
    """The table as Markdown: one section a noise setting, then the notes."""
    lines = [f"# {TITLE}", ""]
    for kind, sigma, rows in settings(frame):
        lines += [f"## {kind} sigma={sigma:g}", "", "| " + " | ".join(HEADER) + " |",
                  "|---|---|" + "---:|" * (len(HEADER) - 3) + "---|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in display_rows(rows)]
        lines.append("")
    lines += [f"- {note}" for note in notes(frame, context)]
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    return (text.replace("\\", r"\textbackslash{}").replace("&", r"\&").replace("_", r"\_")
            .replace("%", r"\%").replace("Δ", r"$\Delta$").replace("–", "--"))


def to_latex(frame: pd.DataFrame) -> str:
    """A booktabs LaTeX table, one block a noise setting."""
    body = []
    for kind, sigma, rows in settings(frame):
        body += [r"\midrule", rf"\multicolumn{{{len(HEADER)}}}{{l}}{{{kind} $\sigma$={sigma:g}}} \\",
                 r"\midrule"]
        body += [" & ".join(_tex(c) for c in cells) + r" \\" for cells in display_rows(rows)]
    return "\n".join([
        r"\begin{table}[t]", r"\centering", rf"\caption{{{_tex(TITLE)}}}",
        r"\begin{tabular}{ll" + "r" * (len(HEADER) - 3) + "l}", r"\toprule",
        " & ".join(_tex(h) for h in HEADER) + r" \\", *body,
        r"\bottomrule", r"\end{tabular}", r"\end{table}", "",
    ])


def to_html(frame: pd.DataFrame, context: str = "") -> str:
    """The table as an HTML section for ``index.html`` (every text escaped)."""
    parts = [f"<section id=\"generalisation\"><h2>{html.escape(TITLE)}</h2>"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    for kind, sigma, rows in settings(frame):
        body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
                         for cells in display_rows(rows))
        parts.append(f"<h3>{html.escape(f'{kind} sigma={sigma:g}')}</h3>\n<table><thead><tr>"
                     f"{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>")
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes(frame, context))
    parts.append(f"<ul class=\"notes\">{items}</ul></section>")
    return "\n".join(parts)


def write_generalisation(frame: pd.DataFrame, out_dir: Path, *, context: str = "") -> list[Path]:
    """Write ``generalisation.md``, ``.tex`` and ``.csv`` into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "generalisation.md", out_dir / "generalisation.tex",
             out_dir / "generalisation.csv"]
    paths[0].write_text(to_markdown(frame, context))
    paths[1].write_text(to_latex(frame))
    frame.to_csv(paths[2], index=False, float_format="%.6g")
    return paths
