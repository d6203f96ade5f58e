"""Batched inference in the runner: the cells of a batched method of one setting are denoised
together, each still scored and stored alone, with the same numbers as one image a cell."""

from dataclasses import replace

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.errors import BenchError
from benchmark.core.registry import get_method, register, resolve_methods, unregister
from benchmark.data.cards import ImageSet
from benchmark.engine.batches import CPU_BATCH, batch_size, check_batch_size
from benchmark.engine.runner import evaluate, plan, run_sweep
from benchmark.engine.store import Store

NOISES = [Noise("gaussian", 0.1), Noise("rician", 0.11)]
#: Largest difference allowed between a batched cell's metrics and the same cell computed
#: alone: batching changes only the float rounding of the convolutions (measured: PSNR within
#: 5e-7 dB, SSIM within 2e-8 on 6 MNI152 test slices, cdae and unet-dctda).
PSNR_TOLERANCE_DB = 1e-5
SSIM_TOLERANCE = 1e-6


@pytest.fixture
def calls():
    """A batched toy method (``test-stack``, a 3x3 mean over each image of the stack) that
    records the stack it gets at each call; unregistered afterwards."""
    from scipy import ndimage

    seen = []

    @register("test-stack", uses_sigma=False, batched=True, devices=("cpu", "cuda"))
    def stack_mean(stack, noise, *, device="cpu"):
        seen.append(stack.shape)
        if (stack > 10).any():  # the failing-batch test marks its images this way
            raise ValueError("cannot cope with this batch")
        return ndimage.uniform_filter(stack, size=(1, 3, 3))

    yield seen
    unregister("test-stack")


def _frame(store):
    frame = store.frame().sort_values(["image_id", "noise", "method"]).reset_index(drop=True)
    return frame


def test_batch_size_is_fixed_on_cpu_and_can_be_overridden():
    assert batch_size("cpu", (256, 256)) == CPU_BATCH == 16
    assert batch_size("cpu", (256, 256), override=3) == 3
    for bad in (0, -1, 2.5, True):
        with pytest.raises(BenchError, match="batch size"):
            check_batch_size(bad)


def test_cells_of_one_setting_are_denoised_in_one_call_and_scored_alone(small_set, tmp_path,
                                                                         calls):
    tasks = plan(small_set, NOISES, [get_method("test-stack")])
    with Store(tmp_path / "s.sqlite") as store:
        outcome = run_sweep(tasks, store, small_set, jobs=1, progress=False)
        frame = _frame(store)
    assert outcome.computed == len(tasks) and not outcome.failed
    # per noise setting: the untimed warm-up on one image (a 64-px crop), then one call
    assert calls == [(1, 64, 64), (len(small_set), 64, 64)] * len(NOISES)
    for task in tasks:  # every cell equals the same cell computed alone
        key, alone = evaluate(replace(task, clean=small_set.image(task.key.image_id)))
        row = frame[(frame["method"] == key.method) & (frame["image_id"] == key.image_id)
                    & (frame["noise"] == key.noise)].iloc[0]
        assert row["config"] == key.config and row["status"] == "ok"
        assert row["psnr"] == pytest.approx(alone["psnr"], abs=PSNR_TOLERANCE_DB)
        assert row["ssim"] == pytest.approx(alone["ssim"], abs=SSIM_TOLERANCE)
    seconds = frame[frame["method"] == "test-stack"].groupby("noise")["seconds"]
    assert (seconds.nunique() == 1).all() and (seconds.min() > 0).all()  # the batch's share


def test_batches_hold_images_of_one_shape_and_at_most_the_batch_size(tmp_path, calls):
    rng = np.random.default_rng(0)
    shapes = [(40, 40), (48, 32), (40, 40), (40, 40), (48, 32)]
    images = ImageSet("toy", "test", tuple(f"toy/{i}" for i in range(len(shapes))),
                      tuple(rng.random(s).astype(np.float32) for s in shapes), "none")
    tasks = plan(images, NOISES[:1], [get_method("test-stack")], include_noisy=False)
    with Store(tmp_path / "s.sqlite") as store:
        outcome = run_sweep(tasks, store, images, jobs=1, progress=False, batch_size=2)
    assert outcome.computed == len(shapes) and not outcome.failed
    assert sorted(calls[1:]) == [(1, 40, 40), (2, 40, 40), (2, 48, 32)]  # after the warm-up


def test_a_failing_batch_records_each_of_its_cells_as_failed(small_set, tmp_path, calls):
    marked = ImageSet(small_set.dataset, small_set.split, small_set.ids,
                      tuple(image + 100 for image in small_set.images), "marked")
    tasks = plan(marked, NOISES[:1], [get_method("test-stack"), get_method("tv")])
    with Store(tmp_path / "s.sqlite") as store:
        outcome = run_sweep(tasks, store, marked, jobs=1, progress=False)
        frame = store.frame()
    failed = frame[frame["method"] == "test-stack"]
    assert len(failed) == len(small_set) == len(outcome.failed)
    assert (failed["status"] == "error").all()
    assert failed["error"].str.contains("ValueError: cannot cope with this batch").all()
    assert (frame[frame["method"] == "tv"]["status"] == "ok").sum() == len(small_set)


