"""The ``generalisation`` workflow: every deep model and the fair classical baseline on data
beyond the training set (:mod:`benchmark.report.generalisation` builds and writes the table).

``bench report`` runs it for the default report (the datasets of
:data:`benchmark.report.generalisation.DATASETS`) and for a report of other data
(``--data PATH``, ``--dataset CARD``: that data alone), unless ``--methods`` narrows the report
(then ``--generalisation`` asks for it) or ``--no-generalisation`` is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.workflows._split import Subset, default_store, load_split, noted

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.core.contract import Denoiser
    from benchmark.data.cards import ImageSet
    from benchmark.engine.runner import SweepResult
    from benchmark.engine.store import Store
    from benchmark.report.generalisation import Row, TrainingDomain


@dataclass(frozen=True)
class GeneralisationResult:
    """What :func:`generalisation` computed and wrote.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table (:data:`benchmark.report.generalisation.COLUMNS`): one row a noise setting,
        dataset and method.
    subsets : list of Subset
        The dataset splits scored (their image ids).
    sweeps : list of SweepResult
        The missing cells computed, one sweep a dataset (empty with ``run=False``).
    refilled : int
        Stored cells from before the mean intensity error was recorded, computed again for it.
    paths : list of pathlib.Path
        ``generalisation.md``, ``.tex``, ``.csv`` (none when ``out`` was not given).
    incomplete : list of str
        One line a row with failed cells or fewer cells than images.
    html : str
        The table as a section of ``index.html``.
    context : str
        The line on the setting that heads the table's notes.
    """

    frame: "pd.DataFrame" = field(repr=False)
    subsets: list[Subset]
    sweeps: list["SweepResult"]
    refilled: int
    paths: list[Path]
    incomplete: list[str]
    html: str = field(repr=False)
    context: str = ""


def deep_models() -> list["Denoiser"]:
    """Every registered deep image model (a method with trained weights that denoises
    images), in registration order: new architectures and variants appear by registering."""
    from benchmark.core.registry import get_method, load_methods, method_names

    load_methods()
    return [m for m in map(get_method, method_names()) if m.data == "image" and m.weights]


def training_domain(method: "Denoiser", noise: Noise) -> tuple["TrainingDomain | None", str]:
    """The training domain of the checkpoint that ``method`` runs under ``noise``, and why it
    has no cells (empty when it can run).

    A model served by :mod:`methods.deep` (its function names an ``architecture``): the
    checkpoint :func:`methods.deep.checkpoints.find_checkpoint` picks (or its ``checkpoint``
    parameter), its metadata read without loading a tensor. Any other trained method: no
    domain (the note says it is not recorded), cells as usual.
    """
    from benchmark.report.generalisation import TrainingDomain

    architecture = getattr(method.function, "architecture", None)
    if architecture is None:
        return None, ""
    unavailable = getattr(method.function, "unavailable", None)
    reason = unavailable() if callable(unavailable) else None
    if reason:
        return None, f"cannot run here: {reason}"
    from methods.deep.checkpoints import find_checkpoint, inspect_checkpoint, train_command

    chosen = method.resolve_params().get("checkpoint", "auto")
    try:
        path = find_checkpoint(architecture, noise) if chosen == "auto" else Path(chosen)
        _, meta = inspect_checkpoint(path)
    except BenchError:
        return None, (f"no checkpoint for {noise}; make one with "
                      f"'{train_command(architecture, noise)}'")
    try:
        sources = json.loads(meta.get("sources", "[]"))
    except json.JSONDecodeError:
        sources = []
    names = [meta.get("dataset", "")] + ([str(s) for s in sources]
                                         if isinstance(sources, list) else [])
    datasets = tuple(name for name in dict.fromkeys(names) if name)
    return TrainingDomain(path.name, datasets, meta.get("train_fingerprint", "")), ""


def rows_for(noise: Noise, models: Sequence["Denoiser"], baseline: str | None = None
             ) -> list["Row"]:
    """The rows of one noise setting: the noisy input, the classical baseline, each model."""
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import NOISY, method_config
    from benchmark.report.generalisation import Row, fair_classical

    classical = get_method(baseline or fair_classical(noise.kind))
    rows = [Row(NOISY, "noisy", "-"),
            Row(classical.name, "classical", method_config(classical))]
    for model in models:
        if not model.applies_to(noise.kind):
            rows.append(Row(model.name, "deep", None, problem=f"does not apply to {noise.kind} "
                                                              "noise"))
            continue
        domain, problem = training_domain(model, noise)
        rows.append(Row(model.name, "deep", None if problem else method_config(model), domain,
                        problem))
    return rows


def generalisation(*, datasets: Sequence[tuple[str, str]] | None = None,
                   data: str | Path | None = None, window: str | None = None,
                   strict: bool = False, max_pixels: int | None = None,
                   max_voxels: int | None = None, split: str | None = None,
                   limit: int | None = None, noises: Sequence[Noise] | None = None,
                   models: Sequence[str] | None = None, baseline: str | None = None,
                   out: str | Path | None = None, run: bool = True, seed: int = 0,
                   clip: bool = False, jobs: int = 1, device: str = "auto",
                   store: str | Path | None = None, progress_bar: bool = False,
                   executor: str = "process", scheduler: str | None = None,
                   context: str = "", command: str = "benchmark.generalisation()"
                   ) -> GeneralisationResult:
    """Score every deep model and the fair classical baseline on each dataset; write the table.

    The cells go through the store like any others (computed once, resumable, shared with
    Tables 1-2 where they coincide); the sigma given to the methods is always the true one.

    Parameters
    ----------
    datasets : sequence of (card, split), optional
        The dataset splits (default: :data:`benchmark.report.generalisation.DATASETS`);
        ignored with ``data``.
    data : str or path, optional
        A DICOM, NIfTI or image file or folder instead (its split ``all``, or ``split``).
    window, strict, max_pixels, max_voxels
        How ``data`` is read, as for :func:`benchmark.run`.
    split : str, optional
        Split of ``data`` (default ``all``).
    limit : int, optional
        The first ``limit`` images of each split.
    noises : sequence of Noise, optional
        Noise settings (default: Gaussian 0.10 and Rician 0.11).
    models : sequence of str, optional
        Deep rows (default: every registered deep image model, :func:`deep_models`).
    baseline : str, optional
        The classical row's method (default: :func:`benchmark.report.generalisation.fair_classical`
        of each noise kind).
    out : str or path, optional
        Folder for ``generalisation.md/.tex/.csv`` (nothing is written without it).
    run : bool
        Compute the missing cells first; ``False`` only reads the store.
    seed, clip, jobs, device, store, progress_bar, executor, scheduler, command
        As for :func:`benchmark.run`.
    context : str
        A line on the setting, first of the table's notes.

    Returns
    -------
    GeneralisationResult

    Examples
    --------
    A classical baseline and no deep row, on one image of the MNI152 test split (the default
    rows and datasets take minutes):

    >>> import tempfile, pathlib
    >>> from benchmark.core.contract import Noise
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = generalisation(datasets=[("mni152", "test")], limit=1, models=[],
    ...                         baseline="gaussian-filter", noises=[Noise("gaussian", 0.1)],
    ...                         store=folder / "s.sqlite", out=folder)
    >>> result.frame[["dataset", "method", "n"]].values.tolist()
    [['mni152', 'noisy', 1], ['mni152', 'gaussian-filter', 1]]
    >>> [p.name for p in result.paths]
    ['generalisation.md', 'generalisation.tex', 'generalisation.csv']
    """
    from benchmark.core.registry import get_method
    from benchmark.engine.executors import check_executor
    from benchmark.engine.store import Store
    from benchmark.report.generalisation import (DATASETS, Block, build_generalisation,
                                                 problems, to_html, write_generalisation)
    from benchmark.report.paper import TABLES

    check_executor(executor, scheduler)
    store = Path(store) if store is not None else default_store()
    if not run and not store.is_file():
        raise BenchError(f"--store {store} does not exist; run without --no-run to compute "
                         "the cells, or give the right store")
    Store(store).check()
    noises = list(noises) if noises is not None else [t.noise for t in TABLES]
    chosen = deep_models() if models is None else [get_method(m) for m in models]
    rows = {noise: tuple(rows_for(noise, chosen, baseline)) for noise in noises}
    if data is not None:
        splits = [load_split(data=data, window=window, strict=strict, max_pixels=max_pixels,
                             max_voxels=max_voxels, split=split, limit=limit)]
    else:
        splits = [load_split(dataset=card, split=name, limit=limit)
                  for card, name in (datasets if datasets is not None else DATASETS)]
    sweeps, refilled = [], 0
    if run:
        for subset, images in splits:
            sweeps.append(_sweep(subset, images, rows, store=store, seed=seed, clip=clip,
                                 jobs=jobs, device=device, progress_bar=progress_bar,
                                 command=command, executor=executor, scheduler=scheduler))
    blocks = [Block(noise, subset.dataset, subset.split, subset.ids, rows[noise])
              for noise in noises for subset, _ in splits]
    with Store(store) as opened:
        names = [subset.dataset for subset, _ in splits]
        cells = opened.frame(names)  # once, these datasets' only: reading extras is slow
        if run:
            refilled = sum(_refill(opened, cells, subset, images, rows, seed=seed, clip=clip)
                           for subset, images in splits)
        if refilled:
            cells = opened.frame(names)
    frame = build_generalisation(cells, blocks, seed=seed, clip=clip)
    paths = write_generalisation(frame, Path(out), context=context) if out is not None else []
    return GeneralisationResult(frame, [subset for subset, _ in splits], sweeps, refilled,
                                paths, problems(frame), to_html(frame, context), context)


def _planned(rows: dict[Noise, tuple["Row", ...]]) -> dict[Noise, list["Denoiser"]]:
    """The methods with cells under each noise (the noisy input is planned by the sweep)."""
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import NOISY

    return {noise: [get_method(r.method) for r in entries
                    if r.config is not None and r.method != NOISY]
            for noise, entries in rows.items()}


def _sweep(subset: Subset, images: Callable[[], "ImageSet"],
           rows: dict[Noise, tuple["Row", ...]], *, store: Path, seed: int, clip: bool,
           jobs: int, device: str, progress_bar: bool, command: str, executor: str,
           scheduler: str | None) -> "SweepResult":
    """The missing cells of every row of ``subset`` under every noise, in one sweep."""
    from benchmark.engine.runner import plan, run_sweep
    from benchmark.engine.store import Store

    tasks = [task for noise, methods in _planned(rows).items()
             for task in plan(subset, [noise], methods, seed=seed, clip=clip, device=device)]
    tasks.sort(key=lambda task: -task.cost)
    with Store(store) as opened:
        return run_sweep(tasks, opened, noted(images, opened), jobs=jobs, progress=progress_bar,
                         command=command, executor=executor, scheduler=scheduler)


#: Largest PSNR difference (dB) between a stored cell and its recomputation for the
#: recomputed mean intensity error to be added to it (a different output is not the same cell).
REFILL_TOLERANCE = 0.01


def _refill(opened: "Store", cells: "pd.DataFrame", subset: Subset,
            images: Callable[[], "ImageSet"], rows: dict[Noise, tuple["Row", ...]], *,
            seed: int, clip: bool) -> int:
    """Compute again the ok cells of ``subset`` (among ``cells``, the store's) stored before
    the mean intensity error was recorded, and add it to them (:meth:`Store.add_extras`) when
    the recomputed PSNR matches the stored one; returns how many were added."""
    import numpy as np
    import pandas as pd

    from benchmark.engine.runner import Task, evaluate
    from benchmark.engine.store import CellKey, under_noise

    parts = []
    for noise, entries in rows.items():
        wanted = {(r.method, r.config) for r in entries if r.config is not None}
        mine = cells[(cells["dataset"] == subset.dataset) & (cells["split"] == subset.split)
                     & cells["image_id"].isin(subset.ids) & under_noise(cells, noise)
                     & (cells["seed"] == seed) & (cells["clip"] == clip)
                     & (cells["status"] == "ok")]
        mine = mine[[(m, c) in wanted for m, c in zip(mine["method"], mine["config"])]]
        if "mean_error_anatomy" in mine:
            mine = mine[~np.isfinite(mine["mean_error_anatomy"].astype(float))]
        parts.append(mine)
    stale = pd.concat(parts) if parts else cells.iloc[0:0]
    added = 0
    for cell in stale.itertuples():
        key = CellKey(cell.dataset, cell.split, cell.image_id, cell.noise, float(cell.sigma),
                      bool(cell.clip), int(cell.seed), cell.method, cell.config)
        task = Task(key, json.loads(cell.params or "{}"), "cpu", 0.0,
                    clean=images().image(cell.image_id))
        _, result = evaluate(task)
        if (result["status"] == "ok"
                and abs(result["psnr"] - float(cell.psnr)) <= REFILL_TOLERANCE):
            added += opened.add_extras(key, result["extra"])
    return added
