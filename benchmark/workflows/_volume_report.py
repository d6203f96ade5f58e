"""The volume report: ``bench report --volumes``, whole volumes instead of slices.

1. Runs the cells the store lacks: one a volume, noise setting and method; the 3-D methods on
   each volume, every image method slice by slice (:mod:`benchmark.data.volumes`).
2. Writes a table a noise setting (``volumes-<kind>-<sigma>.md/.csv``,
   :mod:`benchmark.report.volume_tables`) into the report's own folder
   (``reports/mni152-volumes`` for the MNI152 test slabs).
3. Draws the orthogonal views of one volume (clean, noisy, the best slice-wise and the best
   3-D method by mean PSNR, denoised again for the figure) and writes ``index.html``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.core.errors import BenchError
from benchmark.workflows._report import chosen_noises, prepare_output, report_out, require_store
from benchmark.workflows._split import (Subset, check_noise_data, default_reports,
                                        default_store, load_split, store_cells, sweep)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.core.contract import Denoiser, Noise
    from benchmark.engine.runner import SweepResult


@dataclass(frozen=True)
class VolumeTable:
    """One noise setting's table: its noise, the frame
    (:func:`benchmark.report.volume_tables.build_volume_table`) and its files."""

    noise: "Noise"
    frame: "pd.DataFrame" = field(repr=False)
    paths: list[Path]


@dataclass(frozen=True)
class VolumeReportResult:
    """What :func:`volume_report` wrote: the tables, the page, the sweep (``None`` with
    ``run=False``) and one line a row with failed or missing cells in ``incomplete`` (``bench
    report`` then exits with status 1)."""

    subset: Subset
    out: Path
    store: Path
    tables: list[VolumeTable]
    sweep: "SweepResult | None"
    cells: "pd.DataFrame" = field(repr=False)
    page: Path | None = None
    incomplete: list[str] = field(default_factory=list)

    def frame(self, noise: "Noise") -> "pd.DataFrame":
        """The table of ``noise``."""
        for table in self.tables:
            if table.noise == noise:
                return table.frame
        raise BenchError(f"{noise} is not in this report; it has "
                         f"{', '.join(str(t.noise) for t in self.tables)}")


def volume_report(*, methods: Sequence[str] | None = None,
                  noise: str | Sequence[str] | None = None,
                  sigma: float | str | Sequence[float | str] | None = None,
                  out: str | Path | None = None, run: bool = True, dataset: str = "mni152",
                  data: str | Path | None = None, window: str | None = None,
                  strict: bool = False, max_pixels: int | None = None,
                  max_voxels: int | None = None, split: str | None = None,
                  limit: int | None = None, seed: int = 0, clip: bool = False, jobs: int = 1,
                  device: str = "auto", store: str | Path | None = None,
                  sigma_source: str = "oracle", figures: bool = True,
                  figure_image: str | None = None, progress_bar: bool = False,
                  executor: str = "process", scheduler: str | None = None,
                  command: str = "benchmark.report(volumes=True)") -> VolumeReportResult:
    """The volume tables, figure and page (``bench report --volumes``); see the module.

    The options are :func:`benchmark.workflows.report`'s; ``methods`` defaults to every plain
    method that runs on volumes (3-D methods, and image methods slice-wise), ``noise`` and
    ``sigma`` to Gaussian 0.10 and Rician 0.11, ``figure_image`` to the middle volume.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = volume_report(methods=["gaussian-filter", "gaussian-3d"], noise="gaussian",
    ...                        sigma=0.1, limit=1, out=folder / "volumes",
    ...                        store=folder / "bench.sqlite", figures=False)
    >>> frame = result.tables[0].frame.set_index("method")
    >>> frame["runs"].tolist(), frame["n"].tolist()
    (['–', 'slice-wise', '3-D'], [1, 1, 1])
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.report.folders import Setting, dataset_slug, report_folder
    from benchmark.report.paper import TABLES
    from benchmark.report.volume_tables import build_volume_table, write_volume_table

    chosen = resolve_methods(list(methods) if methods else None, variants=False, data="volume")
    store = Path(store) if store is not None else default_store()
    require_store(store, run)
    noises = chosen_noises(noise, sigma) or tuple(t.noise for t in TABLES)
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels, split=split,
                                limit=limit, volumes=True)
    check_noise_data(subset, noises)
    if figure_image is not None and figure_image not in subset.ids:
        raise BenchError(f"--figure-image {figure_image!r} is not a volume of this split; give "
                         f"one of: {', '.join(subset.ids[:5])}")
    setting = Setting(subset.dataset, subset.split, limit,
                      None if noise is None else noises, seed, clip, sigma_source,
                      tuple(m.name for m in chosen) if methods else None, figure_image,
                      volumes=True)
    out, _ = report_out(out, report_folder(default_reports(), setting), "volume reports")
    prepare_output(out)
    outcome = None
    if run:
        outcome = sweep(subset, images, noises, chosen, store=store, seed=seed, clip=clip,
                        jobs=jobs, device=device, sigma_source=sigma_source,
                        progress_bar=progress_bar, command=command, executor=executor,
                        scheduler=scheduler)
    cells = store_cells(store, subset)
    context = (f"Data: {dataset_slug(subset.dataset)}, split {subset.split}, "
               f"{len(subset.ids)} volume(s); seed {seed}"
               f"{', noisy volumes clipped to [0, 1]' if clip else ''}; "
               f"sigma source: {sigma_source}.")
    tables, incomplete = [], []
    for setting_noise in noises:
        applying = [m for m in chosen if m.applies_to(setting_noise.kind)]
        frame = build_volume_table(cells, setting_noise, applying, seed=seed, clip=clip,
                                   sigma_source=sigma_source)
        for _, row in frame.iterrows():
            if row["failed"] or row["n"] < len(subset.ids):
                incomplete.append(f"{setting_noise}: {row['method']}: {row['n']} of "
                                  f"{len(subset.ids)} volumes, {row['failed']} failed"
                                  + (f", e.g. {row['error']}" if row["error"] else ""))
        tables.append(VolumeTable(setting_noise, frame,
                                  write_volume_table(frame, setting_noise, out,
                                                     context=context)))
    page = None
    if figures:
        page = _write_page(out, tables, images, subset, context=context, seed=seed, clip=clip,
                           device=device, figure_image=figure_image)
    return VolumeReportResult(subset, out, store, tables, outcome, cells, page, incomplete)