def test_resume_computes_only_the_missing_cells_of_a_batch(small_set, tmp_path, calls):
    method = get_method("test-stack")
    first = ImageSet(small_set.dataset, small_set.split, small_set.ids[:1],
                     small_set.images[:1], small_set.normalisation)
    with Store(tmp_path / "s.sqlite") as store:
        run_sweep(plan(first, NOISES[:1], [method]), store, first, jobs=1, progress=False)
        stored = _frame(store)
        calls.clear()
        outcome = run_sweep(plan(small_set, NOISES[:1], [method]), store, small_set, jobs=1,
                            progress=False)
        after = _frame(store)
    assert outcome.skipped == 2 and outcome.computed == 2 * (len(small_set) - 1)
    assert calls == [(len(small_set) - 1, 64, 64)]  # warmed already: one call, new images only
    kept = after[after["image_id"] == small_set.ids[0]]
    assert kept[["psnr", "ssim", "finished_at"]].equals(
        stored[["psnr", "ssim", "finished_at"]].reset_index(drop=True))


@pytest.mark.slow
def test_deep_models_batched_equal_one_image_a_cell(small_set, tmp_path):
    pytest.importorskip("torch")
    methods = resolve_methods(["cdae", "unet-dctda"])
    tasks = plan(small_set, NOISES[:1], methods, include_noisy=False)
    with Store(tmp_path / "batched.sqlite") as a, Store(tmp_path / "single.sqlite") as b:
        run_sweep(tasks, a, small_set, jobs=1, progress=False)
        run_sweep(tasks, b, small_set, jobs=1, progress=False, batch_size=1)
        batched, single = _frame(a), _frame(b)
    keys = ["image_id", "noise", "sigma", "method", "config", "status"]
    assert batched[keys].equals(single[keys]) and (batched["status"] == "ok").all()
    assert np.abs(batched["psnr"] - single["psnr"]).max() <= PSNR_TOLERANCE_DB
    assert np.abs(batched["ssim"] - single["ssim"]).max() <= SSIM_TOLERANCE
    assert (batched["seconds"] > 0).all()
    for task in tasks[:2]:  # and the function that computes one cell alone
        key, alone = evaluate(replace(task, clean=small_set.image(task.key.image_id)))
        row = batched[(batched["method"] == key.method) & (batched["image_id"] == key.image_id)
                      & (batched["noise"] == key.noise)].iloc[0]
        assert abs(row["psnr"] - alone["psnr"]) <= PSNR_TOLERANCE_DB


def test_reduced_precision_has_cells_of_its_own(small_set):
    pytest.importorskip("torch")
    methods = resolve_methods(["cdae", "tv"])
    fp32 = {t.key.method: t for t in plan(small_set, NOISES[:1], methods)}
    bf16 = {t.key.method: t for t in plan(small_set, NOISES[:1], methods, precision="bf16")}
    assert bf16["cdae"].key.config == fp32["cdae"].key.config + "+bf16"
    assert bf16["cdae"].precision == "bf16"
    assert bf16["tv"].key == fp32["tv"].key and bf16["tv"].precision == "fp32"
    cdae, noise = get_method("cdae"), NOISES[0]
    stack = np.stack(small_set.images[:1])
    outputs = [cdae(stack, noise, precision=p) for p in ("fp32", "bf16")]
    assert not np.array_equal(*outputs)  # different outputs: hence a different identity
    with pytest.raises(BenchError, match="precision"):
        get_method("tv")(stack, noise, precision="bf16")
    with pytest.raises(BenchError, match="precision 'fp8'"):
        plan(small_set, NOISES[:1], methods, precision="fp8")


def test_run_options_reach_the_sweep(tmp_path, capsys):
    from benchmark.cli import main
    from benchmark.cli.run import PRECISIONS as CLI_PRECISIONS
    from benchmark.core.contract import PRECISIONS

    assert CLI_PRECISIONS == PRECISIONS
    store = tmp_path / "s.sqlite"
    base = ["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "gaussian-filter",
            "--limit", "1", "--jobs", "1", "--quiet", "--store", str(store)]
    assert main(base + ["--precision", "bf16", "--batch-size", "4"]) == 0
    assert "2 cells computed" in capsys.readouterr().out
    assert main(base) == 0  # a method without reduced precision: the same cells
    assert "0 cells computed, 2 already" in capsys.readouterr().out
    assert main(base + ["--batch-size", "0"]) == 2
    assert "--batch-size: '0' must be 1 or more" in capsys.readouterr().err
