"""Running a sweep's points: in-process, on a local process pool, or on a Dask cluster.

Determinism: a point's result depends only on the point (workload, policy, options, engine
settings, seed), and results come back in grid order whatever order the workers finish in,
so a sweep gives identical output run serially, on any number of local workers or on Dask.
When points fail, the error reported is that of the failing point first in grid order.

On a local pool the workers are forked from the process that already loaded the workload
files, so they start with them.  Dask workers open the same absolute path, so they must
share the file system with the machine that submits the sweep.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from schedsim.errors import ExecutionError, OptionError, SchedsimError
from schedsim.sweep.grid import SweepPoint
from schedsim.sweep.results import SweepResult, SweepResults
from schedsim.sweep.task import run_point

SERIAL_BELOW = 4  # fewer points than this run in-process: a pool would only add start-up time
CONNECT_TIMEOUT = 5.0  # seconds to wait for a Dask scheduler to answer
EXECUTORS = ("local", "serial", "dask-local")

Progress = Callable[[], None]


def run_sweep(
    points: Sequence[SweepPoint],
    *,
    executor: Any = "local",
    jobs: int | None = None,
    progress: Progress | None = None,
) -> SweepResults:
    """Run every point and return the results in grid order.

    ``executor``: ``"local"`` (a process pool of ``jobs`` workers, default one per CPU;
    fewer than 4 points or ``jobs=1`` run in-process), ``"serial"`` (in-process),
    ``"dask-local"`` (a Dask LocalCluster of ``jobs`` worker processes, for this run only),
    a Dask scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``.
    ``progress`` is called once per finished point.

    A failing point stops the sweep: the points after it are cancelled and its error is
    raised, prefixed with where it happened (:meth:`SweepPoint.describe`)."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise OptionError(f"--jobs: must be a whole number >= 1, got {jobs!r}")
    points = list(points)
    collector = _Collector(points, progress)
    if not points:
        return SweepResults()
    if isinstance(executor, str) and executor in ("local", "serial"):
        if executor == "serial" or jobs == 1 or len(points) < SERIAL_BELOW:
            _run_serial(collector)
        else:
            _run_pool(collector, min(jobs or available_cpus(), len(points)))
    elif isinstance(executor, str) and executor != "dask-local" and ":" not in executor:
        raise OptionError(
            f"unknown executor {executor!r}; use {', '.join(EXECUTORS)}, "
            "a Dask scheduler address (tcp://host:8786) or a distributed.Client"
        )
    else:
        _run_dask(collector, executor, jobs)
    return SweepResults(collector.results())


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Collector:
    """Results by grid index, and the failure first in grid order."""

    def __init__(self, points: list[SweepPoint], progress: Progress | None) -> None:
        self.points = points
        self.summaries: list[dict[str, Any] | None] = [None] * len(points)
        self.progress = progress
        self.failed_index: int | None = None
        self.failure: BaseException | None = None

    def wanted(self, index: int) -> bool:
        """Whether the point still matters: everything before the first failure does."""
        return self.failed_index is None or index < self.failed_index

    def done(self, index: int, summary: dict[str, Any]) -> None:
        self.summaries[index] = summary
        if self.progress is not None:
            self.progress()

    def failed(self, index: int, error: BaseException) -> None:
        if isinstance(error, KeyboardInterrupt):
            raise KeyboardInterrupt
        if self.wanted(index):
            self.failed_index, self.failure = index, error

    def results(self) -> list[SweepResult]:
        if self.failed_index is not None and self.failure is not None:
            raise _located(self.failure, self.points[self.failed_index])
        summaries = self.summaries
        return [
            SweepResult(point, summary)
            for point, summary in zip(self.points, summaries, strict=True)
            if summary is not None
        ]


def _located(error: BaseException, point: SweepPoint) -> BaseException:
    """The same kind of error, saying which point failed."""
    where = point.describe()
    if isinstance(error, BrokenProcessPool):
        return ExecutionError(
            f"{where}: a worker process died before this point finished (killed, or out of "
            "memory?); the sweep stopped"
        )
    if isinstance(error, SchedsimError):
        try:
            located = type(error)(f"{where}: {error}")
        except Exception:
            located = SchedsimError(f"{where}: {error}")
            located.exit_code = error.exit_code
        return located
    if type(error).__name__ == "KilledWorker":
        return ExecutionError(f"{where}: Dask workers died running this point ({error})")
    if isinstance(error, ImportError):
        return ExecutionError(
            f"{where}: a worker cannot import schedsim ({error}); install schedsim on every "
            "Dask worker"
        )
    return RuntimeError(f"{where}: {type(error).__name__}: {error}")


