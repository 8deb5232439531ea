"""Fixtures of the machine pre-fill tests; data and helpers live in mt_support.py.

(Test modules import helpers from ``mt_support``, never from ``conftest``: every test folder has
a conftest module, and whichever is imported first would shadow the others.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from libre_server import LibreTestServer
from mt_support import DOMAINS, SECRET_ENV, MtProject, write_project

from pubflow.config import Settings, load_settings

@pytest.fixture(autouse=True)
def _no_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mt_project(tmp_path: Path) -> MtProject:
    return write_project(tmp_path, ("de", "fr"), DOMAINS)


@pytest.fixture
def libre() -> Iterator[LibreTestServer]:
    with LibreTestServer() as server:
        yield server


@pytest.fixture
def project_settings(tmp_path: Path) -> Settings:
    (tmp_path / "pyproject.toml").write_text('[tool.pubflow]\nlocales = ["de"]\n', encoding="utf-8")
    return load_settings(tmp_path)
