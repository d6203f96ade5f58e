"""Self-supervised training from noisy images alone: Neighbor2Neighbor (Huang et al., CVPR 2021).

A random neighbour sub-sampler splits each 2x2 cell of a noisy image ``y`` into two pixels that
are horizontal or vertical neighbours, giving two half-size images ``g1(y)`` and ``g2(y)``: the
same scene with (nearly) the same clean values and independent noise. The network learns to map
one onto the other, and a regulariser closes the gap left by the two sub-images' slightly
different clean values::

    loss = |f(g1(y)) - g2(y)|^2 + gamma |f(g1(y)) - g2(y) - (g1(f(y)) - g2(f(y)))|^2

with ``f(y)`` computed without gradient (as in the paper) and both terms averaged over pixels.
``gamma`` rises linearly from 0 to its final value over the run (the authors' code: final value
2). Nothing here reads a clean image: training sees the noisy images only, either one fixed
noisy realisation of each clean training image (:func:`noisy_realisations`, what a user with
one noisy scan per image has) or a card's images taken as already noisy.

Every draw is seeded: the realisations from each image's id (:func:`benchmark.core.noise.cell_rng`
and :func:`~benchmark.core.noise.add_noise`), the crops and the sub-samplers from the training
run's generator of the epoch, the validation sub-samplers from each validation image's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.noise import add_noise, cell_rng
from benchmark.data.cards import ImageSet
from methods.deep.training.augment import sample_batch

if TYPE_CHECKING:
    import torch

#: The self-supervised methods ``bench train --self-supervised`` knows.
METHODS = ("neighbor2neighbor",)
#: Final weight of the regulariser (Huang et al.'s code: ``increase_ratio = 2``).
GAMMA = 2.0
#: The eight ordered pairs of neighbouring positions in a 2x2 cell (0 top left, 1 top right,
#: 2 bottom left, 3 bottom right); diagonal pairs are not neighbours.
NEIGHBOUR_PAIRS = np.array([(0, 1), (0, 2), (1, 0), (1, 3), (2, 0), (2, 3), (3, 1), (3, 2)])


@dataclass(frozen=True)
class SubSampler:
    """A pair of random neighbour sub-samplers ``g1``, ``g2`` for images of one size.

    ``first`` and ``second`` hold, for each 2x2 cell, the position (0-3, row-major) of the pixel
    each sub-image takes; the two are neighbours in every cell.
    """

    first: np.ndarray
    second: np.ndarray

    def __call__(self, images: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
        """``(g1(images), g2(images))`` for a ``(N, C, H, W)`` tensor (a trailing odd row or
        column is dropped); differentiable, the same cells for every channel."""
        import torch

        n, c, h, w = images.shape
        cells = images[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
        cells = cells.permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)

        def take(position: np.ndarray) -> torch.Tensor:
            index = torch.from_numpy(position).to(images.device)[:, None, :, :, None]
            return torch.gather(cells, 4, index.expand(n, c, h // 2, w // 2, 1))[..., 0]

        return take(self.first), take(self.second)


def draw_subsampler(shape: Sequence[int], rng: np.random.Generator) -> SubSampler:
    """Random neighbour sub-samplers for images of ``shape`` ``(N, C, H, W)``.

    Each 2x2 cell draws one of the eight ordered pairs of neighbouring pixels uniformly.

    Examples
    --------
    >>> import numpy as np
    >>> g = draw_subsampler((2, 1, 8, 6), np.random.default_rng(0))
    >>> g.first.shape
    (2, 4, 3)
    >>> bool(np.all(g.first != g.second))
    True
    """
    n, _, h, w = shape
    pairs = NEIGHBOUR_PAIRS[rng.integers(len(NEIGHBOUR_PAIRS), size=(n, h // 2, w // 2))]
    return SubSampler(pairs[..., 0].astype(np.int64), pairs[..., 1].astype(np.int64))


def gamma_at(gamma: float, step: int, total: int) -> float:
    """The regulariser's weight at (0-based) ``step`` of ``total``: a linear ramp from
    ``gamma / total`` to ``gamma`` (a function of the step, so a resumed run matches)."""
    return gamma * min(step + 1, total) / total


def neighbor2neighbor_terms(model, noisy: "torch.Tensor", sampler: SubSampler
                            ) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The reconstruction and regularisation terms of Neighbor2Neighbor for one batch.

    Parameters
    ----------
    model : callable
        The denoiser ``f`` (a ``torch.nn.Module``), applied to ``(N, 1, H, W)`` tensors.
    noisy : torch.Tensor
        The noisy batch ``y``.
    sampler : SubSampler
        ``g1`` and ``g2``, from :func:`draw_subsampler`.

    Returns
    -------
    reconstruction, regulariser : torch.Tensor
        ``mean |f(g1(y)) - g2(y)|^2`` and ``mean |f(g1(y)) - g2(y) - (g1(f(y)) - g2(f(y)))|^2``,
        where ``f(y)`` carries no gradient.
    """
    import torch

    with torch.no_grad():
        full = model(noisy).float()
    expected_first, expected_second = sampler(full)
    first, second = sampler(noisy)
    difference = model(first).float() - second.float()
    reconstruction = difference.square().mean()
    regulariser = (difference - (expected_first - expected_second)).square().mean()
    return reconstruction, regulariser


