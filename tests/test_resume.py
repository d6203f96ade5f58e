"""An interrupted run (kill -9 or Ctrl-C) resumes to exactly the uninterrupted result."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
import tifffile

from benchmark.engine.store import Store

METHODS = ["bm3d", "tv"]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, mni_test):
    folder = tmp_path_factory.mktemp("slices")
    for k, image in enumerate(mni_test.images[:6]):
        tifffile.imwrite(folder / f"slice{k}.tif", np.ascontiguousarray(image[64:192, 64:192]))
    return folder


@pytest.fixture(scope="module")
def whole_slices(tmp_path_factory, mni_test):
    """Six whole 256 x 256 slices: BM3D takes about 2 s a cell on them, so that an interrupted
    run still has cells to compute when the signal arrives, however loaded the machine."""
    folder = tmp_path_factory.mktemp("whole")
    for k, image in enumerate(mni_test.images[:6]):
        tifffile.imwrite(folder / f"slice{k}.tif", np.ascontiguousarray(image))
    return folder


def _bench(folder, store, *extra):
    return [sys.executable, "-m", "benchmark.cli", "run", "--noise", "gaussian", "--sigma",
            "0.1", "0.2", "--data", str(folder), "--methods", *METHODS, "--store", str(store),
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
               "psnr", "ssim", "params"]
    return frame[columns].sort_values(columns[:7]).reset_index(drop=True)


def _assert_same_cells(a, b):
    """Same cells, statuses, parameters and metrics, to the bit."""
    assert a.equals(b)


def _default_sigint():
    """Ctrl-C as a terminal delivers it: a process that inherits SIGINT ignored (from a test
    worker that some library set so) keeps ignoring it, and would not be interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(folder, store, sig):
    process = subprocess.Popen(_bench(folder, store, "--jobs", "1"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    deadline = time.time() + 120
    while _count(store) < 4 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return process.returncode, err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_resume_equals_uninterrupted(whole_slices, tmp_path, sig):
    total = len(os.listdir(whole_slices)) * 2 * (len(METHODS) + 1)
    full = tmp_path / "full.sqlite"
    subprocess.run(_bench(whole_slices, full, "--jobs", "2"), check=True, capture_output=True)
    assert _count(full) == total

    broken = tmp_path / "broken.sqlite"
    code, err = _interrupt(whole_slices, broken, sig)
    saved = _count(broken)
    assert 0 < saved < total, "the run was not interrupted mid-way"
    if sig == signal.SIGINT:
        assert code == 130 and "run the same command to resume" in err
        assert "Traceback" not in err

    resumed = subprocess.run(_bench(whole_slices, broken, "--jobs", "2"), check=True,
                             capture_output=True, text=True)
    assert f"{total - saved} cells computed, {saved} already in" in resumed.stdout
    _assert_same_cells(_content(broken), _content(full))


def _children(pid):
    """Pids of the living processes whose parent is ``pid``."""
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
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table in /proc")
def test_workers_die_with_a_killed_run(image_folder, tmp_path):
    store = tmp_path / "s.sqlite"
    process = subprocess.Popen(_bench(image_folder, store, "--jobs", "2"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while _count(store) < 2 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2, "the run did not start its worker pool"
    process.kill()
    process.wait()
    deadline = time.time() + 5
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived their run by 5 s"


@pytest.mark.slow
def test_two_concurrent_runs_compute_each_cell_once(image_folder, tmp_path):
    total = len(os.listdir(image_folder)) * 2 * (len(METHODS) + 1)
    store = tmp_path / "s.sqlite"
    runs = [subprocess.Popen(_bench(image_folder, store, "--jobs", "1"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    computed = [int(out.split(" cells computed")[0].split()[-1]) for out, _ in outputs]
    assert sum(computed) == total and _count(store) == total
