import sys

import numpy as np
import pytest

from benchmark.core.contract import Noise
from benchmark.core.metrics import score
from benchmark.core.noise import add_noise
from benchmark.core.registry import get_method, register, resolve_methods, unregister
from benchmark.engine.runner import NOISY, plan, run_sweep
from benchmark.engine.store import Store

NOISES = [Noise("gaussian", 0.1), Noise("rician", 0.11)]


def _rows(store):
    frame = store.frame().sort_values(["image_id", "noise", "method"]).reset_index(drop=True)
    return frame[["image_id", "noise", "sigma", "method", "config", "status", "psnr", "ssim"]]


def test_every_cell_once_and_metrics_are_those_of_the_cell(small_set, tmp_path):
    methods = resolve_methods(["tv", "wavelet"])
    tasks = plan(small_set, NOISES, methods)
    assert len(tasks) == len(small_set) * len(NOISES) * (len(methods) + 1)
    with Store(tmp_path / "s.sqlite") as store:
        outcome = run_sweep(tasks, store, small_set, jobs=1, progress=False)
        assert (outcome.computed, outcome.skipped, outcome.failed) == (len(tasks), 0, [])
        again = run_sweep(tasks, store, small_set, jobs=1, progress=False)
        assert (again.computed, again.skipped) == (0, len(tasks))
        frame = store.frame()
    row = frame[(frame["method"] == "tv") & (frame["noise"] == "rician")].iloc[0]
    clean = small_set.image(row["image_id"])
    noisy = add_noise(clean, Noise("rician", 0.11), image_id=row["image_id"])
    expected = score(clean, get_method("tv")(noisy[None], Noise("rician", 0.11))[0])
    assert row["psnr"] == expected["psnr"] and row["ssim"] == expected["ssim"]
    noisy_row = frame[(frame["method"] == NOISY) & (frame["image_id"] == row["image_id"])
                      & (frame["noise"] == "rician")].iloc[0]
    assert noisy_row["psnr"] == score(clean, noisy)["psnr"]


def test_process_pool_gives_the_same_numbers_as_serial(small_set, tmp_path):
    tasks = plan(small_set, NOISES, resolve_methods(["nlm", "gaussian-filter"]))
    with Store(tmp_path / "serial.sqlite") as a, Store(tmp_path / "pool.sqlite") as b:
        run_sweep(tasks, a, small_set, jobs=1, progress=False)
        run_sweep(tasks, b, small_set, jobs=2, progress=False)
        assert _rows(a).equals(_rows(b))


def test_a_failing_cell_is_recorded_and_the_sweep_goes_on(small_set, tmp_path):
    @register("test-fails", uses_sigma=False)
    def fails(image, noise):
        if image.mean() > 0:
            raise ValueError("this method cannot cope")
        return image

    try:
        tasks = plan(small_set, NOISES[:1], [get_method("test-fails"), get_method("tv")])
        with Store(tmp_path / "s.sqlite") as store:
            outcome = run_sweep(tasks, store, small_set, jobs=1, progress=False)
            frame = store.frame()
    finally:
        unregister("test-fails")
    assert len(outcome.failed) == len(small_set)
    failed = frame[frame["method"] == "test-fails"]
    assert (failed["status"] == "error").all()
    assert failed["error"].str.contains("ValueError: this method cannot cope").all()
    assert (frame[frame["method"] == "tv"]["status"] == "ok").sum() == len(small_set)


def test_changed_parameters_make_new_cells(small_set):
    method = get_method("tv")
    first = plan(small_set, NOISES[:1], [method])
    changed = type(method)(**{**method.__dict__, "params": {**method.params,
                                                            "weight_per_sigma": 2.0}})
    second = plan(small_set, NOISES[:1], [changed])
    assert {t.key.config for t in first if t.key.method == "tv"} != {
        t.key.config for t in second if t.key.method == "tv"}


def test_slow_methods_are_scheduled_first(small_set):
    tasks = plan(small_set, NOISES, resolve_methods(["tv", "bm3d"]))
    assert tasks[0].key.method == "bm3d"
    assert np.all(np.diff([-t.cost for t in tasks]) >= 0)


def test_two_runs_on_one_store_compute_each_cell_once(small_set, tmp_path):
    """Two sweeps at once (threads here; processes in test_resume): every cell computed once."""
    import threading
    import time

    @register("test-slow", uses_sigma=False)
    def slow(image, noise):
        time.sleep(0.02)  # long enough for the two sweeps to overlap
        return image

    try:
        tasks = plan(small_set, NOISES, [get_method("test-slow"), get_method("gaussian-filter")])
        outcomes = []

        def sweep():
            with Store(tmp_path / "s.sqlite") as store:
                outcomes.append(run_sweep(tasks, store, small_set, jobs=1, progress=False))

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Store(tmp_path / "s.sqlite") as store:
            frame = store.frame()
    finally:
        unregister("test-slow")
    assert sum(o.computed for o in outcomes) == len(tasks)
    assert all(o.computed + o.skipped == len(tasks) for o in outcomes)
    assert len(frame) == len(tasks) and (frame["status"] == "ok").all()


def test_few_cells_run_in_this_process(small_set, tmp_path, monkeypatch):
    import benchmark.engine.runner as runner

    pools = []
    real = runner.make_executor
    monkeypatch.setattr(runner, "make_executor", lambda jobs: pools.append(jobs) or real(jobs))
    few = plan(small_set, NOISES[:1], [get_method("tv")])
    assert len(few) < runner.INLINE_BELOW
    with Store(tmp_path / "s.sqlite") as store:
        run_sweep(few, store, small_set, jobs=4, progress=False)
    assert set(pools) == {1}


