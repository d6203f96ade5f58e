"""Opt-in methods (``Denoiser.opt_in``, e.g. ``bm3d.fast``) run only when named."""

from dataclasses import replace

import numpy as np
import pytest

from benchmark.cli import main
from benchmark.core.contract import Noise
from benchmark.core.registry import (add, get_method, method_names, register, resolve_methods,
                                     unregister)
from benchmark.report.fair import candidates


def _names(methods):
    return [m.name for m in methods]


def test_bm3d_fast_is_registered_opt_in_with_a_coarser_wiener_step():
    fast = get_method("bm3d.fast")
    assert fast.opt_in and not get_method("bm3d").opt_in
    assert fast.params == {"profile": "np", "step_wiener": 4} and fast.base is None
    assert fast.resolve_params()["profile"] == get_method("bm3d").params["profile"]


def test_opt_in_methods_are_left_out_of_every_default_selection():
    for kind in (None, "gaussian", "rician"):
        for variants in (True, False):  # bench run (variants) and the tables (plain methods)
            chosen = _names(resolve_methods(None, kind=kind, variants=variants))
            assert not any(n.startswith("bm3d.fast") for n in chosen), (kind, variants)
            assert "bm3d" in chosen
    assert "bm3d.fast" not in _names(resolve_methods(["bm3d*"]))
    assert "bm3d.fast" in _names(resolve_methods(None, opt_in=True))  # bench methods lists it


def test_an_opt_in_method_runs_when_named():
    assert _names(resolve_methods(["bm3d.fast"])) == ["bm3d.fast"]
    assert _names(resolve_methods(["bm3d", "bm3d.fast-rician-vst"], kind="rician")) == [
        "bm3d", "bm3d.fast-rician-vst"]


def test_variants_of_an_opt_in_method_are_opt_in_and_its_own_fair_candidates():
    names = method_names()
    rician = Noise("rician", 0.11)
    derived = [n for n in names if get_method(n).base == "bm3d.fast" and "rician" in n]
    assert sorted(derived) == ["bm3d.fast-rician-bc", "bm3d.fast-rician-vst"]
    assert all(get_method(n).opt_in for n in derived)
    assert sorted(candidates("bm3d.fast", names, rician)) == derived
    assert sorted(candidates("bm3d", names, rician)) == ["bm3d.rician-bc", "bm3d.rician-vst"]


def test_an_opt_in_variant_is_no_candidate_of_its_base():
    @register("test-base", params={"k": 1})
    def base(image, noise, *, k):
        return image

    try:
        add(replace(get_method("test-base"), name="test-base.other", base="test-base",
                    opt_in=True))
        assert candidates("test-base", method_names(), Noise("gaussian", 0.1)) == ["test-base"]
    finally:
        unregister("test-base")
    assert "test-base.other" not in method_names()


def test_bm3d_fast_is_close_to_bm3d(small_set):
    noise = Noise("gaussian", 0.1)
    from benchmark.core.metrics import psnr
    from benchmark.core.noise import add_noise

    clean = small_set.images[0]
    noisy = add_noise(clean, noise, image_id=small_set.ids[0])
    reference = get_method("bm3d")(noisy[None], noise)[0]
    fast = get_method("bm3d.fast")(noisy[None], noise)[0]
    assert not np.array_equal(reference, fast)
    assert abs(psnr(clean, fast) - psnr(clean, reference)) < 0.2


@pytest.mark.slow
def test_bench_run_and_methods_name_bm3d_fast(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    assert main(["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "bm3d.fast",
                 "--limit", "1", "--jobs", "1", "--quiet", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "2 cells computed" in out and "bm3d.fast" in out
    assert main(["methods"]) == 0
    listing = capsys.readouterr().out
    assert "opt-in: runs only when named" in listing


@pytest.mark.parametrize("bad", [0, 2.5])
def test_bm3d_fast_refuses_a_bad_step(bad, small_set):
    with pytest.raises(ValueError, match="step_wiener"):
        get_method("bm3d.fast")(small_set.images[0][None], Noise("gaussian", 0.1),
                                params={"step_wiener": bad})
