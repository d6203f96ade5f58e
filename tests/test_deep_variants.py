"""The ``.nlmap`` variants of the deep denoisers (docs/training.md, "Variants"): their registry
entries, what their options change in the network, and that they train and serve."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.registry import get_method, method_names, resolve_methods  # noqa: E402
from benchmark.report.fair import candidates  # noqa: E402
from methods.deep.level import forward, takes_level  # noqa: E402
from methods.deep.nets import ARCHITECTURE_DATA, ARCHITECTURES, TAKES_LEVEL, build  # noqa: E402
from methods.deep.resnet import ResNet18Encoder, load_torchvision_state  # noqa: E402

VARIANTS = {"cdae.nlmap": "cdae", "unet-dctda.nlmap": "unet-dctda"}
LEVELS = torch.tensor([0.05, 0.12])


def _perturbed(name: str, seed: int = 0):
    """The variant's network with its zero-initialised residual head given random weights (at
    zero the network is the identity whatever its input)."""
    torch.manual_seed(seed)
    model = build(name).eval()
    head = model.decoder[-1] if name.startswith("cdae") else model.head
    torch.nn.init.normal_(head.weight, std=0.05)
    return model


@pytest.mark.parametrize("name", sorted(a for a, d in ARCHITECTURE_DATA.items() if d == "image"))
def test_registered_level_flag_matches_the_network(name):
    """The registry's ``takes_level`` (which makes the method read sigma) and the network's own
    attribute (which makes training and inference pass the level) never drift apart."""
    with torch.device("meta"):
        model = build(name)
    assert takes_level(model) == (name in TAKES_LEVEL) == get_method(name).uses_sigma


@pytest.mark.parametrize("name, base", VARIANTS.items())
def test_variants_record_their_base_are_opt_in_and_no_fair_candidate(name, base):
    method = get_method(name)
    assert method.base == base and method.opt_in and method.noise_kinds == ("gaussian", "rician")
    assert name not in [m.name for m in resolve_methods(None)]  # never in a default run
    assert name not in [m.name for m in resolve_methods(None, opt_in=True, variants=False)]
    assert candidates(base, method_names(), Noise("rician", 0.11)) == [base]  # base keeps its row
    assert not get_method(base).uses_sigma  # the paper-faithful version is unchanged


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_starts_as_the_identity_and_keeps_any_size(name):
    """Residual output with a zero head: training starts from the noisy input."""
    model = build(name).eval()
    x = torch.rand(2, 1, 37, 45)
    with torch.no_grad():
        torch.testing.assert_close(model(x, LEVELS), x)


@pytest.mark.parametrize("name", VARIANTS)
def test_level_map_reaches_the_variant(name):
    model = _perturbed(name)
    x = torch.rand(1, 1, 32, 32).repeat(2, 1, 1, 1)
    with torch.no_grad():
        out = model(x, LEVELS)
    assert (out[0] - out[1]).abs().max() > 1e-5


def test_bias_free_cdae_variant_scales_with_image_and_level():
    model = _perturbed("cdae.nlmap")
    assert all(p.ndim == 4 for p in model.parameters())
    x = torch.rand(2, 1, 24, 36)
    with torch.no_grad():
        torch.testing.assert_close(model(3.0 * x, 3.0 * LEVELS), 3.0 * model(x, LEVELS),
                                   rtol=1e-4, atol=1e-6)


def test_paper_faithful_networks_are_unchanged_by_the_new_options():
    """Shipped checkpoints keep loading: the options default to the published networks."""
    cdae, unet = build("cdae"), build("unet-dctda")
    assert not takes_level(cdae) and cdae.encoder[0][0].in_channels == 1
    assert cdae.decoder[-1].bias is not None and not cdae.residual
    assert unet.encoder.conv1.in_channels == 1 and not unet.residual
    x = torch.rand(1, 1, 20, 20)
    assert forward(cdae.eval(), x, 0.1).shape == x.shape  # a level is ignored by them


def test_level_map_stem_loads_imagenet_weights_with_zeros_for_the_map():
    from tests.test_deep_models import fake_torchvision_state

    state = fake_torchvision_state()
    encoder = ResNet18Encoder(in_channels=2)
    load_torchvision_state(encoder, state)
    stem = encoder.conv1.weight
    assert torch.equal(stem[:, :1], state["conv1.weight"].sum(1, keepdim=True))
    assert torch.count_nonzero(stem[:, 1]) == 0


@pytest.mark.parametrize("name", ["cdae.nlmap", pytest.param("unet-dctda.nlmap",
                                                                marks=pytest.mark.slow)])
def test_variant_trains_and_serves_by_its_own_name(name, tmp_path, capsys, monkeypatch):
    """``bench train cdae.nlmap``: the checkpoint records the variant and its options, and the
    registered variant serves it at the cell's sigma."""
    from benchmark.cli import main
    from methods.deep.checkpoints import read_metadata

    monkeypatch.chdir(tmp_path)  # the run folder goes to results/train/ in the working folder
    out = tmp_path / f"{name}.safetensors"
    assert main(["train", name, "--noise", "gaussian", "--sigma", "0.05:0.15", "--epochs", "1",
                 "--steps", "1", "--crop", "64", "--batch", "2", "--val-limit", "1",
                 "--threads", "1", "--quiet", "--out", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["architecture"] == name
    assert json.loads(meta["arch_config"]) == ARCHITECTURES[name]
    stack = np.random.default_rng(1).random((1, 40, 40)).astype(np.float32)
    served = get_method(name)(stack, Noise("gaussian", 0.1), params={"checkpoint": str(out)})
    assert served.shape == stack.shape and np.isfinite(served).all()
