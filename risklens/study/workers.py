"""Worker processes for the protocol's independent units: training runs and explanation calls.

On a machine with at least two cores, :func:`run_protocol <risklens.study.protocol.run_protocol>` hands its
independent units -- the ``runs`` x families trainings, every run's explanations, the noise-floor and stability
repeats, the concept-level permutations -- to :class:`LocalWorkers`: ``workers`` spawned processes, each
limited to one BLAS / OpenMP / numba thread (so two workers use two cores without oversubscribing them). Every
unit is one whole call (a training, or one explanation of all its rows), computed by the same function on the
same inputs as in this process, and the results come back in the order the units were given, so the report's
numbers are exactly the serial ones (``tests/test_protocol_workers.py`` compares the two reports byte for byte).

:func:`choose_workers` decides how many: ``"auto"`` uses two processes (at most the machine's cores) when the
work is large enough to repay starting them (:data:`MIN_WORK` cohort rows x runs), else this process alone.
Inputs and results travel between this process and its own workers over a pipe (Python's pickling of
in-memory objects it made itself); nothing a user hands in is ever unpickled.
"""

from __future__ import annotations

import os
import sys
import time
import types
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Callable, Iterable

#: Cohort rows x training runs from which ``workers="auto"`` starts worker processes (starting two costs a
#: few seconds of imports; below this the protocol runs in this process).
MIN_WORK = 20_000
#: Worker processes ``"auto"`` starts (at most the machine's cores).
AUTO_WORKERS = 2
#: Environment a worker process starts with: one OpenMP / BLAS / numba thread. ``OMP_THREAD_LIMIT`` also caps a
#: library that asks for more threads itself (XGBoost's ``n_jobs=2`` training; its trees do not depend on the
#: thread count), so two workers never run four threads on two cores.
WORKER_ENV = {"OMP_THREAD_LIMIT": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


def choose_workers(workers, cohort_rows: int, runs: int) -> int:
    """Worker processes to start: ``workers`` as given (0 or 1: none), or for ``"auto"`` / None
    :data:`AUTO_WORKERS` when the machine has that many cores and rows x runs >= :data:`MIN_WORK`, else none."""
    if workers is None or workers == "auto":
        cores = os.cpu_count() or 1
        n = min(AUTO_WORKERS, cores) if int(cohort_rows) * int(runs) >= MIN_WORK else 1
    else:
        n = int(workers)
        if n < 0:
            raise ValueError(f"workers must be 'auto' or a number >= 0, got {workers!r}")
    return n if n >= 2 else 0


def _warm_worker() -> None:
    """Worker initialiser: one BLAS / OpenMP thread and one numba thread per worker process, and the modules every
    unit needs imported once (at start, while this process is busy elsewhere)."""
    from threadpoolctl import threadpool_limits

    import risklens.explain  # noqa: F401 - the registry and the methods
    import risklens.modeling.store  # noqa: F401 - serialising a trained model
    import risklens.modeling.train  # noqa: F401
    import skops.io  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.neural_network  # noqa: F401
    import xgboost  # noqa: F401

    threadpool_limits(limits=1)
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover - numba is a dependency
        pass


def _timed(fn, args, kwargs):
    """(result, seconds) of one unit."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def run_shipped(model, X, method: str, seed: int, params: dict, background):
    """One explanation call in a worker: the registered method ``method``, checked and run as in this process."""
    from risklens.explain import prepare

    if getattr(model, "family", None) == "xgboost":  # the worker's one thread (predictions do not depend on it)
        model.booster.set_param({"nthread": 1})
    return prepare(model, X, method, seed=int(seed), background=background, **params).run()


def shippable(call) -> bool:
    """True when a worker process can run ``call``: its method is the registered one of that name and its rows
    may be explained apart from other calls (a method registered only in this process stays here)."""
    from risklens.explain import method

    try:
        return method(call.method) is call.spec
    except Exception:  # noqa: BLE001 - an unknown name is simply not shippable
        return False


@contextmanager
def one_thread_here():
    """One BLAS / OpenMP thread and one numba thread in this process for a ``with`` block, as in every worker: a
    multi-threaded product can round differently with the thread count, so the protocol's numbers are the same
    in one process, in workers, and on any machine."""
    from threadpoolctl import threadpool_limits

    try:
        import numba

        before = numba.get_num_threads()
    except ImportError:  # pragma: no cover - numba is a dependency
        numba, before = None, None
    with threadpool_limits(limits=1):
        if numba is not None:
            numba.set_num_threads(1)
        try:
            yield
        finally:
            if numba is not None:
                numba.set_num_threads(before)


class Pending:
    """Results of units handed out now and collected later: ``result(progress)`` waits for them (or, for work
    that runs in this process, computes them then), once."""

    def __init__(self, collect: Callable) -> None:
        self._collect, self._done, self._value = collect, False, None

    def result(self, progress: Callable[[int, int], None] | None = None):
        if not self._done:
            self._value, self._done = self._collect(progress), True
            self._collect = None
        return self._value


def _gather(futures: list[Future], units: list, progress) -> list:
    """Results of ``futures`` in order. Units no worker has started yet are taken back and run in this process
    (from the last one back), so this process works instead of waiting; ``units[i]`` = (fn, args, kwargs)."""
    out: list = [None] * len(futures)
    for i in range(len(futures) - 1, -1, -1):
        if not futures[i].cancel():
            break
        fn, args, kwargs = units[i]
        out[i] = _timed(fn, args, kwargs)
        if progress is not None:
            progress(sum(o is not None for o in out), len(futures))
    rest = [i for i, o in enumerate(out) if o is None]
    for f in as_completed([futures[i] for i in rest]):
        if progress is not None:
            progress(len(futures) - len(rest) + 1, len(futures))
            rest = rest[1:]
    for i, f in enumerate(futures):
        if out[i] is None:
            out[i] = f.result()
    return out


@contextmanager
def _worker_env():
    """While worker processes start: this process's environment with :data:`WORKER_ENV` (a spawned process reads
    its thread limits once, at start); restored afterwards."""
    before = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _plain_main():
    """While worker processes start: ``__main__`` is an empty module, so a spawned worker does not run the
    parent's main script again. Streamlit runs app.py as ``__main__`` (so would every worker, in bare mode), and a
    script without an ``if __name__ == "__main__":`` guard would start the protocol again in each worker; the
    units themselves are functions of risklens modules, which the workers import."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class LocalWorkers:
    """``n`` spawned worker processes (one thread each) that run units and return results in order.

    Also an explanation executor (``explain(call)``, ``explain_all(calls)``, ``start_explain(calls)``).
    """

    def __init__(self, n: int) -> None:
        import multiprocessing

        self.n = int(n)
        self._pool = ProcessPoolExecutor(self.n, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm_worker)
        with _plain_main(), _worker_env():  # every worker starts now (one per unit handed out while none is idle)
            for _ in range(self.n):
                self._pool.submit(_timed, int, (), {})

    def __enter__(self) -> "LocalWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable, *args, **kwargs) -> Future:
        """A future of ``(fn(*args, **kwargs), seconds)`` computed in a worker."""
        return self._pool.submit(_timed, fn, args, kwargs)

    def start_map(self, fn: Callable, units: Iterable[tuple], kwargs: Iterable[dict] | None = None) -> Pending:
        """Hand out ``fn(*unit, **kw)`` per unit now; the Pending's result is ``[(result, seconds), ...]`` in order."""
        work = [(fn, tuple(u), kw) for u, kw in zip(units, kwargs if kwargs is not None else [{} for _ in units])]
        futures = [self.submit(f, *a, **kw) for f, a, kw in work]
        return Pending(lambda progress: _gather(futures, work, progress))

    def map(self, fn: Callable, units: Iterable[tuple], progress: Callable[[int, int], None] | None = None,
            kwargs: Iterable[dict] | None = None) -> list[tuple[object, float]]:
        """``[(fn(*unit), seconds), ...]`` in the order of ``units``; ``progress(done, total)`` as they finish."""
        return self.start_map(fn, units, kwargs).result(progress)

    # ---- explanation executor -------------------------------------------------------------------------
    def explain(self, call):
        return self.explain_all([call])[0][0]

    def explain_all(self, calls: list, progress=None) -> list[tuple[object, float]]:
        return self.start_explain(calls).result(progress)

    def start_explain(self, calls: list) -> Pending:
        """Hand out prepared calls now; the Pending's result is ``[(Explanation, seconds), ...]`` in order. Slow
        calls run in the workers; fast (exact) ones and methods registered only here run in this process when the
        result is asked for."""
        calls = list(calls)
        remote = [i for i, c in enumerate(calls) if shippable(c) and not c.spec.is_fast(c.model.family)]
        work = [(run_shipped, (calls[i].model, calls[i].X, calls[i].method, calls[i].seed, calls[i].params,
                               calls[i].background), {}) for i in remote]
        futures = [self.submit(f, *a, **kw) for f, a, kw in work]

        def collect(progress):
            out: list = [None] * len(calls)
            for i, c in enumerate(calls):
                if i not in remote:
                    out[i] = _timed(c.run, (), {})
            done = len(calls) - len(remote)
            say = None if progress is None else (lambda d, t: progress(done + d, len(calls)))
            for i, result in zip(remote, _gather(futures, work, say)):
                out[i] = result
            return out

        return Pending(collect)


