"""The paper's figures from measured data: noise-level curves, visual comparisons, training curves.

Every function returns a Matplotlib :class:`~matplotlib.figure.Figure` made without pyplot, so
drawing needs no display and never switches the backend of a notebook that imports this module;
:func:`save_png` writes one (Agg canvas). Matplotlib is imported only when a figure is drawn. The data come from the run store (curves), from denoising one image on the fly
with the same seeded noise the store's cell saw (visual comparisons), or from a deep model's
training-log CSV (training curves).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from benchmark.core.contract import Denoiser, Noise
from benchmark.core.metrics import METRICS, score
from benchmark.core.noise import add_noise, get_noise_model
from benchmark.engine.runner import NOISY, method_config, resolve_device

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Noise levels of the curves (0.02 to 0.20); ``bench curves`` or ``bench run --sigma`` fills them.
CURVE_SIGMAS: tuple[float, ...] = tuple(round(0.02 * k, 2) for k in range(1, 11))



def curve_levels(kind: str) -> tuple[float, ...]:
    """The levels of ``kind``'s noise-level curve: its model's documented ``report_levels``,
    else :data:`CURVE_SIGMAS` (Gaussian and Rician).

    Examples
    --------
    >>> curve_levels("poisson")
    (5.0, 10.0, 30.0, 100.0, 300.0)
    >>> curve_levels("rician") == CURVE_SIGMAS
    True
    """
    from benchmark.core.noise import get_noise_model

    return tuple(get_noise_model(kind).report_levels) or CURVE_SIGMAS


#: The confidence band of the curves: mean ± Z * standard error over images (normal 95%).
Z_95 = 1.959964

#: Columns a training log must have.
TRAINING_COLUMNS = ("epoch", "train_loss", "val_loss", "val_ssim")


def save_png(figure: Figure, path: Path | None = None, *, dpi: int = 110) -> bytes:
    """Render ``figure`` as PNG bytes (and write them to ``path`` when given), then close it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no pyplot, no backend switch
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = buffer.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def cached_png(path: Path, key: str, draw, *, dpi: int = 110) -> bytes:
    """The PNG at ``path`` if it was drawn from the same inputs (``key``), else draw it anew.

    ``draw`` is a function returning the figure; it is called only when ``path`` is missing or
    its ``.key`` file holds another key. Keeps a report with nothing new to compute fast.
    """
    stamp = path.with_suffix(".key")
    if path.is_file() and stamp.is_file() and stamp.read_text() == key:
        return path.read_bytes()
    data = save_png(draw(), path, dpi=dpi)
    stamp.write_text(key)
    return data


def input_key(*parts) -> str:
    """A short hash of JSON-able parts (DataFrames by their CSV text)."""
    import hashlib
    import json

    digest = hashlib.sha256()
    for part in parts:
        text = part.to_csv(index=False) if isinstance(part, pd.DataFrame) else json.dumps(
            part, sort_keys=True, default=str)
        digest.update(text.encode())
    return digest.hexdigest()[:16]


# --- noise-level curves ---------------------------------------------------------------------

