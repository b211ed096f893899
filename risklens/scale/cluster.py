"""Where partition tasks run: in this process, on a LocalCluster, or on a running Dask scheduler.

``--scheduler`` accepts ``local`` / ``local:N`` (a LocalCluster of N single-threaded worker
processes, started and stopped here) or ``tcp://host:port`` (a scheduler someone started with
``dask scheduler``). :func:`run_tasks` maps one function over partition arguments with at most a few
tasks in flight per worker, hands each result to a callback as it arrives, and shows a progress bar.
A worker lost mid-run is Dask's business: the scheduler re-runs its tasks elsewhere (up to
``distributed.scheduler.allowed-failures`` times), and since results are keyed by partition index a
re-run can neither duplicate nor drop rows.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from risklens.errors import RiskLensError

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_TCP = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-_\[\]:]+:\d+$")
#: Tasks kept in flight per worker: enough to hide scheduling latency, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 2


class SchedulerError(RiskLensError):
    """A ``--scheduler`` value is malformed, or the scheduler cannot be reached or lost every worker."""


def parse_scheduler(value: str) -> tuple[str, int | str]:
    """``("local", n_workers)`` or ``("remote", address)``; SchedulerError for anything else."""
    text = str(value).strip()
    m = _LOCAL.match(text)
    if m:
        n = int(m.group(1) or os.cpu_count() or 1)
        if not 1 <= n <= 256:
            raise SchedulerError(f"--scheduler local:N needs 1 <= N <= 256 workers, got {n}")
        return "local", n
    if _TCP.match(text):
        return "remote", text
    raise SchedulerError(f"--scheduler must be local, local:N or tcp://host:port, not {text[:60]!r}")


@contextmanager
def connect(scheduler: str | None, threads_per_worker: int = 1) -> Iterator[object | None]:
    """A ``distributed.Client`` for ``scheduler`` (None: yields None, work runs in this process)."""
    if not scheduler:
        yield None
        return
    kind, target = parse_scheduler(scheduler)
    from distributed import Client, LocalCluster

    if kind == "local":
        threads = str(int(threads_per_worker))
        env = {"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads}
        cluster = LocalCluster(n_workers=int(target), threads_per_worker=int(threads_per_worker), processes=True,
                               dashboard_address=None, worker_dashboard_address=None, env=env, silence_logs=40)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(target, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {target}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def n_workers(client) -> int:
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {}))) if client is not None else 1


class ProgressBar:
    """A one-line progress bar on stderr: parts done, rows done, rows per second."""

    def __init__(self, total_parts: int, label: str, stream=None, width: int = 28):
        self.total, self.label, self.width = max(1, int(total_parts)), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.parts = self.rows = 0
        self.t0 = time.perf_counter()
        self._last = -1.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, rows: int) -> None:
        self.parts += 1
        self.rows += int(rows)
        now = time.perf_counter()
        if self.parts == self.total or now - self._last >= (0.5 if self._tty else 5.0):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(1.0, self.parts / self.total)
        filled = int(round(frac * self.width))
        rate = self.rows / max(now - self.t0, 1e-9)
        line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {100 * frac:3.0f}% "
                f"{self.parts}/{self.total} parts, {self.rows:,} rows, {rate:,.0f} rows/s")
        end = "\n" if (not self._tty or self.parts == self.total) else ""
        print(("\r" if self._tty else "") + line, end=end, file=self.stream, flush=True)


def _hold(obj):
    """Identity task: puts a shared input (model bytes, background rows) in the graph, recomputable on loss."""
    return obj


def share(client, obj):
    """``obj`` as a future every task can take as an argument (or ``obj`` itself without a cluster)."""
    return obj if client is None else client.submit(_hold, obj, pure=False)


def run_tasks(client, fn: Callable, arg_list: Iterable[tuple], on_result: Callable[[int, object], None], *,
              label: str = "task", total: int | None = None, rows_of: Callable[[object], int] = lambda r: 0,
              progress: bool = True, in_flight: int | None = None) -> int:
    """Call ``fn(*args)`` for each ``args`` (task ``i`` = the i-th tuple); ``on_result(i, result)`` in arrival order.

    Without a client the calls run here, one after the other. Returns the number of tasks run.
    """
    bar = ProgressBar(total or 0, label) if progress and client is not None and total else None
    if client is None:
        count = 0
        for i, args in enumerate(arg_list):
            on_result(i, fn(*args))
            count += 1
        return count
    from distributed import as_completed

    limit = in_flight or IN_FLIGHT_PER_WORKER * n_workers(client)
    args_iter = enumerate(arg_list)
    pending = as_completed()
    index: dict = {}

    def submit_next() -> bool:
        nxt = next(args_iter, None)
        if nxt is None:
            return False
        fut = client.submit(fn, *nxt[1], pure=False, key=f"{label}-{nxt[0]:05d}-{os.urandom(4).hex()}")
        index[fut.key] = nxt[0]
        pending.add(fut)
        return True

    for _ in range(limit):
        if not submit_next():
            break
    count = 0
    for fut in pending:
        result = _result(fut, index[fut.key])
        on_result(index.pop(fut.key), result)
        fut.release()
        count += 1
        if bar is not None:
            bar.update(rows_of(result))
        submit_next()
    return count


def _result(fut, i: int):
    from distributed.scheduler import KilledWorker

    try:
        return fut.result()
    except KilledWorker:
        raise SchedulerError(f"partition {i} was running on workers that died each time it was retried; "
                             "check the workers' memory and logs") from None
