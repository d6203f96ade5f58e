"""The tables of the noise kinds beyond the paper's two: Table 3 onward of the default report.

A noise model with a ``report_level`` gets a table of its own, numbered from 3 in the order the
kinds are registered, on its ``default_dataset``'s test split. Its rows: the noisy input, then
each plain method that applies to the kind followed by the kind's fair variants of it (the
variants its fair transforms derived, with the base's default parameters; ``bench fair`` tunes
them and keeps the better one). A method that cannot denoise the kind here (a deep model that
no checkpoint covers) has no row; a note names the command that trains one. The curves and
the visual comparison of the kind show each method in its fairest form
(:func:`fairest`); the curves leave out the slowest methods (:data:`CURVE_COST_MAX`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.noise import get_noise_model, report_kinds
from benchmark.report.paper import TABLES, PaperTable

#: The number of the first table of a noise kind beyond the paper's.
FIRST = len(TABLES) + 1

#: Methods of this cost or more (BM3D and its variants: 60 against 1-20 for the others) are in
#: a kind's table and visual comparison but not its curves, whose other levels would take
#: three quarters of the report's time for them (see docs/reports.md);
#: ``bench curves --noise KIND --methods ...`` draws them.
CURVE_COST_MAX = 50.0


def kind_tables(kinds: Sequence[str] | None = None) -> tuple[PaperTable, ...]:
    """One table a kind with a report level, numbered from 3 in registration order; ``kinds``
    keeps only those (their numbers stay as in the default report).

    Examples
    --------
    >>> [(str(t.noise), t.caption, t.reported) for t in kind_tables(["poisson"])]
    [('poisson sigma=30', 'Poisson noise, peak 30', False)]
    >>> kind_tables()[0].number
    3
    """
    every = report_kinds()
    tables = []
    for number, kind in enumerate(every, start=FIRST):
        if kinds is not None and kind not in kinds:
            continue
        model = get_noise_model(kind)
        level = model.report_level
        tables.append(PaperTable(number, Noise(kind, level), model.describe_level(level),
                                 reported=False))
    return tuple(tables)


def kind_rows(kind: str, methods: Sequence[Denoiser]) -> list[Denoiser]:
    """The rows of ``kind``'s table: each of ``methods`` that applies to it, then its
    registered variants for ``kind`` (not opt-in ones, as in ``bench fair``, unless trained
    weights ship for the kind's report level: ``cdae.residual`` in the ``ldct`` table); a
    variant named in ``methods`` stays where it is named.

    Examples
    --------
    >>> from benchmark.core.registry import resolve_methods
    >>> [m.name for m in kind_rows("poisson", resolve_methods(["tv", "nlm"]))]
    ['tv', 'tv.poisson-anscombe', 'nlm', 'nlm.poisson-anscombe']
    """
    from benchmark.core.registry import get_method, method_names

    names = method_names()
    report_noise = Noise(kind, get_noise_model(kind).report_level)
    rows: dict[str, Denoiser] = {}
    for method in methods:
        if not method.applies_to(kind):
            continue
        rows.setdefault(method.name, method)
        for name in names:
            other = get_method(name)
            if (other.base == method.name and other.applies_to(kind)
                    and (method.opt_in or not other.opt_in
                         or other.trained_for(report_noise))):
                rows.setdefault(name, other)
    return list(rows.values())


def fairest(rows: Sequence[Denoiser], *, first: bool = False) -> list[Denoiser]:
    """Each method in its fairest form: its variants among ``rows`` where it has some, else
    itself (a deep model, a method no fair transform wraps); with ``first``, only the first
    variant of each (that of the kind's first fair transform). The curves of a kind show
    these, its visual comparison the first ones; the table shows every row.

    Examples
    --------
    >>> from benchmark.core.registry import get_method
    >>> rows = [get_method(n) for n in ("tv", "tv.ncchi8-bc", "tv.ncchi8-vst", "cdae")]
    >>> [m.name for m in fairest(rows)]
    ['tv.ncchi8-bc', 'tv.ncchi8-vst', 'cdae']
    >>> [m.name for m in fairest(rows, first=True)]
    ['tv.ncchi8-bc', 'cdae']
    """
    wrapped = {m.base for m in rows if m.base is not None}
    shown, bases = [], set()
    for method in rows:
        if method.name in wrapped or (first and method.base is not None and method.base in bases):
            continue
        shown.append(method)
        if method.base is not None:
            bases.add(method.base)
    return shown


def curve_methods(rows: Sequence[Denoiser]) -> list[Denoiser]:
    """The methods of a kind's curves: :func:`fairest` of ``rows``, less those costing
    :data:`CURVE_COST_MAX` or more.

    Examples
    --------
    >>> from benchmark.core.registry import get_method
    >>> rows = [get_method(n) for n in ("tv", "tv.poisson-anscombe", "bm3d",
    ...                                 "bm3d.poisson-anscombe")]
    >>> [m.name for m in curve_methods(rows)]
    ['tv.poisson-anscombe']
    """
    return [m for m in fairest(rows) if m.cost < CURVE_COST_MAX]


def available(methods: Sequence[Denoiser], noise: Noise) -> tuple[list[Denoiser], dict[str, str]]:
    """``methods`` that can denoise ``noise`` here, and why each other cannot
    (:meth:`~benchmark.core.contract.Denoiser.unavailable_for`: no checkpoint covers it)."""
    kept, left_out = [], {}
    for method in methods:
        why = method.unavailable_for(noise)
        if why is None:
            kept.append(method)
        else:
            left_out[method.name] = why
    return kept, left_out


def kind_notes(table: PaperTable, rows: Sequence[Denoiser],
               left_out: Mapping[str, str]) -> list[str]:
    """What a kind's table shows, under it: the level's meaning, the plain and fair rows, and
    each row left out with its reason."""
    noise = table.noise
    model = get_noise_model(noise.kind)
    notes = [f"Noise: {noise.kind}, {model.parameters['sigma']}; level {noise.sigma:g}.",
             "Plain methods (no suffix) are told the level as the sigma of Gaussian noise and "
             "treat the noise as Gaussian, as in the paper's setting."]
    transforms = [t for t in model.fair_transforms if any(m.name.endswith(t.suffix)
                                                           for m in rows)]
    if transforms:
        notes.append("Fair variants, each with its plain method's default parameters (bench "
                     f"fair tunes them on the validation split: table{table.number}_fair.md): "
                     + "; ".join(f"`{t.suffix}`: {t.summary}" for t in transforms) + ".")
    notes += [f"No row for {name}: {why}." for name, why in left_out.items()]
    return notes
