"""``--executor dask``: the same cells as the process pool, no cell lost when a worker dies,
resume after the driver's death, and one-line errors for what cannot run."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tifffile

from benchmark.cli import main
from benchmark.engine import runner
from benchmark.engine.executors import SerialExecutor
from benchmark.engine.store import Store

METHODS = ["bm3d", "tv", "gaussian-filter"]
SIGMAS = ["0.1", "0.2"]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, mni_test):
    folder = tmp_path_factory.mktemp("slices")
    for k, image in enumerate(mni_test.images[:5]):
        tifffile.imwrite(folder / f"slice{k}.tif", np.ascontiguousarray(image[64:192, 64:192]))
    return folder


def _total(folder):
    return len(os.listdir(folder)) * len(SIGMAS) * (len(METHODS) + 1)


def _bench(folder, store, *extra):
    return [sys.executable, "-m", "benchmark.cli", "run", "--noise", "gaussian", "--sigma",
            *SIGMAS, "--data", str(folder), "--methods", *METHODS, "--store", str(store),
            "--quiet", *extra]


def _count(store):
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _content(store):
    with Store(store) as s:
        frame = s.frame()
    columns = ["dataset", "image_id", "noise", "sigma", "seed", "method", "config", "status",
               "psnr", "ssim", "params", "psnr_anatomy", "ssim_anatomy"]
    return frame[columns].sort_values(columns[:7]).reset_index(drop=True)


@pytest.fixture(scope="module")
def pool_store(image_folder, tmp_path_factory):
    """The sweep through the process pool: what every Dask run must store, to the bit."""
    store = tmp_path_factory.mktemp("pool") / "pool.sqlite"
    subprocess.run(_bench(image_folder, store, "--jobs", "2"), check=True, capture_output=True)
    assert _count(store) == _total(image_folder)
    return store


# -- what cannot run: one line, exit 2, nothing written ----------------------------------------

def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def not_a_scheduler():
    """A TCP server that answers like a web server (what a wrong port may reach)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            connection.close()

    threading.Thread(target=answer, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def _refused(capsys, tmp_path, *options):
    store = tmp_path / "s.sqlite"
    start = time.monotonic()
    code = main(["run", "--noise", "gaussian", "--sigma", "0.1", "--methods", "gaussian-filter",
                 "--limit", "2", "--store", str(store), "--quiet", *options])
    seconds = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("bench: error: ") and err.count("\n") == 1, err
    assert not store.exists() and not list(tmp_path.iterdir()), "something was written"
    return err, seconds


def test_missing_dask_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    err, _ = _refused(capsys, tmp_path, "--executor", "dask")
    assert 'pip install "dask[distributed]"' in err


@pytest.mark.parametrize("options, says", [
    (["--executor", "dask", "--scheduler", "localhost"], "is not an address like"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "add --executor dask"),
    (["--executor", "dask", "--cell-timeout", "5"], "--cell-timeout is not available"),
    (["--executor", "ray"], "invalid choice: 'ray'"),
])
def test_options_that_cannot_run_are_one_line(capsys, tmp_path, options, says):
    pytest.importorskip("distributed")
    err, _ = _refused(capsys, tmp_path, *options)
    assert says in err


def test_unreachable_scheduler_fails_in_seconds(capsys, tmp_path):
    pytest.importorskip("distributed")
    err, seconds = _refused(capsys, tmp_path, "--executor", "dask", "--scheduler",
                            f"tcp://127.0.0.1:{_free_port()}")
    assert "no Dask scheduler answers there" in err and seconds < 10


def test_a_server_that_is_not_a_scheduler_is_refused(capsys, tmp_path, not_a_scheduler):
    pytest.importorskip("distributed")
    err, seconds = _refused(capsys, tmp_path, "--executor", "dask", "--scheduler",
                            not_a_scheduler)
    assert "not a Dask scheduler" in err and seconds < 10


# -- a result that comes twice is written and counted once ---------------------------------------

class _Twice(SerialExecutor):
    """Yields every result twice, as a retried task whose first result also arrived might."""

    def imap_unordered(self, function, tasks, on_timeout=None):
        for result in super().imap_unordered(function, tasks):
            yield result
            yield result


def test_a_result_that_comes_twice_is_written_once(small_set, tmp_path, monkeypatch):
    from benchmark.core.contract import Noise
    from benchmark.core.registry import get_method

    monkeypatch.setattr(runner, "make_executor", lambda *args, **kwargs: _Twice())
    tasks = runner.plan(small_set, [Noise("gaussian", 0.1)], [get_method("gaussian-filter")])
    with Store(tmp_path / "s.sqlite") as store:
        outcome = runner.run_sweep(tasks, store, small_set, jobs=2, progress=False)
        frame = store.frame()
    assert outcome.computed == len(tasks) == len(frame) and not outcome.failed
    assert (frame["run_id"] == frame["run_id"].iloc[0]).all()


# -- on a cluster ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_local_cluster_stores_what_the_process_pool_stores(image_folder, pool_store, tmp_path):
    pytest.importorskip("distributed")
    store = tmp_path / "dask.sqlite"
    done = subprocess.run(_bench(image_folder, store, "--jobs", "2", "--executor", "dask"),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{_total(image_folder)} cells computed" in done.stdout
    assert _content(store).equals(_content(pool_store))


@pytest.fixture
def cluster():
    """A local cluster of two one-thread workers, in this process."""
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as local:
        with distributed.Client(local, set_as_default=False) as client:
            yield local, client


@pytest.mark.slow
def test_a_killed_worker_loses_no_cell(image_folder, pool_store, tmp_path, cluster):
    local, client = cluster
    store = tmp_path / "dask.sqlite"
    run = subprocess.Popen(_bench(image_folder, store, "--executor", "dask", "--scheduler",
                                  local.scheduler_address),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, victim = time.time() + 300, None
    while time.time() < deadline and run.poll() is None and victim is None:
        busy = [address for address, keys in client.processing().items() if keys]
        if _count(store) >= 4 and busy:
            pids = client.run(os.getpid)
            victim = pids[busy[0]]
            os.kill(victim, signal.SIGKILL)  # a cell was in its hands
        time.sleep(0.05)
    saved = _count(store)
    out, err = run.communicate(timeout=600)
    assert victim is not None and saved < _total(image_folder), "no worker was killed mid-sweep"
    assert run.returncode == 0, err
    assert f"{_total(image_folder)} cells computed, 0 already in" in out
    assert _content(store).equals(_content(pool_store)), "a cell was lost, added or changed"


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table in /proc")
def test_resume_after_the_driver_is_killed(image_folder, pool_store, tmp_path):
    pytest.importorskip("distributed")
    store = tmp_path / "dask.sqlite"
    run = subprocess.Popen(_bench(image_folder, store, "--jobs", "2", "--executor", "dask"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while _count(store) < 4 and time.time() < deadline and run.poll() is None:
        time.sleep(0.05)
    workers = _children(run.pid)
    run.kill()
    run.wait()
    saved, total = _count(store), _total(image_folder)
    assert 0 < saved < total, "the run was not killed mid-way"
    deadline = time.time() + 10
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived their run by 10 s"

    resumed = subprocess.run(_bench(image_folder, store, "--jobs", "2", "--executor", "dask"),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{total - saved} cells computed, {saved} already in" in resumed.stdout
    assert _content(store).equals(_content(pool_store))
