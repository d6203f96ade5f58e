"""The ``report`` workflow: Tables 1-2 (and the figures and page) from the store, computing the
cells it lacks first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.core.errors import BenchError
from benchmark.workflows._split import (Subset, default_reports, default_store, load_split,
                                        store_cells, sweep)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.engine.runner import SweepResult
    from benchmark.report.paper import PaperTable


@dataclass(frozen=True)
class TableResult:
    """One table of a report.

    Attributes
    ----------
    table : PaperTable
        Its number, noise setting and caption.
    frame : pandas.DataFrame
        One row a method (noisy input first): ``ssim_mean``, ``ssim_std``, ``psnr_mean``,
        ``psnr_std``, ``n``, ``failed``, ``seconds``, the paper's values, ...
    paths : list of pathlib.Path
        The files written (``tableN.md``, ``.csv``, ``.tex``).
    """

    table: "PaperTable"
    frame: "pd.DataFrame" = field(repr=False)
    paths: list[Path]


@dataclass(frozen=True)
class ReportResult:
    """What :func:`report` wrote.

    Attributes
    ----------
    subset : Subset
        Dataset, split and image ids reported.
    out : pathlib.Path
        The report folder.
    store : pathlib.Path
        The run store the cells are in.
    tables : list of TableResult
        Tables 1-2, each with its frame and files.
    sweep : SweepResult or None
        The missing cells computed first (``None`` with ``run=False``).
    cells : pandas.DataFrame
        Every stored cell of the subset's images (the tables' input).
    page : pathlib.Path or None
        ``index.html``, when figures were drawn.
    paths : list of pathlib.Path
        Every file written: the tables', then the page.
    """

    subset: Subset
    out: Path
    store: Path
    tables: list[TableResult]
    sweep: "SweepResult | None"
    cells: "pd.DataFrame" = field(repr=False)
    page: Path | None = None
    paths: list[Path] = field(default_factory=list)

    def frame(self, number: int) -> "pd.DataFrame":
        """The frame of Table ``number`` (1: Gaussian, 2: Rician)."""
        for table in self.tables:
            if table.table.number == number:
                return table.frame
        raise BenchError(f"table {number} is not in this report; it has "
                         f"{', '.join(str(t.table.number) for t in self.tables)}")


def prepare_output(folder: Path) -> None:
    """Create the report folder before any work, or explain in one line why it can't be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BenchError(f"--out {folder}: {error.strerror}; give a writable folder") from None


def require_store(store: Path, run: bool) -> None:
    """Without running, the store must exist: an empty table would overwrite a report."""
    if not run and not Path(store).is_file():
        raise BenchError(f"--store {store} does not exist; run without --no-run to compute "
                         "the cells, or give the right store")


