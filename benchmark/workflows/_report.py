"""The ``report`` workflow: Tables 1-2 (and the figures and page) from the store, computing the
cells it lacks first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.core.errors import BenchError
from benchmark.workflows._split import (Subset, check_noise_data, default_reports,
                                        default_store, load_split,
                                        make_noises, store_cells, sweep)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.core.contract import Denoiser, Noise
    from benchmark.engine.runner import SweepResult
    from benchmark.report.folders import Setting
    from benchmark.report.paper import PaperTable
    from benchmark.report.tables import Selection
    from benchmark.workflows._curve_report import CurveReportResult
    from benchmark.workflows._generalise import GeneralisationResult
    from benchmark.workflows._volume_report import VolumeReportResult


@dataclass(frozen=True)
class TableResult:
    """One table of a report.

    Attributes
    ----------
    table : PaperTable
        Its number, noise setting and caption.
    frame : pandas.DataFrame
        One row a method (noisy input first): ``ssim_mean``, ``ssim_std``, ``psnr_mean``,
        ``psnr_std``, ``n``, ``failed``, ``error``, ``seconds``, the paper's values (only for a
        table the paper reports), ...
    paths : list of pathlib.Path
        The files written (``tableN.md``, ``.csv``, ``.tex``; none when the report was not
        written).
    left_out : dict
        A noise kind's table (Table 3 onward): the methods without a row, as they cannot
        denoise its noise here, and why (a deep model no checkpoint covers: the command that
        trains one).
    notes : list of str
        A noise kind's table: its data, then what its rows are (empty for Tables 1-2).
    """

    table: "PaperTable"
    frame: "pd.DataFrame" = field(repr=False)
    paths: list[Path]
    left_out: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportResult:
    """What :func:`report` wrote.

    Attributes
    ----------
    subset : Subset
        Dataset, split and image ids reported.
    out : pathlib.Path
        The report folder: the default report's for the default setting, else a folder of its
        own named after what differs (:mod:`benchmark.report.folders`).
    store : pathlib.Path
        The run store the cells are in.
    tables : list of TableResult
        The tables (1-2 at the paper's settings, then one a further noise kind, Table 3
        onward; one a noise setting otherwise), each with its frame and files.
    sweep : SweepResult or None
        The missing cells computed first, every table's and the further kinds' curves'
        together (``None`` with ``run=False``).
    cells : pandas.DataFrame
        Every stored cell of the subset's images (Tables 1-2's input).
    page : pathlib.Path or None
        ``index.html``, when figures were drawn.
    paths : list of pathlib.Path
        Every file written: the tables', then the page.
    incomplete : list of str
        One line a row with failed cells, or with fewer cells than images ("Table 1
        (gaussian sigma=0.1): tv: 2 failed cell(s), e.g. ..."); empty when every row is
        complete. ``bench report`` exits with status 1 when there is any.
    written : bool
        Whether the tables were written: False only for the default report with incomplete
        rows and ``allow_failed=False`` (the committed report is left as it was).
    generalisation : GeneralisationResult or None
        The generalisation table (every deep model and the fair classical baseline on data
        beyond the training set), when the report has one (see ``generalisation`` of
        :func:`report`).
    """

    subset: Subset
    out: Path
    store: Path
    tables: list[TableResult]
    sweep: "SweepResult | None"
    cells: "pd.DataFrame" = field(repr=False)
    page: Path | None = None
    paths: list[Path] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    written: bool = True
    generalisation: "GeneralisationResult | None" = None

    def frame(self, number: int) -> "pd.DataFrame":
        """The frame of Table ``number`` (1: Gaussian, 2: Rician, 3 onward: further kinds)."""
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
    """The store must be ours (or new), before any output is made; without running, it must
    exist: an empty table would overwrite a report."""
    from benchmark.engine.store import Store

    Store(store).check()
    if not run and not Path(store).is_file():
        raise BenchError(f"--store {store} does not exist; run without --no-run to compute "
                         "the cells, or give the right store")


def report_out(out: str | Path | None, folder: Path, what: str) -> tuple[Path, bool]:
    """The folder to write: ``out``, else ``folder`` (the setting's own); and whether it is the
    default report's folder.

    ``out`` may name the default report's folder only when ``folder`` is that folder: the
    output of another setting never goes over the default report.
    """
    base = default_reports()
    chosen = Path(out) if out is not None else folder
    if chosen.exists() and not chosen.is_dir():
        raise BenchError(f"--out {chosen} is a file; give a folder (a new one is made)")
    protected = chosen.resolve() == base.resolve()
    if protected and folder.resolve() != base.resolve():
        raise BenchError(f"--out {chosen} is the default report's folder; {what} go to "
                         f"{folder} (drop --out) or another folder")
    return chosen, protected


def chosen_noises(noise: str | Sequence[str] | None,
                  sigma: float | str | Sequence[float | str] | None) -> "tuple[Noise, ...] | None":
    """The tables' noise settings: None for the paper's, else every ``noise`` x ``sigma``."""
    from benchmark.report.paper import TABLES

    if (noise is None) != (sigma is None):
        raise BenchError("--noise and --sigma go together (one table a kind and level); give "
                         "both, or neither for the paper's settings")
    if noise is None:
        return None
    kinds = [noise] if isinstance(noise, str) else list(noise)
    sigmas = [sigma] if isinstance(sigma, (str, int, float)) else list(sigma)
    if not kinds or not sigmas:
        raise BenchError("--noise and --sigma need at least one kind and one level each")
    noises = tuple(dict.fromkeys(n for kind in dict.fromkeys(kinds)
                                 for n in make_noises(kind, sigmas)))
    return None if noises == tuple(t.noise for t in TABLES) else noises


def report(*, methods: Sequence[str] | None = None, noise: str | Sequence[str] | None = None,
           sigma: float | str | Sequence[float | str] | None = None,
           out: str | Path | None = None, run: bool = True, allow_failed: bool = False,
           dataset: str = "mni152", data: str | Path | None = None,
           window: str | None = None, strict: bool = False, max_pixels: int | None = None,
           max_voxels: int | None = None, split: str | None = None,
           limit: int | None = None, seed: int = 0, clip: bool = False, jobs: int = 1,
           device: str = "auto", store: str | Path | None = None, sigma_source: str = "oracle",
           figures: bool = True, visual: bool = True, figure_image: str | None = None,
           training_logs: str | Path | None = None, val_limit: int | None = None,
           volumes: bool = False, progress_bar: bool = False, executor: str = "process",
           scheduler: str | None = None, generalisation: bool | None = None,
           command: str = "benchmark.report()", kinds: Sequence[str] | None = None,
           ) -> "ReportResult | CurveReportResult | VolumeReportResult":
    """Regenerate Tables 1-2 (Markdown, CSV, LaTeX) beside the paper's numbers, the tables of
    the further noise kinds (Table 3 onward), and the page.

    For a card of DCE-MRI curves (``dataset="dce-sim"``) it makes the curve report instead
    (:func:`benchmark.workflows._curve_report.curve_report`: relative-Gaussian noise at 5-50% by
    default, ``sigma`` alone choosing the levels, tuned rows for the classical 1-D methods) and
    returns a :class:`CurveReportResult`.

    The same as ``bench report``: the cells the store lacks are computed first (unless
    ``run=False``), then each table is built from the stored cells of this split, seed and
    clipping, matched on each method's current parameters.

    The default report (MNI152 test split, the paper's noise settings, seed 0, every plain
    method, ...) goes to ``reports/`` in the working folder and is rewritten only when every
    row is complete (or with ``allow_failed``); a report of any other setting goes to a folder
    of its own under it (:mod:`benchmark.report.folders`), without the paper's columns unless it is
    of the paper's data and noise settings.

    With the paper's noise settings on the MNI152 card (no ``noise``, no ``data``), each
    further noise kind with a ``report_level`` gets a table of its own (Table 3 onward, in
    registration order, on its model's ``default_dataset`` split with the same ``split``,
    ``limit`` and seed), its noise-level curves over its ``report_levels`` and a visual
    comparison (:mod:`benchmark.report.kinds`); their cells are computed too. A deep model no
    checkpoint covers has no row there, and a note says which command trains one.

    Parameters
    ----------
    methods : sequence of str, optional
        Denoisers in the tables (default: all but the Rician-aware variants, which
        :func:`fair` reports).
    noise : str or sequence of str, optional
        Noise kinds of the tables, with ``sigma``: one table a kind and level, in that order
        (default: the paper's settings, Gaussian 0.10 and Rician 0.11).
    sigma : float or sequence of float, optional
        Noise levels of the tables, with ``noise``.
    out : str or path, optional
        Report folder (default: ``reports/`` in the working folder for the default setting,
        else ``reports/<what differs>``). It may be the default report's folder only for the
        default setting.
    run : bool
        Compute missing cells first; ``False`` only reads the store (which must exist).
    allow_failed : bool
        Write the default report even when some rows have failed or missing cells
        (``incomplete`` still lists them). Reports of other settings are always written.
    figures, visual : bool
        Draw the figures and write ``index.html``; with ``visual``, the visual comparisons
        too (they denoise one image per method).
    figure_image : str, optional
        Test image of the visual comparisons (default: the middle one).
    training_logs : str or path, optional
        Folder of training-log CSVs (default: the shipped weights folder).
    val_limit : int, optional
        Curve report only: validation blocks the classical 1-D methods are tuned on (default:
        the whole validation split).
    volumes : bool
        The volume report instead (:func:`benchmark.workflows._volume_report.volume_report`):
        one cell a whole volume, 3-D methods and the image methods slice-wise, a table a
        noise setting and orthogonal views, in a folder of its own
        (``reports/mni152-volumes`` for the MNI152 test slabs); returns a
        :class:`VolumeReportResult`.
    dataset, data, window, strict, split, limit, seed, clip, jobs, device, store, sigma_source
        As for :func:`run`.
    executor, scheduler
        Where CPU cells run, as for :func:`run`.
    progress_bar : bool
        Show a progress bar of the cells on stderr (nothing is printed otherwise).
    generalisation : bool, optional
        Add the generalisation table (``generalisation.md/.tex/.csv`` and a section of the
        page; :func:`benchmark.workflows._generalise.generalisation`): on the MNI152 card, the
        datasets of :data:`benchmark.report.generalisation.DATASETS`; on other data, that data.
        Default (None): for the default report, and for a report of other data unless
        ``methods`` narrows it.
    command : str
        Recorded with the run's provenance.
    kinds : sequence of str, optional
        Only these further noise kinds get tables (default: every kind with a report level;
        ``()``: Tables 1-2 only). Their tables keep their numbers.

    Returns
    -------
    ReportResult
        The tables' frames and files, the page, the sweep's outcome, the incomplete rows.

    Raises
    ------
    BenchError
        For ``noise`` without ``sigma`` (or the reverse), or ``out`` naming the default
        report's folder for another setting.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = report(methods=["gaussian-filter"], limit=2, out=folder / "report",
    ...                 store=folder / "bench.sqlite", figures=False)
    >>> [t.table.number for t in result.tables][:3]
    [1, 2, 3]
    >>> frame = result.frame(1).set_index("method")
    >>> int(frame.loc["gaussian-filter", "n"])
    2
    >>> sorted(p.name for p in (folder / "report").iterdir())[:3]
    ['table1.csv', 'table1.md', 'table1.tex']
    >>> result.incomplete, result.written
    ([], True)
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.report.folders import PAPER_DATASET, Setting, report_folder
    from benchmark.report.paper import tables_for
    from benchmark.report.kinds import kind_notes
    from benchmark.report.tables import Selection, build_table, problems, write_table
    from benchmark.engine.executors import check_executor
    from benchmark.workflows._curve_report import curve_report, is_curve_card

    check_executor(executor, scheduler)
    if generalisation and (volumes or is_curve_card(dataset, data)):
        raise BenchError("--generalisation applies to image reports (slices of a card or of "
                         "--data), not to --volumes or a curve card")
    if volumes:
        if val_limit is not None or training_logs is not None:
            raise BenchError("--val-limit and --training-logs do not apply to --volumes")
        from benchmark.workflows._volume_report import volume_report

        return volume_report(methods=methods, noise=noise, sigma=sigma, out=out, run=run,
                             dataset=dataset, data=data, window=window, strict=strict,
                             max_pixels=max_pixels, max_voxels=max_voxels, split=split,
                             limit=limit, seed=seed, clip=clip, jobs=jobs, device=device,
                             store=store, sigma_source=sigma_source, figures=figures,
                             figure_image=figure_image, progress_bar=progress_bar,
                             executor=executor, scheduler=scheduler, command=command)
    if is_curve_card(dataset, data):  # a card of DCE curves has a report of its own
        if clip or sigma_source != "oracle":
            raise BenchError("--clip and --sigma-source estimated apply to images; the curve "
                             "report gives the methods the true level, unclipped")
        return curve_report(methods=methods, noise=noise, sigma=sigma, out=out, run=run,
                            dataset=dataset, split=split, limit=limit, seed=seed, jobs=jobs,
                            device=device, store=store, figures=figures,
                            val_limit=val_limit, progress_bar=progress_bar, command=command,
                            executor=executor, scheduler=scheduler)
    if val_limit is not None:
        raise BenchError("--val-limit applies to the curve report (a curve card such as "
                         "dce-sim); the image tables are not tuned (see bench fair)")
    if generalisation and sigma_source != "oracle":
        raise BenchError("--generalisation scores the methods told the true sigma; drop "
                         "--sigma-source estimated or --generalisation")
    # the paper's setting: plain methods by default; the variants are in bench fair
    chosen = resolve_methods(list(methods) if methods else None, variants=False, data="image")
    store = Path(store) if store is not None else default_store()
    require_store(store, run)
    if training_logs is not None and not Path(training_logs).is_dir():
        raise BenchError(f"--training-logs {training_logs} is not a folder; give the folder of "
                         "the training-log CSVs, or drop it for the shipped ones")
    noises = chosen_noises(noise, sigma)
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels,
                                split=split, limit=limit)
    if noises is not None:
        check_noise_data(subset, noises)
    if figure_image is not None and figure_image not in subset.ids:
        shown = ", ".join(subset.ids[:5]) + (", ..." if len(subset.ids) > 5 else "")
        raise BenchError(f"--figure-image {figure_image!r} is not an image of this split; give "
                         f"one of: {shown}")
    setting = Setting(subset.dataset, subset.split, limit, noises, seed, clip, sigma_source,
                      tuple(m.name for m in chosen) if methods else None, figure_image)
    out, protected = report_out(out, report_folder(default_reports(), setting),
                                "reports of another setting")
    prepare_output(out)
    tables = tables_for(noises, paper_data=setting.is_paper_data)
    plans = []
    if noises is None and data is None and subset.dataset == PAPER_DATASET:
        from benchmark.workflows._kinds import plan_kinds

        plans = plan_kinds(chosen, kinds=kinds, split=split, limit=limit,
                           loaded=(subset, images))
    outcome = None
    if run:
        outcome = sweep(subset, images, [table.noise for table in tables], chosen, store=store,
                        seed=seed, clip=clip, jobs=jobs, device=device,
                        sigma_source=sigma_source, progress_bar=progress_bar, command=command,
                        executor=executor, scheduler=scheduler)
        if plans:
            from benchmark.workflows._kinds import run_kinds

            outcome = _merged([outcome, *run_kinds(
                plans, store, seed=seed, clip=clip, jobs=jobs, device=device,
                sigma_source=sigma_source, progress_bar=progress_bar, command=command,
                executor=executor, scheduler=scheduler)])
    cells = store_cells(store, subset)
    selection = Selection(subset.dataset, subset.split, seed, clip, sigma_source)
    context = _context(subset, seed, clip, sigma_source)
    # each table's rows: the chosen methods that apply to its noise (srad, say, to speckle only)
    parts = [_Part(table, [m for m in chosen if m.applies_to(table.noise.kind)], cells,
                   selection, subset, context) for table in tables]
    for kind in plans:
        here = cells if kind.subset == subset else store_cells(store, kind.subset)
        parts.append(_Part(kind.table, kind.rows, here,
                           Selection(kind.subset.dataset, kind.subset.split, seed, clip,
                                     sigma_source),
                           kind.subset, _context(kind.subset, seed, clip, sigma_source),
                           kind_notes(kind.table, kind.rows, kind.left_out), kind.left_out))
    frames = [build_table(part.cells, part.table, part.rows, part.selection) for part in parts]
    incomplete = [f"Table {part.table.number} ({part.table.noise}): {line}"
                  for part, frame in zip(parts, frames)
                  for line in problems(frame, len(part.subset.ids))]
    general = None
    if _wants_generalisation(generalisation, setting, methods, sigma_source):
        general = _generalisation(setting, data=data, window=window, strict=strict,
                                  max_pixels=max_pixels, max_voxels=max_voxels, split=split,
                                  limit=limit, noises=[t.noise for t in tables], run=run,
                                  seed=seed, clip=clip, jobs=jobs, device=device, store=store,
                                  progress_bar=progress_bar, executor=executor,
                                  scheduler=scheduler, command=command)
        incomplete += [f"Generalisation: {line}" for line in general.incomplete]
    if incomplete and protected and not allow_failed:  # the committed report stays as it is
        return ReportResult(subset, out, store, [part.result(frame, []) for part, frame
                                                 in zip(parts, frames)],
                            outcome, cells, incomplete=incomplete, written=False,
                            generalisation=general)
    built = []
    for part, frame in zip(parts, frames):
        note = part.context
        errors = frame["sigma_error_mean"].dropna()
        if sigma_source == "estimated" and len(errors):
            note += (f" Mean relative error of the estimated sigma: {errors.mean():+.2%} "
                     "(per method in the CSV's sigma_error_mean).")
        paths = write_table(frame, part.table, out, context=note, methods=part.rows,
                            setting=part.setting)
        built.append(part.result(frame, list(paths)))
    general_paths = []
    if general is not None:
        from benchmark.report.generalisation import write_generalisation

        general_paths = write_generalisation(general.frame, out, context=general.context)
    page = None
    if figures:
        from benchmark.report.build import KindFigures

        own = {part.table.number: part for part in parts}
        figures_of_kinds = [KindFigures(kind.table, kind.curve, kind.levels,
                                        own[kind.table.number].selection,
                                        own[kind.table.number].cells, kind.images,
                                        kind.subset.ids, kind.absent, kind.panel)
                            for kind in plans]
        page = _write_figures(out, cells=cells, methods=chosen, selection=selection,
                              tables=built, images=images, context=context,
                              image_ids=subset.ids, device=device, visual=visual,
                              figure_image=figure_image, training_logs=training_logs,
                              keep_curves=protected, kinds=figures_of_kinds,
                              appendix=[general.html] if general is not None else [])
    return ReportResult(subset, out, store, built, outcome, cells, page,
                        [p for t in built for p in t.paths] + general_paths
                        + ([page] if page else []),
                        incomplete=incomplete, generalisation=general)


def _wants_generalisation(asked: bool | None, setting: "Setting",
                          methods: Sequence[str] | None, sigma_source: str) -> bool:
    """Whether the report has the generalisation table: as asked, else for the default
    report and for a report of other data, when ``--methods`` did not narrow the rows."""
    if asked is not None:
        return asked
    if sigma_source != "oracle":
        return False
    return not methods and (setting.is_default or setting.dataset != "mni152")


def _generalisation(setting: "Setting", *, data, window, strict, max_pixels, max_voxels, split,
                    limit, noises, run, seed, clip, jobs, device, store, progress_bar, executor,
                    scheduler, command) -> "GeneralisationResult":
    """The report's generalisation table: the default datasets for the MNI152 card (its
    first ``limit`` images each), else the report's own data."""
    from benchmark.report.folders import dataset_slug
    from benchmark.workflows._generalise import generalisation

    common = dict(limit=limit, noises=noises, run=run, seed=seed, clip=clip, jobs=jobs,
                  device=device, store=store, progress_bar=progress_bar, executor=executor,
                  scheduler=scheduler, command=command)
    where = (f"Seed {seed}{', noisy images clipped to [0, 1]' if clip else ''}; the methods "
             "are told the true sigma.")
    if data is None and setting.dataset == "mni152":
        return generalisation(context=where, **common)
    if data is not None:
        return generalisation(data=data, window=window, strict=strict, max_pixels=max_pixels,
                              max_voxels=max_voxels, split=split,
                              context=f"Data: {dataset_slug(setting.dataset)}. {where}",
                              **common)
    return generalisation(datasets=[(setting.dataset, setting.split)],
                          context=f"Data: {setting.dataset}, split {setting.split}. {where}",
                          **common)


@dataclass(frozen=True)
class _Part:
    """One table to build: its rows, the cells it reads, its data and its notes."""

    table: "PaperTable"
    rows: Sequence["Denoiser"]
    cells: "pd.DataFrame"
    selection: "Selection"
    subset: Subset
    context: str
    #: What the rows are told of the noise (None: the paper's setting, Tables 1-2).
    setting: list[str] | None = None
    left_out: dict[str, str] = field(default_factory=dict)

    def result(self, frame: "pd.DataFrame", paths: list[Path]) -> TableResult:
        notes = [self.context, *self.setting] if self.setting is not None else []
        return TableResult(self.table, frame, paths, dict(self.left_out), notes)


def _context(subset: Subset, seed: int, clip: bool, sigma_source: str) -> str:
    """The line on a table's data under it and on the page."""
    from benchmark.report.folders import dataset_slug

    return (f"Data: {dataset_slug(subset.dataset)}, split {subset.split}; seed {seed}"
            f"{', noisy images clipped to [0, 1]' if clip else ''}; "
            f"sigma source: {sigma_source}.")


def _merged(outcomes: Sequence["SweepResult"]) -> "SweepResult":
    """Several sweeps' outcomes as one."""
    from benchmark.engine.runner import SweepResult

    return SweepResult(planned=sum(o.planned for o in outcomes),
                       skipped=sum(o.skipped for o in outcomes),
                       computed=sum(o.computed for o in outcomes),
                       failed=[item for o in outcomes for item in o.failed])


def _write_figures(out: Path, *, cells, methods, selection, tables, images, context, image_ids,
                   device: str, visual: bool, figure_image: str | None,
                   training_logs: str | Path | None, keep_curves: bool, kinds=(),
                   appendix: Sequence[str] = ()) -> Path:
    """Draw the figures and write the page; return the page's path. ``keep_curves``: keep
    the noise-level curves of the complete sweep (the default report's)."""
    from benchmark.engine.runner import check_device
    from benchmark.report.build import DEFAULT_TRAINING_LOGS, FigureOptions, write_report_page
    from benchmark.report.page import TableItem
    from benchmark.report.tables import parameter_notes

    options = FigureOptions(image_id=figure_image,
                            training_logs=Path(training_logs or DEFAULT_TRAINING_LOGS),
                            visual=visual,
                            device=check_device(device))
    measured = ("Measured: mean ± sample std over N test images (see table<N>.md beside this "
                "page for every note).")
    notes = [context, measured, *parameter_notes(methods)]
    items = [TableItem(f"Table {t.table.number}: {t.table.caption}", t.frame,
                       [t.notes[0], measured, *t.notes[1:]] if t.notes else notes, t.table)
             for t in tables]
    return write_report_page(cells, methods, selection, items, out, images=images,
                             context=context, options=options, image_ids=image_ids,
                             keep_curves=keep_curves, kinds=kinds, appendix=appendix)
