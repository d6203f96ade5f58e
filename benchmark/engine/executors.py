"""How cells are executed: the one seam between the runner and its parallelism.

An executor maps a picklable function over tasks and yields results as they finish, in any
order. :class:`SerialExecutor` runs in this process; :class:`ProcessExecutor` uses a pool of
processes, each limited to one thread so that cores are not oversubscribed, and each dying with
the process that started it (even after ``kill -9`` of that one). A distributed engine (Ray,
Dask) fits behind the same two methods.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Iterator, Protocol

from benchmark.core.errors import BenchError

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_PR_SET_PDEATHSIG = 1
#: Seconds between a worker's looks at its parent (the fallback where prctl is not there).
_WATCH_SECONDS = 1.0


class Executor(Protocol):
    """Runs ``function`` over ``tasks``; yields results as they complete."""

    def imap_unordered(self, function: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        ...

    def close(self) -> None:
        ...


class SerialExecutor:
    """Runs every task in the calling process, in order."""

    def imap_unordered(self, function, tasks):
        for task in tasks:
            yield function(task)

    def close(self) -> None:
        pass


def _start_worker(parent: int) -> None:
    """Initializer of every worker: die with ``parent``, use one thread."""
    _die_with_parent(parent)
    _one_thread_per_worker()


def _die_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is gone, however it ended.

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``); everywhere a
    daemon thread checks every second that the parent is still ours (an orphan is re-parented).
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _one_thread_per_worker() -> None:
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass


class ProcessExecutor:
    """A pool of ``jobs`` worker processes (spawned, one thread each, dying with this process).

    Tasks are submitted in the order given (the runner puts slow ones first) and at most
    ``2 * jobs`` are queued at once, so that an interrupt leaves little work behind.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"), initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def imap_unordered(self, function, tasks):
        pending: set[Future] = set()
        iterator = iter(tasks)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < 2 * self.jobs:
                    try:
                        pending.add(self._pool.submit(function, next(iterator)))
                    except StopIteration:
                        exhausted = True
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BrokenProcessPool:
            raise BenchError("a worker process died (killed, or out of memory?); finished cells "
                             "are saved: run again, with fewer --jobs if memory is short") from None
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(jobs: int) -> Executor:
    """A serial executor for ``jobs <= 1``, else a process pool."""
    return SerialExecutor() if jobs <= 1 else ProcessExecutor(jobs)
