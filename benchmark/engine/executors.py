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

    def imap_unordered(self, function: Callable[[Any], Any], tasks: Iterable[Any],
                       on_timeout: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        ...

    def close(self) -> None:
        ...


class SerialExecutor:
    """Runs every task in the calling process, in order."""

    def imap_unordered(self, function, tasks, on_timeout=None):
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

    With ``timeout`` (seconds), a task that has been in a worker's hands longer than that is
    given up: every worker is killed (a task stuck in C code cannot be interrupted any other
    way), the task's result is ``on_timeout(task)``, the other unfinished tasks are submitted
    again to a fresh pool, and the run goes on.
    """

    def __init__(self, jobs: int, *, timeout: float | None = None):
        if timeout is not None and not timeout > 0:
            raise BenchError(f"cell timeout {timeout!r} must be a number of seconds above 0")
        self.jobs, self.timeout = jobs, timeout
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=get_context("spawn"), initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def imap_unordered(self, function, tasks, on_timeout: Callable[[Any], Any] | None = None):
        pending: dict[Future, Any] = {}
        started: dict[Future, float] = {}
        iterator = iter(tasks)
        exhausted = False
        look = None if self.timeout is None else min(1.0, self.timeout / 4)
        try:
            while True:
                while not exhausted and len(pending) < 2 * self.jobs:
                    try:
                        task = next(iterator)
                    except StopIteration:
                        exhausted = True
                    else:
                        pending[self._pool.submit(function, task)] = task
                if not pending:
                    return
                done, _ = wait(pending, timeout=look, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.pop(future)
                    started.pop(future, None)
                    yield future.result()
                if self.timeout is not None:
                    yield from self._give_up_late(pending, started, function, on_timeout)
        except BrokenProcessPool:
            raise BenchError("a worker process died (killed, or out of memory?); finished cells "
                             "are saved: run again, with fewer --jobs if memory is short") from None
        finally:
            for future in pending:
                future.cancel()

    def _give_up_late(self, pending: dict[Future, Any], started: dict[Future, float],
                      function, on_timeout) -> Iterator[Any]:
        """Note when tasks reach a worker; past the timeout, replace the pool (see class)."""
        now = time.monotonic()
        for future in pending:
            if future.running():
                started.setdefault(future, now)
        late = [f for f, since in started.items() if now - since > self.timeout and not f.done()]
        if not late:
            return
        old = self._pool
        for process in list(getattr(old, "_processes", {}).values()):
            process.kill()
        wait(pending, timeout=60)  # a broken pool fails every unfinished future at once
        old.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        again = {}
        for future, task in pending.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()  # finished before the workers were killed
            elif future in late:
                yield on_timeout(task) if on_timeout else TimeoutError(
                    f"timed out after {self.timeout:g} s")
            else:
                again[self._pool.submit(function, task)] = task
        pending.clear()
        pending.update(again)
        started.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(jobs: int, *, timeout: float | None = None) -> Executor:
    """A serial executor for ``jobs <= 1`` without a ``timeout``, else a process pool (a task
    can be given up only in a worker process)."""
    if jobs <= 1 and timeout is None:
        return SerialExecutor()
    return ProcessExecutor(max(jobs, 1), timeout=timeout)
