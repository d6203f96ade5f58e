"""The ``run`` workflow: sweep methods x noise levels over a dataset split into the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from benchmark.core.contract import Noise
from benchmark.workflows._split import (Subset, check_noise_data, default_store, load_split, make_noises,
                                        store_cells, sweep)

if TYPE_CHECKING:
    import pandas as pd

    from benchmark.engine.runner import SweepResult


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` did and measured.

    Attributes
    ----------
    subset : Subset
        Dataset, split and image ids swept.
    noises : list of Noise
        The noise settings swept.
    methods : list of str
        The methods swept, in registration order (the noisy input is the extra ``"noisy"`` row).
    store : pathlib.Path
        The run store the cells are in.
    sweep : SweepResult
        Cells planned, computed, skipped (already stored) and failed, with their errors.
    cells : pandas.DataFrame
        One row an image, noise setting and method (``"noisy"`` included): the per-image
        metrics (``psnr``, ``ssim``, ``psnr_anatomy``, ...) of this sweep's ok cells, read back
        from the store, with their keys and provenance.
    """

    subset: Subset
    noises: list[Noise]
    methods: list[str]
    store: Path
    sweep: "SweepResult"
    cells: "pd.DataFrame" = field(repr=False)

    def means(self, noise: Noise | None = None) -> "pd.DataFrame":
        """Mean metrics per method for ``noise`` (default: the first noise setting swept)."""
        from benchmark.report.means import mean_table

        return mean_table(self.cells, noise or self.noises[0], ["noisy", *self.methods])

    def summary(self) -> str:
        """The means of every noise setting as text (what ``bench run`` prints)."""
        from benchmark.report.means import format_means

        return format_means(self.cells, self.noises, ["noisy", *self.methods])