def curve_data(
    cells: pd.DataFrame,
    methods: Sequence[Denoiser],
    kind: str,
    *,
    dataset: str,
    split: str,
    seed: int = 0,
    clip: bool = False,
    sigmas: Sequence[float] | None = None,
    sigma_source: str = "oracle",
) -> pd.DataFrame:
    """Mean and 95% band of each metric per method and sigma, over the same images throughout.

    Only cells with the methods' current parameters count (as in the tables), and only the
    levels in ``sigmas`` (default: every level in the store). Every point averages the same
    images: those with an ok cell for every method at every level drawn (:func:`common_images`),
    so that no level's mean moves because its set of images differs. The band is mean ± 1.96
    standard errors (sample std / sqrt(N)). ``sigma_source`` picks the cells of the true sigma
    (``"oracle"``) or of blind mode (``"estimated"``).

    Returns
    -------
    pandas.DataFrame
        Columns method, sigma, metric, mean, low, high, n; sorted by method order and sigma.
        ``n`` is the same on every row.
    """
    configs = {NOISY: "-",
               **{m.name: method_config(m, sigma_source=sigma_source) for m in methods}}
    picked = cells[(cells["dataset"] == dataset) & (cells["split"] == split)
                   & (cells["noise"] == kind) & (cells["seed"] == seed)
                   & (cells["clip"] == clip) & (cells["status"] == "ok")
                   & (cells["method"].map(configs) == cells["config"])]
    if sigmas is not None:
        levels = picked["sigma"].to_numpy(dtype=float)
        picked = picked[np.isclose(levels[:, None], np.asarray(sigmas, float)[None, :],
                                   rtol=0, atol=1e-9).any(axis=1)]
    picked = picked[picked["image_id"].isin(common_images(picked))]
    rows = []
    for (method, sigma), group in picked.groupby(["method", "sigma"], sort=False):
        for metric in METRICS:
            values = group[metric].to_numpy(dtype=float)
            n = len(values)
            mean = float(values.mean())
            half = Z_95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
            rows.append({"method": method, "sigma": float(sigma), "metric": metric,
                         "mean": mean, "low": mean - half, "high": mean + half, "n": n})
    frame = pd.DataFrame(rows, columns=["method", "sigma", "metric", "mean", "low", "high", "n"])
    order = {name: i for i, name in enumerate(configs)}
    return frame.sort_values(["method", "sigma"], key=lambda c: c.map(order) if c.name == "method"
                             else c).reset_index(drop=True)


def common_images(cells: pd.DataFrame) -> set[str]:
    """The images with a cell in every (method, sigma) group of ``cells``.

    Examples
    --------
    >>> frame = pd.DataFrame({"method": ["a", "a", "a", "b"], "sigma": [0.1, 0.1, 0.2, 0.1],
    ...                       "image_id": ["x", "y", "x", "x"]})
    >>> sorted(common_images(frame))
    ['x']
    """
    groups = [set(ids) for _, ids in cells.groupby(["method", "sigma"])["image_id"]]
    return set.intersection(*groups) if groups else set()


def plot_noise_curves(data: pd.DataFrame, kind: str) -> Figure:
    """SSIM and PSNR against the level, one line per method with its 95% band (Figure 3).

    The x axis is labelled as the kind's model says (``level_axis``), on a log scale when the
    levels span a factor of 20 or more (Poisson peaks 5 to 300).
    """
    from benchmark.core.noise import get_noise_model

    model = get_noise_model(kind)
    levels = data["sigma"] if len(data) else pd.Series([1.0])
    logarithmic = float(levels.max()) >= 20 * float(levels.min())
    figure = _figure(figsize=(5.2 * len(METRICS), 4.0))
    axes = figure.subplots(1, len(METRICS))
    colours = _palette(len(set(data["method"]) - {NOISY}))
    for ax, (name, metric) in zip(np.atleast_1d(axes), METRICS.items()):
        part = data[data["metric"] == name]
        lines = [(m, line) for m, line in part.groupby("method", sort=False)]
        others = [m for m, _ in lines if m != NOISY]  # the noisy input takes no colour
        for method, line in lines:
            style = ({"color": "0.4", "linestyle": "--"} if method == NOISY
                     else {"color": colours[others.index(method) % len(colours)]})
            label = "noisy input" if method == NOISY else method
            ax.plot(line["sigma"], line["mean"], marker="o", markersize=3, label=label, **style)
            ax.fill_between(line["sigma"], line["low"], line["high"], alpha=0.2,
                            color=style["color"], linewidth=0)
        ax.set_xlabel(model.level_axis)
        if logarithmic:
            ax.set_xscale("log")
        ax.set_ylabel(f"{metric.label}{f' ({metric.unit})' if metric.unit else ''}")
        ax.grid(alpha=0.3)
    n = int(data["n"].min()) if len(data) else 0
    figure.suptitle(f"{model.label or kind.capitalize() + ' noise'}: mean over the same N = {n} "
                    "images at every level, band = mean ± 1.96 SE")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize="small")
    return figure


