"""What every workflow shares: the split of a card or a folder, the sweep of its cells."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError

if TYPE_CHECKING:
    from benchmark.core.contract import Denoiser
    from benchmark.engine.store import Store
    from benchmark.data.cards import ImageSet
    from benchmark.engine.runner import SweepResult

#: The optional progress callback of every workflow: one line of text a step.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Subset:
    """The images a workflow uses: dataset name, split and image ids (no pixels); ``data``
    is ``"curve"`` for a split of DCE curve blocks, ``"volume"`` for a split of whole volumes
    (``--volumes``)."""

    dataset: str
    split: str
    ids: tuple[str, ...]
    data: str = "image"


def default_store() -> Path:
    """The run store used when none is given."""
    from benchmark.core import paths

    return Path(paths.DEFAULT_STORE)


def default_reports() -> Path:
    """The report folder used when none is given."""
    from benchmark.core import paths

    return Path(paths.REPORTS_DIR)


def say(progress: Progress | None, message: str) -> None:
    """Hand ``message`` to the progress callback, if there is one."""
    if progress is not None:
        progress(message)


def check_positive(name: str, value: int | None) -> None:
    """``value`` must be a whole number of 1 or more (``None`` is allowed: not given)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise BenchError(f"{name} {value!r} must be a whole number of 1 or more")


def make_noises(kind: str, sigmas: Sequence[float | str]) -> list[Noise]:
    """One :class:`Noise` a level (each checked)."""
    if isinstance(sigmas, (str, int, float)):
        sigmas = [sigmas]
    return [Noise(kind, sigma) for sigma in sigmas]


def check_noise_data(subset: Subset, noises: Sequence[Noise]) -> None:
    """Each noise kind must take the subset's data: relative-Gaussian noise is the noise of
    curves, Gaussian and Rician noise that of images.

    Raises
    ------
    BenchError
        In one line, naming the kind, the data and the kinds that fit.
    """
    from benchmark.core.noise import get_noise_model, noise_kinds

    for kind in dict.fromkeys(noise.kind for noise in noises):
        if subset.data in get_noise_model(kind).data:
            continue
        fitting = [k for k in noise_kinds() if subset.data in get_noise_model(k).data]
        raise BenchError(f"--noise {kind} does not apply to {subset.dataset}, whose items are "
                         f"{subset.data}s: {' or '.join(fitting) or 'no kind'} is the noise of "
                         f"{subset.data}s; use --noise {fitting[0] if fitting else '...'}")


def load_split(*, dataset: str = "mni152", data: str | Path | None = None,
               window: str | None = None, strict: bool = False, split: str | None = None,
               limit: int | None = None, max_pixels: int | None = None,
               max_voxels: int | None = None,
               volumes: bool = False) -> tuple[Subset, Callable[[], "ImageSet"]]:
    """The card and the split's ids (pixels are loaded only when cells are missing).

    With ``volumes``, the items are the split's whole volumes
    (:func:`benchmark.data.volumes.load_volumes`) instead of its slices.

    Returns the :class:`Subset` and a function that loads its images (once, on first call).
    """
    from benchmark.data.cards import image_ids, load_card, load_images
    from benchmark.data.volumes import load_volumes, require_volumes, volume_ids
    from benchmark.data.loaders.detect import path_card

    check_positive("limit", limit)
    card = (path_card(data, window=window, strict=strict) if data
            else load_card(dataset))
    if window and not data:
        raise BenchError("--window applies to --data; a dataset card sets its window in "
                         "[normalisation]")
    sizes = {name: value for name, value in (("max_pixels", max_pixels), ("max_voxels", max_voxels))
             if value is not None}
    card = card.with_loader(strict=card.loader.strict or strict, **sizes)
    split = split or ("all" if data else "test")
    if volumes:
        require_volumes(card)
    ids = volume_ids(card, split) if volumes else image_ids(card, split)
    loaded = None

    def images():
        nonlocal loaded
        if loaded is None:
            loaded = (load_volumes if volumes else load_images)(card, split).head(limit)
        return loaded

    if ids is None:  # this loader cannot list ids without reading: load now, validating early
        ids = list(images().ids)
    subset = Subset(dataset=card.name, split=split, ids=tuple(ids[:limit]),
                    data="volume" if volumes else card.data)
    return subset, images


def sweep(subset: Subset, images: Callable[[], "ImageSet"], noises: Sequence[Noise],
          methods: Sequence["Denoiser"], *, store: Path, seed: int = 0, clip: bool = False,
          jobs: int = 1, device: str = "auto", sigma_source: str = "oracle",
          progress_bar: bool = False, command: str = "",
          cell_timeout: float | None = None, batch_size: int | None = None,
          precision: str = "fp32", executor: str = "process",
          scheduler: str | None = None) -> "SweepResult":
    """Plan and run the cells of ``noises`` x ``methods`` over ``subset`` into ``store``.

    The normalisation of the images is noted in the store's data log when they are loaded.
    Fewer than :data:`benchmark.engine.runner.INLINE_BELOW` CPU cells to compute run in this
    process whatever ``jobs`` says. ``device`` ``"auto"`` is resolved (PyTorch asked) only
    when a cell that can use CUDA is missing. ``cell_timeout``: seconds a cell may take in a
    worker before it is recorded as failed (see :func:`benchmark.engine.runner.run_sweep`).
    ``batch_size``: images per call of a batched method (default: chosen from the device);
    ``precision``: ``"bf16"``/``"fp16"`` for the methods that offer it (cells of their own);
    ``executor`` and ``scheduler``: where CPU cells run.
    """
    from benchmark.engine.runner import plan, run_sweep
    from benchmark.engine.store import Store

    check_positive("jobs", jobs)
    tasks = plan(subset, noises, methods, seed=seed, clip=clip, device=device,
                 sigma_source=sigma_source, precision=precision)

    with Store(store) as opened:
        return run_sweep(tasks, opened, noted(images, opened), jobs=jobs, progress=progress_bar,
                         command=command, cell_timeout=cell_timeout, batch_size=batch_size,
                         executor=executor, scheduler=scheduler)


def noted(images: Callable[[], "ImageSet"], store: "Path | Store") -> Callable[[], "ImageSet"]:
    """``images``, noting in ``store``'s data log how they were normalised when loaded."""

    def noted_images():  # loaded only when cells are missing
        from benchmark.engine.store import Store

        loaded = images()
        if isinstance(store, Store):
            store.record_images(loaded)
        else:
            with Store(store) as opened:
                opened.record_images(loaded)
        return loaded

    return noted_images


def store_cells(store: Path, subset: Subset):
    """The store's cells of ``subset``'s images (every noise, method and setting)."""
    from benchmark.engine.store import Store

    with Store(store) as opened:
        cells = opened.frame()
    return cells[cells["image_id"].isin(subset.ids)]
