"""The curve report: ``bench report`` for a card of DCE-MRI curves (``--dataset dce-sim``).

1. Tunes every classical 1-D method with a grid on the validation split, per noise level, for
   the lowest mean curve RMSE (cells cached in the store, choices in its ``tuned`` table).
2. Runs the test cells: the noisy input, every curve method with its defaults, and each tuned
   method with its chosen parameters.
3. Writes a table a level (``table-<kind>-<sigma>.md/.csv``), every level stacked
   (``curves-all-levels.csv``), the headline sentence (``summary.md``), the figures and
   ``index.html``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.workflows._report import prepare_output, report_out, require_store
from benchmark.workflows._split import (Subset, check_noise_data, check_positive,
                                        default_reports, default_store, load_split,
                                        make_noises, noted)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.core.contract import Denoiser
    from benchmark.engine.runner import SweepResult
    from benchmark.engine.store import Store
    from benchmark.engine.tuning import Choice
    from benchmark.report.page import FigureItem

#: The curve report's noise and levels by default: 5% to 50% of each curve's mean.
CURVE_NOISE = "relative-gaussian"
DEFAULT_CURVE_SIGMAS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: What the grid search minimises on the validation curves.
TUNING_METRIC = "rmse"


@dataclass(frozen=True)
class CurveTable:
    """One level's table: its noise, the frame (:func:`build_curve_table`) and its files."""

    noise: Noise
    frame: "pd.DataFrame" = field(repr=False)
    paths: list[Path]


@dataclass(frozen=True)
class CurveReportResult:
    """What :func:`curve_report` wrote.

    ``tables`` holds one :class:`CurveTable` a level; ``choices`` the tuned parameters used;
    ``tuning`` and ``sweep`` the validation and test sweeps (``None`` with ``run=False``);
    ``summary`` the headline sentence; ``incomplete`` one line a row with failed cells or
    missing curves (``bench report`` then exits with status 1).
    """

    subset: Subset
    out: Path
    store: Path
    tables: list[CurveTable]
    choices: list["Choice"]
    tuning: "SweepResult | None"
    sweep: "SweepResult | None"
    cells: "pd.DataFrame" = field(repr=False)
    summary: str = ""
    page: Path | None = None
    paths: list[Path] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    written: bool = True

    def frame(self, sigma: float) -> "pd.DataFrame":
        """The table of noise level ``sigma``."""
        for table in self.tables:
            if abs(table.noise.sigma - sigma) < 1e-9:
                return table.frame
        raise BenchError(f"level {sigma:g} is not in this report; it has "
                         + ", ".join(f"{t.noise.sigma:g}" for t in self.tables))


def curve_noises(noise: str | Sequence[str] | None,
                 sigma: float | str | Sequence[float | str] | None
                 ) -> tuple[list[Noise], bool]:
    """The report's levels (relative-Gaussian 5-50% by default) and whether they are the
    default ones. ``--sigma`` alone keeps the curve noise; ``--noise`` alone the default levels.

    Examples
    --------
    >>> noises, default = curve_noises(None, ["0.2", "0.4"])
    >>> [str(n) for n in noises], default
    (['relative-gaussian sigma=0.2', 'relative-gaussian sigma=0.4'], False)
    """
    kinds = [CURVE_NOISE] if noise is None else [noise] if isinstance(noise, str) else list(noise)
    sigmas = (list(DEFAULT_CURVE_SIGMAS) if sigma is None
              else [sigma] if isinstance(sigma, (str, int, float)) else list(sigma))
    if not kinds or not sigmas:
        raise BenchError("--noise and --sigma need at least one kind and one level each")
    noises = list(dict.fromkeys(n for kind in dict.fromkeys(kinds) for n in make_noises(kind, sigmas)))
    return noises, noises == make_noises(CURVE_NOISE, DEFAULT_CURVE_SIGMAS)


def is_curve_card(dataset: str, data: str | Path | None) -> bool:
    """Whether ``dataset`` (no ``data`` folder given) is a card of curves."""
    from benchmark.data.cards import load_card

    return data is None and load_card(dataset).data == "curve"


