"""Flow tests: a session-wide Prefect test harness and a throw-away project tree.

``prefect_test_harness`` starts a temporary API server (~9 s), so it is shared by the session.
The flows find their project through ``PUBFLOW_ROOT``, which each test points at its own copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flows_support import copy_project


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    import os

    # No network here: the temporary server must not try to send telemetry.
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(autouse=True, scope="module")
def _no_prefect_services_left_running() -> Iterator[None]:
    """After each flow test module, stop Prefect's in-process services (the events and log
    workers). The events worker keeps a websocket to the test server whose keepalive pings
    draw from the global ``random`` state in a background thread; Hypothesis tests that run
    later in the same worker process then saw the state move during a draw and warned that a
    strategy used ``random`` (an intermittent HypothesisDeprecationWarning)."""
    yield
    import sys

    if "prefect.events.worker" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (EventsWorker, APILogWorker):
        service.drain_all(timeout=10, at_exit=False)


@pytest.fixture
def flow_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    return root
