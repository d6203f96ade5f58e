"""Adversarial training after pix2pix (Isola et al. 2017): L1 + a conditional PatchGAN loss.

The objective that :func:`methods.deep.training.training.train` uses when its config has
``adversarial`` options (the ``gan`` architecture declares them); everything else, the data,
noise, augmentation, learning-rate schedule, validation, checkpoint choice and resume, is that
loop's. Each step, as pix2pix's ``optimize_parameters``:

1. the generator G denoises the batch, ``fake = G(noisy)``;
2. the discriminator D takes one Adam step on
   ``0.5 * (gan(D(noisy, clean), real) + gan(D(noisy, fake), fake))``;
3. G takes one Adam step on ``gan(D(noisy, G(noisy)), real) + l1_weight * L1(fake, clean)``,
   D fixed.

``gan`` is the binary cross-entropy on D's logits (``loss = "vanilla"``, pix2pix's default) or
the least-squares loss of Mao et al. 2017 (``"lsgan"``); ``"none"`` leaves D out and trains G on
the L1 term alone with the same optimiser (pix2pix's "L1 only" row, the control that shows what
the adversarial term changes). pix2pix's ``l1_weight`` is 100 and both
Adam optimisers take lr 2e-4 with betas (0.5, 0.999); here both follow the loop's cosine decay
to lr / 20 rather than pix2pix's constant-then-linear schedule. The run state saves D and its
optimiser beside G (prefixes ``disc.`` and ``disc-opt.``), so a resumed run equals an
uninterrupted one; the checkpoint holds G alone. On CUDA the objective runs in float32.
"""

from __future__ import annotations

import math
from typing import Any

from benchmark.core.errors import BenchError

#: pix2pix's setting, but for the discriminator's width (pix2pix: 64; 32 here, which halves the
#: step's time on a CPU; see docs/training.md).
DEFAULTS: dict[str, Any] = {"loss": "vanilla", "l1_weight": 100.0, "disc_width": 32,
                            "disc_layers": 3, "disc_norm": "batch", "betas": [0.5, 0.999]}
GAN_LOSSES = ("vanilla", "lsgan", "none")


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` over :data:`DEFAULTS`, checked; one-line errors name the option and the fix.

    Examples
    --------
    >>> check_options({"loss": "lsgan"})["l1_weight"]
    100.0
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise BenchError(f"adversarial options {unknown} unknown; known: {', '.join(DEFAULTS)}")
    merged = {**DEFAULTS, **options}
    if merged["loss"] not in GAN_LOSSES:
        raise BenchError(f"--gan-loss {merged['loss']!r} is not one of {', '.join(GAN_LOSSES)}")
    if not (math.isfinite(merged["l1_weight"]) and merged["l1_weight"] >= 0):
        raise BenchError(f"--l1-weight {merged['l1_weight']}: give a number >= 0 (pix2pix: 100)")
    if merged["loss"] == "none" and not merged["l1_weight"]:
        raise BenchError("--gan-loss none with --l1-weight 0 leaves nothing to train; give a "
                         "positive --l1-weight")
    return merged


class Adversarial:
    """The pix2pix objective over a generator ``model`` (see the module notes).

    The interface of :class:`methods.deep.training.training.Supervised`: :meth:`parts` for the
    run state and :meth:`step`, which returns ``loss`` (the L1 term, the loss curve's train
    loss, comparable with its validation loss) and ``g_adversarial``, ``d_loss``, ``d_real``
    and ``d_fake`` as columns of the loss CSV: D's mean score for clean and for denoised
    patches (1 = clean; the probability under ``vanilla``, the raw output under ``lsgan``).
    """

    def __init__(self, model, loss_fn, config):
        import torch

        from methods.deep.gan import PatchDiscriminator

        options = check_options(dict(config.adversarial or {}))
        self.model, self.pixel_loss = model, loss_fn
        self.l1_weight = float(options["l1_weight"])
        betas = tuple(options["betas"])
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, betas=betas,
                                          weight_decay=config.weight_decay)
        self.disc = self.disc_optimizer = None
        if options["loss"] != "none":
            self.disc = PatchDiscriminator(options["disc_width"], options["disc_layers"],
                                           options["disc_norm"]).to(config.device)
            self.disc_optimizer = torch.optim.Adam(self.disc.parameters(), lr=config.lr,
                                                   betas=betas)
        self.vanilla = options["loss"] == "vanilla"
        self.criterion = torch.nn.BCEWithLogitsLoss() if self.vanilla else torch.nn.MSELoss()

    def parts(self) -> dict[tuple[str, str], tuple]:
        """The generator (the served model) and the discriminator, each with its optimiser."""
        parts = {("model", "opt"): (self.model, self.optimizer)}
        if self.disc is not None:
            parts[("disc", "disc-opt")] = (self.disc, self.disc_optimizer)
        return parts

    def gan_loss(self, logits, real: bool):
        """The adversarial loss of D's ``logits`` against the label real (1) or fake (0)."""
        import torch

        return self.criterion(logits, torch.full_like(logits, 1.0 if real else 0.0))

    def discriminator_loss(self, noisy, clean, fake):
        """D's loss on a batch: clean patches labelled real, denoised ones fake, halved."""
        real_logits, fake_logits = self.disc(noisy, clean), self.disc(noisy, fake)
        loss = 0.5 * (self.gan_loss(real_logits, True) + self.gan_loss(fake_logits, False))
        return loss, real_logits, fake_logits

    def generator_loss(self, noisy, clean, fake):
        """G's loss on a batch: (adversarial term, pixel term); G minimises adv + w * pixel.
        Without a discriminator (``loss = "none"``) the adversarial term is 0."""
        pixel = self.pixel_loss(fake, clean)
        if self.disc is None:
            return pixel.new_zeros(()), pixel
        return self.gan_loss(self.disc(noisy, fake), True), pixel

    def update_discriminator(self, noisy, clean, fake):
        """One Adam step of D on the batch (``fake`` detached); returns its loss and logits."""
        self.disc.requires_grad_(True)
        loss, real_logits, fake_logits = self.discriminator_loss(noisy, clean, fake.detach())
        self.disc_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.disc_optimizer.step()
        return loss, real_logits, fake_logits

    def update_generator(self, noisy, clean, fake=None):
        """One Adam step of G on the batch, D fixed; returns (adversarial, pixel) terms."""
        fake = self.model(noisy) if fake is None else fake
        if self.disc is not None:
            self.disc.requires_grad_(False)  # G's step leaves D's gradients alone
        adversarial, pixel = self.generator_loss(noisy, clean, fake)
        self.optimizer.zero_grad(set_to_none=True)
        (adversarial + self.l1_weight * pixel).backward()
        self.optimizer.step()
        return adversarial, pixel

    def step(self, x, y, levels=None) -> dict[str, float]:
        """One batch (``levels`` unused: the generator takes the image alone)."""
        fake = self.model(x)
        if self.disc is None:
            return {"loss": self.update_generator(x, y, fake)[1].item()}
        d_loss, real_logits, fake_logits = self.update_discriminator(x, y, fake)
        adversarial, pixel = self.update_generator(x, y, fake)
        return {"loss": pixel.item(), "g_adversarial": adversarial.item(),
                "d_loss": d_loss.item(), "d_real": self._score(real_logits),
                "d_fake": self._score(fake_logits)}

    def _score(self, logits) -> float:
        logits = logits.detach()
        return float((logits.sigmoid() if self.vanilla else logits).mean())
