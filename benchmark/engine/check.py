"""Regression checks of the metrics: a small fixed sweep compared with a committed baseline.

``bench check`` runs every registered method on a fixed subset (the first four MNI152 test
slices, Gaussian sigma 0.10 and Rician sigma 0.11, seed 0, CPU) into a temporary store,
averages PSNR and SSIM per method, and compares the means with the shipped
``benchmark/engine/baseline/*.csv``
(one file per noise setting). A mean that drops by more than its tolerance, or a baseline
method that fails or is gone, is a regression; a method new since the baseline is reported,
never failed.

Each further noise kind with a ``report_level`` (the kinds of Table 3 onward) is checked too,
at that level, on the first four test images of its ``default_dataset``: every method that
applies to it and can denoise it here (a deep model no checkpoint covers is left out). A kind
without a baseline file yet has its methods reported as new.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.data.cards import ImageSet, load_dataset
from benchmark.core.errors import BenchError
from benchmark.core.metrics import METRICS
from benchmark.engine.runner import NOISY, method_config, plan, run_sweep
from benchmark.engine.store import Store, under_noise

#: The fixed subset the check runs on.
CHECK_DATASET = "mni152"
CHECK_SPLIT = "test"
CHECK_IMAGES = 4
CHECK_NOISES: tuple[Noise, ...] = (Noise("gaussian", 0.10), Noise("rician", 0.11))
CHECK_SEED = 0

#: How far a mean may drop before it counts as a regression (the metric's own units).
TOLERANCES: dict[str, float] = {"psnr": 0.1, "ssim": 0.002}

#: The committed baseline, shipped as package data so that an installed ``bench check`` finds it.
BASELINE_DIR = Path(__file__).resolve().with_name("baseline")

#: Columns of a baseline CSV, one row a method (the noisy input included).
BASELINE_COLUMNS = ["method", "config", "n", "failed", "psnr", "ssim"]

#: Outcomes of one (noise, method, metric) comparison; the first three fail the check.
REGRESSIONS = ("worse", "failed", "missing")


@dataclass(frozen=True)
class Change:
    """One comparison of a method's metric with the baseline.

    ``status`` is one of: ``same`` (within tolerance), ``better``, ``worse``, ``failed`` (some
    cells errored, or the method ran on fewer images), ``missing`` (in the baseline, not
    registered now), ``new`` (registered now, not in the baseline).
    """

    noise: str
    method: str
    metric: str
    status: str
    baseline: float
    current: float
    note: str = ""

    @property
    def delta(self) -> float:
        return self.current - self.baseline

    @property
    def regression(self) -> bool:
        return self.status in REGRESSIONS

    def describe(self) -> str:
        """One line for the terminal."""
        unit = METRICS[self.metric].unit if self.metric in METRICS else ""
        values = ""
        if math.isfinite(self.baseline) and math.isfinite(self.current):
            values = (f"{self.baseline:.4f} -> {self.current:.4f} "
                      f"({self.delta:+.4f}{' ' + unit if unit else ''})")
        elif math.isfinite(self.current):
            values = f"{self.current:.4f}"
        elif math.isfinite(self.baseline):
            values = f"baseline {self.baseline:.4f}"
        text = f"{self.status:8s} {self.noise:16s} {self.method:24s} {self.metric:5s} {values}"
        return text + (f"  [{self.note}]" if self.note else "")


def kind_noises(kinds: Sequence[str] | None = None) -> tuple[Noise, ...]:
    """The check settings of the further noise kinds: each kind with a report level (or each
    of ``kinds``) at that level.

    Examples
    --------
    >>> [str(n) for n in kind_noises(["poisson"])]
    ['poisson sigma=30']
    """
    from benchmark.core.noise import get_noise_model, report_kinds

    chosen = report_kinds() if kinds is None else [k for k in report_kinds() if k in kinds]
    return tuple(Noise(kind, get_noise_model(kind).report_level) for kind in chosen)


def check_noises(kinds: Sequence[str] | None = None) -> tuple[Noise, ...]:
    """Every image noise setting of the check: :data:`CHECK_NOISES`, then :func:`kind_noises`;
    with ``kinds``, only theirs."""
    paper = tuple(n for n in CHECK_NOISES if kinds is None or n.kind in kinds)
    return paper + kind_noises(kinds)


def check_dataset(noise: Noise) -> str:
    """The dataset a noise setting is checked on: MNI152 for the paper's kinds, else the
    kind's ``default_dataset``."""
    from benchmark.core.noise import get_noise_model

    return CHECK_DATASET if noise in CHECK_NOISES else get_noise_model(noise.kind).default_dataset