def curve_report(*, methods: Sequence[str] | None = None,
                 noise: str | Sequence[str] | None = None,
                 sigma: float | str | Sequence[float | str] | None = None,
                 out: str | Path | None = None, run: bool = True, dataset: str = "dce-sim",
                 split: str | None = None, limit: int | None = None,
                 val_limit: int | None = None, seed: int = 0, jobs: int = 1,
                 device: str = "auto", store: str | Path | None = None, figures: bool = True,
                 progress_bar: bool = False, progress: Callable[[str], None] | None = None,
                 command: str = "benchmark.report()", executor: str = "process",
                 scheduler: str | None = None) -> CurveReportResult:
    """The curve report of a card of DCE-MRI curves; what :func:`benchmark.report` does for one.

    Parameters
    ----------
    methods : sequence of str, optional
        Curve methods (names or patterns; default: every method that applies to the noise).
    noise, sigma : optional
        Noise kind (default relative-gaussian) and levels (default 0.05, 0.10, ..., 0.50).
    out : str or path, optional
        Report folder (default ``reports/<card>``, or ``reports/<what differs>``).
    run : bool
        Tune and compute missing cells; ``False`` only reads the store (which must exist).
    dataset, split, limit, seed, jobs, device, store, executor, scheduler
        As for :func:`benchmark.run`; ``limit`` counts test blocks, ``split`` is not
        ``"validation"``.
    val_limit : int, optional
        Validation blocks tuned on (default: the whole validation split).
    figures : bool
        Draw the figures and write ``index.html``.
    progress_bar : bool
        Show a progress bar of the cells on stderr.
    progress : callable, optional
        Called with one line of text after each sweep.
    command : str
        Recorded with the runs' provenance.

    Returns
    -------
    CurveReportResult
        The tables' frames and files, the tuned choices, the sweeps, the page.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = curve_report(sigma=[0.2], limit=1, out=folder / "dce", figures=False,
    ...                       store=folder / "bench.sqlite", methods=[])
    >>> result.frame(0.2)[["label", "n_curves", "fit_failed"]].values.tolist()
    [['noisy', 64, 0]]
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.store import Store
    from benchmark.report.folders import Setting, report_folder

    if split == "validation":
        raise BenchError("--split validation: the curve report shows the test split; tuning "
                         "already uses validation")
    check_positive("val_limit", val_limit)
    noises, default_levels = curve_noises(noise, sigma)
    store = Path(store) if store is not None else default_store()
    require_store(store, run)
    subset, curves = load_split(dataset=dataset, split=split, limit=limit)
    check_noise_data(subset, noises)
    chosen = (resolve_methods(None, kind=noises[0].kind) if methods is None
              else resolve_methods(list(methods), kind=noises[0].kind) if methods else [])
    setting = Setting(subset.dataset, subset.split, limit,
                      None if default_levels else tuple(noises), seed, False, "oracle",
                      (tuple(m.name for m in chosen) or ("noisy",)) if methods is not None
                      else None, val_limit=val_limit)
    out, _ = report_out(out, report_folder(default_reports(), setting), "curve reports")
    prepare_output(out)
    val_subset, val_curves = load_split(dataset=dataset, split="validation", limit=val_limit)
    with Store(store) as opened:
        tuning = test = None
        tunable = _tunable(chosen)
        if run and tunable:
            tuning = _tune(opened, val_subset, val_curves, noises, tunable, seed=seed,
                           jobs=jobs, progress_bar=progress_bar, command=command,
                           executor=executor, scheduler=scheduler)
            _say(progress, "tuning", tuning)
        choices = _load_choices(opened, subset.dataset, val_subset, tunable, noises, seed)
        if run:
            test = _test(opened, subset, curves, noises, chosen, choices, seed=seed, jobs=jobs,
                         device=device, progress_bar=progress_bar, command=command,
                         executor=executor, scheduler=scheduler)
            _say(progress, "test", test)
        cells = opened.frame()
    cells = cells[cells["image_id"].isin(subset.ids)]
    return _write(out, store, subset, curves, cells, noises, chosen, choices, tuning, test,
                  seed=seed, device=device, figures=figures)


def _say(progress, what: str, outcome: "SweepResult") -> None:
    if progress is not None:
        progress(f"{what} cells: {outcome.computed} computed, {outcome.skipped} cached, "
                 f"{len(outcome.failed)} failed")


def _tunable(methods: Sequence["Denoiser"]) -> list["Denoiser"]:
    """The classical methods that declare a grid (deep models are not grid-searched)."""
    from benchmark.report.curve_tables import is_deep

    return [m for m in methods if not is_deep(m) and m.grid]


def _tune(store: "Store", val_subset: Subset, val_curves, noises: Sequence[Noise],
          tunable: Sequence["Denoiser"], *, seed: int, jobs: int, progress_bar: bool,
          command: str, executor: str = "process", scheduler: str | None = None
          ) -> "SweepResult":
    """Grid search on the validation curves; the choices go to the store's ``tuned`` table."""
    from benchmark.engine.runner import run_sweep
    from benchmark.engine.tuning import choose, load_grids, save_choices, tuning_tasks

    grids = load_grids()
    tasks = tuning_tasks(val_subset, noises, tunable, grids=grids, seed=seed)
    outcome = run_sweep(tasks, store, noted(val_curves, store), jobs=jobs,
                        progress=progress_bar, command=command, executor=executor,
                        scheduler=scheduler)
    choices = choose(store.frame(), val_subset, noises, tunable, grids=grids,
                     metric=TUNING_METRIC, seed=seed)
    save_choices(store, val_subset.dataset, choices, metric=TUNING_METRIC,
                 searched=[(m.name, n) for m in tunable for n in noises],
                 val_limit=len(val_subset.ids), seed=seed)
    return outcome


