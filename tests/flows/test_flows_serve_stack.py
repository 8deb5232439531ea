"""`pubflow serve` (what `make serve` runs): everything starts, and Ctrl-C leaves no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows_support import copy_project, free_port

from pubflow.supervise import group_members

pytestmark = pytest.mark.e2e


def test_serve_starts_the_stack_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    ports = {name: free_port() for name in ("prefect", "preview", "unsubscribe")}
    env = {
        **os.environ,
        "PUBFLOW_ROOT": str(root),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    # Started as from a terminal, where Ctrl-C interrupts: a test run started in the background
    # (`make test &`, nohup, a CI runner) has SIGINT ignored, and a child inherits that (Python
    # then installs no KeyboardInterrupt handler); a signal with a handler is reset by exec.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        serve = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "pubflow"), "serve",
             "--prefect-port", str(ports["prefect"]), "--preview-port", str(ports["preview"]),
             "--unsubscribe-port", str(ports["unsubscribe"]), "--limit", "1"],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    children: set[int] = set()
    try:
        assert serve.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = serve.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "press Ctrl-C" in output, output
        assert f"http://127.0.0.1:{ports['prefect']}/deployments" in output
        with httpx.Client(timeout=10) as client:
            assert client.get(f"http://127.0.0.1:{ports['prefect']}/api/health").status_code == 200
            assert client.get(f"http://127.0.0.1:{ports['preview']}/").status_code == 200
            assert client.get(f"http://127.0.0.1:{ports['unsubscribe']}/healthz").status_code == 200
        # Every service runs in a process group of its own: remember them all.
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == serve.pid:  # parent pid
                    children.add(int(entry.name))
        assert len(children) >= 4, children  # server, deployments, unsubscribe, preview
        serve.send_signal(signal.SIGINT)
        # Read what it prints while it stops (a full pipe would block it), and show it if it hangs.
        try:
            rest, _ = serve.communicate(timeout=90)
        except subprocess.TimeoutExpired as hung:
            alive = {pid: group_members(pid) for pid in children}
            signals = [line for line in Path(f"/proc/{serve.pid}/status").read_text().splitlines()
                       if line.startswith(("SigIgn", "SigCgt"))]
            pytest.fail(f"serve still running 90 s after Ctrl-C; printed {hung.output!r}; "
                        f"groups {alive}; signals {signals}")
        assert "all services stopped" in rest
        assert serve.returncode == 0
        for pid in children:
            assert group_members(pid) == [], f"process group {pid} outlived Ctrl-C"
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
