"""Per-locale jobs over worker processes: same results in job order, errors unchanged."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pubflow.errors import CatalogError
from pubflow.parallel import WorkerCrashed, run_jobs, side_job, worker_count


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


def sleep_and_report(shared: str, number: int) -> int:
    import time

    Path(shared, f"started-{os.getpid()}").write_text("x")
    time.sleep(30)
    return number


def test_workers_die_with_a_killed_build(tmp_path: Path) -> None:
    """A build killed from outside must not leave workers running (and writing) behind it."""
    import subprocess
    import sys
    import time

    code = (
        "import sys; from pubflow.parallel import run_jobs; "
        "sys.path.insert(0, sys.argv[2]); from test_parallel import sleep_and_report; "
        "run_jobs(sleep_and_report, sys.argv[1], [(1,), (2,)], workers=2)"
    )
    build = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(Path(__file__).parent)])
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("started-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("started-*")]
    assert len(workers) == 2
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=10)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
        time.sleep(0.05)
    assert alive == [], f"workers outlived the killed build: {alive}"


def pid_of_worker(shared: str, suffix: str) -> tuple[str, int]:
    return shared + suffix, os.getpid()


@pytest.mark.parametrize("background", [False, True])
def test_a_side_job_runs_while_the_caller_works_and_gives_its_result_once(background: bool) -> None:
    with side_job(pid_of_worker, "messages", ".pot", background=background) as result:
        text, pid = result()
        assert result() == (text, pid)  # asked twice: one job
    assert text == "messages.pot"
    assert (pid != os.getpid()) is background


@pytest.mark.parametrize("background", [False, True])
def test_a_side_jobs_error_reaches_the_caller_unchanged(background: bool) -> None:
    with side_job(fail_on, "templates/site/page.html", 3, background=background) as result:
        with pytest.raises(CatalogError) as caught:
            result()
    assert (caught.value.path, caught.value.line) == (Path("templates/site/page.html"), 7)
