import numpy as np
import pytest

from benchmark.core.errors import BenchError, UnknownNameError
from benchmark.core.registry import get_method, method_names, register, resolve_methods, unregister

PAPER_CLASSICAL = ["gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant",
                   "nlm", "bm3d"]


def test_the_seven_classical_methods_are_registered_in_paper_order():
    names = method_names()
    assert [n for n in names if n in PAPER_CLASSICAL] == PAPER_CLASSICAL


def test_duplicate_name_is_an_error():
    with pytest.raises(ValueError, match="already registered"):
        register("bm3d")(lambda image, noise: image)


@pytest.mark.parametrize("bad", ["BM3D", "a.b.c", "", "-x", "x y"])
def test_malformed_names_are_rejected(bad):
    with pytest.raises(ValueError, match="family"):
        register(bad)(lambda image, noise: image)


def test_unknown_name_suggests_close_matches_and_lists_all():
    with pytest.raises(UnknownNameError) as info:
        get_method("bm4")
    message = str(info.value)
    assert "Unknown denoiser 'bm4'" in message
    assert "Did you mean: bm3d?" in message
    assert all(name in message for name in PAPER_CLASSICAL)


def test_register_returns_the_function_and_variants_share_the_contract():
    @register("test-identity.variant", params={"gain": 1.0}, uses_sigma=False)
    def identity(image, noise, *, gain):
        return image * gain

    try:
        assert identity(np.ones(2), None, gain=2.0).tolist() == [2.0, 2.0]
        method = get_method("test-identity.variant")
        assert method.family == "test-identity"
        assert method.resolve_params({"gain": 3.0}) == {"gain": 3.0}
        with pytest.raises(BenchError, match="no parameter 'gian'"):
            method.resolve_params({"gian": 3.0})
    finally:
        unregister("test-identity.variant")


def test_resolve_methods_defaults_to_all_and_deduplicates():
    assert [m.name for m in resolve_methods(None)] == method_names()
    assert [m.name for m in resolve_methods(["tv", "tv", "nlm"])] == ["tv", "nlm"]
