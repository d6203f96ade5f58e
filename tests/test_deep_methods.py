"""The shipped deep denoisers: registered like the others, served from committed checkpoints."""

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from benchmark.core.contract import Noise  # noqa: E402
from benchmark.data.cards import load_dataset  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from benchmark.core.metrics import psnr  # noqa: E402
from benchmark.core.noise import add_noise  # noqa: E402
from benchmark.core.registry import get_method  # noqa: E402
from methods.deep.checkpoints import CHECKPOINT_DIR, find_checkpoint, read_metadata  # noqa: E402

DEEP = ("cdae", "unet-dctda", "gan")
TABLE_NOISES = (Noise("gaussian", 0.1), Noise("rician", 0.11))


@pytest.mark.parametrize("name", DEEP)
def test_registered_as_batched_cpu_and_cuda(name):
    method = get_method(name)
    assert method.batched and method.devices == ("cpu", "cuda")


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("noise", TABLE_NOISES, ids=str)
def test_shipped_checkpoint_denoises_a_test_crop(name, noise, small_image):
    noisy = add_noise(small_image, noise, image_id=f"deep/{noise.kind}")
    out = get_method(name)(noisy[None], noise)[0]
    assert psnr(small_image, out) > psnr(small_image, noisy) + 3.0  # the contract's bar


@pytest.mark.parametrize("name", DEEP)
def test_shipped_checkpoints_carry_provenance_of_the_current_data(name):
    train = load_dataset("mni152", "train").fingerprint()
    for noise in TABLE_NOISES:
        meta = read_metadata(find_checkpoint(name, noise))
        assert meta["architecture"] == name and meta["dataset"] == "mni152"
        assert meta["train_fingerprint"] == train, "checkpoint trained on other data: retrain"
        assert meta["train_command"].startswith(f"bench train {name} ")
        assert meta["git_commit"] != "unknown"
        assert json.loads(meta["config"])["seed"] == 0


def test_shipped_checkpoints_fit_the_size_budget_in_half_precision():
    """Every shipped checkpoint, image and curve models, within 60 MB together (the curve
    models' own budget is in test_deep_curves.py), each floating tensor stored as fp16."""
    from safetensors import safe_open

    shipped = sorted(CHECKPOINT_DIR.glob("*.safetensors"))
    assert 0 < sum(p.stat().st_size for p in shipped) <= 60e6
    for path in shipped:
        with safe_open(str(path), framework="numpy") as tensors:
            dtypes = {tensors.get_slice(name).get_dtype() for name in tensors.keys()}
        assert not dtypes & {"F32", "F64", "BF16"}, f"{path.name}: {dtypes}"


def test_unknown_noise_level_names_the_training_command():
    with pytest.raises(BenchError, match="bench train unet-dctda --noise gaussian --sigma 0.5"):
        get_method("unet-dctda")(np.zeros((1, 32, 32), np.float32) + 0.5, Noise("gaussian", 0.5))