def run(*, noise: str, sigma: Sequence[float | str] | float, methods: Sequence[str] | None = None,
        dataset: str = "mni152", data: str | Path | None = None, window: str | None = None,
        strict: bool = False, max_pixels: int | None = None,
        max_voxels: int | None = None, split: str | None = None, limit: int | None = None, seed: int = 0,
        clip: bool = False, jobs: int = 1, device: str = "auto",
        store: str | Path | None = None, sigma_source: str = "oracle",
        progress_bar: bool = False, cell_timeout: float | None = None,
        volumes: bool = False, batch_size: int | None = None, precision: str = "fp32",
        executor: str = "process", scheduler: str | None = None,
        command: str = "benchmark.run()") -> RunResult:
    """Sweep ``methods`` x noise levels over a dataset split; cells already stored are reused.

    The same as ``bench run``: each cell (image, noise, sigma, seed, method, parameters) is
    computed once, written to the SQLite ``store``, and skipped by later runs.

    Parameters
    ----------
    noise : str
        Noise kind: ``"gaussian"`` or ``"rician"``.
    sigma : float or sequence of float
        One or more noise levels, fractions of the [0, 1] intensity range (e.g. 0.1).
    methods : sequence of str, optional
        Registered denoisers (see :func:`benchmark.method_names`); default: all.
    dataset : str
        Dataset card (default ``"mni152"``, shipped with nilearn).
    data : str or path, optional
        A DICOM, NIfTI or PNG/JPEG/TIFF file or folder instead of a card.
    window : str, optional
        CT window for ``data`` (``brain``, ..., or ``"CENTRE,WIDTH"`` in HU).
    strict : bool
        Unreadable or unusable files are errors, not skipped.
    max_pixels, max_voxels : int, optional
        Raise the size guards checked from file headers before decoding
        (:mod:`benchmark.data.limits`).
    split : str, optional
        Split of the card (default ``"test"``; a ``data`` folder has ``"all"``).
    limit : int, optional
        Use only the first ``limit`` images of the split.
    seed : int
        Noise replicate.
    clip : bool
        Clip noisy images to [0, 1].
    jobs : int
        Worker processes for CPU cells (1: in this process).
    device : {"auto", "cpu", "cuda"}
        Device for methods that can use a GPU.
    store : str or path, optional
        SQLite run store (default: ``results/bench.sqlite`` in the working folder).
    sigma_source : {"oracle", "estimated"}
        Sigma given to methods: the true level, or one estimated from each noisy image.
    progress_bar : bool
        Show a progress bar of the cells on stderr (nothing is printed otherwise).
    cell_timeout : float, optional
        Seconds a cell may take in a worker process; past it the cell is recorded as failed
        and the workers are replaced (see :func:`benchmark.engine.runner.run_sweep`).
    volumes : bool
        One cell a whole volume (``(D, H, W)``) instead of a slice: the card's volumes (the
        MNI152 test slabs) or the ``data`` series' (:mod:`benchmark.data.volumes`). The 3-D
        methods run on each volume, the image methods slice by slice; scores are on the volume
        (PSNR, 3-D SSIM) with the per-slice means in the cells' extras.
    batch_size : int, optional
        Images per call of a batched method (the deep models), whose cells of one noise
        setting are computed together and scored one by one; default: 16 on a CPU, from the
        free memory on CUDA (:func:`benchmark.engine.batches.batch_size`).
    precision : {"fp32", "bf16", "fp16"}
        Numeric precision of the methods that offer others (the deep models, under
        ``torch.autocast``); their cells at bf16/fp16 have a config of their own (``+bf16``),
        so they never mix with the tables' float32 cells. Other methods run as always.
    executor : {"process", "dask"}
        Where CPU cells run: local worker processes, or a Dask cluster (see docs/cluster.md).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``) for ``executor="dask"``;
        without it a local cluster of ``jobs`` workers is started.
    command : str
        Recorded with the run's provenance.

    Returns
    -------
    RunResult
        The sweep's outcome and its per-image metrics (``result.cells``); ``result.means()``
        gives each method's mean.

    Examples
    --------
    Two test images of the MNI152 template, one filter, into a scratch store:

    >>> import tempfile, pathlib
    >>> store = pathlib.Path(tempfile.mkdtemp()) / "bench.sqlite"
    >>> result = run(noise="gaussian", sigma=0.1, methods=["gaussian-filter"], limit=2,
    ...              store=store)
    >>> result.sweep.computed, len(result.sweep.failed)
    (4, 0)
    >>> sorted(result.cells["method"].unique())
    ['gaussian-filter', 'noisy']
    >>> means = result.means()
    >>> bool(means.loc["gaussian-filter", "psnr"] > means.loc["noisy", "psnr"])
    True
    >>> run(noise="gaussian", sigma=0.1, methods=["gaussian-filter"], limit=2,
    ...     store=store).sweep.skipped
    4
    """
    from benchmark.core.registry import resolve_methods
    from benchmark.engine.executors import check_executor
    from benchmark.report.means import sweep_cells

    check_executor(executor, scheduler, cell_timeout)
    noises = make_noises(noise, sigma)
    subset, images = load_split(dataset=dataset, data=data, window=window, strict=strict,
                                max_pixels=max_pixels, max_voxels=max_voxels,
                                split=split, limit=limit, volumes=volumes)
    check_noise_data(subset, noises)
    chosen = resolve_methods(list(methods) if methods else None, kind=noises[0].kind,
                             data=subset.data)
    store = Path(store) if store is not None else default_store()
    outcome = sweep(subset, images, noises, chosen, store=store, seed=seed, clip=clip, jobs=jobs,
                    device=device, sigma_source=sigma_source, progress_bar=progress_bar,
                    command=command, cell_timeout=cell_timeout, batch_size=batch_size,
                    precision=precision, executor=executor, scheduler=scheduler)
    cells = sweep_cells(store_cells(store, subset), subset, noises, chosen, seed=seed, clip=clip,
                        sigma_source=sigma_source, precision=precision)
    return RunResult(subset, noises, [m.name for m in chosen], store, outcome, cells)
