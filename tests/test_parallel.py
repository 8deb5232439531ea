"""Per-locale jobs over worker processes: same results in job order, errors unchanged."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pubflow.errors import CatalogError
from pubflow.parallel import WorkerCrashed, run_jobs, worker_count


def square_with_pid(shared: dict[str, int], number: int) -> tuple[int, int]:
    return number * number + shared["offset"], os.getpid()


def fail_on(shared: str, number: int) -> int:
    if number == 3:
        raise CatalogError("bad catalog", path=Path(shared), line=7, hint="fix it")
    return number


def die_on(_shared: None, number: int) -> int:
    if number == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return number


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_back_in_job_order_whatever_the_workers(workers: int) -> None:
    seen: list[int] = []
    results = run_jobs(
        square_with_pid,
        {"offset": 1},
        [(n,) for n in range(7)],
        workers=workers,
        on_done=lambda index, _result: seen.append(index),
    )
    assert [value for value, _ in results] == [n * n + 1 for n in range(7)]
    assert sorted(seen) == list(range(7))
    pids = {pid for _, pid in results}
    if workers == 1:
        assert pids == {os.getpid()}  # no extra process at all
    else:
        assert os.getpid() not in pids and 1 <= len(pids) <= workers


@pytest.mark.parametrize("workers", [1, 2])
def test_a_user_error_in_a_job_reaches_the_caller_unchanged(workers: int) -> None:
    with pytest.raises(CatalogError) as caught:
        run_jobs(fail_on, "locales/de/LC_MESSAGES/x.po", [(n,) for n in range(6)], workers=workers)
    error = caught.value
    assert (error.message, error.line, error.hint) == ("bad catalog", 7, "fix it")
    assert error.path == Path("locales/de/LC_MESSAGES/x.po")


def test_a_killed_worker_is_a_clear_error_not_a_hang() -> None:
    with pytest.raises(WorkerCrashed) as caught:
        run_jobs(die_on, None, [(n,) for n in range(5)], workers=2)
    assert "PUBFLOW_WORKERS=1" in caught.value.describe()


def test_worker_count_follows_the_setting_and_never_exceeds_the_jobs() -> None:
    assert worker_count(1, 10) == 1
    assert worker_count(4, 3) == 3
    assert worker_count(0, 100) == min(os.cpu_count() or 1, 8)
    assert worker_count(0, 0) == 1
