"""DCE-MRI concentration-time curves: the ``dce-sim`` simulator and the :class:`CurveSet`.

The simulated tissue curves follow the extended Tofts model (:mod:`benchmark.core.tofts`) with
Parker's population AIF delayed by one sample, on 0-2 min in steps of 0.0625 min (32
samples). Parameters lie on a grid of 41 evenly spaced values each: Ktrans 0.02-0.22 /min,
kep 0.2-2.2 /min, vp 0.002-0.022 (``ve = Ktrans / kep``), 68,921 parameter sets. Each set
belongs to one split by the SHA-256 of its grid indices (80% train, 10% validation, 10%
test), so no parameter set is in two splits; the validation and test splits take a seeded
random sample of theirs (512 curves each by default) in a seeded random order; the train
split keeps the grid's order (a trainer draws its own batches). A cell scores a block of 64
curves, whose id is ``<card>/<split>-b<NN>``.

A card may read the parameter sets (``parameters = "file.csv"``: columns ``ktrans``, ``ve``,
``vp``, optional ``split``) and the AIF (``aif = "file.csv"``: columns ``t`` in min and ``cp``
in mM, which also sets the time grid) from files: a user's semi-synthetic setting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.core.errors import BenchError

#: The splits of a simulated card and their share of the parameter sets (in 100 buckets).
SPLIT_BUCKETS = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}


@dataclass(frozen=True)
class Simulation:
    """``[simulation]`` of a curve card: the time grid, parameter ranges and split sizes."""

    t_end: float = 2.0                 # minutes (exclusive)
    dt: float = 0.0625                 # minutes between samples
    delay_samples: int = 1             # bolus arrival delay of the AIF, in samples
    ktrans: tuple[float, float] = (0.02, 0.22)   # 1/min
    kep: tuple[float, float] = (0.2, 2.2)        # 1/min
    vp: tuple[float, float] = (0.002, 0.022)
    values: int = 41                   # grid values per parameter
    block: int = 64                    # curves a cell scores
    test_curves: int = 512
    validation_curves: int = 512
    parameters: str | None = None      # CSV of parameter sets instead of the grid
    aif: str | None = None             # CSV of the AIF (t in min, cp in mM) instead of Parker


@dataclass(frozen=True)
class CurveSet:
    """Clean curves of one split in blocks (one block a cell), with their true parameters.

    ``image(block_id)`` gives a block's ``(B, T)`` curves (the name every split type shares),
    ``truth(block_id)`` its parameters and the time grid and AIF they were made with.
    """

    dataset: str
    split: str
    ids: tuple[str, ...]
    blocks: tuple[np.ndarray, ...]
    parameters: tuple[dict[str, np.ndarray], ...]
    t: np.ndarray = field(repr=False)
    cp: np.ndarray = field(repr=False)
    normalisation: str = "concentrations in mM (not rescaled)"
    data = "curve"

    def __len__(self) -> int:
        return len(self.ids)

    def head(self, n: int | None) -> "CurveSet":
        """The first ``n`` blocks (all when ``n`` is None)."""
        if n is None:
            return self
        return CurveSet(self.dataset, self.split, self.ids[:n], self.blocks[:n],
                        self.parameters[:n], self.t, self.cp, self.normalisation)

    def image(self, block_id: str) -> np.ndarray:
        """The clean curves of block ``block_id``, ``(B, T)`` float32."""
        return self.blocks[self.ids.index(block_id)]

    def truth(self, block_id: str) -> dict[str, Any]:
        """True ``ktrans``, ``ve``, ``vp`` of the block's curves, with ``t`` and ``cp``."""
        return {**self.parameters[self.ids.index(block_id)], "t": self.t, "cp": self.cp}

    def curves(self) -> np.ndarray:
        """Every curve of the split, ``(N, T)``."""
        return np.concatenate(self.blocks)

    def fingerprint(self) -> str:
        """Short hash of ids and curves: changes when the split's content changes."""
        digest = hashlib.sha256()
        for block_id, block in zip(self.ids, self.blocks):
            digest.update(block_id.encode())
            digest.update(np.ascontiguousarray(block).tobytes())
        return digest.hexdigest()[:12]


