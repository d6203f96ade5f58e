"""The ``fair`` workflow: Tables 1-2 with the paper's values, the paper's setting and a fair one,
and the same two settings for each further noise kind (Table 3 onward).

1. Tunes every classical method (and, for Rician noise, its Rician-aware variants; for a
   further kind, its fair variants) on the validation split by grid search (cells cached in
   the store, choices in its ``tuned`` table).
2. Runs the test cells of the paper's setting (plain, default parameters) and of the fair
   setting (the best tuned candidate on validation).
3. Writes ``table1_fair.md/.csv``, ``table2_fair.md/.csv`` and ``table<N>_fair.md/.csv`` of
   each further kind with bootstrap intervals, Wilcoxon marks, anatomy metrics and a generated
   paragraph on the rankings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from benchmark.core.errors import BenchError
from benchmark.workflows._report import prepare_output, report_out, require_store
from benchmark.workflows._split import (Progress, Subset, check_noise_data, check_positive,
                                        default_reports,
                                        default_store, load_split, noted, say)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.core.contract import Denoiser
    from benchmark.engine.runner import SweepResult
    from benchmark.engine.store import Store
    from benchmark.engine.tuning import Choice
    from benchmark.report.paper import PaperTable


@dataclass(frozen=True)
class FairTable:
    """One fair table.

    Attributes
    ----------
    table : PaperTable
        Its number, noise setting and caption.
    frame : pandas.DataFrame
        One row a plain method: the paper's values, the paper's setting and the fair setting
        (means, bootstrap intervals, Wilcoxon marks, the fair cell's method and parameters).
    choices : list of Choice
        The tuned parameters of this table's noise read from the store's ``tuned`` table
        (those made on ``val_limit`` validation images only).
    left_out : dict
        A further kind's table: the methods without a row, as they cannot denoise its noise
        here, and why (a deep model no checkpoint covers).
    tuning : SweepResult or None
        The validation cells of the grid search (``None`` with ``run=False``).
    test : SweepResult or None
        The test cells of both settings (``None`` with ``run=False``).
    paths : list of pathlib.Path
        The files written (``tableN_fair.md``, ``.csv``).
    """

    table: "PaperTable"
    frame: "pd.DataFrame" = field(repr=False)
    choices: list["Choice"]
    tuning: "SweepResult | None"
    test: "SweepResult | None"
    paths: list[Path]
    left_out: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FairResult:
    """What :func:`fair` wrote: the test images, the folder, the store and both tables.

    ``out`` is the default report's folder only for the default setting (tuned for PSNR on
    the default number of validation images with the declared grids). ``incomplete`` holds one
    line a failed cell or incomplete row ("Table 2 (rician sigma=0.11): tv: 0 of 20 images in
    the fair setting ..."); ``written`` is False only for the default folder with incomplete
    rows and ``allow_failed=False`` (the committed fair tables are left as they were).
    """

    subset: Subset
    out: Path
    store: Path
    tables: list[FairTable]
    incomplete: list[str] = field(default_factory=list)
    written: bool = True

    @property
    def failed(self) -> list:
        """Every failed cell of the tuning and test sweeps, as ``(CellKey, error)``."""
        return [item for table in self.tables for outcome in (table.tuning, table.test)
                if outcome is not None for item in outcome.failed]


#: Validation images tuned on by default (the committed fair tables' setting).
DEFAULT_VAL_LIMIT = 10


def fair(*, methods: Sequence[str] | None = None, val_limit: int = DEFAULT_VAL_LIMIT,
         metric: str = "psnr", grids: Mapping[str, Mapping[str, Sequence]] | None = None,
         out: str | Path | None = None, run: bool = True, allow_failed: bool = False,
         dataset: str = "mni152",
         data: str | Path | None = None, window: str | None = None, strict: bool = False,
         max_pixels: int | None = None, max_voxels: int | None = None,
         split: str | None = None, limit: int | None = None, seed: int = 0, clip: bool = False,
         jobs: int = 1, device: str = "auto", store: str | Path | None = None,
         sigma_source: str = "oracle", progress: Progress | None = None,
         progress_bar: bool = False, executor: str = "process", scheduler: str | None = None,
         command: str = "benchmark.fair()", kinds: Sequence[str] | None = None,
         noise: Sequence[str] | None = None) -> FairResult:
    """Tables 1-2 as the paper reported them, in the paper's setting and in a fair setting.

    The same as ``bench fair``: tune (grid search on ``val_limit`` validation images, choices
    saved in the store), run the test cells of both settings, write ``tableN_fair.md/.csv``.
    Every table is written, or none. The fair tables of the default setting go to the
    default report's folder and are rewritten only when every row is complete (or with
    ``allow_failed``); any other setting (data, images, seed, ``val_limit``, ``grids``,
    metric, ...) gets a folder of its own.

    On the MNI152 card (no ``data``), each further noise kind with a ``report_level`` gets a
    fair table too (Table 3 onward, the numbers of ``bench report``), on its
    ``default_dataset``: its plain methods, each with the better of its fair variants for the
    kind in the fair setting (e.g. ``.poisson-anscombe``; ``.ncchi8-bc`` or ``.ncchi8-vst``),
    tuned on that dataset's validation split. A deep model no checkpoint covers has no row.

    Parameters
    ----------
    methods : sequence of str, optional
        Plain methods in the tables (default: every registered method that is not a variant
        and applies to the table's noise kind, the paper's first).
    val_limit : int
        Validation images used for tuning (default 10, as in the committed fair tables).
    metric : {"psnr", "ssim", "psnr_anatomy", "ssim_anatomy"}
        Metric the grid search maximises on validation.
    grids : mapping, optional
        Method name -> parameter -> values tried (default: the grid each method declares); a
        variant uses its plain method's grid.
    out : str or path, optional
        Report folder (default: ``reports/`` in the working folder for the default setting,
        else a folder of its own, :func:`output_folder`). It may be the default report's
        folder only for the default setting.
    run : bool
        Tune and compute missing cells; ``False`` only reads the store (which must exist).
    allow_failed : bool
        Write the default folder's fair tables even when some rows are incomplete
        (``incomplete`` still lists them). Tables of other settings are always written.
    dataset, data, window, strict, split, limit, seed, clip, jobs, device, store, sigma_source
        As for :func:`benchmark.run`; ``split`` may not be ``"validation"``.
    executor, scheduler
        Where CPU cells run, as for :func:`benchmark.run`.
    progress : callable, optional
        Called with one line of text after each tuning and test sweep.
    progress_bar : bool
        Show a progress bar of the cells on stderr.
    command : str
        Recorded with the runs' provenance.
    kinds : sequence of str, optional
        Only these further noise kinds get fair tables (default: every kind with a report
        level; ``()``: Tables 1-2 only).
    noise : sequence of str, optional
        Only the tables of these noise kinds (``gaussian``: Table 1, ``rician``: Table 2, a
        further kind: its table) are made and written; the others' files are left as they
        are (default: every table).

    Returns
    -------
    FairResult
        Each table's frame, choices, sweeps and files.

    Examples
    --------
    One filter, a two-point grid, one validation and two test images (the default grids on
    the whole split take minutes):

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = fair(methods=["gaussian-filter"], val_limit=1, limit=2,
    ...               grids={"gaussian-filter": {"width_per_sigma": [5.0, 10.0]}},
    ...               out=folder, store=folder / "bench.sqlite")
    >>> [t.table.number for t in result.tables][:3]
    [1, 2, 3]
    >>> [p.name for p in result.tables[0].paths]
    ['table1_fair.md', 'table1_fair.csv']
    """
    from benchmark.core.registry import (get_method, method_names, resolve_methods,
                                         trained_variants)
    from benchmark.engine.executors import check_executor
    from benchmark.engine.store import Store
    from benchmark.engine.tuning import TUNING_METRICS, load_choices, load_grids
    from benchmark.core.noise import get_noise_model
    from benchmark.report.fair import build_fair_table, problems, write_fair_table
    from benchmark.report.folders import PAPER_DATASET
    from benchmark.report.kinds import available, kind_tables
    from benchmark.report.paper import TABLES
    from benchmark.report.tables import Selection

    check_executor(executor, scheduler)
    if split in ("validation",):
        raise BenchError("--split validation: the fair tables report the test split; tuning "
                         "already uses validation")
    if metric not in TUNING_METRICS:
        raise BenchError(f"metric {metric!r} is not one of {', '.join(TUNING_METRICS)}")
    check_positive("val_limit", val_limit)
    store = Path(store) if store is not None else default_store()
    require_store(store, run)
    names = method_names()
    registered = {name: get_method(name) for name in names}
    named = resolve_methods(list(methods), data="image") if methods else None
    data_options = dict(dataset=dataset, data=data, window=window, strict=strict,
                        max_pixels=max_pixels, max_voxels=max_voxels)
    subset, images = load_split(**data_options, split=split, limit=limit)
    check_noise_data(subset, [table.noise for table in TABLES])
    out, protected = report_out(out, output_folder(subset, limit=limit, seed=seed, clip=clip,
                                                   sigma_source=sigma_source, metric=metric,
                                                   methods=methods, val_limit=val_limit,
                                                   grids=grids),
                                "fair tables of another setting")
    splits = {subset.dataset: (subset, images)}
    validation = {}

    def split_of(dataset_name: str):
        """The test split (and, when run, the validation split) of a dataset, loaded once."""
        if dataset_name not in splits:
            splits[dataset_name] = load_split(dataset=dataset_name, split=split, limit=limit)
        if run and dataset_name not in validation:  # only when a cell is missing
            options = (data_options if dataset_name == subset.dataset
                       else dict(dataset=dataset_name))
            validation[dataset_name] = load_split(**options, split="validation",
                                                  limit=val_limit)
        return splits[dataset_name], validation.get(dataset_name, (None, None))

    tables = list(TABLES)
    if data is None and subset.dataset == PAPER_DATASET:
        tables += kind_tables(kinds)
    if noise is not None:
        known = [t.noise.kind for t in tables]
        unknown = [kind for kind in noise if kind not in known]
        if unknown or not noise:
            raise BenchError(f"--noise {' '.join(unknown) or '(none)'}: the fair tables are of "
                             f"{', '.join(known)}; give some of those")
        tables = [t for t in tables if t.noise.kind in noise]
    split_of(subset.dataset)  # a bad validation split says so before any output is made
    prepare_output(out)
    common = dict(seed=seed, clip=clip, sigma_source=sigma_source)
    sweeping = dict(jobs=jobs, progress_bar=progress_bar, command=command, progress=progress,
                    executor=executor, scheduler=scheduler)
    grids = load_grids() if grids is None else {k: dict(v) for k, v in grids.items()}
    with Store(store) as opened:
        built, incomplete = [], []
        for table in tables:
            kind = table.noise.kind
            plain = ([m for m in named if m.applies_to(kind)] if named is not None
                     else resolve_methods(None, kind=kind, variants=False, data="image"))
            left_out = {}
            if table not in TABLES:  # a further kind: only what can denoise it here
                plain, left_out = available(plain, table.noise)
                plain += trained_variants(plain, table.noise)
            dataset_name = (subset.dataset if table in TABLES
                            else get_noise_model(kind).default_dataset)
            (here, here_images), (val_subset, val_images) = split_of(dataset_name)
            tuning = test = None
            if run:
                tuning = _tune(opened, table, val_subset, noted(val_images, opened), plain,
                               names, registered, grids=grids, metric=metric,
                               val_limit=val_limit, **common, **sweeping)
            choices = load_choices(opened.path, here.dataset, metric=metric,
                                   val_limit=val_limit, **common)
            if run:
                test = _test(opened, table, here, noted(here_images, opened), plain, registered,
                             choices, device=device, **common, **sweeping)
            cells = opened.frame()
            cells = cells[cells["image_id"].isin(here.ids)]
            selection = Selection(here.dataset, here.split, seed, clip, sigma_source)
            frame = build_fair_table(cells, table, registered, selection, choices, methods=plain)
            label = f"Table {table.number} ({table.noise})"
            incomplete += [f"{label}: {key.method} failed on {key.image_id}: {error}"
                           for outcome in (tuning, test) if outcome is not None
                           for key, error in outcome.failed]
            incomplete += [f"{label}: {line}" for line in problems(frame, len(here.ids),
                                                                [m.name for m in plain])]
            mine = [c for c in choices.values() if c.noise.kind == kind
                    and abs(c.noise.sigma - table.noise.sigma) < 1e-9]
            built.append((frame, table, selection, mine, tuning, test, left_out))
    written = not (incomplete and protected and not allow_failed)
    results = []
    for frame, table, selection, choices, tuning, test, left_out in built:  # all or none
        paths = []
        if written:  # the committed fair tables stay as they are otherwise
            paths = write_fair_table(frame, table, out, selection=selection,
                                     val_images=[c.n_images for c in choices], metric=metric,
                                     left_out=left_out)
        results.append(FairTable(table, frame, choices, tuning, test, list(paths), left_out))
    return FairResult(subset, out, store, results, incomplete, written)


def output_folder(subset: Subset, *, limit: int | None, seed: int, clip: bool,
                  sigma_source: str, metric: str, methods: Sequence[str] | None,
                  val_limit: int = DEFAULT_VAL_LIMIT,
                  grids: Mapping[str, Mapping[str, Sequence]] | None = None) -> Path:
    """The fair tables' own folder: the default report's for the default setting tuned for
    PSNR on the default number of validation images with the declared grids, else one named
    after what differs (and the tuning metric), so that fair tables of other data, images or
    tuning never replace the default ones.

    Examples
    --------
    >>> subset = Subset("mni152", "test", ("mni152/z040",))
    >>> options = dict(limit=None, seed=0, clip=False, sigma_source="oracle", methods=None)
    >>> output_folder(subset, metric="psnr", **options) == default_reports()
    True
    >>> output_folder(subset, metric="ssim", **options).name
    'mni152-tuned-ssim'
    >>> output_folder(subset, metric="psnr", **{**options, "limit": 2}).name
    'mni152-first2'
    >>> output_folder(subset, metric="psnr", val_limit=4, **options).name
    'mni152-val4'
    """
    import json

    from benchmark.report.folders import Setting, digest, report_folder

    grid_digest = (digest(json.dumps(grids, sort_keys=True, default=str))
                   if grids is not None else None)
    setting = Setting(subset.dataset, subset.split, limit, None, seed, clip, sigma_source,
                      tuple(methods) if methods else None,
                      val_limit=None if val_limit == DEFAULT_VAL_LIMIT else val_limit,
                      grids=grid_digest)
    if metric != "psnr":  # tuned for another metric: other fair columns
        stem = "mni152" if setting.is_default else setting.name()
        return default_reports() / f"{stem}-tuned-{metric}"
    return report_folder(default_reports(), setting)


def _tune(store: "Store", table: "PaperTable", val_subset: Subset, val_images,
          plain: Sequence["Denoiser"], names: Sequence[str],
          registered: Mapping[str, "Denoiser"], *, grids, metric: str, val_limit: int,
          seed: int, clip: bool, sigma_source: str, jobs: int, progress_bar: bool, command: str,
          progress: Progress | None, executor: str = "process",
          scheduler: str | None = None) -> "SweepResult":
    """Grid search on validation for every tunable candidate of ``plain``; save the choices."""
    from benchmark.engine.runner import run_sweep
    from benchmark.engine.tuning import choose, save_choices, tuning_tasks
    from benchmark.report.fair import candidates

    common = dict(seed=seed, clip=clip, sigma_source=sigma_source)
    noise = table.noise
    tuned = [registered[c] for m in plain if not m.batched
             for c in candidates(m.name, names, noise)]
    tasks = tuning_tasks(val_subset, [noise], tuned, grids=grids, **common)
    outcome = run_sweep(tasks, store, val_images, jobs=jobs, progress=progress_bar,
                        command=command, executor=executor, scheduler=scheduler)
    say(progress, f"Table {table.number} tuning on {val_subset.dataset}/validation "
                  f"({len(val_subset.ids)} images): {outcome.computed} cells computed, "
                  f"{outcome.skipped} cached, {len(outcome.failed)} failed")
    choices = choose(store.frame(), val_subset, [noise], tuned, grids=grids, metric=metric,
                     **common)
    # every (method, noise) searched replaces its earlier row, even when it gave no choice
    save_choices(store.path, val_subset.dataset, choices, metric=metric,
                 searched=[(m.name, noise) for m in tuned], val_limit=val_limit, **common)
    return outcome


def _test(store: "Store", table: "PaperTable", subset: Subset, images,
          plain: Sequence["Denoiser"], registered: Mapping[str, "Denoiser"],
          choices: Sequence["Choice"], *, device: str, seed: int, clip: bool, sigma_source: str,
          jobs: int, progress_bar: bool, command: str,
          progress: Progress | None, executor: str = "process",
          scheduler: str | None = None) -> "SweepResult":
    """The test cells of the paper's setting and of the fair setting for ``table``."""
    from benchmark.engine.runner import check_device, plan, run_sweep
    from benchmark.report.fair import fair_cell

    common = dict(seed=seed, clip=clip, sigma_source=sigma_source)
    noise = table.noise
    device = check_device(device)  # "auto" is resolved by run_sweep, if a cell is missing
    tasks = plan(subset, [noise], plain, device=device, **common)
    for method in plain:
        cell = fair_cell(method, noise, registered, choices, sigma_source)
        if cell is not None:  # duplicates of the plain cells are dropped below
            tasks += plan(subset, [noise], [registered[cell.method]], device=device,
                          include_noisy=False, params_for=lambda m, n, p=cell.params: p,
                          **common)
    tasks = sorted({t.key: t for t in tasks}.values(), key=lambda t: -t.cost)
    outcome = run_sweep(tasks, store, images, jobs=jobs, progress=progress_bar, command=command,
                        executor=executor, scheduler=scheduler)
    say(progress, f"Table {table.number} test cells: {outcome.computed} computed, "
                  f"{outcome.skipped} cached, {len(outcome.failed)} failed")
    return outcome
