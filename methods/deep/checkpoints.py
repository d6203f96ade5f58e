"""Checkpoints of the deep denoisers: safetensors files with their provenance as metadata.

A checkpoint holds the model's tensors (half precision when shipped) and string metadata:
``architecture``, ``arch_config`` (JSON), ``noise`` (JSON list of ``{kind, sigma_min,
sigma_max}``), ``dataset``, ``train_fingerprint``, ``validation_fingerprint``,
``train_command``, ``git_commit`` and training results. Loading reads tensors and JSON only;
nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from benchmark.core.contract import BenchError, Noise

#: Where shipped checkpoints live; ``BENCH_CHECKPOINTS`` overrides it.
CHECKPOINT_DIR = Path(os.environ.get("BENCH_CHECKPOINTS",
                                     Path(__file__).resolve().parent / "weights"))
FORMAT = "bench-denoiser/1"
_SIGMA_TOLERANCE = 1e-6


@dataclass(frozen=True)
class NoiseRange:
    """A noise kind and the closed sigma interval a model was trained on."""

    kind: str
    sigma_min: float
    sigma_max: float

    def covers(self, noise: Noise) -> bool:
        return (noise.kind == self.kind
                and self.sigma_min - _SIGMA_TOLERANCE <= noise.sigma <= self.sigma_max + _SIGMA_TOLERANCE)

    def label(self) -> str:
        if self.sigma_min == self.sigma_max:
            return f"{self.kind} {self.sigma_min:g}"
        return f"{self.kind} {self.sigma_min:g}-{self.sigma_max:g}"


def noise_ranges(metadata: Mapping[str, str]) -> list[NoiseRange]:
    """The noise ranges recorded in a checkpoint's metadata."""
    return [NoiseRange(d["kind"], float(d["sigma_min"]), float(d["sigma_max"]))
            for d in json.loads(metadata.get("noise", "[]"))]


