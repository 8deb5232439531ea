"""Flow tests: a session-wide Prefect test harness and a throw-away project tree.

``prefect_test_harness`` starts a temporary API server (~9 s), so it is shared by the session.
The flows find their project through ``PUBFLOW_ROOT``, which each test points at its own copy.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `import flows.*`, as make publish / make serve do


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    import os

    # No network here: the temporary server must not try to send telemetry.
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def copy_project(target: Path) -> Path:
    """The project's content, catalogs, templates and settings under ``target`` (no outputs)."""
    for name in ("content", "locales", "templates", "flows"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    return target


@pytest.fixture
def flow_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    return root