def _load_choices(store: "Store", dataset: str, val_subset: Subset,
                  tunable: Sequence["Denoiser"], noises: Sequence[Noise], seed: int
                  ) -> list["Choice"]:
    """The stored choices of ``tunable`` at ``noises``, made on this many validation blocks."""
    from benchmark.engine.tuning import load_choices

    stored = load_choices(store, dataset, metric=TUNING_METRIC, seed=seed,
                          val_limit=len(val_subset.ids))
    return [stored[key] for m in tunable for n in noises
            if (key := (m.name, n.kind, float(f"{n.sigma:.6g}"))) in stored]


def _test(store: "Store", subset: Subset, curves, noises: Sequence[Noise],
          chosen: Sequence["Denoiser"], choices: Sequence["Choice"], *, seed: int, jobs: int,
          device: str, progress_bar: bool, command: str, executor: str = "process",
          scheduler: str | None = None) -> "SweepResult":
    """The test cells: noisy input and every method with its defaults, then the tuned ones."""
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import check_device, plan, run_sweep

    device = check_device(device)
    tasks = plan(subset, noises, chosen, seed=seed, device=device)
    for choice in choices:
        tasks += plan(subset, [choice.noise], [get_method(choice.method)], seed=seed,
                      device=device, include_noisy=False,
                      params_for=lambda m, n, p=choice.params: p)
    tasks = sorted({t.key: t for t in tasks}.values(), key=lambda t: -t.cost)
    return run_sweep(tasks, store, noted(curves, store), jobs=jobs, progress=progress_bar,
                     command=command, executor=executor, scheduler=scheduler)