def report(*, methods: Sequence[str] | None = None, out: str | Path | None = None,
           run: bool = True, dataset: str = "mni152", data: str | Path | None = None,
           window: str | None = None, strict: bool = False, max_pixels: int | None = None,
        max_voxels: int | None = None, split: str | None = None,
           limit: int | None = None, seed: int = 0, clip: bool = False, jobs: int = 1,
           device: str = "auto", store: str | Path | None = None, sigma_source: str = "oracle",
           figures: bool = True, visual: bool = True, figure_image: str | None = None,
           training_logs: str | Path | None = None, progress_bar: bool = False,
           command: str = "benchmark.report()") -> ReportResult:
    """Regenerate Tables 1-2 (Markdown, CSV, LaTeX) beside the paper's numbers, and the page.

    The same as ``bench report``: the cells the store lacks are computed first (unless
    ``run=False``), then each table is built from the stored cells of this split, seed and
    clipping, matched on each method's current parameters.

    Parameters
    ----------
    methods : sequence of str, optional
        Denoisers in the tables (default: all but the Rician-aware variants, which
        :func:`fair` reports).
    out : str or path, optional
        Report folder (default: the project's ``reports/``).
    run : bool
        Compute missing cells first; ``False`` only reads the store (which must exist).
    figures, visual : bool
        Draw the figures and write ``index.html``; with ``visual``, the visual comparisons
        too (they denoise one image per method).
    figure_image : str, optional
        Test image of the visual comparisons (default: the middle one).
    training_logs : str or path, optional
        Folder of training-log CSVs (default: the shipped weights folder).
    dataset, data, window, strict, split, limit, seed, clip, jobs, device, store, sigma_source
        As for :func:`run`.
    progress_bar : bool
        Show a progress bar of the cells on stderr (nothing is printed otherwise).
    command : str
        Recorded with the run's provenance.

    Returns
    -------
    ReportResult
        The tables' frames and files, the page, the sweep's outcome.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = report(methods=["gaussian-filter"], limit=2, out=folder / "report",
    ...                 store=folder / "bench.sqlite", figures=False)
    >>> [t.table.number for t in result.tables]
    [1, 2]
    >>> frame = result.frame(1).set_index("method")
    >>> int(frame.loc["gaussian-filter", "n"])
    2
    >>> sorted(p.name for p in (folder / "report").iterdir())[:3]
    ['table1.csv', 'table1.md', 'table1.tex']
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.report.paper import TABLES
    from benchmark.report.tables import Selection, build_table, write_table

    # the paper's setting: plain methods by default; the variants are in bench fair
    chosen = resolve_methods(list(methods) if methods else None, variants=False)
    store = Path(store) if store is not None else default_store()
    out = Path(out) if out is not None else default_reports()
    require_store(store, run)
    prepare_output(out)
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels,
                                split=split, limit=limit)
    outcome = None
    if run:
        outcome = sweep(subset, images, [table.noise for table in TABLES], chosen, store=store,
                        seed=seed, clip=clip, jobs=jobs, device=device,
                        sigma_source=sigma_source, progress_bar=progress_bar, command=command)
    cells = store_cells(store, subset)
    selection = Selection(subset.dataset, subset.split, seed, clip, sigma_source)
    context = (f"Data: {subset.dataset}, split {subset.split}; seed {seed}"
               f"{', noisy images clipped to [0, 1]' if clip else ''}; "
               f"sigma source: {sigma_source}.")
    built = []
    for table in TABLES:
        frame = build_table(cells, table, chosen, selection)
        note = context
        errors = frame["sigma_error_mean"].dropna()
        if sigma_source == "estimated" and len(errors):
            note += (f" Mean relative error of the estimated sigma: {errors.mean():+.2%} "
                     "(per method in the CSV's sigma_error_mean).")
        paths = write_table(frame, table, out, context=note, methods=chosen)
        built.append(TableResult(table, frame, list(paths)))
    page = None
    if figures:
        page = _write_figures(out, cells=cells, methods=chosen, selection=selection,
                              tables=built, images=images, context=context,
                              image_ids=subset.ids, device=device, visual=visual,
                              figure_image=figure_image, training_logs=training_logs)
    return ReportResult(subset, out, store, built, outcome, cells, page,
                        [p for t in built for p in t.paths] + ([page] if page else []))


def _write_figures(out: Path, *, cells, methods, selection, tables, images, context, image_ids,
                   device: str, visual: bool, figure_image: str | None,
                   training_logs: str | Path | None) -> Path:
    """Draw the figures and write the page; return the page's path."""
    from benchmark.engine.runner import resolve_device
    from benchmark.report.build import DEFAULT_TRAINING_LOGS, FigureOptions, write_report_page
    from benchmark.report.page import TableItem
    from benchmark.report.tables import parameter_notes

    options = FigureOptions(image_id=figure_image,
                            training_logs=Path(training_logs or DEFAULT_TRAINING_LOGS),
                            visual=visual,
                            device=resolve_device(device, methods))
    notes = [context, "Measured: mean ± sample std over N test images (see table<N>.md beside "
             "this page for every note).", *parameter_notes(methods)]
    items = [TableItem(f"Table {t.table.number}: {t.table.caption}", t.frame, notes)
             for t in tables]
    return write_report_page(cells, methods, selection, items, out, images=images,
                             context=context, options=options, image_ids=image_ids)