def start_explain(executor, calls: list) -> Pending:
    """Prepared calls handed to ``executor`` now when it runs many at once (:class:`LocalWorkers`), else run one
    after another when the result is asked for; the result is ``[(Explanation, seconds), ...]`` in order."""
    from risklens.explain import IN_PROCESS

    executor = executor or IN_PROCESS
    if hasattr(executor, "start_explain"):
        return executor.start_explain(calls)

    def collect(progress):
        out = []
        for i, call in enumerate(calls):
            if progress is not None:
                progress(i, len(calls))
            start = time.perf_counter()
            out.append((executor.explain(call), time.perf_counter() - start))
        return out

    return Pending(collect)


def explain_all(executor, calls: list, progress=None) -> list[tuple[object, float]]:
    """``[(Explanation, seconds), ...]`` of prepared calls on ``executor``; ``progress(done, total)`` as they end."""
    return start_explain(executor, calls).result(progress)


def start_map(workers: "LocalWorkers | None", fn: Callable, units: list[tuple],
              kwargs: list[dict] | None = None) -> Pending:
    """``fn(*unit, **kw)`` per unit handed to ``workers`` now, or run in this process when the result is asked for."""
    if workers is not None:
        return workers.start_map(fn, units, kwargs)
    kws = kwargs if kwargs is not None else [{} for _ in units]

    def collect(progress):
        out = []
        for i, (u, kw) in enumerate(zip(units, kws)):
            if progress is not None:
                progress(i, len(units))
            out.append(_timed(fn, u, kw))
        return out

    return Pending(collect)


def map_units(workers: "LocalWorkers | None", fn: Callable, units: list[tuple], progress=None,
              kwargs: list[dict] | None = None) -> list[tuple[object, float]]:
    """``[(fn(*unit, **kw), seconds), ...]`` on ``workers``, or in this process when there are none."""
    return start_map(workers, fn, units, kwargs).result(progress)
