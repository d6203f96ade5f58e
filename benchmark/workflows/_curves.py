"""The ``curves`` workflow: sweep the noise levels of Figure 3 into the store, draw the curves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.workflows._report import report_out
from benchmark.workflows._split import (Subset, check_noise_data, default_reports,
                                        default_store, load_split,
                                        make_noises, store_cells, sweep)

if TYPE_CHECKING:
    from benchmark.engine.runner import SweepResult
    from benchmark.report.page import FigureItem

#: Figure 3's noise levels.
DEFAULT_SIGMAS = (0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2)


@dataclass(frozen=True)
class CurvesResult:
    """What :func:`curves` drew.

    Attributes
    ----------
    subset : Subset
        Dataset, split and image ids.
    folder : pathlib.Path
        Where the figures are (``OUT/figures``; OUT is the default report's folder only for
        the default sweep).
    store : pathlib.Path
        The run store the cells are in.
    figures : list of FigureItem
        One a noise kind with at least two of the asked levels in the store, each level
        averaged over the same images (title, caption with N, PNG bytes; the PNG is also
        written to ``folder``).
    warnings : list of str
        What could not be drawn, and why.
    sweeps : list of SweepResult
        One a noise kind (empty with ``run=False``).
    keep : bool
        Whether a figure of the complete default sweep already in ``folder`` is kept while the
        store holds only part of that sweep (True only in the default report's folder).
    """

    subset: Subset
    folder: Path
    store: Path
    figures: list["FigureItem"]
    warnings: list[str]
    sweeps: list["SweepResult"]
    keep: bool = False


def curves(*, noise: Sequence[str] = ("gaussian", "rician"),
           sigma: Sequence[float | str] | None = None, methods: Sequence[str] | None = None,
           out: str | Path | None = None, run: bool = True, dataset: str = "mni152",
           data: str | Path | None = None, window: str | None = None, strict: bool = False,
           max_pixels: int | None = None, max_voxels: int | None = None,
           split: str | None = None, limit: int | None = None, seed: int = 0,
           clip: bool = False, jobs: int = 1, device: str = "auto",
           store: str | Path | None = None, sigma_source: str = "oracle",
           progress_bar: bool = False, executor: str = "process", scheduler: str | None = None,
           command: str = "benchmark.curves()") -> CurvesResult:
    """SSIM and PSNR against the noise level (Figure 3), one PNG a noise kind.

    The same as ``bench curves``: the missing cells of every kind and level are computed
    first (unless ``run=False``), then the curves are drawn from the store, over the asked
    levels only and over the same images at every level (the caption states N).

    The default sweep (both kinds, Figure 3's levels, every plain method, the MNI152 test
    split) draws into the default report's ``figures/``; any other sweep into a report folder
    of its own (:mod:`benchmark.report.folders`).

    Parameters
    ----------
    noise : sequence of str
        Noise kinds.
    sigma : sequence of float, optional
        Noise levels (default: Figure 3's, 0.02 to 0.2; for a kind whose model documents
        levels of its own, ``report_levels``, those: Poisson peaks 5 to 300).
    methods : sequence of str, optional
        Denoisers (default: all but the Rician-aware variants, as in :func:`report`).
    out : str or path, optional
        Report folder; figures go to ``out/figures`` (default: ``reports/`` in the working
        folder for the default sweep, else ``reports/<what differs>``). It may be the default
        report's folder only for the default sweep.
    run : bool
        Compute missing cells first; ``False`` only reads the store.
    dataset, data, window, strict, split, limit, seed, clip, jobs, device, store, sigma_source
        As for :func:`benchmark.run`.
    executor, scheduler
        Where CPU cells run, as for :func:`benchmark.run`.
    progress_bar : bool
        Show a progress bar of the cells on stderr (nothing is printed otherwise).
    command : str
        Recorded with the run's provenance.

    Returns
    -------
    CurvesResult
        The figures drawn and what could not be.

    Raises
    ------
    BenchError
        For ``out`` naming the default report's folder for another sweep.

    Examples
    --------
    Two noise levels, one filter, one image:

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> result = curves(noise=["gaussian"], sigma=[0.05, 0.1], methods=["gaussian-filter"],
    ...                 limit=1, out=folder, store=folder / "bench.sqlite")
    >>> [outcome.computed for outcome in result.sweeps]
    [4]
    >>> [item.title for item in result.figures]
    ['Figure 3 (gaussian): SSIM and PSNR against noise level']
    >>> sorted(path.name for path in result.folder.glob("*.png"))
    ['curves-gaussian.png']
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.executors import check_executor
    from benchmark.report.build import curve_figures
    from benchmark.report.folders import Setting, report_folder
    from benchmark.report.tables import Selection

    check_executor(executor, scheduler)
    from benchmark.report.figures import curve_levels

    kinds = list(dict.fromkeys([noise] if isinstance(noise, str) else noise))
    sigmas = ([sigma] if isinstance(sigma, (str, int, float)) else list(sigma)
              if sigma is not None else None)
    # as in report: plain methods by default; the Rician-aware variants are fair's
    chosen = resolve_methods(list(methods) if methods else None, variants=False, data="image")
    store = Path(store) if store is not None else default_store()
    noises = [n for kind in kinds
              for n in make_noises(kind, curve_levels(kind) if sigmas is None else sigmas)]
    default_levels = [n for kind in ("gaussian", "rician")
                      for n in make_noises(kind, DEFAULT_SIGMAS)]
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels,
                                split=split, limit=limit)
    check_noise_data(subset, noises)
    setting = Setting(subset.dataset, subset.split, limit,
                      None if noises == default_levels else tuple(noises), seed, clip,
                      sigma_source, tuple(m.name for m in chosen) if methods else None)
    out, protected = report_out(out, report_folder(default_reports(), setting),
                                "curves of another sweep")
    sweeps = []
    if run:
        for kind in kinds:
            sweeps.append(sweep(subset, images, [n for n in noises if n.kind == kind], chosen,
                                store=store, seed=seed, clip=clip, jobs=jobs, device=device,
                                sigma_source=sigma_source, progress_bar=progress_bar,
                                command=command, executor=executor,
                                scheduler=scheduler))
    cells = store_cells(store, subset)
    selection = Selection(subset.dataset, subset.split, seed, clip, sigma_source)
    items, warnings = curve_figures(cells, chosen, selection, out / "figures", kinds=kinds,
                                    sigmas=None if sigmas is None else sorted({n.sigma
                                                                               for n in noises}),
                                    image_ids=subset.ids, keep=protected)
    return CurvesResult(subset, out / "figures", store, list(items), list(warnings), sweeps,
                        keep=protected)
