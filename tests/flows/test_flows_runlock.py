"""Flows and the project run lock (Prefect test harness): a busy project fails the run cleanly.

Another process holds the lock the way a running publish does; publish and the build flows
then end Failed with one message naming it (no traceback in the state message), write nothing,
and leave a failure artifact; once it is free they run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

HOLDER = """
    import sys
    from pathlib import Path
    from pubflow.config import load_settings
    from pubflow.runlock import project_run_lock

    with project_run_lock(load_settings(Path(sys.argv[1])), "publish flow run 'crimson-fox'", wait=0):
        print("holding", flush=True)
        sys.stdin.readline()
"""


@pytest.fixture
def held(flow_project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """The project's run lock, held by a child process until the test ends."""
    monkeypatch.setenv("PUBFLOW_RUN_LOCK_WAIT", "0.2")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(flow_project)],
        env={k: v for k, v in os.environ.items() if not k.startswith("PUBFLOW_")},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"holding", child.stderr.read() if child.stderr else b""
    try:
        yield child
    finally:
        if child.returncode is None:  # not released by the test
            child.communicate(b"\n", timeout=60)


def _files(root: Path) -> dict[str, bytes]:
    """Every file of the project but the lock itself (the refused runs opened it)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != "run.lock" and "__pycache__" not in p.parts
    }


def _artifact_markdown(flow_run_id: object) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: str(a.data) for a in artifacts if a.key}


def test_busy_project_fails_publish_and_builds_with_one_clear_message(
    flow_project: Path, held: subprocess.Popen[bytes]
) -> None:
    from flows.newsletter import build_newsletter_flow
    from flows.publish import publish
    from flows.site import build_site_flow

    before = _files(flow_project)
    runs = {
        "Publish": lambda: publish(locales=["en", "de"], return_state=True),
        "Build site": lambda: build_site_flow(return_state=True),
        "Build newsletter": lambda: build_newsletter_flow("2026-12", return_state=True),
    }
    for stage, run in runs.items():
        state = run()
        assert state.is_failed(), (stage, state)
        message = state.message or ""
        assert f"{stage} failed:" in message
        assert "the project is busy: publish flow run 'crimson-fox'" in message
        assert f"pid {held.pid}" in message and "(waited 0.2 s)" in message
        assert "Traceback" not in message and "\n" not in message
        key = f"{stage.lower().replace(' ', '-')}-failure"
        assert "crimson-fox" in _artifact_markdown(state.state_details.flow_run_id)[key]
    assert _files(flow_project) == before, "a refused run changed the project"
    assert not (flow_project / "dist").exists()


def test_the_flow_runs_once_the_holder_is_gone(flow_project: Path, held: subprocess.Popen[bytes]) -> None:
    from flows.site import build_site_flow

    assert build_site_flow(locales=["en"], return_state=True).is_failed()
    held.communicate(b"\n", timeout=60)
    state = build_site_flow(locales=["en"], return_state=True)
    assert state.is_completed(), state.message
    assert (flow_project / "dist" / "site" / "en" / "index.html").is_file()
    assert not (flow_project / "build" / "run.lock.json").exists()  # released: no holder recorded


def test_refresh_locale_queues_behind_a_busy_project_instead_of_failing(
    flow_project: Path, held: subprocess.Popen[bytes]
) -> None:
    """A translator's save during a publish: the refresh waits for it, then rebuilds."""
    import threading

    from flows.serve import refresh_locale

    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.update(state=refresh_locale("de", return_state=True)))
    thread.start()
    # Longer than the 0.2 s others wait and than its catalog sync: it now waits in the lock.
    thread.join(timeout=8)
    assert thread.is_alive() and not (flow_project / "dist").exists()
    held.communicate(b"\n", timeout=60)
    thread.join(timeout=300)
    state = outcome["state"]
    assert state.is_completed(), state.message  # type: ignore[attr-defined]
    assert (flow_project / "dist" / "site" / "de").is_dir()
