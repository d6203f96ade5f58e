"""The sweep: every (image, noise, sigma, seed, method) cell once, into the store.

A cell's noisy image is drawn from its identity (see :mod:`benchmark.core.noise`), denoised, scored
and written. A failing cell is recorded with its error and the sweep goes on. Cells already in
the store with status ``ok`` are skipped, so an interrupted sweep resumes where it stopped.
The cells of a batched method (the deep models) are computed a batch at a time
(:func:`evaluate_batch`, :mod:`benchmark.engine.batches`), each still scored and stored alone.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import uuid
from functools import partial
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from benchmark.core.contract import PRECISIONS, Denoiser, Noise, runs_on, slice_wise
from benchmark.data.anatomy import anatomy_recipe
from benchmark.data.cards import ImageSet
from benchmark.core.errors import BenchError
from benchmark.core.estimate import check_sigma_source, estimate_sigma
from benchmark.engine.executors import make_executor
from benchmark.core.masks import anatomy_scores
from benchmark.core.metrics import score
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.engine.provenance import git_commit, library_versions, machine
from benchmark.core.registry import get_method
from benchmark.engine.batches import batch_size as sized_batch, check_batch_size, setting
from benchmark.engine.store import LEASE_SECONDS, CellKey, Store

#: The pseudo-method that scores the noisy input itself (the tables' reference row).
NOISY = "noisy"


def config_id(params: dict[str, Any]) -> str:
    """Short hash of a method's resolved parameters: part of a cell's identity."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


#: Suffix of the config of a cell whose method was given an estimated sigma (blind mode).
ESTIMATED_SUFFIX = "+est"


def cell_config(params: dict[str, Any], *, sigma_source: str = "oracle",
                uses_sigma: bool = True, weights: str = "", precision: str = "fp32") -> str:
    """A cell's ``config``: the parameters' hash, then ``@`` and the ``weights`` digest when
    given, ``+bf16``/``+fp16`` for a reduced ``precision``, and ``+est`` in blind mode.

    A method that does not read sigma gives the same cell in both modes; float32 cells keep
    the config they always had.
    """
    config = config_id(params) + (f"@{weights}" if weights else "")
    if precision != "fp32":
        config += f"+{precision}"
    if check_sigma_source(sigma_source) == "estimated" and uses_sigma:
        config += ESTIMATED_SUFFIX
    return config


def method_config(method: Denoiser, params: Mapping[str, Any] | None = None, *,
                  sigma_source: str = "oracle", precision: str = "fp32") -> str:
    """The ``config`` of ``method``'s cells with ``params`` over its defaults (see
    :func:`cell_config`); a method with trained weights adds their digest."""
    resolved = method.resolve_params(params)
    return cell_config(resolved, sigma_source=sigma_source, uses_sigma=method.uses_sigma,
                       weights=method.weights(resolved) if method.weights else "",
                       precision=precision)


