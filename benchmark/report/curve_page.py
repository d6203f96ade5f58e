"""The curve report's ``index.html``: the headline, a table pair a level, the figures.

Built on :mod:`benchmark.report.page` (self-contained, embedded PNGs, no timestamp); the tables
show the same text as the Markdown files (:func:`benchmark.report.curve_tables.display_rows`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from benchmark.core.contract import Noise
from benchmark.report.curve_tables import (CURVE_HEADER, PK_HEADER, curve_table_stem,
                                           display_rows, table_notes)
from benchmark.report.page import FigureItem, Page, write_page


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in rows)
    return f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def level_section(frame: pd.DataFrame, noise: Noise) -> str:
    """One level's curve-error and PK tables as an HTML section, linking its files."""
    curve, pk = display_rows(frame)
    stem = html.escape(curve_table_stem(noise))
    return (f"<section id=\"{stem}\"><h2>DCE curves at {100 * noise.sigma:g}% noise</h2>"
            f"<p class=\"notes\"><a href=\"{stem}.md\">{stem}.md</a> · "
            f"<a href=\"{stem}.csv\">{stem}.csv</a></p>\n<h3>Curve errors</h3>\n"
            f"{_table(CURVE_HEADER, curve)}\n<h3>Pharmacokinetic parameters</h3>\n"
            f"{_table(PK_HEADER, pk)}</section>")


def write_curve_page(frames: Mapping[Noise, pd.DataFrame], out_dir: Path, *, context: str,
                     summary: str, figures: Sequence[FigureItem] = (),
                     warnings: Sequence[str] = (),
                     links: Sequence[tuple[str, str]] = ()) -> Path:
    """Write ``out_dir/index.html``: the headline sentence, the notes, every level's tables,
    then the figures; returns its path."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in table_notes(context)[1:])
    head = (f"<section id=\"summary\"><h2>Summary</h2><p>{html.escape(summary)}</p>"
            f"<ul class=\"notes\">{notes}</ul></section>")
    sections = [head] + [level_section(frame, noise) for noise, frame in frames.items()]
    page = Page("DCE-MRI curve denoising benchmark", context, figures=list(figures),
                warnings=list(warnings), sections=sections, links=list(links))
    return write_page(page, out_dir / "index.html")