def check_methods(methods: Sequence[Denoiser], noise: Noise) -> list[Denoiser]:
    """The ``methods`` checked under ``noise``: those that apply to its kind; under a further
    kind, only those that can denoise it here (a deep model needs a checkpoint covering it),
    each followed by its opt-in variants trained for it (``cdae.residual`` under ``ldct``), as
    in the kind's table."""
    if noise in CHECK_NOISES:
        return [m for m in methods if m.applies_to(noise.kind)]
    from benchmark.core.registry import trained_variants

    chosen = [m for m in methods if m.applies_to(noise.kind) and m.unavailable_for(noise) is None]
    return chosen + trained_variants(methods, noise)


def measure_all(methods: Sequence[Denoiser], noises: Sequence[Noise], *, jobs: int = 1,
                progress: bool = False, limit: int = CHECK_IMAGES) -> dict[Noise, pd.DataFrame]:
    """:func:`measure` of every noise setting on its dataset's first ``limit`` test images
    (:func:`check_dataset`), one sweep a dataset; in the order of ``noises``."""
    by_dataset: dict[str, list[Noise]] = {}
    for noise in noises:
        by_dataset.setdefault(check_dataset(noise), []).append(noise)
    results: dict[Noise, pd.DataFrame] = {}
    for dataset, group in by_dataset.items():
        results.update(measure(check_images(limit, dataset), methods, group, jobs=jobs,
                               progress=progress))
    return {noise: results[noise] for noise in noises}


def noise_file_name(noise: Noise) -> str:
    """The baseline file of one noise setting, e.g. ``check-gaussian-0.1.csv``."""
    return f"check-{noise.kind}-{noise.sigma:g}.csv"


def check_images(limit: int = CHECK_IMAGES, dataset: str = CHECK_DATASET) -> ImageSet:
    """The clean images of the fixed subset (of ``dataset``'s test split)."""
    return load_dataset(dataset, CHECK_SPLIT).head(limit)


def measure(
    images: ImageSet,
    methods: Sequence[Denoiser],
    noises: Sequence[Noise] = CHECK_NOISES,
    *,
    jobs: int = 1,
    progress: bool = False,
    store_path: Path | None = None,
) -> dict[Noise, pd.DataFrame]:
    """Run the subset into a store and summarise each method per noise setting.

    Parameters
    ----------
    images : ImageSet
        Clean images (see :func:`check_images`).
    methods : sequence of Denoiser
        Methods to run; the noisy input is always added as the row ``noisy``.
    noises : sequence of Noise
        Noise settings.
    jobs : int
        Worker processes.
    progress : bool
        Show the runner's progress bar.
    store_path : Path, optional
        Where to keep the store; a temporary one (deleted afterwards) when omitted.

    Returns
    -------
    dict
        ``Noise -> DataFrame`` with :data:`BASELINE_COLUMNS`, one row a method.
    """
    chosen = {noise: check_methods(methods, noise) for noise in noises}
    with tempfile.TemporaryDirectory(prefix="bench-check-") as scratch:
        path = store_path or Path(scratch) / "check.sqlite"
        tasks = sorted((task for noise in noises
                        for task in plan(images, [noise], chosen[noise], seed=CHECK_SEED,
                                         clip=False, device="cpu")),
                       key=lambda task: -task.cost)
        with Store(path) as store:
            run_sweep(tasks, store, images, jobs=jobs, progress=progress, command="bench check")
            cells = store.frame()
    # A kept store may hold other cells too: only this subset's count.
    cells = cells[(cells["dataset"] == images.dataset) & (cells["split"] == images.split)
                  & cells["image_id"].isin(images.ids) & (cells["seed"] == CHECK_SEED)
                  & ~cells["clip"]]
    configs = {noise: {NOISY: "-", **{m.name: method_config(m) for m in chosen[noise]}}
               for noise in noises}
    return {noise: summarise_cells(cells, noise, configs[noise]) for noise in noises}


def summarise_cells(cells: pd.DataFrame, noise: Noise, configs: dict[str, str]) -> pd.DataFrame:
    """Mean PSNR and SSIM of each method's ok cells under ``noise`` (failures counted)."""
    rows = []
    for method, config in configs.items():
        picked = cells[under_noise(cells, noise)
                       & (cells["method"] == method) & (cells["config"] == config)]
        ok = picked[picked["status"] == "ok"]
        rows.append({
            "method": method, "config": config, "n": len(ok),
            "failed": int(len(picked) - len(ok)),
            **{name: float(ok[name].mean()) if len(ok) else float("nan") for name in METRICS},
        })
    return pd.DataFrame(rows, columns=BASELINE_COLUMNS)


