"""How cells are executed: the one seam between the runner and its parallelism.

An executor maps a picklable function over tasks and yields results as they finish, in any
order. :class:`SerialExecutor` runs in this process; :class:`ProcessExecutor` uses a pool of
processes, each limited to one thread so that cores are not oversubscribed, and each dying with
the process that started it (even after ``kill -9`` of that one).
:class:`benchmark.engine.dask_executor.DaskExecutor` sends the tasks to a Dask cluster behind
the same two methods (``--executor dask``, see docs/cluster.md).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import socket
import struct
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
#: The executors ``--executor`` chooses from.
EXECUTORS = ("process", "dask")
#: The error of ``--executor dask`` where Dask distributed is not installed.
MISSING_DASK = ('--executor dask needs Dask distributed: pip install "dask[distributed]" (or the '
                "benchmark's [distributed] extra)")
#: Seconds a scheduler's address is given to accept a connection (:func:`check_executor`).
PROBE_SECONDS = 5.0
#: A Dask message starts with its length (8 bytes, little-endian); a handshake is short.
_SIZE, _HANDSHAKE_BYTES = struct.Struct("<Q"), 1 << 20
_ADDRESS = re.compile(r"^(?P<scheme>[a-z][a-z0-9+]*)://(?P<host>\[[^\]]+\]|[^\s:/\[\]]+)"
                      r":(?P<port>\d{1,5})/?$")
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


def check_executor(executor: str = "process", scheduler: str | None = None,
                   timeout: float | None = None) -> None:
    """Refuse, in one line, an executor that cannot run: checked before anything is written.

    ``executor`` must be one of :data:`EXECUTORS`; ``"dask"`` needs Dask distributed
    installed, has no per-cell ``timeout``, and its ``scheduler`` address (``tcp://HOST:PORT``)
    must accept a connection within :data:`PROBE_SECONDS`. A ``scheduler`` needs ``"dask"``.

    Examples
    --------
    >>> check_executor("process")
    >>> check_executor("ray")
    Traceback (most recent call last):
    ...
    benchmark.core.errors.BenchError: --executor 'ray' is not one of process, dask
    """
    if executor not in EXECUTORS:
        raise BenchError(f"--executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    if executor != "dask":
        if scheduler is not None:
            raise BenchError("--scheduler is the address of a Dask scheduler: add --executor dask")
        return
    if _find_spec("distributed") is None:
        raise BenchError(MISSING_DASK)
    if timeout is not None:
        raise BenchError("--cell-timeout is not available with --executor dask (a Dask task "
                         "cannot be stopped); drop it, or use --executor process")
    if scheduler is not None:
        _probe(scheduler)


def _find_spec(name: str) -> Any:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _probe(address: str) -> None:
    """Raise in one line unless ``address`` is ``SCHEME://HOST:PORT`` and, for TCP, answers."""
    match = _ADDRESS.match(address)
    if match is None:
        raise BenchError(f"--scheduler {address!r} is not an address like tcp://HOST:8786 "
                         "(see 'dask scheduler')")
    if match["scheme"] != "tcp":
        return  # tls://, ucx://, ...: the Dask client reports what fails
    host, port = match["host"].strip("[]"), int(match["port"])
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS) as connection:
            connection.settimeout(PROBE_SECONDS)
            greeting = connection.recv(_SIZE.size)  # a scheduler speaks first: its handshake
    except OSError as error:
        reason = (f"no answer in {PROBE_SECONDS:g} s" if isinstance(error, TimeoutError)
                  else error.strerror or type(error).__name__)
        raise BenchError(f"--scheduler {address}: no Dask scheduler answers there ({reason}); "
                         "start one with 'dask scheduler' and give the address it "
                         "prints") from None
    if len(greeting) != _SIZE.size or not 0 < _SIZE.unpack(greeting)[0] < _HANDSHAKE_BYTES:
        raise BenchError(f"--scheduler {address}: something answers there, but not a Dask "
                         "scheduler; give the address 'dask scheduler' prints")


def make_executor(jobs: int, *, timeout: float | None = None, executor: str = "process",
                  scheduler: str | None = None) -> Executor:
    """The executor of a sweep.

    ``executor="process"``: a serial executor for ``jobs <= 1`` without a ``timeout``, else a
    process pool (a task can be given up only in a worker process). ``executor="dask"``: a
    :class:`~benchmark.engine.dask_executor.DaskExecutor` on the cluster at ``scheduler``, or
    on a local cluster of ``jobs`` workers (see :func:`check_executor` for what is refused).
    """
    if executor == "dask":
        check_executor(executor, None, timeout)  # the address is checked by connecting to it
        from benchmark.engine.dask_executor import DaskExecutor

        return DaskExecutor(max(jobs, 1), scheduler=scheduler)
    check_executor(executor, scheduler, timeout)
    if jobs <= 1 and timeout is None:
        return SerialExecutor()
    return ProcessExecutor(max(jobs, 1), timeout=timeout)
