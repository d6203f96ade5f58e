from fnmatch import fnmatch

import numpy as np
import pytest
from fair_variants import fair_suffixes

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
        get_method("bm3x")
    message = str(info.value)
    assert "Unknown denoiser 'bm3x'" in message
    assert "Did you mean: bm3d, bm4d?" in message
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
    assert [m.name for m in resolve_methods(None, opt_in=True)] == method_names()
    assert [m.name for m in resolve_methods(None)] == [
        n for n in method_names() if not get_method(n).opt_in]
    assert [m.name for m in resolve_methods(["tv", "tv", "nlm"])] == ["tv", "nlm"]


def test_wildcards_select_by_fnmatch_in_registration_order():
    chosen = [m.name for m in resolve_methods(["nlm*"])]
    assert chosen == [n for n in method_names() if fnmatch(n, "nlm*")]  # registration order
    assert chosen[:3] == ["nlm", "nlm.rician-bc", "nlm.rician-vst"] and "nlm-3d" in chosen
    assert [m.name for m in resolve_methods(["nlm*"], kind="rician", data="image")] == [
        "nlm", "nlm.rician-bc", "nlm.rician-vst"]
    assert [m.name for m in resolve_methods(["wavelet*"], kind="gaussian")] == [
        "wavelet", "wavelet.shift-invariant", "wavelet-3d"]
    with pytest.raises(UnknownNameError, match="no denoiser matches 'nlx\\*'"):
        resolve_methods(["nlx*"])


def test_all_methods_under_a_noise_kind_are_those_that_apply():
    gaussian = [m.name for m in resolve_methods(None, kind="gaussian", data="image")]
    rician = [m.name for m in resolve_methods(None, kind="rician", data="image")]
    assert not any(".rician-" in n or "-rician-" in n for n in gaussian)
    assert len(rician) - len(gaussian) == 14 and set(gaussian) < set(rician)
    assert all(m.base is None for m in resolve_methods(None, variants=False))


def test_naming_a_method_that_does_not_apply_is_one_line():
    with pytest.raises(BenchError, match="tv.rician-bc does not apply to gaussian noise"):
        resolve_methods(["tv.rician-bc"], kind="gaussian")


def test_bench_run_never_runs_rician_variants_under_gaussian_noise(tmp_path):
    import argparse

    from benchmark.core.contract import Noise
    from benchmark.engine.runner import plan

    split = argparse.Namespace(dataset="d", split="test", ids=["a"])
    tasks = plan(split, [Noise("gaussian", 0.1), Noise("rician", 0.1)],
                 resolve_methods(["tv*"]))
    by_noise = {kind: {t.key.method for t in tasks if t.key.noise == kind}
                for kind in ("gaussian", "rician")}
    assert by_noise["gaussian"] == {"noisy", "tv"}
    assert by_noise["rician"] == {"noisy", "tv", "tv.rician-bc", "tv.rician-vst"}


def test_variants_follow_from_declarations_and_record_their_base():
    @register("test-plain", params={"k": 1.0}, grid={"k": [0.5, 1.0]})
    def plain(image, noise, *, k):
        return image

    @register("test-blind", params={}, uses_sigma=False)
    def blind(image, noise):
        return image

    @register("test-gaussian-only.rician-bc", params={})
    def confusing(image, noise):
        return image

    try:
        variants = [get_method(n) for n in method_names() if get_method(n).base == "test-plain"]
        assert [v.name for v in variants] == [f"test-plain.{s}" for s in fair_suffixes()]
        assert all(v.grid == {"k": [0.5, 1.0]} and v.params == {"k": 1.0} for v in variants)
        assert not any(get_method(n).base == "test-blind" for n in method_names())
        # The base is recorded, never parsed from the name.
        assert get_method("test-gaussian-only.rician-bc").base is None
        assert get_method("test-gaussian-only.rician-bc-rician-vst").base == \
            "test-gaussian-only.rician-bc"
    finally:
        for name in ("test-plain", "test-blind", "test-gaussian-only.rician-bc"):
            unregister(name)
    assert not any(n.startswith("test-") for n in method_names())


def test_a_grid_naming_an_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="grid parameter 'widht'"):
        register("test-grid", params={"width": 1.0}, grid={"widht": [1.0]})(
            lambda image, noise, *, width: image)
    assert "test-grid" not in method_names()


def test_deep_architectures_register_like_classical_methods():
    from methods.deep.nets import ARCHITECTURES, TAKES_LEVEL, build, register_architecture

    for name in ARCHITECTURES:
        method = get_method(name)
        assert method.batched and method.weights is not None
        assert method.uses_sigma == (name in TAKES_LEVEL)  # the level map reads sigma
    with pytest.raises(ValueError, match="must follow its registered base 'cdea' and be opt_in"):
        register_architecture("cdea.x", "methods.deep.cdae:CDAE", defaults={}, cost=1.0,
                              summary="a variant of nothing", opt_in=True)
    with pytest.raises(ValueError, match="be opt_in"):
        register_architecture("cdae.x", "methods.deep.cdae:CDAE", defaults={}, cost=1.0,
                              summary="a variant that would stand for cdae in bench fair")
    assert "cdae.x" not in method_names()
    with pytest.raises(UnknownNameError, match="Did you mean: cdae"):
        build("cdea")
    with pytest.raises(ValueError, match="already registered"):
        register_architecture("cdae", "methods.deep.cdae:CDAE", defaults={}, cost=1.0,
                              summary="again")
    assert type(build("cdae")).__name__ == "CDAE"
