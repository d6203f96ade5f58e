"""How cells are executed: the one seam between the runner and its parallelism.

An executor maps a picklable function over tasks and yields results as they finish, in any
order. :class:`SerialExecutor` runs in this process; :class:`ProcessExecutor` uses a pool of
processes, each limited to one thread so that cores are not oversubscribed. A distributed engine
(Ray, Dask) fits behind the same two methods.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Iterator, Protocol

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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
    """A pool of ``jobs`` worker processes (spawned, one thread each).

    Tasks are submitted in the order given (the runner puts slow ones first) and at most
    ``2 * jobs`` are queued at once, so that an interrupt leaves little work behind.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"), initializer=_one_thread_per_worker
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
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(jobs: int) -> Executor:
    """A serial executor for ``jobs <= 1``, else a process pool."""
    return SerialExecutor() if jobs <= 1 else ProcessExecutor(jobs)
