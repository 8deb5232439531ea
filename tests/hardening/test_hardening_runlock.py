"""The project run lock, between real processes (no Prefect): one whole-project job at a time.

* a second ``pubflow build`` while another job holds the lock gives up after ``--wait`` with
  one line naming the holder (job, pid, host, start time) and exit 2, having written nothing;
* with a longer wait it queues behind the holder and builds once the holder is done;
* a holder killed with SIGKILL never blocks anyone: the kernel frees the lock;
* within one thread the lock is re-entrant (publish holds it, then builds); another thread of
  the same process is refused like another process.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from hardening_support import ISSUE, python_env, spawn_python
from pubflow.config import Settings
from pubflow.runlock import (
    ProjectBusyError,
    ProjectRunLock,
    project_run_lock,
    read_holder,
    run_info_path,
    run_lock_path,
)

HOLDER = """
    import sys
    from pathlib import Path
    from pubflow.config import load_settings
    from pubflow.runlock import project_run_lock

    settings = load_settings(Path(sys.argv[1]))
    with project_run_lock(settings, sys.argv[2], wait=0):
        print("holding", flush=True)
        sys.stdin.readline()  # until the test says so (or kills us)
    print("released", flush=True)
"""


def _hold(settings: Settings, job: str) -> subprocess.Popen[bytes]:
    """A child process holding the project's run lock until a line arrives on its stdin."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(settings.root), job],
        cwd=settings.root,
        env=python_env(settings.root),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == b"holding", (line, child.stderr.read() if child.stderr else b"")
    return child


def _pubflow(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pubflow", *args],
        cwd=root,
        env=python_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_second_build_is_refused_with_one_line_naming_the_holder(demo: Settings) -> None:
    holder = _hold(demo, "publish flow run 'crimson-fox'")
    try:
        for args in (["build", "site", "--wait", "0.3"], ["build", "newsletter", ISSUE, "--wait", "0"]):
            loser = _pubflow(demo.root, *args)
            out, err = loser.communicate(timeout=120)
            text = err.decode("utf-8")
            assert loser.returncode == 2, (loser.returncode, out, text)
            assert "Traceback" not in text
            assert len(text.strip().splitlines()) == 1, text
            for part in (
                "the project is busy",
                "publish flow run 'crimson-fox'",
                f"pid {holder.pid} on {socket.gethostname()}",
                "started 20",
                "wait for it to finish",
                "run.lock",
            ):
                assert part in text, (part, text)
        assert not demo.dist_path.exists(), "the refused builds wrote output"
        recorded = read_holder(demo)
        assert recorded is not None and recorded.pid == holder.pid
    finally:
        holder.communicate(b"\n", timeout=60)
    assert holder.returncode == 0
    assert not run_info_path(demo).exists(), "the record outlived its holder"


def test_a_patient_build_queues_behind_the_holder(demo: Settings) -> None:
    holder = _hold(demo, "pubflow build site")
    waiter = _pubflow(demo.root, "build", "site", "--wait", "120")
    # The waiter cannot have built anything while the holder keeps the lock; release it.
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=3)
        assert not (demo.dist_path / "site" / "index.html").exists()
    finally:
        assert holder.stdin is not None
        holder.stdin.write(b"\n")
        holder.stdin.close()
    out, err = waiter.communicate(timeout=180)
    assert waiter.returncode == 0, err.decode()
    assert (demo.dist_path / "site" / "index.html").is_file()
    assert holder.wait(timeout=60) == 0


def test_a_killed_holder_never_blocks_the_project(demo: Settings) -> None:
    holder = _hold(demo, "publish flow run 'doomed-run'")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=60)
    assert holder.returncode == -signal.SIGKILL
    # Its record is left behind (it had no chance to remove it), but the lock is free.
    stale = read_holder(demo)
    assert stale is not None and stale.job == "publish flow run 'doomed-run'"
    assert stale.is_alive_here() is False
    build = _pubflow(demo.root, "build", "site", "--wait", "0")
    out, err = build.communicate(timeout=180)
    assert build.returncode == 0, err.decode()
    assert (demo.dist_path / "site" / "index.html").is_file()
    assert read_holder(demo) is None  # the new holder wrote its record and removed it
    assert run_lock_path(demo).exists()  # the lock file stays (unlinking it would split waiters)


def test_reentrant_in_one_thread_exclusive_across_threads(demo: Settings) -> None:
    refused: list[ProjectBusyError] = []

    def other_thread() -> None:
        try:
            with project_run_lock(demo, "pubflow build newsletter", wait=0):
                pass
        except ProjectBusyError as exc:
            refused.append(exc)

    with project_run_lock(demo, "publish flow run 'outer'") as outer:
        with project_run_lock(demo, "build site (inside publish)", wait=0) as inner:
            assert inner.pid == outer.pid and inner.job == "publish flow run 'outer'"
        # The inner release did not free the lock: the outer job still holds it.
        assert read_holder(demo) == outer
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(timeout=60)
        assert len(refused) == 1
        assert refused[0].holder == outer
        assert "publish flow run 'outer'" in refused[0].describe()
    assert read_holder(demo) is None
    with project_run_lock(demo, "after", wait=0):  # free again
        pass


def test_a_holder_without_a_record_is_still_refused_clearly(demo: Settings) -> None:
    """A lock held by something that wrote no record (an older pubflow): a generic name."""
    from filelock import FileLock

    run_lock_path(demo).parent.mkdir(parents=True, exist_ok=True)
    child = spawn_python(
        """
        import sys, time
        from filelock import FileLock
        lock = FileLock(sys.argv[1]); lock.acquire()
        print("ready", flush=True); time.sleep(120)
        """,
        demo.root,
        str(run_lock_path(demo)),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        with pytest.raises(ProjectBusyError) as caught:
            ProjectRunLock(demo, "pubflow build site", wait=0).acquire()
        assert caught.value.holder is None
        assert "another pubflow job is running" in caught.value.describe()
        assert caught.value.hint and "wait for it to finish" in caught.value.hint
    finally:
        child.kill()
        child.wait()
    FileLock(str(run_lock_path(demo)), timeout=5).acquire()  # freed by the kill
