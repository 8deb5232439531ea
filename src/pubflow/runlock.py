"""The project run lock: one whole-project job (publish, a site or newsletter build) at a time.

Jobs that write ``dist/`` and ``build/`` hold ``build/run.lock`` for as long as they run. It is
an OS lock (``flock`` through :mod:`filelock`), so the kernel frees it when its holder exits for
any reason, SIGKILL included: a crashed run never leaves the project locked. Who holds it (job,
pid, host, start time) is written beside it in ``build/run.lock.json``, so a second job can tell
its user whom it is waiting for.

A second job waits up to ``wait`` seconds (setting ``run_lock_wait``, 5 s by default: enough for
the tail of a run that is just finishing), then gives up with :class:`ProjectBusyError` naming
the holder — like apt, git or Terraform, it refuses rather than queueing silently, and raising
the wait turns refusal into queueing. The lock is re-entrant within one thread, so a job that
holds it can call another that takes it (the publish flow builds the site and the newsletters).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pubflow.config import Settings
from pubflow.errors import PubflowError
from pubflow.fsutil import atomic_write_text

LOCK_NAME = "run.lock"
INFO_NAME = "run.lock.json"

_INFO_SETTLE_SECONDS = 1.0
"""How long a loser re-reads a missing or dead holder's info (the winner writes it just after
taking the lock, so a loser can arrive in between)."""


class ProjectBusyError(PubflowError):
    """Another whole-project job (publish, a build) holds the project's run lock."""

    def __init__(self, message: str, *, holder: RunHolder | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.holder = holder

    @property
    def who(self) -> str:
        """The holder as a user reads it (``another pubflow job`` when nobody is recorded)."""
        return _who(self.holder)


def _who(holder: RunHolder | None) -> str:
    return holder.describe() if holder is not None else "another pubflow job"


@dataclass(frozen=True)
class RunHolder:
    """Who holds the run lock: written to ``run.lock.json`` while they hold it."""

    job: str
    pid: int
    host: str
    started: str
    """ISO 8601 with the UTC offset of the holder's clock."""

    @classmethod
    def for_this_process(cls, job: str) -> RunHolder:
        now = dt.datetime.now().astimezone().replace(microsecond=0)
        return cls(job=job, pid=os.getpid(), host=socket.gethostname(), started=now.isoformat())

    @property
    def started_at(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(self.started)
        except ValueError:
            return None

    def running_for(self, now: dt.datetime | None = None) -> str:
        """``3 min 12 s`` since it started (empty when the start time is unreadable)."""
        started = self.started_at
        if started is None:
            return ""
        seconds = max(0, int(((now or dt.datetime.now().astimezone()) - started).total_seconds()))
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"

    def describe(self) -> str:
        """``publish flow run 'crimson-fox' (pid 4242 on web1, started 2026-05-03 10:32:05 +02:00, 3 min 12 s ago)``."""
        started = self.started_at
        when = started.strftime("%Y-%m-%d %H:%M:%S %z") if started else self.started
        if started is not None and len(when) > 5 and when[-5] in "+-":
            when = f"{when[:-2]}:{when[-2:]}"  # +0200 → +02:00, easier to read
        ago = self.running_for()
        return f"{self.job} (pid {self.pid} on {self.host}, started {when}{f', {ago} ago' if ago else ''})"

    def is_alive_here(self) -> bool | None:
        """Whether the holder process runs (None when it is on another host: cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, owned by someone else
            return True
        return True


def run_lock_path(settings: Settings) -> Path:
    """``build/run.lock`` of the project."""
    return settings.build_path / LOCK_NAME


def run_info_path(settings: Settings) -> Path:
    """``build/run.lock.json``: who holds the run lock (absent when nobody does)."""
    return settings.build_path / INFO_NAME


def read_holder(settings: Settings) -> RunHolder | None:
    """The holder recorded beside the lock, or None (nobody, or an unreadable record)."""
    try:
        data = json.loads(run_info_path(settings).read_text(encoding="utf-8"))
        return RunHolder(
            job=str(data["job"]), pid=int(data["pid"]), host=str(data["host"]), started=str(data["started"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class ProjectRunLock:
    """Hold the project's run lock (see the module docstring); use as a context manager.

    ``job`` says what holds it (``"pubflow build site"``, ``"publish flow run 'crimson-fox'"``);
    ``wait`` is how long to wait for another holder (default: the ``run_lock_wait`` setting).
    """

    # Per thread: the locks this thread holds → [nesting depth, the FileLock] (re-entrancy).
    _held = threading.local()

    def __init__(self, settings: Settings, job: str, *, wait: float | None = None) -> None:
        self.settings = settings
        self.job = job
        self.wait = settings.run_lock_wait if wait is None else max(0.0, float(wait))
        self.path = run_lock_path(settings)
        self.holder: RunHolder | None = None

    @classmethod
    def _registry(cls) -> dict[Path, list[Any]]:
        if not hasattr(cls._held, "locks"):
            cls._held.locks = {}
        return cls._held.locks  # type: ignore[no-any-return]

    def acquire(self) -> RunHolder:
        """Take the lock (or re-enter it); :class:`ProjectBusyError` when another job keeps it."""
        key = self.path.resolve()
        held = self._registry().get(key)
        if held is not None:
            held[0] += 1
            self.holder = read_holder(self.settings) or RunHolder.for_this_process(self.job)
            return self.holder
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path), timeout=self.wait)
        try:
            lock.acquire()
        except Timeout:
            raise self._busy_error() from None
        try:
            self.holder = RunHolder.for_this_process(self.job)
            atomic_write_text(run_info_path(self.settings), json.dumps(asdict(self.holder), indent=1) + "\n")
        except BaseException:
            lock.release()
            raise
        self._registry()[key] = [1, lock]
        return self.holder

    def release(self) -> None:
        """Give the lock back (the outermost release frees it for other jobs)."""
        key = self.path.resolve()
        registry = self._registry()
        held = registry.get(key)
        if held is None:
            return
        held[0] -= 1
        if held[0] > 0:
            return
        del registry[key]
        try:
            # Remove the record first: a loser arriving later must not name a finished job.
            run_info_path(self.settings).unlink(missing_ok=True)
        finally:
            held[1].release()

    def __enter__(self) -> RunHolder:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def _busy_error(self) -> ProjectBusyError:
        holder = self._current_holder()
        waited = f" (waited {self.wait:g} s)" if self.wait else ""
        finish = "wait for it to finish"
        stop = ""
        if holder is not None:
            if "flow run" in holder.job:
                finish += " (it shows in the Prefect UI)"
            stop = f"; if it hangs, stop pid {holder.pid} on {holder.host}: the lock is freed when it stops"
        who = _who(holder)
        return ProjectBusyError(
            f"the project is busy: {who} is running{waited}",
            holder=holder,
            path=self.path,
            hint=f"{finish}, then run again (or raise PUBFLOW_RUN_LOCK_WAIT or --wait to queue behind it){stop}",
        )

    def _current_holder(self) -> RunHolder | None:
        """The recorded holder; re-read briefly while the record is missing or names a dead pid."""
        deadline = time.monotonic() + _INFO_SETTLE_SECONDS
        while True:
            holder = read_holder(self.settings)
            if holder is not None and holder.is_alive_here() is not False:
                return holder
            if time.monotonic() >= deadline:
                return None  # no trustworthy record: say "another pubflow job"
            time.sleep(0.05)


@contextmanager
def project_run_lock(settings: Settings, job: str, *, wait: float | None = None) -> Iterator[RunHolder]:
    """``with project_run_lock(settings, "pubflow build site"):`` — see :class:`ProjectRunLock`."""
    lock = ProjectRunLock(settings, job, wait=wait)
    holder = lock.acquire()
    try:
        yield holder
    finally:
        lock.release()
