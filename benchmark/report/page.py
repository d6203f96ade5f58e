"""``reports/index.html``: one self-contained page with every table and figure.

Figures are embedded as base64 PNG and styles are inline; a Content-Security-Policy forbids any
other source, so the page opens offline and cannot fetch anything. The tables are rendered from
the same DataFrames as ``table<N>.md`` (:func:`benchmark.report.tables.build_table`), with the same
cell formatting. The page carries no timestamp: the same inputs give the same bytes, so
regenerating a committed report leaves it unchanged.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from benchmark.report import tables as report
from benchmark.report.paper import PaperTable

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 0.5em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25em 0.7em; }
td:not(:first-child), th:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
thead th { border-bottom: 2px solid #444; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .notes { font-size: 0.85em; color: #555; }
.warning { color: #8a4b00; }
nav a { margin-right: 1em; }
"""

# Marks the page once every embedded image has decoded (the headless-browser test reads it).
_SCRIPT = """
window.addEventListener("load", function () {
  var broken = Array.prototype.filter.call(document.images, function (img) {
    return !(img.complete && img.naturalWidth > 0);
  });
  document.body.setAttribute("data-images", broken.length ? "broken" : "ok");
  if (broken.length) { console.error(broken.length + " embedded figure(s) failed to decode"); }
});
"""


@dataclass(frozen=True)
class TableItem:
    """A table for the page: its title, the :func:`benchmark.report.tables.build_table` frame, notes."""

    title: str
    frame: pd.DataFrame
    notes: Sequence[str] = ()
    #: The table's noise setting (and whether the paper reports it), for the visual figures.
    table: PaperTable | None = None


@dataclass(frozen=True)
class FigureItem:
    """A figure for the page: a title, a caption and the PNG bytes."""

    title: str
    caption: str
    png: bytes


@dataclass
class Page:
    """Everything the page shows, in order."""

    title: str
    context: str
    tables: list[TableItem] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: HTML sections shown before the tables, each ready to insert (its text escaped).
    sections: list[str] = field(default_factory=list)
    #: Other pages of the report: ``(title, relative path)``, listed under the title.
    links: list[tuple[str, str]] = field(default_factory=list)
    #: HTML sections shown after the tables (e.g. the generalisation table), ready to insert.
    appendix: list[str] = field(default_factory=list)


def table_html(item: TableItem) -> str:
    """One table as HTML, with the Markdown table's header and cell text."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in report.header(item.frame))
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
        for cells in report._display_rows(item.frame)
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in item.notes)
    return (f"<section><h2>{html.escape(item.title)}</h2>\n<table><thead><tr>{head}</tr></thead>"
            f"\n<tbody>\n{body}\n</tbody></table>\n"
            + (f"<ul class=\"notes\">{notes}</ul>" if notes else "") + "</section>")


def figure_html(item: FigureItem) -> str:
    """One figure as an ``<img>`` with a base64 PNG data URI."""
    data = base64.b64encode(item.png).decode("ascii")
    return (f"<figure><h2>{html.escape(item.title)}</h2>"
            f"<img alt=\"{html.escape(item.title)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{html.escape(item.caption)}</figcaption></figure>")


def render(page: Page) -> str:
    """The whole page as one HTML string."""
    nav = " ".join([f"<a href=\"#t{i}\">{html.escape(t.title.split(':')[0])}</a>"
                    for i, t in enumerate(page.tables)]
                   + [f"<a href=\"#f{i}\">{html.escape(f.title.split(':')[0])}</a>"
                      for i, f in enumerate(page.figures)])
    tables = "\n".join(table_html(t).replace("<section>", f"<section id=\"t{i}\">", 1)
                       for i, t in enumerate(page.tables))
    figures = "\n".join(figure_html(f).replace("<figure>", f"<figure id=\"f{i}\">", 1)
                         for i, f in enumerate(page.figures))
    warnings = "".join(f"<li class=\"warning\">{html.escape(w)}</li>" for w in page.warnings)
    links = "".join(f"<li><a href=\"{html.escape(href)}\">{html.escape(title)}</a></li>"
                    for title, href in page.links)
    sections = "\n".join(page.sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page.title)}</title>
<style>{_STYLE}</style>
</head><body>
<h1>{html.escape(page.title)}</h1>
<p class="notes">{html.escape(page.context)} Made by <code>bench report</code>.</p>
{f'<ul class="notes">{links}</ul>' if links else ''}
<nav>{nav}</nav>
{sections}
{tables}
{chr(10).join(page.appendix)}
{figures}
{f'<h2>Not shown</h2><ul>{warnings}</ul>' if warnings else ''}
<script>{_SCRIPT}</script>
</body></html>
"""


def write_page(page: Page, path: Path) -> Path:
    """Write the page atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(page), encoding="utf-8")
    partial.replace(path)
    return path
