"""Claims about checkpoints: safetensors round-trip with metadata, lookup by noise, no pickle."""

import os
import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from benchmark.core.contract import Noise  # noqa: E402
from benchmark.core.errors import BenchError  # noqa: E402
from methods.deep.cdae import CDAE  # noqa: E402
from methods.deep.checkpoints import (find_checkpoint, load_checkpoint, noise_ranges,  # noqa: E402
                                      read_metadata, save_checkpoint)


def _save(path, kinds, lo, hi, architecture="cdae", width=4):
    torch.manual_seed(0)
    model = CDAE(width=width)
    save_checkpoint(path, model.state_dict(), {
        "architecture": architecture, "arch_config": {"width": width},
        "noise": [{"kind": k, "sigma_min": lo, "sigma_max": hi} for k in kinds],
        "train_command": "bench train cdae --noise gaussian --sigma 0.1", "git_commit": "abc",
    })
    return model


def test_round_trip_keeps_metadata_and_half_precision_weights(tmp_path):
    model = _save(tmp_path / "m.safetensors", ["gaussian"], 0.1, 0.1)
    tensors, meta = load_checkpoint(tmp_path / "m.safetensors")
    assert meta["architecture"] == "cdae" and meta["git_commit"] == "abc"
    assert meta["train_command"].startswith("bench train cdae")
    assert noise_ranges(meta)[0].covers(Noise("gaussian", 0.1))
    for key, value in model.state_dict().items():
        assert tensors[key].dtype == torch.float32
        assert torch.allclose(tensors[key], value.half().float())
    assert not (tmp_path / "m.safetensors.partial").exists()


def test_lookup_picks_covering_and_narrowest_range(tmp_path):
    _save(tmp_path / "wide.safetensors", ["gaussian", "rician"], 0.05, 0.15)
    _save(tmp_path / "narrow.safetensors", ["gaussian"], 0.1, 0.1)
    _save(tmp_path / "other.safetensors", ["gaussian"], 0.1, 0.1, architecture="unet-dctda")
    assert find_checkpoint("cdae", Noise("gaussian", 0.1), tmp_path).name == "narrow.safetensors"
    assert find_checkpoint("cdae", Noise("rician", 0.11), tmp_path).name == "wide.safetensors"


def test_missing_checkpoint_names_the_train_command_and_where_it_is_served(tmp_path):
    _save(tmp_path / "wide.safetensors", ["gaussian"], 0.05, 0.15)
    with pytest.raises(BenchError, match=r"'bench train cdae --noise rician --sigma 0\.3' .*"
                                         r"BENCH_CHECKPOINTS=checkpoints$"):
        find_checkpoint("cdae", Noise("rician", 0.3), tmp_path)


def test_bench_checkpoints_points_the_deep_methods_at_a_folder(tmp_path):
    """The advice of the message works: a checkpoint in $BENCH_CHECKPOINTS is found."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    _save(folder / "mine.safetensors", ["rician"], 0.2, 0.4)
    code = ("from benchmark.core.contract import Noise; "
            "from methods.deep.checkpoints import find_checkpoint; "
            "print(find_checkpoint('cdae', Noise('rician', 0.3)).name)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "BENCH_CHECKPOINTS": "checkpoints"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "mine.safetensors"


def test_a_pickle_is_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    (tmp_path / "evil.safetensors").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(BenchError, match="no cdae checkpoint"):
        find_checkpoint("cdae", Noise("gaussian", 0.1), tmp_path)
    with pytest.raises(Exception):
        load_checkpoint(tmp_path / "evil.safetensors")
    assert not (tmp_path / "pwned").exists()


def test_metadata_is_readable_without_tensors(tmp_path):
    _save(tmp_path / "m.safetensors", ["rician"], 0.11, 0.11)
    assert read_metadata(tmp_path / "m.safetensors")["format"] == "bench-denoiser/1"


def test_new_weights_make_new_cells(tmp_path, monkeypatch):
    import methods.deep.checkpoints as checkpoints
    from benchmark.core.registry import get_method
    from benchmark.engine.runner import method_config

    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    cdae, unet = get_method("cdae"), get_method("unet-dctda")
    assert method_config(cdae).endswith("@none")
    _save(tmp_path / "a.safetensors", ["gaussian"], 0.1, 0.1)
    first = method_config(cdae)
    assert method_config(cdae) == first
    assert method_config(unet).endswith("@none")  # another architecture's file is not its weights
    _save(tmp_path / "a.safetensors", ["gaussian"], 0.1, 0.1, width=8)  # retrained in place
    second = method_config(cdae)
    assert second != first and second.split("@")[0] == first.split("@")[0]  # same parameters
    explicit = method_config(cdae, {"checkpoint": str(tmp_path / "a.safetensors")})
    assert explicit not in (first, second)