def save_checkpoint(path: Path, tensors: Mapping[str, Any], metadata: Mapping[str, Any],
                    *, half: bool = True) -> None:
    """Write ``tensors`` (a state dict) and ``metadata`` to ``path`` atomically.

    Floating tensors are stored as float16 when ``half``; metadata values that are not
    strings are stored as JSON.
    """
    import torch
    from safetensors.torch import save_file

    out = {}
    for key, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        if half and tensor.is_floating_point():
            tensor = tensor.to(torch.float16)
        out[key] = tensor
    meta = {"format": FORMAT, **{k: v if isinstance(v, str) else json.dumps(v)
                                 for k, v in metadata.items()}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    save_file(out, str(partial), metadata=meta)
    os.replace(partial, path)


def read_metadata(path: Path) -> dict[str, str]:
    """The metadata of a safetensors file, without reading its tensors."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:  # metadata only: no torch needed
        return dict(handle.metadata() or {})


#: Bytes a safetensors header may take (the format's own readers cap it at 100 MB).
_HEADER_LIMIT = 100_000_000
_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
                "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def inspect_checkpoint(path: Path) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """Tensor shapes and metadata of a safetensors file, checked without loading a tensor.

    The 8-byte header length, the JSON header, every tensor's dtype, shape and byte range,
    and the file's length are checked against each other, so a file that is not
    safetensors, or a truncated one, is refused before any training or inference starts.

    Raises
    ------
    BenchError
        One line naming the file and what is wrong with it.
    """
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"checkpoint {path} does not exist; give a .safetensors file written "
                         "by bench train")
    size = path.stat().st_size

    def bad(why: str) -> BenchError:
        return BenchError(f"checkpoint {path} is not a readable safetensors file ({why}); "
                          "give a checkpoint written by bench train")

    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise bad(f"{size} bytes, shorter than the 8-byte header length")
        length = int.from_bytes(prefix, "little")
        if length > min(_HEADER_LIMIT, size - 8):
            raise bad(f"a header of {length} bytes in a file of {size}")
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise bad("its header is not JSON") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    shapes, end = {}, 0
    for name, info in header.items():
        try:
            start, stop = (int(v) for v in info["data_offsets"])
            shape = tuple(int(n) for n in info["shape"])
            width = _DTYPE_BYTES[info["dtype"]]
        except (KeyError, TypeError, ValueError):
            raise bad(f"tensor {name!r} has no valid dtype, shape or data_offsets") from None
        if stop - start != width * math.prod(shape) or start < 0:
            raise bad(f"tensor {name!r}: {stop - start} bytes for shape {list(shape)}")
        shapes[name], end = shape, max(end, stop)
    if size != 8 + length + end:
        raise bad(f"{size} bytes where the header promises {8 + length + end}: truncated or "
                  "padded")
    return shapes, {str(k): str(v) for k, v in metadata.items()}


def load_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Tensors (as float32 where floating) and metadata of a checkpoint file.

    Raises
    ------
    BenchError
        For a missing, truncated or non-safetensors file (:func:`inspect_checkpoint`).
    """
    import torch
    from safetensors.torch import load_file

    path = Path(path)
    _, metadata = inspect_checkpoint(path)
    tensors = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    return tensors, metadata


def train_command(architecture: str, noise: Noise) -> str:
    """The ``bench train`` command that makes a checkpoint for ``noise``."""
    return f"bench train {architecture} --noise {noise.kind} --sigma {noise.sigma:g}"


def _checkpoints_of(architecture: str, directory: Path) -> list[tuple[Path, dict[str, str]]]:
    """Every checkpoint of ``architecture`` in ``directory`` with its metadata, by file name."""
    found = []
    for path in sorted(directory.glob("*.safetensors")):
        try:
            meta = read_metadata(path)
        except ImportError:  # safetensors missing: say so, not "no checkpoint"
            raise
        except Exception:  # an unreadable file is not a checkpoint of ours
            continue
        if meta.get("format") == FORMAT and meta.get("architecture") == architecture:
            found.append((path, meta))
    return found


def find_checkpoint(architecture: str, noise: Noise, directory: Path | None = None) -> Path:
    """The checkpoint of ``architecture`` whose training noise covers ``noise``.

    When several match, the narrowest sigma range wins (a specialist over a generalist), then
    the file name.

    Raises
    ------
    BenchError
        Naming the ``bench train`` command that makes the missing checkpoint.
    """
    directory = Path(directory or CHECKPOINT_DIR)
    candidates = _covering(architecture, noise, directory)
    if not candidates:
        raise BenchError(
            f"no {architecture} checkpoint for {noise} in {directory}; make one with "
            f"'{train_command(architecture, noise)}' (it writes checkpoints/ in the working "
            "folder) and serve it with BENCH_CHECKPOINTS=checkpoints"
        )
    return min(candidates)[2]


def _covering(architecture: str, noise: Noise, directory: Path) -> list[tuple[float, str, Path]]:
    """``(width of the sigma range, file name, path)`` of each checkpoint covering ``noise``."""
    return [(noise_range.sigma_max - noise_range.sigma_min, path.name, path)
            for path, meta in _checkpoints_of(architecture, directory)
            for noise_range in noise_ranges(meta) if noise_range.covers(noise)]


def missing_checkpoint(architecture: str, noise: Noise, checkpoint: str = "auto",
                       directory: Path | None = None) -> str | None:
    """Why ``architecture`` cannot serve ``noise`` (no checkpoint covers it), in one line
    naming the ``bench train`` command and no path; ``None`` when one does, for a
    ``checkpoint`` path given outright, or when safetensors is missing (the cells then fail
    with the ``pip install`` that fixes it).

    Examples
    --------
    >>> why = missing_checkpoint("cdae", Noise("poisson", 30.0), directory=Path("/nonexistent"))
    >>> why.split("; ")[0]
    'no cdae checkpoint covers poisson sigma=30'
    >>> "'bench train cdae --noise poisson --sigma 30'" in why
    True
    """
    if checkpoint != "auto":
        return None
    try:
        if _covering(architecture, noise, Path(directory or CHECKPOINT_DIR)):
            return None
    except ImportError:
        return None
    return (f"no {architecture} checkpoint covers {noise}; train one with "
            f"'{train_command(architecture, noise)}' (it writes checkpoints/; serve them with "
            "BENCH_CHECKPOINTS=checkpoints)")


@lru_cache(maxsize=64)
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(architecture: str, checkpoint: str = "auto",
                   directory: Path | None = None) -> str:
    """A short digest of the weights that a call with ``checkpoint`` may load.

    A path: that file's SHA-256. ``'auto'``: every checkpoint of ``architecture`` in the
    checkpoint directory (which one a call loads depends on its noise), so that retraining any
    of them gives new cells. ``'none'`` when there is no such file.
    """
    if checkpoint == "auto":
        paths = [path for path, _ in _checkpoints_of(architecture, Path(directory or CHECKPOINT_DIR))]
    else:
        paths = [Path(checkpoint)] if Path(checkpoint).is_file() else []
    if not paths:
        return "none"
    combined = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        combined.update(f"{path.name}:{_file_digest(path.resolve(), stat.st_size, stat.st_mtime_ns)}"
                        .encode())
    return combined.hexdigest()[:12]
