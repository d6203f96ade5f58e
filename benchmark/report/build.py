"""The figures of ``bench report`` and the HTML page that gathers them with the tables.

Writes ``figures/*.png`` under the report folder and ``index.html`` beside the tables:
noise-level curves (Figure 3) from the store, visual comparisons (Figures 1, 2, 4) denoised on
the fly for one test image, and training curves from deep models' training logs. What cannot
be drawn (too few noise levels in the store, no training logs) is listed on the page, not
silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.data.cards import ImageSet
from benchmark.report.figures import (cached_png, curve_data, curve_levels, denoise_panels,
                               input_key, plot_noise_curves, plot_training_curves,
                               plot_visual_comparison, training_logs)
from benchmark.report.page import FigureItem, Page, TableItem, write_page
from benchmark.report.paper import TABLES, PaperTable
from benchmark.core.paths import SOURCE_ROOT, RESULTS_DIR
from benchmark.report.tables import Selection
from benchmark.engine.runner import NOISY, method_config

log = logging.getLogger(__name__)  # the library prints nothing; warnings reach stderr

#: Denoised outputs of the visual comparisons, kept so a no-op report does not recompute them.
PANEL_CACHE = RESULTS_DIR / "visual-cache"

#: Where deep models leave their training logs (``<model>.csv``: epoch, train_loss, ...).
DEFAULT_TRAINING_LOGS = SOURCE_ROOT / "methods" / "deep" / "weights"


@dataclass(frozen=True)
class FigureOptions:
    """What to draw: the visual-comparison image, where training logs are, the device."""

    image_id: str | None = None
    training_logs: Path = DEFAULT_TRAINING_LOGS
    visual: bool = True
    device: str = "cpu"


def _sigma_list(sigmas: Sequence[float]) -> str:
    return " ".join(f"{s:g}" for s in sigmas)


def curve_figures(cells: pd.DataFrame, methods: Sequence[Denoiser], selection: Selection,
                  out_dir: Path, *, kinds: Sequence[str] | None = None,
                  sigmas: Sequence[float] | None = None,
                  image_ids: Sequence[str] | None = None, keep: bool = False,
                  absent: Mapping[str, Sequence[tuple[float, str]]] | None = None,
                  ) -> tuple[list[FigureItem], list[str]]:
    """Figure 3: one PNG per noise kind, over the same images at every level of ``sigmas``
    (default: each kind's own, :func:`~benchmark.report.figures.curve_levels`).

    A kind needs at least two levels in the store. With ``keep`` (the default report), a
    figure already drawn from the complete sweep (every method, every level, every one of
    ``image_ids``) is kept as it is, with its caption, until the store holds that sweep
    again: a store with part of it never replaces a complete figure by a partial one.
    ``absent``: ``{method: [(level, why), ...]}``, the levels where a method was not run
    because it cannot denoise them (no checkpoint covers them); they count as done, as levels
    where its every cell failed do, and the caption says so.
    """
    items, warnings = [], []
    if kinds is None:  # the image noise kinds (curve noise has its own report)
        from benchmark.core.noise import get_noise_model, noise_kinds

        kinds = [k for k in noise_kinds() if "image" in get_noise_model(k).data]
    asked = sigmas
    for kind in kinds:
        sigmas = curve_levels(kind) if asked is None else asked
        applying = [m for m in methods if m.applies_to(kind)]  # obnlm: speckle only
        data = curve_data(cells, applying, kind, dataset=selection.dataset,
                          split=selection.split, sigma_source=selection.sigma_source,
                          seed=selection.seed, clip=selection.clip, sigmas=sigmas)
        path = out_dir / f"curves-{kind}.png"
        title = f"{curve_title(kind)}: SSIM and PSNR against noise level"
        failed = _failed_levels(cells, applying, kind, selection, sigmas, image_ids)
        for method, levels in (absent or {}).items():
            failed.setdefault(method, []).extend(levels)
        complete = _complete(data, applying, sigmas, image_ids, failed)
        kept = _kept_figure(path, title) if keep and not complete else None
        if kept is not None:
            items.append(kept)
            log.warning("%s: kept the figure already there (its caption says what it shows); "
                        "run 'bench curves' to complete the store's sweep and redraw it", title)
            continue
        if data["sigma"].nunique() < 2:
            warnings.append(
                f"Noise-level curves, {kind}: the store holds {data['sigma'].nunique()} noise "
                f"level(s) of {_sigma_list(sigmas)} for the same images; run 'bench curves "
                f"--noise {kind}' first.")
            continue
        levels = sorted(data["sigma"].unique())
        n = int(data["n"].min())
        name = _level_name(kind)
        caption = (f"{selection.dataset}/{selection.split}, seed {selection.seed}; {name} "
                   f"{_sigma_list(levels)}; lines are means over the same N = {n} images at "
                   "every level, bands mean ± 1.96 standard errors (normal 95% interval). Cells "
                   "with each method's current parameters.")
        for method, levels in failed.items():
            missing = [s for s, _ in levels]
            what = "not run" if method in (absent or {}) else "every cell failed"
            caption += (f" {method}: {what} at {name} {_sigma_list(missing)}, not drawn there "
                        f"({levels[0][1]}).")
        if image_ids is not None and n < len(image_ids):
            caption += (f" {len(image_ids) - n} of the split's {len(image_ids)} images lack a "
                        "cell at some level and are left out.")
        png = cached_png(path, input_key(kind, data), lambda: plot_noise_curves(data, kind))
        if complete:
            path.with_suffix(".caption").write_text(caption + "\n", encoding="utf-8")
        items.append(FigureItem(title, caption, png))
    return items, warnings


def curve_title(kind: str) -> str:
    """The title of ``kind``'s noise-level curves: Figure 3 for the paper's two kinds."""
    return f"Figure 3 ({kind})" if kind in _PAPER_KINDS else f"Noise-level curves ({kind})"


_PAPER_KINDS = tuple(dict.fromkeys(t.noise.kind for t in TABLES))


def _level_name(kind: str) -> str:
    from benchmark.core.noise import get_noise_model

    return get_noise_model(kind).level_name


def _failed_levels(cells: pd.DataFrame, methods: Sequence[Denoiser], kind: str,
                   selection: Selection, sigmas: Sequence[float],
                   image_ids: Sequence[str] | None) -> dict[str, list[tuple[float, str]]]:
    """Each method's levels of ``sigmas`` where its every cell on ``image_ids`` failed, with
    the first error's gist: ``{method: [(sigma, gist), ...]}`` (a deep model outside the
    sigma range of its checkpoints, say). Such a level is computed, not missing. The gist names
    no path, since captions go on the committed page."""
    if image_ids is None or cells.empty:
        return {}
    mine = cells[(cells["dataset"] == selection.dataset) & (cells["split"] == selection.split)
                 & (cells["noise"] == kind) & (cells["seed"] == selection.seed)
                 & (cells["clip"] == selection.clip) & cells["image_id"].isin(image_ids)]
    failed: dict[str, list[tuple[float, str]]] = {}
    for method in methods:
        config = method_config(method, sigma_source=selection.sigma_source)
        own = mine[(mine["method"] == method.name) & (mine["config"] == config)]
        for sigma in sigmas:
            here = own[(own["sigma"] - sigma).abs() < 1e-9]
            if (len(here) and (here["status"] != "ok").all()
                    and set(here["image_id"]) == set(image_ids)):
                error = str(here["error"].iloc[0])
                gist = ("no checkpoint of it covers this level" if " checkpoint for " in error
                        else error.split(":", 1)[0])  # the exception's type: no paths
                failed.setdefault(method.name, []).append((float(sigma), gist))
    return failed


def _complete(data: pd.DataFrame, methods: Sequence[Denoiser], sigmas: Sequence[float],
              image_ids: Sequence[str] | None,
              failed: dict[str, list[tuple[float, str]]] | None = None) -> bool:
    """Whether ``data`` has every method and the noisy input at every level, on every image
    (a level where a method's every cell failed counts as done: see :func:`_failed_levels`)."""
    if image_ids is None or data.empty or int(data["n"].min()) < len(image_ids):
        return False
    have = set(zip(data["method"], data["sigma"].round(9)))
    have |= {(m, round(s, 9)) for m, levels in (failed or {}).items() for s, _ in levels}
    return all((m, round(s, 9)) in have for m in [NOISY, *(m.name for m in methods)]
               for s in sigmas)


def _kept_figure(path: Path, title: str) -> FigureItem | None:
    """The figure at ``path`` with the caption it was drawn with, if both are there."""
    caption = path.with_suffix(".caption")
    if not (path.is_file() and caption.is_file()):
        return None
    return FigureItem(title, caption.read_text(encoding="utf-8").strip(), path.read_bytes())


def visual_key(selection: Selection, image_id: str, noise: Noise,
               methods: Sequence[Denoiser]) -> str:
    """What a visual comparison depends on: the image, the noise draw, and each method's cell
    config (its parameters and, for a trained model, its weights)."""
    return input_key(selection.dataset, image_id, noise.kind, noise.sigma, selection.seed,
                     selection.clip, [(m.name, method_config(m)) for m in methods])


def visual_figures(images: ImageSet | Callable[[], ImageSet], image_ids: Sequence[str],
                   methods: Sequence[Denoiser], selection: Selection, options: FigureOptions,
                   out_dir: Path, tables: Sequence[PaperTable] = TABLES) -> list[FigureItem]:
    """Figures 1, 2 and 4: one test image under each table's noise, every method's output.

    A figure whose inputs (:func:`visual_key`) are unchanged
    is not redrawn, and the images are then not even loaded: as in the store, an image id
    stands for its content.
    """
    image_id = options.image_id or image_ids[len(image_ids) // 2]
    if image_id not in image_ids:
        from benchmark.core.registry import unknown_name

        raise unknown_name("image", image_id, list(image_ids))
    items = []
    for table in tables:
        noise, number = table.noise, table.number
        applying = [m for m in methods if m.applies_to(noise.kind)]  # as the table's rows
        png = _visual_png(images, image_id, noise, applying, selection, options, out_dir)
        items.append(FigureItem(
            (f"Figure {number}{' and 4' if noise.kind == 'rician' else ''}: " if table.reported
             else "") + f"visual comparison, {noise}", _VISUAL_CAPTION, png))
    return items


_VISUAL_CAPTION = ("Clean, noisy (the same seeded draw as the store's cell) and each method's "
                   "output, denoised for this page; one intensity window for all, a zoomed inset "
                   "of the most detailed region, absolute-error maps on one colour scale, "
                   "PSNR/SSIM of this image under each panel.")


def _visual_png(images: ImageSet | Callable[[], ImageSet], image_id: str, noise: Noise,
                methods: Sequence[Denoiser], selection: Selection, options: FigureOptions,
                out_dir: Path) -> bytes:
    """The visual comparison of ``methods`` on one image under ``noise`` (cached PNG)."""
    title = f"{image_id}, {noise}{', clipped' if selection.clip else ''}, seed {selection.seed}"
    key = visual_key(selection, image_id, noise, methods)

    def draw():
        split = images() if callable(images) else images
        panels = denoise_panels(split.image(image_id), image_id, noise, methods,
                                seed=selection.seed, clip=selection.clip,
                                device=options.device, cache=PANEL_CACHE)
        return plot_visual_comparison(panels, title=title)

    return cached_png(out_dir / f"visual-{noise.kind}-{noise.sigma:g}.png", key, draw, dpi=90)


@dataclass(frozen=True)
class KindFigures:
    """The figures of one noise kind beyond the paper's two (Table 3 onward): its noise-level
    curves of ``methods`` over ``levels`` and a visual comparison of ``panel`` (default: the
    same methods) at its table's level, on the kind's own data.

    ``absent``: ``{method: [(level, why), ...]}``, levels a method was not run at (no
    checkpoint covers them; see :func:`curve_figures`).
    """

    table: PaperTable
    methods: Sequence[Denoiser]
    levels: Sequence[float]
    selection: Selection
    cells: pd.DataFrame
    images: ImageSet | Callable[[], ImageSet]
    image_ids: Sequence[str]
    absent: Mapping[str, Sequence[tuple[float, str]]] = field(default_factory=dict)
    panel: Sequence[Denoiser] | None = None

    def curves(self, out_dir: Path, *, keep: bool) -> tuple[list[FigureItem], list[str]]:
        """The kind's noise-level curves (one figure), and what could not be drawn."""
        return curve_figures(self.cells, self.methods, self.selection, out_dir,
                             kinds=[self.table.noise.kind], sigmas=self.levels,
                             image_ids=self.image_ids, keep=keep, absent=self.absent)

    def visual(self, options: FigureOptions, out_dir: Path) -> FigureItem:
        """The visual comparison at the table's level (the figure image when it is one of
        this kind's images, else the middle one)."""
        ids = list(self.image_ids)
        image_id = options.image_id if options.image_id in ids else ids[len(ids) // 2]
        noise = self.table.noise
        methods = self.methods if self.panel is None else self.panel
        png = _visual_png(self.images, image_id, noise, methods, self.selection,
                          replace(options, image_id=image_id), out_dir)
        return FigureItem(f"Table {self.table.number}, visual comparison: {self.table.caption}",
                          _VISUAL_CAPTION, png)


def shown_folder(folder: Path) -> str:
    """``folder`` as a caption names it: never an absolute path of the machine that drew it."""
    folder = Path(folder).resolve()
    if folder == DEFAULT_TRAINING_LOGS.resolve():
        return "methods/deep/weights (the shipped checkpoints)"
    try:
        return folder.relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return folder.name


def training_figures(folder: Path, out_dir: Path) -> tuple[list[FigureItem], list[str]]:
    """Training curves of every log in ``folder``; a warning when there is none."""
    logs = training_logs(folder)
    shown = shown_folder(folder)
    if not logs:
        return [], [f"Training curves: no training log (CSV with epoch, train_loss, val_loss, "
                    f"val_ssim) under {shown}."]
    items = []
    for name, log in logs.items():
        png = cached_png(out_dir / f"training-{name.replace('/', '-')}.png",
                         input_key(name, log), lambda: plot_training_curves(name, log))
        items.append(FigureItem(f"Training curves: {name}",
                                f"From the training log {name} under {shown}; losses per "
                                "epoch, SSIM on the validation split, best epoch marked.", png))
    return items, []


def curve_report_links(out_dir: Path) -> list[tuple[str, str]]:
    """Links to the curve reports in sub-folders of ``out_dir`` (``dce-sim/index.html``) that
    exist, for the image report's page."""
    from benchmark.data.cards import card_names, load_card

    links = []
    for name in card_names():
        page = out_dir / name / "index.html"
        if page.is_file() and load_card(name).data == "curve":
            links.append((f"DCE-MRI curve report ({name})", f"{name}/index.html"))
    return links


def write_report_page(
    cells: pd.DataFrame,
    methods: Sequence[Denoiser],
    selection: Selection,
    tables: Sequence[TableItem],
    out_dir: Path,
    *,
    images: ImageSet | Callable[[], ImageSet],
    context: str,
    options: FigureOptions = FigureOptions(),
    image_ids: Sequence[str] | None = None,
    keep_curves: bool = False,
    appendix: Sequence[str] = (),
    kinds: Sequence[KindFigures] = (),
) -> Path:
    """Draw every figure into ``out_dir/figures`` and write ``out_dir/index.html``.

    Parameters
    ----------
    cells : pandas.DataFrame
        The store's cells (already limited to the split's images).
    methods : sequence of Denoiser
        Methods shown, in table order.
    selection : Selection
        Dataset, split, seed and clipping of the tables.
    tables : sequence of TableItem
        The tables, as built for ``table<N>.md``.
    out_dir : Path
        The report folder.
    images : ImageSet or callable
        The split's clean images (or a loader, called only if a visual figure is redrawn).
    context : str
        One line on the data, shown under the title.
    options : FigureOptions
        Image, training-log folder, device; ``visual=False`` skips the on-the-fly denoising.
    image_ids : sequence of str, optional
        The split's image ids in order (default: those in ``cells``, sorted).
    keep_curves : bool
        Keep noise-level curves drawn from the complete sweep while the store holds only part
        of it (the default report; see :func:`curve_figures`).
    appendix : sequence of str
        HTML sections shown after the tables (the generalisation table).
    kinds : sequence of KindFigures
        The noise kinds with a table of their own beyond the paper's (Table 3 onward): each
        adds its visual comparison and its noise-level curves; the other tables' kinds get
        their curves from ``cells`` at :func:`~benchmark.report.figures.curve_levels`.

    Returns
    -------
    Path
        The written ``index.html``.
    """
    figure_dir = out_dir / "figures"
    page = Page("Medical image denoising benchmark", context, tables=list(tables),
                links=curve_report_links(out_dir), appendix=list(appendix))
    ids = sorted(set(cells["image_id"])) if image_ids is None else list(image_ids)
    own = {kind.table.number for kind in kinds}
    tabled = [t.table for t in tables if t.table and t.table.number not in own] or list(TABLES)
    items, warnings = curve_figures(cells, methods, selection, figure_dir, image_ids=ids,
                                    kinds=list(dict.fromkeys(t.noise.kind for t in tabled)),
                                    keep=keep_curves)
    page.figures += items
    page.warnings += warnings
    for kind in kinds:
        items, warnings = kind.curves(figure_dir, keep=keep_curves)
        page.figures += items
        page.warnings += warnings
    if options.visual:
        page.figures[:0] = (visual_figures(images, ids, methods, selection, options, figure_dir,
                                           tables=tabled)
                            + [kind.visual(options, figure_dir) for kind in kinds])
    items, warnings = training_figures(options.training_logs, figure_dir)
    page.figures += items
    page.warnings += warnings
    return write_page(page, out_dir / "index.html")
