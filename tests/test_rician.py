"""Rician-aware variants: the VST round trip, the bias correction, the generic wrappers."""

from __future__ import annotations

import numpy as np
from fair_variants import fair_suffixes
import pytest

from benchmark.core.contract import Noise
from benchmark.core.metrics import psnr
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, method_names
from benchmark.core.noise import get_noise_model
from benchmark.core.noise.rician_vst import bias_correct, rician_mean, rician_std, rician_vst

SUFFIXES = [t.suffix for t in get_noise_model("rician").fair_transforms]
PAPER_CLASSICAL = ["gaussian-filter", "bilateral", "tv", "wavelet", "wavelet.shift-invariant",
                   "nlm", "bm3d"]


def _rice(nu: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.hypot(nu + rng.standard_normal(n), rng.standard_normal(n))


def test_moments_match_samples():
    rng = np.random.default_rng(1)
    for nu in (0.0, 0.7, 3.0):
        z = _rice(nu, 200_000, rng)
        assert abs(z.mean() - rician_mean(nu)) < 0.01
        assert abs(z.std() - rician_std(nu)) < 0.01


@pytest.mark.parametrize("nu", [1.0, 1.5, 2.0, 4.0, 10.0, 40.0])
def test_vst_round_trip_returns_signal_within_one_percent(nu):
    # The inverse applied to a Monte Carlo E[f(z)] (independent of the quadrature) gives nu back.
    z = _rice(nu, 400_000, np.random.default_rng(int(nu * 10)))
    recovered = float(rician_vst().inverse(rician_vst().forward(z).mean()))
    assert abs(recovered - nu) <= 0.01 * nu


@pytest.mark.parametrize("nu", [0.0, 0.5, 1.0, 2.0, 5.0, 20.0])
def test_vst_stabilises_variance(nu):
    variance = rician_vst().forward(_rice(nu, 200_000, np.random.default_rng(3))).var()
    assert 0.75 < variance < 1.2  # raw Rician variance ranges 0.43..1 over these nu


def test_bias_correction_inverts_second_moment():
    nu, sigma = np.array([0.0, 0.05, 0.3, 0.9]), 0.11
    assert np.allclose(bias_correct(np.sqrt(nu**2 + 2 * sigma**2), sigma), nu)
    assert (bias_correct(np.array([0.0, 0.1]), sigma) == 0).all()  # clamped, never NaN


def test_bias_correction_on_synthetic_rician_data():
    # Phantom: air (0) around a disc (0.6); sigma 0.11 as in the paper's Table 2.
    yy, xx = np.mgrid[:96, :96]
    clean = np.where((yy - 48) ** 2 + (xx - 48) ** 2 < 30**2, 0.6, 0.0).astype(np.float32)
    noise = Noise("rician", 0.11)
    noisy = add_noise(clean, noise, image_id="phantom")
    plain = get_method("gaussian-filter")(noisy[None], noise)[0]
    fixed = get_method("gaussian-filter.rician-bc")(noisy[None], noise)[0]
    air = clean == 0
    assert plain[air].mean() > 0.1  # the Rician floor, about 1.25 sigma
    assert fixed[air].mean() < 0.5 * plain[air].mean()
    assert psnr(clean, fixed) > psnr(clean, plain) + 3


def test_vst_variant_beats_plain_on_rician_phantom():
    yy, xx = np.mgrid[:96, :96]
    clean = np.where((yy - 48) ** 2 + (xx - 48) ** 2 < 30**2, 0.6, 0.05).astype(np.float32)
    noise = Noise("rician", 0.11)
    noisy = add_noise(clean, noise, image_id="phantom-vst")
    plain = get_method("tv")(noisy[None], noise)[0]
    vst = get_method("tv.rician-vst")(noisy[None], noise)[0]
    assert psnr(clean, vst) > psnr(clean, plain) + 3


def test_every_classical_method_has_both_variants_recording_their_base():
    names = set(method_names())
    assert set(SUFFIXES) == {"rician-bc", "rician-vst"}
    for name in PAPER_CLASSICAL:
        joint = "-" if "." in name else "."
        for suffix in SUFFIXES:
            variant = get_method(f"{name}{joint}{suffix}")
            assert variant.base == name and variant.name in names
            assert variant.params == get_method(name).params
            assert variant.grid == get_method(name).grid
            assert variant.noise_kinds == ("rician",)


def test_every_plain_per_image_method_reading_sigma_gets_the_variants():
    """The fair transforms' variants; a variant registered in its own right (``cdae.nlmap``,
    an architecture of its own) also records its base, and is not counted."""
    plain = [get_method(n) for n in method_names() if get_method(n).base is None]
    for method in plain:
        suffixes = fair_suffixes(method.data)  # a variant registered in its own right is not
        derived = {n for n in method_names() if get_method(n).base == method.name  # counted
                   and any(n.endswith(f"{joint}{s}") for s in suffixes for joint in ".-")}
        expected = (method.uses_sigma and not method.batched and method.applies_to("gaussian")
                    and method.data in ("image", "volume"))
        assert bool(derived) == expected, method.name
        assert len(derived) == (len(suffixes) if expected else 0)


def test_rician_variants_apply_to_rician_noise_only():
    variant = get_method("tv.rician-vst")
    assert variant.applies_to("rician") and not variant.applies_to("gaussian")
    assert get_method("tv").applies_to("gaussian") and get_method("tv").applies_to("rician")