def _run_serial(collector: _Collector) -> None:
    for index, point in enumerate(collector.points):
        try:
            summary = run_point(point)
        except Exception as error:  # reported as a pool or Dask run would report it
            collector.failed(index, error)
            return
        collector.done(index, summary)


def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_context() -> Any:
    """Fork on Linux: workers start at once, inherit the workloads already loaded, and leave
    no helper process behind (spawn and forkserver keep a resource tracker, forkserver its
    server, alive until the program exits).  A forked worker only unpickles points and
    simulates, so it needs no lock another thread of the parent could have held.  Elsewhere
    the platform's default (spawn), where workers load the workloads themselves."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _run_pool(collector: _Collector, workers: int) -> None:
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=_ignore_interrupts
    )
    finished = False
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            pool.submit(run_point, point): index for index, point in enumerate(collector.points)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                index = futures[future]
                if future.cancelled() or not collector.wanted(index):
                    continue
                error = future.exception()
                if error is None:
                    collector.done(index, future.result())
                else:
                    collector.failed(index, error)
            if collector.failed_index is not None:
                for future in pending:
                    if not collector.wanted(futures[future]):
                        future.cancel()
                pending = {future for future in pending if collector.wanted(futures[future])}
        finished = collector.failed_index is None
    finally:
        _stop_pool(pool, terminate=not finished)


def _stop_pool(pool: ProcessPoolExecutor, *, terminate: bool) -> None:
    """Shut the pool down and reap its workers; after a failure or Ctrl-C, without waiting
    for points still running."""
    if terminate:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(collector: _Collector, executor: Any, jobs: int | None) -> None:
    try:
        import distributed
        from dask.base import tokenize
    except ImportError:
        raise OptionError(
            "running on Dask needs Dask installed: pip install 'schedsim[dask]'"
        ) from None
    cluster: Any = None
    client: Any = None
    owned = not isinstance(executor, distributed.Client)
    try:
        if executor == "dask-local":
            import logging

            cluster = distributed.LocalCluster(
                n_workers=jobs or available_cpus(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # a failed point is reported once, by us
            )
            client = distributed.Client(cluster)
        elif owned:
            client = _connect(distributed, str(executor))
        else:
            client = executor
        keys = [
            f"schedsim-sweep-{tokenize(point, _stamp(point.path))}" for point in collector.points
        ]
        futures = client.map(run_point, collector.points, key=keys, pure=True)
        index_of = {future.key: index for index, future in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures, loop=client.loop):
                index = index_of[future.key]
                if future.cancelled() or not collector.wanted(index):
                    continue
                if future.status == "error":
                    collector.failed(index, future.exception())
                    client.cancel([f for f in futures if not collector.wanted(index_of[f.key])])
                else:
                    collector.done(index, future.result())
        finally:
            client.cancel([future for future in futures if not future.done()])
            del futures
    finally:
        if owned and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _connect(distributed: Any, address: str) -> Any:
    advice = (
        "start one with 'dask scheduler' and workers with 'dask worker ADDRESS', "
        "or use --dask local"
    )
    try:
        _probe(distributed, address)
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).strip() or type(error).__name__
        raise ExecutionError(
            f"--dask {address}: cannot connect to a Dask scheduler ({reason}); {advice}"
        ) from None


def _probe(distributed: Any, address: str) -> None:
    """Check the address, and open and close a TCP connection to a tcp:// or tls://
    scheduler first: a refused connection then fails at once instead of after the client's
    retries, and a malformed address never reaches the client."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)  # ValueError naming the known schemes
    if scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parse_host_port(location)
    except ValueError:
        raise ValueError(f"expected HOST:PORT after {scheme}://, got {location!r}") from None
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except ConnectionRefusedError:
        raise OSError(f"nothing is listening at {host}:{port}") from None
    except socket.gaierror as error:
        raise OSError(f"unknown host {host!r}: {error.strerror}") from None


def _stamp(path: str) -> tuple[int, int]:
    """The file's modification time and size: a changed file gets new task keys."""
    try:
        status = os.stat(path)
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)