def _palette(count: int) -> list:
    """Distinct colours, grey left out (it marks the noisy input)."""
    from matplotlib import colormaps

    if count <= 9:  # tab10 without its grey
        return [c for i, c in enumerate(colormaps["tab10"].colors) if i != 7]
    return [c for i, c in enumerate(colormaps["tab20"].colors) if i not in (14, 15)]


def _figure(figsize: tuple[float, float]) -> Figure:
    """A pyplot-free figure with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


# --- visual comparisons ---------------------------------------------------------------------

def detail_box(clean: np.ndarray, size: int = 64) -> tuple[int, int, int]:
    """The ``size`` x ``size`` window with the most edge energy: ``(row, col, size)``."""
    from scipy import ndimage

    size = min(size, *clean.shape)
    edges = ndimage.gaussian_gradient_magnitude(clean.astype(np.float64), 1.0)
    energy = ndimage.uniform_filter(edges, size=size, mode="constant")
    half = size // 2
    valid = energy[half: clean.shape[0] - size + half + 1, half: clean.shape[1] - size + half + 1]
    row, col = np.unravel_index(int(np.argmax(valid)), valid.shape)
    return int(row), int(col), size


def denoise_panels(
    clean: np.ndarray,
    image_id: str,
    noise: Noise,
    methods: Sequence[Denoiser],
    *,
    seed: int = 0,
    clip: bool = False,
    device: str = "cpu",
    cache: Path | None = None,
) -> list[tuple[str, np.ndarray | None, str]]:
    """Clean, noisy and each method's output for one image: ``(title, image or None, note)``.

    The noisy image is drawn by :func:`benchmark.core.noise.add_noise` from the cell's identity, so
    it is bit for bit the one the store's cells saw. The first panel is what the cells are scored
    against: the clean image, or the noise model's reference of it (``"noiseless reference"``,
    e.g. the noiseless reconstruction of low-dose CT). A method that fails gets ``None`` and its
    error as the note. With ``cache``, outputs are kept there as ``.npy`` files keyed by the
    clean pixels, the noise, seed, clipping, method and parameters, so that a report with
    nothing new to compute draws the figure without denoising again.
    """
    noisy = add_noise(clean, noise, image_id=image_id, seed=seed, clip=clip)
    reference = get_noise_model(noise.kind).reference(clean)
    title = "clean" if reference is clean else "noiseless reference"
    panels: list[tuple[str, np.ndarray | None, str]] = [(title, reference, ""),
                                                         ("noisy", noisy, "")]
    for method in methods:
        path = None if cache is None else cache / _panel_key(clean, noise, seed, clip, method)
        if path is not None and path.is_file():
            panels.append((method.name, np.load(path, allow_pickle=False), ""))
            continue
        try:
            device_here = resolve_device(device, [method])  # only now: PyTorch asked if need be
            output = method(noisy[None], noise, device=device_here)[0]
        except Exception as error:  # one failing method must not lose the figure
            panels.append((method.name, None, f"{type(error).__name__}: {error}"[:80]))
            continue
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, output, allow_pickle=False)
        panels.append((method.name, output, ""))
    return panels


def _panel_key(clean: np.ndarray, noise: Noise, seed: int, clip: bool, method: Denoiser) -> str:
    import hashlib
    import json

    digest = hashlib.sha256(np.ascontiguousarray(clean).tobytes())
    digest.update(json.dumps([noise.kind, noise.sigma, seed, clip, method.name,
                              method_config(method)], sort_keys=True, default=str).encode())
    return f"{method.name}-{digest.hexdigest()[:16]}.npy"


def plot_visual_comparison(
    panels: Sequence[tuple[str, np.ndarray | None, str]],
    *,
    title: str,
    columns: int = 5,
    box: tuple[int, int, int] | None = None,
) -> Figure:
    """Images (one intensity window), a zoomed inset, and absolute-error maps (one scale).

    ``panels[0]`` must be the clean image; every other panel is scored against it (PSNR, SSIM
    under the panel) and gets an error map |panel - clean| below it.
    """
    clean = np.asarray(panels[0][1], dtype=np.float32)
    low, high = 0.0, float(np.percentile(clean, 99.5)) or 1.0
    box = box or detail_box(clean)
    errors = [np.abs(p - clean) if p is not None else None for _, p, _ in panels[1:]]
    emax = float(np.percentile(np.concatenate([e.ravel() for e in errors if e is not None]), 99)
                 ) if any(e is not None for e in errors) else 1.0
    count = len(panels)
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    figure = _figure(figsize=(2.6 * columns, 5.6 * rows))
    axes = figure.subplots(2 * rows, columns, squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    error_image = None
    for index, (name, image, note) in enumerate(panels):
        r, c = divmod(index, columns)
        ax, ax_err = axes[2 * r, c], axes[2 * r + 1, c]
        ax.set_title(name, fontsize=9)
        if image is None:
            ax.text(0.5, 0.5, f"failed\n{note}", ha="center", va="center", fontsize=7, wrap=True)
            continue
        ax.imshow(image, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
        _inset(ax, image, box, low, high)
        if index == 0:
            ax.set_xlabel("reference", fontsize=8)
            ax_err.text(0.5, 0.5, "|image - clean|\nbelow each image", ha="center",
                        va="center", fontsize=8)
            continue
        values = score(clean, image)
        ax.set_xlabel(f"PSNR {values['psnr']:.2f} dB\nSSIM {values['ssim']:.4f}", fontsize=8)
        error_image = ax_err.imshow(errors[index - 1], cmap="magma", vmin=0, vmax=emax,
                                    interpolation="nearest")
    if error_image is not None:
        figure.colorbar(error_image, ax=axes[1::2, :].ravel().tolist(), shrink=0.6,
                        label="absolute error")
    figure.suptitle(f"{title}\nintensity window [{low:.2f}, {high:.2f}] for every image; inset: "
                    f"{box[2]}x{box[2]} pixels at row {box[0]}, column {box[1]}", fontsize=10)
    return figure


def _inset(ax, image: np.ndarray, box: tuple[int, int, int], low: float, high: float) -> None:
    from matplotlib.patches import Rectangle

    row, col, size = box
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), size, size, fill=False, edgecolor="yellow",
                           linewidth=0.8))
    inset = ax.inset_axes([0.58, 0.0, 0.42, 0.42])
    inset.imshow(image[row: row + size, col: col + size], cmap="gray", vmin=low, vmax=high,
                 interpolation="nearest")
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor("yellow")


# --- training curves ------------------------------------------------------------------------

def read_training_log(path: Path) -> pd.DataFrame | None:
    """A training log with :data:`TRAINING_COLUMNS`, or ``None`` when it is not one."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    if not set(TRAINING_COLUMNS) <= set(frame.columns) or frame.empty:
        return None
    return frame.sort_values("epoch")


