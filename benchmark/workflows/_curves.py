"""The ``curves`` workflow: sweep the noise levels of Figure 3 into the store, draw the curves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.workflows._split import (Subset, default_reports, default_store, load_split,
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
        Where the figures are (``OUT/figures``).
    store : pathlib.Path
        The run store the cells are in.
    figures : list of FigureItem
        One a noise kind with at least two levels in the store (title, caption, PNG bytes; the
        PNG is also written to ``folder``).
    warnings : list of str
        What could not be drawn, and why.
    sweeps : list of SweepResult
        One a noise kind (empty with ``run=False``).
    """

    subset: Subset
    folder: Path
    store: Path
    figures: list["FigureItem"]
    warnings: list[str]
    sweeps: list["SweepResult"]


def curves(*, noise: Sequence[str] = ("gaussian", "rician"),
           sigma: Sequence[float | str] = DEFAULT_SIGMAS, methods: Sequence[str] | None = None,
           out: str | Path | None = None, run: bool = True, dataset: str = "mni152",
           data: str | Path | None = None, window: str | None = None, strict: bool = False, max_pixels: int | None = None,
        max_voxels: int | None = None,
           split: str | None = None, limit: int | None = None, seed: int = 0,
           clip: bool = False, jobs: int = 1, device: str = "auto",
           store: str | Path | None = None, sigma_source: str = "oracle",
           progress_bar: bool = False, command: str = "benchmark.curves()") -> CurvesResult:
    """SSIM and PSNR against the noise level (Figure 3), one PNG a noise kind.

    The same as ``bench curves``: the missing cells of every kind and level are computed
    first (unless ``run=False``), then the curves are drawn from the store.

    Parameters
    ----------
    noise : sequence of str
        Noise kinds.
    sigma : sequence of float
        Noise levels (default: Figure 3's, 0.02 to 0.2).
    methods : sequence of str, optional
        Denoisers (default: all).
    out : str or path, optional
        Report folder; figures go to ``out/figures`` (default: the project's ``reports/``).
    run : bool
        Compute missing cells first; ``False`` only reads the store.
    dataset, data, window, strict, split, limit, seed, clip, jobs, device, store, sigma_source
        As for :func:`benchmark.run`.
    progress_bar : bool
        Show a progress bar of the cells on stderr (nothing is printed otherwise).
    command : str
        Recorded with the run's provenance.

    Returns
    -------
    CurvesResult
        The figures drawn and what could not be.

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
    from benchmark.report.build import curve_figures
    from benchmark.report.tables import Selection

    kinds = [noise] if isinstance(noise, str) else list(noise)
    chosen = resolve_methods(list(methods) if methods else None)
    store = Path(store) if store is not None else default_store()
    out = Path(out) if out is not None else default_reports()
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels,
                                split=split, limit=limit)
    sweeps = []
    if run:
        for kind in kinds:
            sweeps.append(sweep(subset, images, make_noises(kind, sigma), chosen, store=store,
                                seed=seed, clip=clip, jobs=jobs, device=device,
                                sigma_source=sigma_source, progress_bar=progress_bar,
                                command=command))
    cells = store_cells(store, subset)
    selection = Selection(subset.dataset, subset.split, seed, clip)
    items, warnings = curve_figures(cells, chosen, selection, out / "figures", kinds=kinds)
    return CurvesResult(subset, out / "figures", store, list(items), list(warnings), sweeps)
