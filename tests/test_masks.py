"""Anatomy masks and the metrics restricted to them; extras survive the store."""

from __future__ import annotations

import numpy as np

from benchmark.core.masks import MaskRecipe, anatomy_mask, anatomy_scores
from benchmark.core.metrics import score
from benchmark.engine.store import CellKey, Store


def _phantom() -> np.ndarray:
    image = np.zeros((64, 64), np.float32)
    image[16:48, 12:52] = 0.6
    image[28:36, 28:36] = 0.0  # a dark 'ventricle' inside: part of the anatomy
    image[2:4, 2:4] = 0.9  # a 4-pixel speck in the air: not anatomy
    return image


def test_mask_fills_holes_drops_specks_and_is_deterministic():
    image = _phantom()
    mask = anatomy_mask(image)
    assert mask[16:48, 12:52].all() and mask.sum() == 32 * 40
    assert not mask[2:4, 2:4].any()
    assert (anatomy_mask(image.copy()) == mask).all()
    assert anatomy_mask(image, MaskRecipe(threshold=0.7)).sum() == 0


def test_anatomy_metrics_ignore_the_background():
    clean = _phantom()
    estimate = clean.copy()
    estimate[~anatomy_mask(clean)] += 0.3  # ruin the air only
    whole, anatomy = score(clean, estimate), anatomy_scores(clean, estimate)
    assert whole["psnr"] < 15
    assert anatomy["psnr_anatomy"] == float("inf")
    # SSIM windows straddling the edge see the ruined air, deep inside they do not
    assert anatomy["ssim_anatomy"] > whole["ssim"] + 0.2
    assert abs(anatomy["anatomy_fraction"] - 32 * 40 / 64**2) < 1e-9


def test_extras_round_trip_through_the_store(tmp_path):
    key = CellKey("d", "test", "img", "rician", 0.11, False, 0, "tv", "abc")
    with Store(tmp_path / "s.sqlite") as store:
        run = store.start_run(command="t", git_commit="x", versions={}, machine="m")
        store.put(key, {"status": "ok", "psnr": 30.0, "ssim": 0.9, "params": {},
                        "extra": {"psnr_anatomy": 25.5, "sigma_error": 0.01}}, run_id=run)
        frame = store.frame()
    assert frame.loc[0, "psnr_anatomy"] == 25.5 and frame.loc[0, "sigma_error"] == 0.01


def test_card_documents_the_recipe_in_use():
    from dataclasses import asdict

    from benchmark.data.cards import load_card
    from benchmark.core.masks import DEFAULT_RECIPE

    card = asdict(load_card("mni152").anatomy)
    assert card.pop("method") == "threshold-morphology"
    assert {**card, "whole": False} == asdict(DEFAULT_RECIPE)
    assert load_card("mni152").anatomy.recipe() == DEFAULT_RECIPE