def _write_page(out: Path, tables: list[VolumeTable], images, subset: Subset, *, context: str,
                seed: int, clip: bool, device: str, figure_image: str | None) -> Path:
    """Draw each setting's orthogonal views and write ``index.html``; return its path."""
    import html

    from benchmark.core.contract import Noise
    from benchmark.core.noise import add_noise, get_noise_model
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import resolve_device
    from benchmark.report.figures import save_png
    from benchmark.report.page import FigureItem, Page, write_page
    from benchmark.report.volume_figures import plot_orthogonal
    from benchmark.report.volume_tables import (HEADER, best, display_rows, table_notes,
                                                table_stem)

    volume_id = figure_image or subset.ids[len(subset.ids) // 2]
    clean = images().image(volume_id)
    sections, figure_items = [], []
    for table in tables:
        noise: Noise = table.noise
        noisy = add_noise(clean, noise, image_id=volume_id, seed=seed, clip=clip)
        reference = get_noise_model(noise.kind).reference(clean)
        shown = {"clean" if reference is clean else "noiseless reference": reference,
                 f"noisy ({noise})": noisy}
        for runs in ("slice-wise", "3-D"):
            name = best(table.frame, runs)
            if name is None:
                continue
            method = get_method(name)
            stack = noisy if runs == "slice-wise" else noisy[None]
            estimate = method(stack, noise, device=resolve_device(device, [method]))
            shown[f"{name} ({runs})"] = estimate if runs == "slice-wise" else estimate[0]
        png = save_png(plot_orthogonal(shown, title=f"{volume_id}, {noise}"),
                       out / "figures" / f"{table_stem(noise)}-views.png")
        figure_items.append(FigureItem(
            f"Orthogonal views: {noise}",
            f"Planes through the centre of {volume_id}: clean, noisy, the best slice-wise and "
            "the best 3-D method by mean PSNR over the volumes (grey levels 0-1).", png))
        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
        body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row)
                         + "</tr>" for row in display_rows(table.frame))
        stem = html.escape(table_stem(noise))
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in table_notes(context)[1:])
        sections.append(f"<section id=\"{stem}\"><h2>Volumes, {html.escape(str(noise))}</h2>"
                        f"<p class=\"notes\"><a href=\"{stem}.md\">{stem}.md</a> · "
                        f"<a href=\"{stem}.csv\">{stem}.csv</a></p>\n<table><thead><tr>{head}"
                        f"</tr></thead>\n<tbody>\n{body}\n</tbody></table>"
                        f"<ul class=\"notes\">{notes}</ul></section>")
    page = Page("Denoising whole volumes", context, figures=figure_items, sections=sections)
    return write_page(page, out / "index.html")