def _bucket(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") % 100


def grid_parameters(sim: Simulation, split: str) -> dict[str, np.ndarray]:
    """The parameter sets of ``split`` on the simulation's grid (before sampling)."""
    axes = [np.linspace(lo, hi, sim.values) for lo, hi in (sim.ktrans, sim.kep, sim.vp)]
    lo, hi = SPLIT_BUCKETS[split]
    chosen = [(i, j, k) for i in range(sim.values) for j in range(sim.values)
              for k in range(sim.values) if lo <= _bucket(f"{i},{j},{k}") < hi]
    index = np.array(chosen, dtype=int).reshape(-1, 3)
    ktrans, kep, vp = (axes[a][index[:, a]] for a in range(3))
    return {"ktrans": ktrans, "ve": ktrans / kep, "vp": vp}


def _read_csv(path: Path, columns: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    try:
        table = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    except OSError as error:
        raise BenchError(f"cannot read the {what} file {path}: {error}") from None
    names = table.dtype.names or ()
    missing = [c for c in columns if c not in names]
    if missing:
        raise BenchError(f"the {what} file {path} has no column {missing[0]!r}; give a CSV "
                         f"with a header naming {', '.join(columns)}")
    return {name: np.atleast_1d(table[name]) for name in names}


def file_parameters(path: Path, split: str) -> dict[str, np.ndarray]:
    """Parameter sets of ``split`` from a CSV (a ``split`` column, or buckets by row)."""
    table = _read_csv(path, ("ktrans", "ve", "vp"), "parameters")
    values = {k: np.asarray(table[k], dtype=np.float64) for k in ("ktrans", "ve", "vp")}
    if not all(np.isfinite(v).all() for v in values.values()) or (values["ve"] <= 0).any():
        raise BenchError(f"the parameters file {path} holds non-finite values or ve <= 0")
    if "split" in table:
        keep = np.asarray(table["split"]).astype(str) == split
    else:
        lo, hi = SPLIT_BUCKETS[split]
        keep = np.array([lo <= _bucket(f"row{i}") < hi for i in range(len(values["ve"]))])
    return {k: v[keep] for k, v in values.items()}


def time_and_aif(sim: Simulation, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The time grid (min) and plasma concentration (mM) of the simulation."""
    from benchmark.core.tofts import parker_aif

    if sim.aif:
        table = _read_csv(root / sim.aif, ("t", "cp"), "AIF")
        t, cp = (np.asarray(table[c], dtype=np.float64) for c in ("t", "cp"))
        if len(t) < 4 or not (np.diff(t) > 0).all():
            raise BenchError(f"the AIF file {root / sim.aif} needs 4 or more increasing times")
        return t, cp
    t = np.arange(0.0, sim.t_end - 1e-9, sim.dt)
    return t, parker_aif(t, delay=sim.delay_samples * sim.dt)


def simulate(name: str, sim: Simulation, split: str, root: Path) -> CurveSet:
    """The clean curves of ``split``, in blocks of ``sim.block``.

    Examples
    --------
    >>> curves = simulate("dce-sim", Simulation(test_curves=128), "test", Path("."))
    >>> curves.ids, curves.image("dce-sim/test-b00").shape
    (('dce-sim/test-b00', 'dce-sim/test-b01'), (64, 32))
    """
    from benchmark.core.tofts import extended_tofts

    if split not in SPLIT_BUCKETS:
        raise BenchError(f"split {split!r} of {name}: use one of {', '.join(SPLIT_BUCKETS)}")
    params = (file_parameters(root / sim.parameters, split) if sim.parameters
              else grid_parameters(sim, split))
    wanted = {"test": sim.test_curves, "validation": sim.validation_curves}.get(split)
    if wanted is not None:  # a seeded sample in random order: every block a random sample
        rng = np.random.default_rng(int.from_bytes(
            hashlib.sha256(f"{name}|{split}".encode()).digest()[:8], "little"))
        pick = rng.permutation(len(params["ve"]))[:wanted]
        params = {k: v[pick] for k, v in params.items()}
    if len(params["ve"]) == 0:
        raise BenchError(f"split {split!r} of {name} has no parameter sets")
    t, cp = time_and_aif(sim, root)
    curves = extended_tofts(t, cp, params["ktrans"], params["ve"], params["vp"]).astype(np.float32)
    starts = range(0, len(curves), sim.block)
    ids = tuple(f"{name}/{split}-b{n:02d}" for n in range(len(starts)))
    blocks = tuple(curves[s:s + sim.block] for s in starts)
    truths = tuple({k: v[s:s + sim.block] for k, v in params.items()} for s in starts)
    return CurveSet(name, split, ids, blocks, truths, t, cp)