def training_logs(folder: Path) -> dict[str, pd.DataFrame]:
    """Every readable training log under ``folder`` (recursively), named by relative path."""
    logs = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*.csv")):
            frame = read_training_log(path)
            if frame is not None:
                name = str(path.relative_to(folder).with_suffix(""))
                logs[name.removesuffix(".loss")] = frame  # bench train writes NAME.loss.csv
    return logs


def plot_training_curves(name: str, log: pd.DataFrame) -> Figure:
    """Training and validation loss, and validation SSIM, against epoch, best epoch marked."""
    figure = _figure(figsize=(10, 3.6))
    loss_ax, ssim_ax = figure.subplots(1, 2)
    loss_ax.plot(log["epoch"], log["train_loss"], label="train loss")
    loss_ax.plot(log["epoch"], log["val_loss"], label="validation loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.legend()
    ssim_ax.plot(log["epoch"], log["val_ssim"], color="tab:green")
    best = log.loc[log["val_ssim"].idxmax()]
    ssim_ax.plot([best["epoch"]], [best["val_ssim"]], "o", color="tab:red",
                 label=f"best: epoch {best['epoch']:g}, SSIM {best['val_ssim']:.4f}")
    ssim_ax.set_xlabel("epoch")
    ssim_ax.set_ylabel("validation SSIM")
    ssim_ax.legend()
    for ax in (loss_ax, ssim_ax):
        ax.grid(alpha=0.3)
    figure.suptitle(f"Training curves: {name}")
    return figure
