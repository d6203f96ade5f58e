"""Collection over the packages (``--doctest-modules``): skip modules whose imports are missing.

The deep networks import PyTorch at module level; without the ``[deep]`` extra their modules
are left out of doctest collection instead of failing it, and so is the Dask executor without
the ``[distributed]`` extra. ``benchmark/cli/__main__.py`` runs
the command line when imported, so it is never collected.
"""

from importlib.util import find_spec

collect_ignore = ["benchmark/cli/__main__.py"]
if find_spec("torch") is None:
    collect_ignore += [f"methods/deep/{name}.py"
                       for name in ("blocks", "cdae", "drunet", "gan", "resnet", "unet")]
if find_spec("distributed") is None:
    collect_ignore += ["benchmark/engine/dask_executor.py"]

#: Docstring examples that take more than a few seconds (marked slow like the tests).
SLOW_DOCTESTS = {"benchmark.workflows._fair.fair", "benchmark.workflows._curves.curves"}


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)