def neighbor2neighbor_loss(model, noisy: "torch.Tensor", sampler: SubSampler,
                           gamma: float) -> "torch.Tensor":
    """``reconstruction + gamma * regulariser`` (:func:`neighbor2neighbor_terms`)."""
    reconstruction, regulariser = neighbor2neighbor_terms(model, noisy, sampler)
    return reconstruction + gamma * regulariser


def _identity_rng(image_id: str, noise: Noise, seed: int, purpose: str) -> np.random.Generator:
    return cell_rng(f"{purpose}/{image_id}", noise, seed)


def noisy_realisations(images: ImageSet, noises: Sequence[tuple[str, float, float]],
                       seed: int = 0) -> ImageSet:
    """One fixed noisy realisation of each image of ``images`` (a user's noisy scans, simulated).

    Each image draws its noise kind and level from ``noises`` (``(kind, low, high)``, as
    ``bench train`` takes them) with a generator derived from its id, then its noise with
    :func:`~benchmark.core.noise.add_noise` under the id ``self-supervised/ID``: the same
    realisation in every epoch and every run with this seed.

    Examples
    --------
    >>> import numpy as np
    >>> clean = ImageSet("demo", "train", ("a",), (np.full((4, 4), 0.5, np.float32),), "none")
    >>> noisy = noisy_realisations(clean, [("gaussian", 0.1, 0.1)])
    >>> noisy.ids, noisy.images[0].shape, bool(np.array_equal(
    ...     noisy.images[0], noisy_realisations(clean, [("gaussian", 0.1, 0.1)]).images[0]))
    (('a',), (4, 4), True)
    """
    first = Noise(noises[0][0], noises[0][1])
    out = []
    for image_id, clean in zip(images.ids, images.images):
        rng = _identity_rng(image_id, first, seed, "self-supervised-level")
        kind, low, high = noises[int(rng.integers(len(noises)))]
        noise = Noise(kind, rng.uniform(low, high) if high > low else low)
        out.append(add_noise(clean, noise, image_id=f"self-supervised/{image_id}", seed=seed)
                   .astype(np.float32))
    return ImageSet(images.dataset, images.split, images.ids, tuple(out), images.normalisation)


def sample_noisy_batch(images: Sequence[np.ndarray], rng: np.random.Generator, *, batch: int,
                       crop: int, augment: bool = True) -> np.ndarray:
    """A ``(batch, crop, crop)`` float32 stack of random crops of noisy ``images``.

    With ``augment``: a random flip and a random number of 90-degree turns. Unlike the clean
    crops of :func:`~methods.deep.training.augment.sample_batch` there is no intensity scaling:
    it would change the noise level the scans have. Images smaller than ``crop`` are reflected
    up to it.
    """
    return sample_batch(images, rng, batch=batch, crop=crop, augment=augment, scale=None)


