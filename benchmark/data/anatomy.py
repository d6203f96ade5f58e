"""The anatomy-mask recipe of a dataset, as its card's ``[anatomy]`` table sets it.

A cell's anatomy metrics (:func:`benchmark.core.masks.anatomy_scores`) use the recipe of the
cell's dataset: a card with ``[anatomy]`` gives its own (``method = "whole-image"`` for natural
images, whose "anatomy" is the whole image); a card without one, and a ``--data`` folder, the
default recipe (:data:`benchmark.core.masks.DEFAULT_RECIPE`).
"""

from __future__ import annotations

from functools import lru_cache

from benchmark.core.masks import DEFAULT_RECIPE, MaskRecipe


@lru_cache(maxsize=64)
def anatomy_recipe(dataset: str) -> MaskRecipe:
    """The mask recipe of the dataset named ``dataset`` (a card name, or a ``--data`` name).

    Examples
    --------
    >>> anatomy_recipe("skimage-natural").whole
    True
    >>> anatomy_recipe("mni152") == DEFAULT_RECIPE
    True
    >>> anatomy_recipe("folder:/scans") == DEFAULT_RECIPE
    True
    """
    from benchmark.data.cards import card_names, load_card

    if dataset not in card_names():  # a --data folder or file: no card, the default
        return DEFAULT_RECIPE
    card = load_card(dataset)
    return card.anatomy.recipe() if card.anatomy is not None else DEFAULT_RECIPE