def write_baseline(results: dict[Noise, pd.DataFrame], directory: Path = BASELINE_DIR, *,
                   replace_all: bool = True) -> list[Path]:
    """Write one CSV per noise setting; returns the paths. With ``replace_all`` every earlier
    baseline file goes first (a setting no longer checked leaves none behind); without, only
    the files of ``results``' settings are rewritten (``bench check --update --noise KIND``)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("check-*.csv") if replace_all else ():
        old.unlink()
    paths = []
    for noise, frame in results.items():
        path = directory / noise_file_name(noise)
        frame.to_csv(path, index=False, float_format="%.6f")
        paths.append(path)
    return paths


def read_baseline(noises: Sequence[Noise] = CHECK_NOISES,
                  directory: Path = BASELINE_DIR, *,
                  columns: Sequence[str] = BASELINE_COLUMNS,
                  optional: Sequence[Noise] = ()) -> dict[Noise, pd.DataFrame]:
    """The committed baseline of each noise setting.

    A setting of ``optional`` (a further noise kind's, new since the baseline was made) may
    have no file: it is then left out of the result, and its methods compare as new.

    Raises
    ------
    BenchError
        When a file is absent (unless optional) or lacks a column, naming the file and the fix.
    """
    baseline = {}
    for noise in noises:
        path = directory / noise_file_name(noise)
        if not path.is_file() and noise in optional:
            continue
        if not path.is_file():
            raise BenchError(
                f"no baseline {path}; create it with 'bench check --update' and commit it"
            )
        frame = pd.read_csv(path, dtype={"method": str, "config": str})
        lacking = [c for c in columns if c not in frame.columns]
        if lacking:
            raise BenchError(f"baseline {path} lacks column {lacking[0]!r}; regenerate it with "
                             "'bench check --update'")
        baseline[noise] = frame
    return baseline


def compare(
    baseline: dict[Noise, pd.DataFrame],
    current: dict[Noise, pd.DataFrame],
    tolerances: dict[str, float] = TOLERANCES,
    *,
    only: Sequence[str] | None = None,
    higher: Mapping[str, bool] | None = None,
) -> list[Change]:
    """Compare current means with the baseline, per noise setting, method and metric.

    Parameters
    ----------
    baseline, current : dict
        ``Noise -> DataFrame`` as from :func:`read_baseline` and :func:`measure`.
    tolerances : dict
        Largest harmless change of each metric, in its units; every metric here is higher-is-better
        or lower-is-better as :data:`benchmark.core.metrics.METRICS` says.
    only : sequence of str, optional
        Compare only these methods (and the noisy input); others in the baseline are not
        reported as missing.
    higher : mapping, optional
        Whether each metric is higher-is-better (default: as :data:`METRICS` says; the curve
        track gives its own, :data:`benchmark.engine.check_curves.CURVE_HIGHER`).

    Returns
    -------
    list of Change
        One entry per (noise, method, metric); ``missing`` and ``new`` once per metric too.
    """
    changes = []
    for noise, now in current.items():
        label = str(noise).replace(" sigma=", " ")
        before = baseline.get(noise, pd.DataFrame(columns=BASELINE_COLUMNS)).set_index("method")
        now = now.set_index("method")
        keep = None if only is None else set(only) | {NOISY}
        names = list(now.index) + [m for m in before.index if m not in now.index]
        for method in names:
            if keep is not None and method not in keep:
                continue
            for metric, tolerance in tolerances.items():
                up = (higher[metric] if higher is not None
                      else METRICS[metric].higher_is_better)
                changes.append(_compare_one(label, method, metric, tolerance, up,
                                            before.loc[method] if method in before.index else None,
                                            now.loc[method] if method in now.index else None))
    return changes


def _config_note(before: str, now: str) -> str:
    """What changed in a method's cell config (``PARAMS[@WEIGHTS]``) since the baseline."""
    if before == now:
        return ""
    if before.partition("@")[0] == now.partition("@")[0]:
        return "weights changed"
    return "parameters changed"


def _compare_one(noise: str, method: str, metric: str, tolerance: float, higher: bool,
                 before: pd.Series | None, now: pd.Series | None) -> Change:
    nan = float("nan")
    if before is None:
        note = f"{int(now['failed'])} failed cells" if now["failed"] else ""
        return Change(noise, method, metric, "new", nan, float(now[metric]), note)
    old = float(before[metric])
    if now is None:
        return Change(noise, method, metric, "missing", old, nan, "no longer registered")
    value = float(now[metric])
    note = _config_note(str(before["config"]), str(now["config"]))
    if (now["failed"] > before["failed"] or now["n"] < before["n"]
            or (math.isfinite(old) and not math.isfinite(value))):
        detail = (f"{int(now['failed'])} failed (was {int(before['failed'])}), "
                  f"N {int(now['n'])} (was {int(before['n'])})")
        return Change(noise, method, metric, "failed", old, value, ", ".join(filter(None, [detail, note])))
    if not math.isfinite(old):  # failed throughout in the baseline
        status = "better" if math.isfinite(value) else "same"
        return Change(noise, method, metric, status, old, value, "failed in the baseline")
    sign = 1.0 if higher else -1.0
    gain = sign * (value - old)
    status = "worse" if gain < -tolerance else "better" if gain > tolerance else "same"
    return Change(noise, method, metric, status, old, value, note)