class Split(Protocol):
    """What planning needs of a split: its names and item ids (an :class:`ImageSet` will do);
    a split of curves also says ``data = "curve"``."""

    dataset: str
    split: str
    ids: Sequence[str]


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to compute one cell (``clean`` is attached just before)."""

    key: CellKey
    params: dict[str, Any]
    device: str
    cost: float
    clean: np.ndarray | None = None
    sigma_source: str = "oracle"
    data: str = "image"
    truth: Mapping[str, Any] | None = None  # a curve block's true parameters, time grid, AIF
    precision: str = "fp32"  # of a method that offers others (Denoiser.precisions)


@dataclass(frozen=True)
class CellBatch:
    """Cells of one batched method and setting (:func:`benchmark.engine.batches.setting`), images
    of one shape, computed by one call (:func:`evaluate_batch`)."""

    tasks: tuple[Task, ...]


@dataclass
class SweepResult:
    """What a sweep did: cells computed, skipped (already stored) and failed."""

    planned: int = 0
    skipped: int = 0
    computed: int = 0
    failed: list[tuple[CellKey, str]] = field(default_factory=list)


def _gpu_device_nodes() -> bool:
    """Whether this machine may have a GPU PyTorch can use (False only where it surely has none:
    Linux without NVIDIA or ROCm device files)."""
    if not sys.platform.startswith("linux"):
        return True
    return any(Path("/dev").glob("nvidia[0-9]*")) or Path("/dev/kfd").exists()


DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> str:
    """``device`` when it is one of :data:`DEVICES` (imports nothing), else a one-line error."""
    if device not in DEVICES:
        raise BenchError(f"--device {device!r} is not one of {', '.join(DEVICES)}")
    return device


def resolve_device(device: str, methods: Sequence[Denoiser]) -> str:
    """``auto`` -> ``cuda`` when a selected method can use it and PyTorch sees a GPU, else ``cpu``.

    Asking PyTorch imports it (about 1 s): call this only when a cell or figure that can use
    CUDA is about to be computed (:func:`plan` and :func:`run_sweep` do so for the sweep).
    """
    check_device(device)
    if device == "cpu" or not any("cuda" in m.devices for m in methods):
        return "cpu"
    return _torch_device(device)


def _torch_device(device: str) -> str:
    """``"auto"`` or ``"cuda"`` made ``"cuda"`` or ``"cpu"`` by asking PyTorch, when needed."""
    if device == "auto" and "torch" not in sys.modules and not _gpu_device_nodes():
        return "cpu"  # no GPU driver: no need to import torch (1 s) to be told so
    try:
        import torch

        available = torch.cuda.is_available()
    except ImportError:
        available = False
    if device == "cuda" and not available:
        raise BenchError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu")
    return "cuda" if available else "cpu"


def _with_devices(tasks: Sequence[Task]) -> list[Task]:
    """``tasks`` with ``auto``/``cuda`` resolved (PyTorch is asked only if such a task is here)."""
    chosen = {device: _torch_device(device) for device in {t.device for t in tasks} - {"cpu"}}
    return [task if task.device == "cpu" else replace(task, device=chosen[task.device])
            for task in tasks]


def plan(
    images: Split,
    noises: Sequence[Noise],
    methods: Sequence[Denoiser],
    *,
    seed: int = 0,
    clip: bool = False,
    device: str = "cpu",
    include_noisy: bool = True,
    sigma_source: str = "oracle",
    params_for: Callable[[Denoiser, Noise], dict[str, Any] | None] | None = None,
    precision: str = "fp32",
) -> list[Task]:
    """Every cell of the sweep, slowest methods first (better load balance).

    A method that does not apply to a noise kind (:meth:`Denoiser.applies_to`) gets no cell
    under it, nor one that does not run on the split's data (:func:`runs_on`): a split of
    volumes (``data = "volume"``) takes the volume methods and, slice by slice, the image
    methods; a split of images only the image methods.

    ``device`` ``"auto"`` is kept in the tasks of methods that can use CUDA and resolved by
    :func:`run_sweep` only when such a cell is to be computed, so a sweep with nothing to
    compute never imports PyTorch.

    ``sigma_source`` ``"estimated"`` gives methods that read sigma an estimate from each noisy
    image (blind mode); ``params_for(method, noise)`` may override a method's parameters per
    noise setting (tuned values), ``None`` keeping the defaults.

    ``precision`` (``"bf16"``, ``"fp16"``) applies to the methods that offer it
    (:attr:`Denoiser.precisions`, the deep models), whose cells then have a config of their
    own (``+bf16``); the other methods run as always.
    """
    check_device(device)
    if precision not in PRECISIONS:
        raise BenchError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    data = getattr(images, "data", "image")
    tasks = []
    for noise in noises:
        entries: list[tuple[str, dict[str, Any], str, float, str, str]] = []
        if include_noisy:
            entries.append((NOISY, {}, "cpu", 0.1, "-", "fp32"))
        for method in methods:
            if not method.applies_to(noise.kind) or not runs_on(method, data):
                continue  # e.g. a Rician-aware variant under Gaussian noise, a 3-D method on images
            params = method.resolve_params(params_for(method, noise) if params_for else None)
            method_device = device if "cuda" in method.devices else "cpu"
            runs_at = precision if precision in method.precisions else "fp32"
            config = method_config(method, params, sigma_source=sigma_source, precision=runs_at)
            entries.append((method.name, params, method_device, method.cost, config, runs_at))
        for image_id in images.ids:
            for name, params, method_device, cost, config, runs_at in entries:
                key = CellKey(images.dataset, images.split, image_id, noise.kind, noise.sigma,
                              clip, seed, name, config)
                tasks.append(Task(key, params, method_device, cost, data=data,
                                  sigma_source=sigma_source if name != NOISY else "oracle",
                                  precision=runs_at))
    tasks.sort(key=lambda task: -task.cost)  # stable: keeps image order within a method
    return tasks


def reference(clean: np.ndarray, noise: Noise) -> np.ndarray:
    """What a cell under ``noise`` is scored against: its noise model's reference of the clean
    item (:meth:`benchmark.core.noise.NoiseModel.reference`; the clean item itself, except for
    a kind whose sampler also blurs, e.g. the noiseless reconstruction of low-dose CT)."""
    return get_noise_model(noise.kind).reference(clean)


def evaluate(task: Task) -> tuple[CellKey, dict[str, Any]]:
    """Compute one cell: draw the noise, denoise, score. Never raises for a method's failure.

    Scores are against the noise model's reference of the clean item (:func:`reference`).
    An image cell denoises one image (a stack of one) and scores PSNR/SSIM; a curve cell
    denoises its block of curves (the block is the stack) and scores every curve
    (:func:`benchmark.core.curve_metrics.score_curves`); a volume cell denoises one volume (a
    stack of one for a volume method; for an image method, slice-wise, the stack of its D
    slices) and scores it in 3-D and per slice
    (:func:`benchmark.core.volume_metrics.score_volume`).
    """
    key = task.key
    noise = Noise(key.noise, key.sigma)
    noisy = add_noise(task.clean, noise, image_id=key.image_id, seed=key.seed, clip=key.clip)
    curves = task.data == "curve"
    result: dict[str, Any] = {"params": task.params, "device": task.device, "extra": {}}
    try:
        start = time.perf_counter()
        if key.method == NOISY:
            estimate = noisy
        else:
            denoiser = get_method(key.method)
            told = noise
            if task.sigma_source == "estimated" and denoiser.uses_sigma:
                told = Noise(key.noise, estimate_sigma(noisy, key.noise))
                result["extra"].update(sigma_estimated=told.sigma,
                                       sigma_error=told.sigma / noise.sigma - 1.0)
            whole = curves or slice_wise(denoiser, task.data)  # the item is the stack itself
            stack = noisy if whole else noisy[None]
            estimate = denoiser(stack, told, device=task.device, params=task.params,
                                precision=task.precision)
            estimate = estimate if whole else estimate[0]
        result["seconds"] = time.perf_counter() - start
        if curves:
            from benchmark.core.curve_metrics import score_curves

            result["extra"].update(score_curves(task.clean, estimate, task.truth)["extra"])
        elif task.data == "volume":
            from benchmark.core.volume_metrics import score_volume

            scores = score_volume(reference(task.clean, noise), estimate)
            result["extra"].update(scores.pop("extra"))
            result.update(scores)
        else:
            target = reference(task.clean, noise)
            result.update(score(target, estimate))
            result["extra"].update(anatomy_scores(target, estimate,
                                                  recipe=anatomy_recipe(key.dataset)))
        result["status"] = "ok"
    except Exception as error:  # a failing cell is recorded, the sweep goes on
        message = " ".join(str(error).split()) or "no message"
        result.update(status="error", error=f"{type(error).__name__}: {message}"[:500])
    return key, result


#: Settings whose model this process has run once (loaded, warmed) before timing a batch.
_WARMED: set[tuple] = set()
#: Side of the crop of one image that warms a batched method (loads its model) untimed.
WARM_SIDE = 64


def evaluate_batch(batch: CellBatch) -> list[tuple[CellKey, dict[str, Any]]]:
    """Compute the cells of ``batch`` with one call of their method. Never raises.

    Each image gets its own noise draw (as in :func:`evaluate`) and its own scores. The first
    batch of a setting in a process first runs the method on a crop of one image
    (:data:`WARM_SIDE` px), untimed, so that loading the model is not timed; each cell's
    ``seconds`` is then the batch's denoising time divided by its number of images (so model
    loading is in no cell's time). If the call fails, every cell of the batch is recorded as failed with
    its error; a cell whose scoring fails is recorded as failed alone.
    """
    tasks = batch.tasks
    first = tasks[0]
    noise = Noise(first.key.noise, first.key.sigma)
    results = [{"params": task.params, "device": task.device, "extra": {}} for task in tasks]
    try:
        noisy = np.stack([add_noise(task.clean, noise, image_id=task.key.image_id,
                                    seed=task.key.seed, clip=task.key.clip) for task in tasks])
        denoiser = get_method(first.key.method)
        options = dict(device=first.device, params=first.params, precision=first.precision)
        warm = (setting(first), id(denoiser.function))  # a method registered anew: warm again
        if warm not in _WARMED:  # a crop of one image suffices to load the model
            denoiser(noisy[:1, :WARM_SIDE, :WARM_SIDE], noise, **options)
            _WARMED.add(warm)
        start = time.perf_counter()
        estimates = denoiser(noisy, noise, **options)
        seconds = (time.perf_counter() - start) / len(tasks)
    except Exception as error:  # the batch's cells are recorded as failed, the sweep goes on
        return [(task.key, {**result, "status": "error", "error": _error_text(error)})
                for task, result in zip(tasks, results)]
    for task, result, estimate in zip(tasks, results, estimates):
        result["seconds"] = seconds
        try:
            target = reference(task.clean, noise)
            result.update(score(target, estimate))
            result["extra"].update(anatomy_scores(target, estimate,
                                                  recipe=anatomy_recipe(task.key.dataset)))
            result["status"] = "ok"
        except Exception as error:
            result.update(status="error", error=_error_text(error))
    return [(task.key, result) for task, result in zip(tasks, results)]


def compute(unit: Task | CellBatch) -> list[tuple[CellKey, dict[str, Any]]]:
    """The cells of one unit of work: a task (:func:`evaluate`) or a batch
    (:func:`evaluate_batch`)."""
    return evaluate_batch(unit) if isinstance(unit, CellBatch) else [evaluate(unit)]


def _error_text(error: Exception) -> str:
    """A cell's recorded error: the exception's type and its message on one line."""
    message = " ".join(str(error).split()) or "no message"
    return f"{type(error).__name__}: {message}"[:500]


def _batched(task: Task) -> bool:
    """Whether ``task`` is computed in a batch: an image cell of a batched method that is
    given one sigma for all its images (not an estimate per image)."""
    if task.data != "image" or task.key.method == NOISY:
        return False
    method = get_method(task.key.method)
    return method.batched and not (task.sigma_source == "estimated" and method.uses_sigma)


#: Below this many CPU cells a sweep runs in this process: starting a pool costs more than it
#: saves (see docs/store.md for the measurement).
INLINE_BELOW = 10
#: Seconds between two looks at cells another run is computing.
POLL_SECONDS = 0.5


def run_sweep(
    tasks: Sequence[Task],
    store: Store,
    images: ImageSet | Callable[[], ImageSet],
    *,
    jobs: int = 1,
    progress: bool = True,
    command: str = "",
    cell_timeout: float | None = None,
    batch_size: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
) -> SweepResult:
    """Compute the tasks not yet in ``store`` and write each as it finishes.

    Cells are claimed in the store before they are computed, so two runs on one store compute
    each cell once: a cell another live run has claimed is skipped, then waited for (and taken
    over if that run dies). A store that cannot be written is refused before anything is loaded.

    Parameters
    ----------
    tasks : sequence of Task
        From :func:`plan`.
    store : Store
        Where cells are read from (to skip) and written to.
    images : ImageSet or callable
        The clean images, or a function that loads them (called only if a cell is missing).
    jobs : int
        Worker processes for CPU cells; 1 runs in this process, and so do sweeps of fewer than
        :data:`INLINE_BELOW` CPU cells. Cells on a GPU always run in this process, and so do
        the cells of a method the workers do not know (registered in a notebook or a script
        rather than in :mod:`methods` or a ``BENCH_PLUGINS`` module).
    progress : bool
        Show a progress bar (cells done, rate, time left) on stderr.
    command : str
        The command line, recorded with the run's provenance.
    cell_timeout : float, optional
        Seconds a cell may take in a worker process; a cell past it is recorded as failed
        ("timed out after N s") and the pool's workers are replaced (the other cells in
        flight are computed again). With a limit, CPU cells always run in worker processes
        (at least one), except those of methods the workers do not know. A batch (below)
        is one unit under the limit: past it, each of its cells is recorded as timed out.
    batch_size : int, optional
        Images per call of a batched method (the deep models), whose cells of one setting are
        computed together (:func:`evaluate_batch`); default: chosen from the device
        (:func:`benchmark.engine.batches.batch_size`). 1 computes them one image a call.
    executor : {"process", "dask"}
        Where CPU cells run: a pool of ``jobs`` local processes, or a Dask cluster (the one at
        ``scheduler``, else a local one of ``jobs`` workers), which then computes every CPU
        cell whatever their number (:mod:`benchmark.engine.dask_executor`). Only this process
        writes the store.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``), with ``executor="dask"``.
    """
    from tqdm import tqdm

    check_batch_size(batch_size)
    outcome = SweepResult(planned=len(tasks))
    before = store.states(task.key for task in tasks)
    todo = list({task.key: task for task in tasks
                 if not (before[task.key] and before[task.key][0] == "ok")}.values())
    outcome.skipped = len(tasks) - len(todo)
    if not todo:
        return outcome
    todo = _with_devices(todo)  # only now: PyTorch is imported only if a CUDA cell is missing
    store.require_writable()
    session = _Session(store, images, command)
    cpu_cells = sum(task.device != "cuda" for task in todo)
    workers = min(jobs, cpu_cells) if cpu_cells >= INLINE_BELOW else 1
    token = uuid.uuid4().hex
    heartbeat = _Heartbeat(store.path, token)
    bar = tqdm(total=len(todo), unit="cell", disable=not progress, file=sys.stderr,
               dynamic_ncols=True, desc="cells")
    in_pool = cpu_cells > 0 and (workers > 1 or cell_timeout is not None or executor != "process")
    pool = (make_executor(workers, timeout=cell_timeout, executor=executor, scheduler=scheduler)
            if in_pool else make_executor(1))
    remaining, waiting_noted = todo, False
    heartbeat.start()
    try:
        here = _not_in_workers(pool, todo) if in_pool else set()
        while remaining:
            claimed: list[CellKey] = []
            inline = [t for t in remaining if t.device == "cuda" or t.key.method in here]
            pooled = [t for t in remaining if not (t.device == "cuda" or t.key.method in here)]
            streams = (make_executor(1).imap_unordered(compute, session.claim(
                           inline, token, before, claimed, batch_size=batch_size)),
                       pool.imap_unordered(compute, session.claim(
                           pooled, token, before, claimed, batch=2 * workers,
                           batch_size=batch_size),
                           on_timeout=partial(_timed_out, seconds=cell_timeout)))
            for key, result in (cell for stream in streams for cells in stream for cell in cells):
                if not store.put(key, result, run_id=session.run_id):
                    continue  # already stored ok (a result that came twice): once only
                outcome.computed += 1
                if result["status"] != "ok":
                    outcome.failed.append((key, result["error"]))
                    bar.set_postfix(failed=len(outcome.failed))
                bar.update()
            mine = set(claimed)
            rest = [task for task in remaining if task.key not in mine]
            now = store.states(task.key for task in rest)
            remaining = [t for t in rest if now[t.key] == before[t.key]
                         and not (now[t.key] and now[t.key][0] == "ok")]
            outcome.skipped += len(rest) - len(remaining)  # written by another run meanwhile
            bar.update(len(rest) - len(remaining))
            if remaining and not claimed:
                if not waiting_noted:
                    holders = ", ".join(f"pid {pid} on {host}" for pid, host in
                                        sorted(store.claimants(t.key for t in remaining)))
                    bar.write(f"waiting for {len(remaining)} cells another run is computing "
                              f"({holders or 'just released'})", file=sys.stderr)
                    waiting_noted = True
                time.sleep(POLL_SECONDS)
    finally:
        bar.close()
        pool.close()
        heartbeat.stop()
        try:
            store.release_claims(token)
        except BenchError:
            pass  # they expire with their lease
    return outcome


def _timed_out(unit: Task | CellBatch, *, seconds: float) -> list[tuple[CellKey, dict[str, Any]]]:
    """The results of a unit (a cell, or each cell of a batch) given up after ``seconds``."""
    return [(task.key, {"status": "error", "error": f"timed out after {seconds:g} s",
                        "params": task.params, "device": task.device, "extra": {}})
            for task in (unit.tasks if isinstance(unit, CellBatch) else (unit,))]


def _registered_names(_: Any = None) -> list[str]:
    """The methods a process knows (run in a worker: those of :mod:`methods` and the plugins)."""
    from benchmark.core.registry import method_names

    return method_names()


def _not_in_workers(executor: Any, tasks: Sequence[Task]) -> set[str]:
    """The methods of ``tasks`` that the pool's workers do not know, asked of one worker.

    A worker imports :mod:`methods` and ``BENCH_PLUGINS`` only; a method registered anywhere
    else (a notebook, a script, a test) is known only in this process, so its cells run here.
    """
    wanted = {task.key.method for task in tasks} - {NOISY}
    if not wanted:
        return set()
    known = list(executor.imap_unordered(_registered_names, [None]))[0]
    return wanted - set(known)


class _Session:
    """What a sweep makes only once it has a cell to compute: the images and its run id."""

    def __init__(self, store: Store, images: ImageSet | Callable[[], ImageSet], command: str):
        self._store, self._images, self._command = store, images, command
        self._run_id: int | None = None

    @property
    def images(self) -> ImageSet:
        if callable(self._images):
            self._images = self._images()
        return self._images

    @property
    def run_id(self) -> int:
        if self._run_id is None:
            self._run_id = self._store.start_run(command=self._command, git_commit=git_commit(),
                                                 versions=library_versions(), machine=machine())
        return self._run_id

    def claim(self, tasks: Sequence[Task], token: str, before: dict[CellKey, Any],
              claimed: list[CellKey], *, batch: int = 2,
              batch_size: int | None = None) -> Iterator[Task | CellBatch]:
        """Claim ``tasks`` a few at a time as the executor asks; yield those now ours.

        ``batch`` cells are claimed at a time; the cells of a batched method come as
        :class:`CellBatch` units of one setting and image shape, claimed a batch at a time
        (``batch_size`` images, or chosen by :func:`benchmark.engine.batches.batch_size`).
        """
        for together, group in self._groups(tasks, batch):
            if not together:
                yield from self._claim(group, token, before, claimed)
                continue
            by_shape: dict[tuple[int, ...], list[Task]] = {}
            for task in group:
                by_shape.setdefault(self.images.image(task.key.image_id).shape, []).append(task)
            for shape, same in by_shape.items():
                size = sized_batch(group[0].device, shape, batch_size)
                for start in range(0, len(same), size):
                    ours = list(self._claim(same[start:start + size], token, before, claimed))
                    if ours:
                        yield CellBatch(tuple(ours))

    @staticmethod
    def _groups(tasks: Sequence[Task], batch: int) -> list[tuple[bool, list[Task]]]:
        """``tasks`` as groups in their order: ``(False, up to batch cells)`` claimed and
        computed one by one, ``(True, cells of one batched setting)``."""
        groups: list[tuple[bool, list[Task]]] = []
        batched: dict[Any, list[Task]] = {}
        for task in tasks:
            if _batched(task):
                if setting(task) not in batched:
                    batched[setting(task)] = []
                    groups.append((True, batched[setting(task)]))
                batched[setting(task)].append(task)
            else:
                if not groups or groups[-1][0] or len(groups[-1][1]) == batch:
                    groups.append((False, []))
                groups[-1][1].append(task)
        return groups

    def _claim(self, tasks: Sequence[Task], token: str, before: dict[CellKey, Any],
               claimed: list[CellKey]) -> Iterator[Task]:
        """Claim ``tasks``; yield those now ours, with their clean item attached."""
        chunk = {task.key: task for task in tasks}
        keys = self._store.claim(list(chunk), token, before)
        claimed.extend(keys)
        if keys:
            self.run_id  # the run is recorded before its first cell is computed
        for key in keys:
            task = chunk[key]
            truth = self.images.truth(key.image_id) if task.data == "curve" else None
            yield replace(task, clean=self.images.image(key.image_id), truth=truth)


class _Heartbeat:
    """A thread that renews a run's claims while it lives (its own store connection)."""

    def __init__(self, path, token: str):
        self._path, self._token = path, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="claims-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        with Store(self._path) as store:
            while not self._stop.wait(LEASE_SECONDS / 4):
                try:
                    store.renew_claims(self._token)
                except BenchError:
                    pass  # busy or gone: the next beat tries again
