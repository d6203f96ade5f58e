"""``cdae.residual``: the CDAE with a full-resolution input skip and residual output and no
level map, a deep row of the ldct, ncchi8 and poisson tables (docs/training.md, "Variants")."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.metrics import psnr  # noqa: E402
from benchmark.core.noise import add_noise, get_noise_model  # noqa: E402
from benchmark.core.registry import get_method, resolve_methods, trained_variants  # noqa: E402
from benchmark.engine.check import check_methods  # noqa: E402
from benchmark.report.kinds import kind_rows  # noqa: E402
from methods.deep import checkpoints  # noqa: E402
from methods.deep.nets import build  # noqa: E402

LDCT = Noise("ldct", get_noise_model("ldct").report_level)
#: Least gain of the shipped checkpoint over the noisy slice at dose 1/4 (measured +7.1 dB on
#: this phantom; the paper-faithful cdae, whose bottleneck is a quarter of the resolution, loses
#: 7.4 dB there: docs/training.md).
LDCT_GAIN_DB = 3.0


def test_registered_as_an_opt_in_variant_of_cdae_for_every_kind():
    method = get_method("cdae.residual")
    assert method.base == "cdae" and method.opt_in and not method.uses_sigma
    assert method.noise_kinds is None  # no level map: any kind it has a checkpoint for
    assert "cdae.residual" not in [m.name for m in resolve_methods(None)]


def test_starts_as_the_identity_and_takes_no_level():
    model = build("cdae.residual").eval()
    assert model.residual and model.input_skip and not getattr(model, "takes_level", False)
    x = torch.rand(2, 1, 37, 45)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x)


def test_a_kind_table_shows_it_only_where_its_checkpoint_covers_the_report_level(
        tmp_path, monkeypatch):
    cdae = [get_method("cdae")]
    shipped = get_method("cdae.residual").unavailable_for(LDCT) is None
    assert ("cdae.residual" in [m.name for m in kind_rows("ldct", cdae)]) == shipped
    assert "cdae.residual" not in [m.name for m in kind_rows("speckle", cdae)]  # none for it
    # the same rows in its bench fair table and its bench check baseline
    assert [m.name for m in trained_variants(cdae, LDCT)] == shipped * ["cdae.residual"]
    assert ("cdae.residual" in [m.name for m in check_methods(cdae, LDCT)]) == shipped
    assert trained_variants([get_method("tv")], LDCT) == []
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)  # no checkpoint at all
    assert [m.name for m in kind_rows("ldct", cdae)] == ["cdae"]
    assert trained_variants(cdae, LDCT) == []


def test_shipped_checkpoint_beats_the_noisy_low_dose_slice():
    from benchmark.data.loaders.ct_phantom import draw
    from benchmark.data.loaders.intensity import WINDOWS, window

    method = get_method("cdae.residual")
    if method.unavailable_for(LDCT) is not None:
        pytest.skip("no cdae.residual checkpoint for ldct in the checkpoint folder")
    clean = window(draw(2000, 256), *WINDOWS["ldct"]).astype(np.float32)  # first test phantom
    noisy = add_noise(clean, LDCT, image_id="ct/residual")
    reference = get_noise_model("ldct").reference(clean)
    denoised = method(noisy[None], LDCT)[0]
    assert psnr(reference, denoised) > psnr(reference, noisy) + LDCT_GAIN_DB
