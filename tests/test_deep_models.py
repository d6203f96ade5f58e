"""Claims about the deep architectures: shapes, torchvision naming, the RGB -> grey stem."""

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from methods.deep.blocks import SCSE, pad_to_multiple  # noqa: E402
from methods.deep.cdae import CDAE  # noqa: E402
from methods.deep.resnet import ResNet18Encoder, adapt_state, load_torchvision_state  # noqa: E402
from methods.deep.unet import DECODER_CHANNELS, UNetDCTDA  # noqa: E402

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def torchvision_resnet18_shapes() -> dict[str, tuple[int, ...]]:
    """torchvision.models.resnet18's state dict (keys and shapes), written out from its design."""
    shapes = {"conv1.weight": (64, 3, 7, 7)}
    shapes.update({f"bn1.{p}": (64,) for p in BN})
    inplanes = 64
    for layer, planes in zip(range(1, 5), (64, 128, 256, 512)):
        for block in range(2):
            prefix = f"layer{layer}.{block}."
            cin = inplanes if block == 0 else planes
            shapes[prefix + "conv1.weight"] = (planes, cin, 3, 3)
            shapes[prefix + "conv2.weight"] = (planes, planes, 3, 3)
            for bn in ("bn1", "bn2"):
                shapes.update({f"{prefix}{bn}.{p}": (planes,) for p in BN})
            if block == 0 and layer > 1:
                shapes[prefix + "downsample.0.weight"] = (planes, cin, 1, 1)
                shapes.update({f"{prefix}downsample.1.{p}": (planes,) for p in BN})
        inplanes = planes
    shapes["fc.weight"], shapes["fc.bias"] = (1000, 512), (1000,)
    for key in shapes:
        if key.endswith("num_batches_tracked"):
            shapes[key] = ()
    return shapes


def fake_torchvision_state(seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in torchvision_resnet18_shapes().items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(7)
        else:
            state[key] = torch.randn(shape, generator=generator)
    return state


def test_encoder_keys_and_shapes_match_torchvision_without_fc():
    expected = {k: v for k, v in torchvision_resnet18_shapes().items() if not k.startswith("fc.")}
    state = ResNet18Encoder(in_channels=3).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == expected
    assert len(expected) == 120  # torchvision resnet18().state_dict() has 122 entries, 2 in fc


def test_unet_encoder_parameters_carry_torchvision_names():
    keys = UNetDCTDA().state_dict().keys()
    assert "encoder.layer3.0.downsample.0.weight" in keys
    assert "encoder.layer4.1.bn2.running_var" in keys


def test_torchvision_state_loads_and_stem_sums_rgb_kernels():
    state = fake_torchvision_state()
    encoder = ResNet18Encoder(in_channels=1)
    load_torchvision_state(encoder, state)
    assert torch.equal(encoder.conv1.weight, state["conv1.weight"].sum(1, keepdim=True))
    assert torch.equal(encoder.layer2[0].downsample[0].weight,
                       state["layer2.0.downsample.0.weight"])
    # A grey image through the summed stem = the RGB stem on the grey image repeated 3 times.
    grey = torch.rand(1, 1, 32, 32)
    rgb_conv = torch.nn.functional.conv2d(grey.repeat(1, 3, 1, 1), state["conv1.weight"], stride=2, padding=3)
    assert torch.allclose(encoder.conv1(grey), rgb_conv, atol=1e-4)


def test_adapt_state_rejects_nothing_but_fc():
    adapted = adapt_state(fake_torchvision_state(), 1)
    assert not any(k.startswith("fc.") for k in adapted)
    assert adapted["conv1.weight"].shape == (64, 1, 7, 7)


def test_encoder_feature_shapes():
    features = ResNet18Encoder().eval()(torch.rand(1, 1, 64, 96))
    assert [tuple(f.shape[1:]) for f in features] == [
        (64, 32, 48), (64, 16, 24), (128, 8, 12), (256, 4, 6), (512, 2, 3)]


@pytest.mark.parametrize("size", [(64, 64), (37, 50), (20, 33)])
def test_unet_keeps_any_input_size(size):
    model = UNetDCTDA().eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, *size))
    assert out.shape == (2, 1, *size)
    assert torch.isfinite(out).all()


def test_unet_decoder_widths_and_attention_switch():
    model = UNetDCTDA()
    assert [block.conv2[0].out_channels for block in model.decoder] == list(DECODER_CHANNELS)
    assert [block.conv2[0].dilation[0] for block in model.decoder] == [2, 2, 2, 1, 1]
    plain = UNetDCTDA(attention=False, dilation=False)
    assert not any(isinstance(m, SCSE) for m in plain.modules())
    assert {block.conv2[0].dilation[0] for block in plain.decoder} == {1}
    assert sum(isinstance(m, SCSE) for m in model.modules()) == 10


@pytest.mark.parametrize("size", [(32, 32), (30, 45)])
def test_cdae_keeps_any_input_size(size):
    out = CDAE(width=4)(torch.rand(1, 1, *size))
    assert out.shape == (1, 1, *size)


def test_scse_keeps_shape_and_gates():
    x = torch.rand(2, 32, 8, 8)
    out = SCSE(32)(x)
    assert out.shape == x.shape
    assert (out <= 2 * x + 1e-6).all()  # two sigmoid gates, each at most 1


def test_padding_reflects_then_crop_restores():
    x = torch.arange(2 * 5 * 7, dtype=torch.float32).view(1, 2, 5, 7)
    padded, size = pad_to_multiple(x, 4)
    assert padded.shape == (1, 2, 8, 8) and size == (5, 7)
    assert torch.equal(padded[..., :5, :7], x)
    assert torch.equal(padded[..., 5, :7], x[..., 3, :])  # reflection, not zeros


def test_importing_methods_does_not_import_torch():
    code = "import sys, methods; print('torch' in sys.modules, 'safetensors' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_full_resolution_input_skip_option_and_old_checkpoints_still_build():
    from methods.deep.nets import build

    assert build("unet-dctda").decoder[4].conv1[0].in_channels == 32  # off by default
    model = build("unet-dctda", {"input_skip": True}).eval()
    assert model.decoder[4].conv1[0].in_channels == 32 + 1
    with torch.no_grad():
        assert model(torch.rand(1, 1, 45, 70)).shape == (1, 1, 45, 70)
    stored = {"attention": True, "dilation": True, "residual": False}  # written before the option
    assert build("unet-dctda", stored, defaults=False).decoder[4].conv1[0].in_channels == 32
