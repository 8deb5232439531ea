"""Run a small stack of local services and stop every process of it, whatever happens.

``make serve`` starts a Prefect server, the deployments' runner, the unsubscribe app and the
preview server. Each runs in its own process group (``start_new_session``) so stopping a service
also stops what it spawned (Prefect's runner forks flow-run processes); services stop in reverse
start order, because a ``serve`` process outlives its API server and would otherwise spin.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pubflow.errors import PubflowError


class ServiceError(PubflowError):
    """A local service did not start or died."""


@dataclass
class Service:
    """One long-running process of the stack."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None  # polled until it answers 200
    ready_timeout: float = 60.0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_for_url(url: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll ``url`` until it answers 2xx, the deadline passes or ``alive()`` turns False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if 200 <= response.status < 300:
                    return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.25)
    return False


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``; empty where /proc is missing."""
    members = []
    proc = Path("/proc")
    if not proc.is_dir():
        return members
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp. A zombie is dead, only not yet reaped.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class Supervisor:
    """Starts services in order, stops them in reverse order, kills whole process groups."""

    def __init__(self, cwd: Path, base_env: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.services: list[Service] = []

    def start(self, service: Service) -> Service:
        env = {**self.base_env, **service.env}
        output = subprocess.DEVNULL
        if service.log_path is not None:
            service.log_path.parent.mkdir(parents=True, exist_ok=True)
            output = service.log_path.open("ab")  # type: ignore[assignment]
        service.process = subprocess.Popen(  # noqa: S603 (our own argv)
            list(service.argv),
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.services.append(service)
        if service.ready_url and not wait_for_url(
            service.ready_url, service.ready_timeout, lambda: service.running
        ):
            where = f" (log: {service.log_path})" if service.log_path else ""
            self.stop_all()
            raise ServiceError(
                f"{service.name} did not become ready at {service.ready_url}{where}",
                hint="see the log; is the port already in use?",
            )
        return service

    def first_dead(self) -> Service | None:
        """The first service whose process has exited, if any."""
        return next((s for s in self.services if not s.running), None)

    def stop_all(self, grace: float = 10.0) -> None:
        """SIGTERM each process group in reverse order; SIGKILL what is left after ``grace``."""
        for service in reversed(self.services):
            self._signal(service, signal.SIGTERM)
            if service.process is not None:
                try:
                    service.process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    pass
            # Children in the group may outlive the leader (runner subprocesses): kill the group
            # and wait until the kernel has really removed them, so nothing outlives `serve`.
            self._signal(service, signal.SIGKILL)
            if service.process is not None:
                try:
                    service.process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    pass
                deadline = time.monotonic() + grace
                while group_members(service.process.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
        self.services.clear()

    @staticmethod
    def _signal(service: Service, sig: signal.Signals) -> None:
        if service.process is None:
            return
        try:
            os.killpg(service.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