@pytest.mark.slow
def test_a_worker_that_dies_is_one_line_not_a_traceback():
    import os

    from benchmark.core.errors import BenchError
    from benchmark.engine.executors import ProcessExecutor

    executor = ProcessExecutor(2)
    try:
        with pytest.raises(BenchError, match="worker process died"):
            list(executor.imap_unordered(os._exit, [3, 3]))
    finally:
        executor.close()


_GPU_PLUGIN = '''
from benchmark.core.registry import register


@register("toy-gpu", uses_sigma=False, devices=("cpu", "cuda"))
def toy_gpu(image, noise, *, device="cpu"):
    """A method that could use a GPU."""
    return image
'''

_GPU_PROBE = '''
import sys
import benchmark.engine.runner as runner
from benchmark.cli import main
argv = sys.argv[1:]
assert main(argv + ["--device", "cpu"]) == 0  # every cell stored, without PyTorch
runner._gpu_device_nodes = lambda: True  # as on a machine with an NVIDIA driver
code = main(argv + ["--device", "auto"])
print("stored:", code, "torch" in sys.modules)
code = main(argv[:argv.index("--sigma")] + ["--sigma", "0.2"] + argv[argv.index("--sigma") + 2:]
            + ["--device", "auto"])
print("missing:", code, "torch" in sys.modules)
'''


@pytest.mark.slow
def test_auto_device_imports_torch_only_when_a_cell_that_can_use_cuda_is_computed(tmp_path):
    """On a GPU host, ``--device auto`` with every cell stored asks PyTorch nothing."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import tifffile

    pytest.importorskip("torch")
    folder = tmp_path / "images"
    folder.mkdir()
    tifffile.imwrite(folder / "a.tif", np.random.default_rng(0).random((32, 32), dtype=np.float32))
    (tmp_path / "toy_gpu.py").write_text(_GPU_PLUGIN)
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_RESULTS", "BENCH_REPORTS")}
    env.update(PYTHONPATH=f"{root}{os.pathsep}{env.get('PYTHONPATH', '')}",
               BENCH_PLUGINS=str(tmp_path / "toy_gpu.py"))
    argv = ["run", "--data", str(folder), "--noise", "gaussian", "--sigma", "0.1", "--methods",
            "toy-gpu", "--store", str(tmp_path / "s.sqlite"), "--jobs", "1", "--quiet"]
    done = subprocess.run([sys.executable, "-c", _GPU_PROBE, *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith(("stored", "missing"))]
    assert lines == ["stored: 0 False", "missing: 0 True"], done.stdout + done.stderr


def _known_only_here(image, noise):
    return np.clip(image * 0.9, 0, 1)


def test_a_method_workers_cannot_import_runs_in_this_process(small_set, tmp_path):
    """Registered in a notebook (module ``__main__``): its cells are computed here, the rest
    in the pool."""
    _known_only_here.__module__ = "__main__"
    register("test-notebook", uses_sigma=False)(_known_only_here)
    try:
        tasks = plan(small_set, NOISES, [get_method("test-notebook")])
        assert len(tasks) == 12
        with Store(tmp_path / "s.sqlite") as store:
            outcome = run_sweep(tasks, store, small_set, jobs=2, progress=False)
            frame = store.frame()
    finally:
        unregister("test-notebook")
    assert (outcome.computed, outcome.failed) == (12, [])
    assert len(frame) == 12 and (frame["status"] == "ok").all()



@pytest.mark.slow
def test_a_task_past_the_time_limit_is_given_up_and_its_workers_replaced():
    import time

    from benchmark.engine.executors import ProcessExecutor

    executor = ProcessExecutor(2, timeout=2.0)
    try:
        results = list(executor.imap_unordered(time.sleep, [0.01, 600, 0.01, 0.2, 0.01],
                                               on_timeout=lambda task: ("timed out", task)))
    finally:
        executor.close()
    assert sorted(map(str, results)) == sorted(["None"] * 4 + ["('timed out', 600)"])


@pytest.mark.slow
def test_a_cell_past_its_time_limit_is_recorded_as_failed(small_set, tmp_path, monkeypatch):
    from benchmark.core.registry import PLUGINS_VARIABLE, load_plugin

    from benchmark.data.cards import ImageSet

    images = tuple(np.ascontiguousarray(small_set.images[0][:size, :size]) for size in (32, 40, 32))
    small_set = ImageSet("toy", "test", ("a", "b", "c"), images, "crops")
    plugin = tmp_path / "hangs.py"
    plugin.write_text(
        "import time\nfrom benchmark.core.registry import register\n\n\n"
        "@register('test-hangs', uses_sigma=False)\n"
        "def hangs(image, noise):\n"
        "    if image.shape[-1] == 40:\n"
        "        time.sleep(600)  # stands for a method stuck in C code\n"
        "    return image\n")
    monkeypatch.setenv(PLUGINS_VARIABLE, str(plugin))  # the workers load it too
    load_plugin(str(plugin))
    try:
        tasks = plan(small_set, NOISES[:1], [get_method("test-hangs")])
        with Store(tmp_path / "s.sqlite") as store:
            outcome = run_sweep(tasks, store, small_set, jobs=1, progress=False,
                                cell_timeout=3)
            frame = store.frame()
    finally:
        unregister("test-hangs")
        sys.modules.pop("bench_plugin_hangs", None)
    hung = "b"
    assert [(key.image_id, key.method, error) for key, error in outcome.failed] == [
        (hung, "test-hangs", "timed out after 3 s")]
    assert len(frame) == len(tasks) == 6
    assert (frame["status"] == "ok").sum() == 5
