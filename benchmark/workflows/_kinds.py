"""The noise kinds beyond the paper's in ``bench report``: the cells of Table 3 onward and of
their noise-level curves.

Each kind with a ``report_level`` (:func:`benchmark.core.noise.report_kinds`) is planned on its
``default_dataset``'s split: its table's rows at the report level
(:func:`benchmark.report.kinds.kind_rows`, less the methods that cannot denoise it here), and
the methods of its curves (:func:`benchmark.report.kinds.curve_methods`: each in its fairest
form, the slowest left out) at every level of its curve (``report_levels``), where they can
denoise that level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from benchmark.workflows._split import Subset, load_split, noted

if TYPE_CHECKING:
    from benchmark.core.contract import Denoiser
    from benchmark.data.cards import ImageSet
    from benchmark.engine.runner import SweepResult
    from benchmark.report.paper import PaperTable


@dataclass(frozen=True)
class KindPlan:
    """What the report computes and shows of one noise kind beyond the paper's.

    Attributes
    ----------
    table : PaperTable
        Its number (3 onward), noise at the report level and caption.
    subset : Subset
        The kind's data: its default dataset's split (with the report's ``limit``).
    images : callable
        Loads the subset's clean images (only when a cell or a figure needs them).
    rows : list of Denoiser
        The table's methods (the noisy input aside), each able to denoise the report level.
    left_out : dict
        Methods of the table that cannot denoise it here, and why (one line with the fix).
    curve : list of Denoiser
        The methods of the curves (each in its fairest form, the slowest left out).
    panel : list of Denoiser
        The methods of the visual comparison: each in its fairest form, one variant a method
        (the kind's first fair transform's), to keep the page's size down.
    levels : tuple of float
        The curve's levels (the model's ``report_levels``).
    absent : dict
        ``{method: [(level, why), ...]}``: curve levels a method cannot denoise here.
    """

    table: "PaperTable"
    subset: Subset
    images: Callable[[], "ImageSet"]
    rows: list["Denoiser"]
    left_out: dict[str, str]
    curve: list["Denoiser"]
    panel: list["Denoiser"]
    levels: tuple[float, ...]
    absent: dict[str, list[tuple[float, str]]] = field(default_factory=dict)


def plan_kinds(methods: Sequence["Denoiser"], *, kinds: Sequence[str] | None = None,
               split: str | None = None, limit: int | None = None,
               loaded: tuple[Subset, Callable[[], "ImageSet"]] | None = None) -> list[KindPlan]:
    """The plan of every kind with a table (default: all that have a report level).

    Parameters
    ----------
    methods : sequence of Denoiser
        The report's methods; each kind's rows are those that apply to it and their fair
        variants for it.
    kinds : sequence of str, optional
        Only these kinds (their tables keep the default report's numbers).
    split, limit : optional
        The split and number of images of each kind's dataset (default: its test split, all).
    loaded : (Subset, callable), optional
        A split already loaded (the paper tables'), reused for a kind on the same data.
    """
    from benchmark.core.contract import Noise
    from benchmark.core.noise import get_noise_model
    from benchmark.report.kinds import (available, curve_methods, fairest, kind_rows,
                                        kind_tables)

    plans = []
    for table in kind_tables(kinds):
        kind = table.noise.kind
        model = get_noise_model(kind)
        if loaded is not None and loaded[0].dataset == model.default_dataset:
            subset, images = loaded
        else:
            subset, images = load_split(dataset=model.default_dataset, split=split, limit=limit)
        every = kind_rows(kind, methods)
        rows, left_out = available(every, table.noise)
        curve, absent = [], {}
        for method in curve_methods(every):
            missing = [(level, why) for level in model.report_levels
                       if (why := method.unavailable_for(Noise(kind, level))) is not None]
            if len(missing) < len(model.report_levels):
                curve.append(method)
            if missing:
                absent[method.name] = [(level, why.split(";")[0]) for level, why in missing]
        absent = {name: levels for name, levels in absent.items()
                  if name in {m.name for m in curve}}
        panel = [m for m in fairest(every, first=True) if m.name not in left_out]
        plans.append(KindPlan(table, subset, images, rows, left_out, curve, panel,
                              tuple(model.report_levels), absent))
    return plans


def run_kinds(plans: Sequence[KindPlan], store: Path, *, seed: int = 0, clip: bool = False,
              jobs: int = 1, device: str = "auto", sigma_source: str = "oracle",
              progress_bar: bool = False, command: str = "", executor: str = "process",
              scheduler: str | None = None) -> list["SweepResult"]:
    """Compute the missing cells of every kind's table and curve (one sweep a kind)."""
    from benchmark.core.contract import Noise
    from benchmark.engine.runner import plan, run_sweep
    from benchmark.engine.store import Store

    common = dict(seed=seed, clip=clip, device=device, sigma_source=sigma_source)
    outcomes = []
    for kind in plans:
        tasks = plan(kind.subset, [kind.table.noise], kind.rows, **common)
        for level in kind.levels:
            noise = Noise(kind.table.noise.kind, level)
            skipped = {name for name, levels in kind.absent.items()
                       if any(abs(s - level) < 1e-9 for s, _ in levels)}
            tasks += plan(kind.subset, [noise], [m for m in kind.curve if m.name not in skipped],
                          **common)
        tasks = sorted({t.key: t for t in tasks}.values(), key=lambda t: -t.cost)
        with Store(store) as opened:
            outcomes.append(run_sweep(tasks, opened, noted(kind.images, opened), jobs=jobs,
                                      progress=progress_bar, command=command, executor=executor,
                                      scheduler=scheduler))
    return outcomes
