"""Cells on a Dask cluster: the executor behind ``--executor dask``.

:class:`DaskExecutor` has the two methods the runner uses (``imap_unordered`` and ``close``).
It sends each task (a cell with its clean image) to a Dask ``distributed`` scheduler, either one
already running at ``scheduler`` (``tcp://HOST:PORT``) or a :class:`distributed.LocalCluster`
of ``jobs`` worker processes started here, one thread each. Results come back to this
process, which alone writes the store.

A worker that dies is replaced (a local cluster's nanny restarts it) and the scheduler gives
its unfinished tasks to another worker, so a lost worker loses no cell. A task whose workers
die ``distributed.scheduler.allowed-failures`` + 1 times (4 by default; a cell that exhausts the
memory, say) stops the sweep with one line, as a dead worker does in the process pool.

This module imports ``distributed``: import it only when that executor is asked for
(:func:`benchmark.engine.executors.make_executor` does).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterable, Iterator

from benchmark.core.errors import BenchError
from benchmark.engine.executors import MISSING_DASK, _one_thread_per_worker

try:
    import dask
    from distributed import Client, KilledWorker, LocalCluster, as_completed
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - checked before this module is imported
    raise BenchError(MISSING_DASK) from None

#: Seconds to reach a scheduler before giving up.
CONNECT_SECONDS = 10.0
#: Seconds to wait for a first worker to join a scheduler that has none.
WORKER_WAIT_SECONDS = 30.0
#: Settings of the local cluster's workers: no statistical profiler (it samples the running
#: task every 10 ms for a dashboard nobody reads here: about 4% more CPU a BM3D cell).
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
#: Seconds between two looks at how many worker threads the cluster has.
RESIZE_SECONDS = 5.0


class _OneThreadPerWorker(WorkerPlugin):
    """Limits every worker (those there now and those that join later) to one thread."""

    name = "bench-one-thread-per-worker"

    def setup(self, worker: Any) -> None:
        _one_thread_per_worker()


class DaskExecutor:
    """Tasks on a Dask cluster: the one at ``scheduler``, or a local one of ``jobs`` workers.

    Parameters
    ----------
    jobs : int
        Worker processes of the local cluster (one thread each); unused with ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler, ``tcp://HOST:PORT``.

    Raises
    ------
    BenchError
        When the scheduler cannot be reached in :data:`CONNECT_SECONDS`, or has no worker
        after :data:`WORKER_WAIT_SECONDS`.

    Notes
    -----
    At most twice as many tasks as the cluster has worker threads are submitted at once (the
    runner claims cells in the store as they are submitted), and each result is released
    from the cluster once it is here.
    """

    def __init__(self, jobs: int, *, scheduler: str | None = None):
        self.scheduler = scheduler
        self._cluster = None
        if scheduler is None:
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=max(jobs, 1), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
        try:
            self._client = Client(self._cluster or scheduler, timeout=CONNECT_SECONDS,
                                  set_as_default=False)
        except Exception as error:  # refused, timed out, or not a scheduler's answer
            self._close_cluster()
            raise BenchError(f"cannot reach the Dask scheduler at {scheduler} in "
                             f"{CONNECT_SECONDS:g} s ({' '.join(str(error).split())[:120]}); "
                             "start one with 'dask scheduler' and give its address") from None
        try:
            self._client.register_plugin(_OneThreadPerWorker())
            self._client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            self.close()
            raise BenchError(f"no worker joined the Dask scheduler at {scheduler} in "
                             f"{WORKER_WAIT_SECONDS:g} s; start workers with 'dask worker "
                             f"{scheduler} --nthreads 1'") from None

    def slots(self) -> int:
        """Worker threads of the cluster now (at least 1)."""
        return max(1, sum(self._client.nthreads().values()))

    def imap_unordered(self, function: Callable[[Any], Any], tasks: Iterable[Any],
                       on_timeout: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        """``function(task)`` for every task, computed on the cluster; results as they finish.

        Tasks are taken from ``tasks`` only as room opens (at most twice the cluster's threads
        in flight). ``on_timeout`` is not used: this executor has no per-task time limit.
        """
        iterator = iter(tasks)
        pending: dict[Any, Any] = {}
        finished = as_completed(loop=self._client.loop)
        window, resized = 2 * self.slots(), time.monotonic()

        def submit() -> bool:
            try:
                task = next(iterator)
            except StopIteration:
                return False
            future = self._client.submit(function, task, pure=False)
            pending[future] = task
            finished.add(future)
            return True

        try:
            while len(pending) < window and submit():
                pass
            for future in finished:
                pending.pop(future)
                result = self._result(future)
                if time.monotonic() - resized > RESIZE_SECONDS:
                    window, resized = 2 * self.slots(), time.monotonic()
                while len(pending) < window and submit():
                    pass
                yield result
        finally:
            if pending:
                self._client.cancel(list(pending))

    def _result(self, future: Any) -> Any:
        """The task's result, released from the cluster; a one-line error if it has none."""
        try:
            return future.result()
        except KilledWorker as error:
            died = " ".join(str(error).split())[:200]
            raise BenchError(f"a cell's Dask workers died again and again ({died}); out of "
                             "memory? finished cells are saved: run again") from None
        except Exception as error:  # the task could not run there (e.g. a missing module)
            message = " ".join(str(error).split())[:200]
            raise BenchError(f"a Dask worker could not run a cell: {type(error).__name__}: "
                             f"{message}; every worker needs this package and its methods "
                             "installed (see docs/cluster.md)") from None
        finally:
            future.release()

    def close(self) -> None:
        """Disconnect; stop the local cluster, if this executor started one."""
        try:
            self._client.close()
        finally:
            self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
