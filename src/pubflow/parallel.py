"""Spreading independent per-locale work over the machine's cores.

A build's languages are independent: each locale's catalogs merge and compile on their own,
each locale's pages render on their own. :func:`run_jobs` hands such jobs to worker
processes (``workers`` setting; default one per core) and gives back their results in job
order, so reports read the same whatever the number of workers; ``workers = 1`` runs
everything in the calling process.

Workers are forked, not spawned: a spawned worker re-imports the calling program's main
module first (for a flow run that is Prefect: seconds per worker), while a forked one
starts at once with everything loaded and the job's shared inputs (templates, settings) in
memory, so only a job index crosses the pipe. Workers run only pubflow's own functions —
never Prefect, logging handlers or the parent's threads — which is what makes forking a
threaded parent (a flow run) safe here. Results and errors come back pickled: a
:class:`~pubflow.errors.PubflowError` raised in a worker reaches the caller unchanged.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pubflow.collector import frozen_for_fork
from pubflow.errors import PubflowError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

R = TypeVar("R")
MAX_DEFAULT_WORKERS = 8

# What the forked workers read: (function, shared, jobs). Set under _FORKING while the pool
# forks, so two builds started from two threads cannot hand each other their jobs.
_CONTEXT: tuple[Callable[..., Any], Any, Sequence[tuple[Any, ...]]] | None = None
_FORKING = threading.Lock()


class WorkerCrashed(PubflowError):
    """A worker process died (killed, out of memory) before finishing its job."""


def worker_count(configured: int, jobs: int) -> int:
    """How many processes to use for ``jobs`` jobs: ``configured`` (0 = one per core)."""
    wanted = configured or min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    return max(1, min(wanted, jobs))


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl`` (False where there is none), looked up once per process: in the parent
    before forking, so that each worker does not import ctypes again (~5 ms of its start)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False


def _die_with_parent() -> None:
    """Worker start-up: have the kernel kill this worker when the build process dies.

    Otherwise a build killed from outside (SIGKILL, a cancelled flow run's process) would
    leave its workers finishing their jobs and writing files behind whatever runs next.
    Linux only (prctl PR_SET_PDEATHSIG); elsewhere workers end when their job queue closes.
    """
    prctl = _prctl()
    if prctl:
        prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _run_one(index: int) -> Any:
    assert _CONTEXT is not None, "run_jobs sets the context before forking"
    function, shared, jobs = _CONTEXT
    return function(shared, *jobs[index])


def run_jobs(
    function: Callable[..., R],
    shared: Any,
    jobs: Sequence[tuple[Any, ...]],
    *,
    workers: int,
    on_done: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[function(shared, *job) for job in jobs]``, spread over ``workers`` processes.

    ``on_done(index, result)`` is called in this process as each job finishes (progress).
    The first error stops the jobs not yet started and is raised here.
    """
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for index, job in enumerate(jobs):
            result = function(shared, *job)
            if on_done is not None:
                on_done(index, result)
            results.append(result)
        return results

    done: list[Any] = [None] * len(jobs)
    pool, first = _fork_pool(function, shared, jobs, workers)
    try:
        futures: dict[Future[Any], int] = {first: 0}
        futures.update({pool.submit(_run_one, index): index for index in range(1, len(jobs))})
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                index = futures[future]
                done[index] = _result(future)
                if on_done is not None:
                    on_done(index, done[index])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return done


def _fork_pool(
    function: Callable[..., Any], shared: Any, jobs: Sequence[tuple[Any, ...]], workers: int
) -> tuple[ProcessPoolExecutor, Future[Any]]:
    """A pool of ``workers`` forked processes that run ``jobs``, and the future of job 0."""
    global _CONTEXT
    # Imported here: the process pool machinery (multiprocessing) is ~5 ms of the start of a
    # build that finds nothing to do and never forks.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _prctl()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
    )
    try:
        with _FORKING, frozen_for_fork():
            _CONTEXT = (function, shared, jobs)
            try:
                # The first submit forks every worker (the fork start method starts them all
                # at once), so the context they copy is ours.
                return pool, pool.submit(_run_one, 0)
            finally:
                _CONTEXT = None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise


def _result(future: Future[R]) -> R:
    """A finished job's result (its error raised here; a dead worker as WorkerCrashed)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerCrashed(
            "a worker process died before finishing its job (killed, or out of memory)",
            hint="run again; if it keeps happening, set workers = 1 in [tool.pubflow] "
            "or PUBFLOW_WORKERS=1 to build in one process",
        ) from None


@contextmanager
def side_job(
    function: Callable[..., R], shared: Any, *job: Any, background: bool
) -> Iterator[Callable[[], R]]:
    """``function(shared, *job)`` in a forked worker while the caller does other work.

    Gives a callable that waits for the job and returns its result (or raises its error,
    as :func:`run_jobs` does). Without ``background`` the job runs in this process when its
    result is first asked for. Leaving the block waits for a job still running.
    """
    if not background:
        computed: list[R] = []

        def inline() -> R:
            if not computed:
                computed.append(function(shared, *job))
            return computed[0]

        yield inline
        return
    pool, future = _fork_pool(function, shared, [job], 1)
    try:
        yield lambda: _result(future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["WorkerCrashed", "run_jobs", "side_job", "worker_count"]
