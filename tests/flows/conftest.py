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


@pytest.fixture
def flow_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    return root