def _write(out: Path, store: Path, subset: Subset, curves, cells, noises, chosen, choices,
           tuning, test, *, seed: int, device: str, figures: bool) -> CurveReportResult:
    """Build and write every table, the headline, the figures and the page."""
    import pandas as pd

    from benchmark.report.curve_summary import headline_level, summary_sentence
    from benchmark.report.curve_tables import (build_curve_table, curve_rows, problems,
                                               write_curve_table)
    from benchmark.report.folders import dataset_slug

    loaded = curves()
    expected = sum(len(loaded.image(i)) for i in subset.ids)
    context = (f"Data: {dataset_slug(subset.dataset)}, split {subset.split}, {expected} curves "
               f"in {len(subset.ids)} block(s); seed {seed}.")
    tables, incomplete, rows_at = [], [], {}
    for noise in noises:
        tuned = {c.method: c.params for c in choices if c.noise == noise}
        rows_at[noise] = curve_rows(chosen, tuned)
        frame = build_curve_table(cells, noise, rows_at[noise], dataset=subset.dataset,
                                  split=subset.split, ids=subset.ids, seed=seed)
        incomplete += [f"{noise}: {line}" for line in problems(frame, expected)]
        tables.append(CurveTable(noise, frame, write_curve_table(frame, noise, out,
                                                                 context=context)))
    stacked = pd.concat([t.frame for t in tables], ignore_index=True)
    all_levels = out / "curves-all-levels.csv"
    stacked.to_csv(all_levels, index=False, float_format="%.6g")
    headline = headline_level(list(noises))
    summary = summary_sentence(tables[noises.index(headline)].frame, headline)
    (out / "summary.md").write_text(f"{summary}\n", encoding="utf-8")
    paths = [p for t in tables for p in t.paths] + [all_levels, out / "summary.md"]
    page = None
    if figures:
        from benchmark.report.curve_page import write_curve_page

        items, warnings = _figures(out / "figures", stacked, tables[noises.index(headline)],
                                   rows_at[headline], cells, loaded, subset, seed=seed,
                                   device=device)
        links = [("Image report", "../index.html")] if (out.parent / "index.html").is_file() else []
        page = write_curve_page({t.noise: t.frame for t in tables}, out, context=context,
                                summary=summary, figures=items, warnings=warnings, links=links)
        paths.append(page)
    return CurveReportResult(subset, out, store, tables, list(choices), tuning, test, cells,
                             summary, page, paths, incomplete)


def _figures(folder: Path, stacked, headline: CurveTable, rows, cells, curves, subset: Subset,
             *, seed: int, device: str) -> tuple[list["FigureItem"], list[str]]:
    """Noise-level lines; example curves and Ktrans scatter at the level nearest 20%."""
    from benchmark.engine.runner import resolve_device
    from benchmark.engine.store import under_noise
    from benchmark.report.curve_figures import (example_curves, plot_against_level,
                                                plot_examples, plot_pk_scatter, scatter_data)
    from benchmark.report.curve_summary import CLASSICAL_KINDS, DEEP_KINDS, best
    from benchmark.report.figures import save_png
    from benchmark.report.page import FigureItem

    items, warnings = [], []
    noise = headline.noise
    level = f"{100 * noise.sigma:g}%"
    if stacked["sigma"].nunique() >= 2:
        png = save_png(plot_against_level(stacked), folder / "noise-levels.png")
        items.append(FigureItem("Ktrans RMSE and curve RMSE against noise level",
                                "Left: RMSE of the refitted Ktrans against the truth (curves "
                                "whose fit succeeded). Right: mean per-curve RMSE of the "
                                "denoised curves. Dashed: tuned on validation; dotted: noisy "
                                "input.", png))
    else:
        warnings.append("Noise-level figure: the report has one level; give two or more.")
    picked = [r for r in rows if r.kind == "input"]
    for kinds in (CLASSICAL_KINDS, DEEP_KINDS):
        winner = best(headline.frame, kinds)
        if winner is not None:
            picked += [r for r in rows if r.label == winner["label"]]
    labels = ", ".join(r.label for r in picked[1:]) or "no method"
    denoisers = [r for r in picked if r.kind != "input"]
    from benchmark.core.registry import get_method

    used = resolve_device(device, [get_method(r.method) for r in denoisers])
    t, shown, ktrans = example_curves(curves, subset.ids[0], noise, denoisers, seed=seed,
                                      device=used)
    png = save_png(plot_examples(t, shown, ktrans, noise), folder / "examples.png")
    items.append(FigureItem(f"Example curves at {level} noise",
                            f"Four curves of {subset.ids[0]}: clean, noisy, and the best "
                            f"classical 1-D method and best deep model by Ktrans RMSE "
                            f"({labels}).", png))
    here = cells[under_noise(cells, noise) & (cells["split"] == subset.split)
                 & (cells["seed"] == seed)]
    series = {r.label: scatter_data(here, r) for r in picked}
    png = save_png(plot_pk_scatter(series, noise), folder / "ktrans-scatter.png")
    items.append(FigureItem(f"Fitted against true Ktrans at {level} noise",
                            "Each point a test curve; the line is identity. Failed fits have "
                            "no point and are counted in each panel's title.", png))
    return items, warnings