def check_options(config) -> None:
    """Refuse, before any data are read, options that do not go with ``config.self_supervised``.

    Neighbor2Neighbor's argument needs the squared error, so the pixel loss, the SSIM mix and
    the perceptual loss are not options; the sub-sampler needs crops of at least 8 px, even.
    """
    if config.noisy_data and not config.self_supervised:
        raise BenchError("--noisy-data needs --self-supervised: supervised training needs "
                         "clean targets")
    if not config.self_supervised:
        return
    if config.self_supervised not in METHODS:
        raise BenchError(f"--self-supervised {config.self_supervised!r} is not one of "
                         f"{', '.join(METHODS)}")
    from methods.deep.training.losses import SSIM_WEIGHT

    given = [flag for flag, on in (("--loss", config.loss != "l1"),
                                   ("--ssim-weight", config.ssim_weight != SSIM_WEIGHT),
                                   ("--perceptual-weights", config.perceptual_weights))
             if on]
    if given:
        raise BenchError(f"--self-supervised trains on the Neighbor2Neighbor squared-error "
                         f"loss: drop {', '.join(given)}")
    if not (config.n2n_gamma >= 0 and np.isfinite(config.n2n_gamma)):
        raise BenchError(f"--n2n-gamma {config.n2n_gamma}: give a finite number >= 0 (default "
                         f"{GAMMA:g})")
    if config.crop < 8 or config.crop % 2:
        raise BenchError(f"--crop {config.crop}: self-supervised crops are split into 2x2 "
                         "cells; give an even size of at least 8")


def training_images(train: ImageSet, config) -> ImageSet:
    """The images self-supervised training sees: ``train`` as it is with ``noisy_data``, else
    one fixed noisy realisation of each (:func:`noisy_realisations`)."""
    if config.noisy_data:
        return train
    return noisy_realisations(train, config.noises, config.seed)


def validation_noise(config) -> Noise:
    """The noise declared for already noisy validation images (the middle of the first range)."""
    kind, low, high = config.noises[0]
    return Noise(kind, (low + high) / 2)


def batch_loss(model, images: Sequence[np.ndarray], rng: np.random.Generator, config, *,
               step: int, total: int, device: str) -> "torch.Tensor":
    """The training loss of one self-supervised batch: crops of the noisy ``images`` and their
    sub-samplers drawn from ``rng``, gamma at ``step`` of ``total`` (:func:`gamma_at`)."""
    import torch

    noisy = sample_noisy_batch(images, rng, batch=config.batch, crop=config.crop,
                               augment=config.augment)
    x = torch.from_numpy(noisy)[:, None].to(device)
    sampler = draw_subsampler(x.shape, rng)
    with torch.autocast("cuda", dtype=torch.float16, enabled=device.startswith("cuda")):
        return neighbor2neighbor_loss(model, x, sampler, gamma_at(config.n2n_gamma, step, total))


def validate(model, noisy_sets: Sequence[tuple[Noise, Sequence[np.ndarray]]],
             ids: Sequence[str], clean: Sequence[np.ndarray] | None, config,
             device: str) -> tuple[float, float, float]:
    """Validation of a self-supervised model: ``(loss, SSIM, PSNR)``.

    The loss is the self-supervised loss at the final ``gamma`` on each whole noisy validation
    image, with a sub-sampler drawn from the image's id (the same in every epoch); the run keeps
    the checkpoint with the lowest. SSIM and PSNR of the denoised image against ``clean`` when
    clean images are given (reported, never used to choose); NaN otherwise.
    """
    import torch

    from benchmark.core.metrics import psnr, ssim

    model.eval()
    losses, ssims, psnrs = [], [], []
    with torch.no_grad():
        for noise, noisy in noisy_sets:
            for index, (image_id, y) in enumerate(zip(ids, noisy)):
                x = torch.from_numpy(np.ascontiguousarray(y, np.float32))[None, None].to(device)
                sampler = draw_subsampler(x.shape, _identity_rng(image_id, noise, config.seed,
                                                                 "self-supervised-validation"))
                losses.append(neighbor2neighbor_loss(model, x, sampler, config.n2n_gamma).item())
                if clean is not None:
                    estimate = model(x).float().clamp(0, 1)[0, 0].cpu().numpy().astype(np.float64)
                    truth = clean[index].astype(np.float64)
                    ssims.append(ssim(truth, estimate))
                    psnrs.append(psnr(truth, estimate))
    model.train()
    nan = float("nan")
    return (float(np.mean(losses)), float(np.mean(ssims)) if ssims else nan,
            float(np.mean(psnrs)) if psnrs else nan)


def metadata(config) -> dict[str, Any]:
    """What a checkpoint records of the self-supervised training (``self_supervised``)."""
    return {"method": config.self_supervised, "gamma": config.n2n_gamma, "gamma_ramp": "linear",
            "noisy_data": config.noisy_data,
            "training_noise": "as given" if config.noisy_data else
            "one fixed realisation per image (seeded by its id)",
            "selection": "lowest validation loss"}
