"""Shared fixtures: a throw-away project tree so tests never write into the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "content" / "sources" / "achieving-relief-with-ketamine-therapy.txt"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's content, locales and templates in a temp folder (the root)."""
    for name in ("content", "locales", "templates"):
        source = REPO / name
        if source.exists():
            shutil.copytree(source, tmp_path / name)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    if (REPO / "babel.cfg").exists():
        shutil.copy(REPO / "babel.cfg", tmp_path / "babel.cfg")
    return tmp_path


@pytest.fixture(autouse=True)
def _no_compile_proven_by_an_earlier_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no compile record another test left behind
    (they are checked by content, so sharing one would be correct, but would make what a test
    sees depend on the tests before it)."""
    import pubflow.buildview as buildview
    import pubflow.render.catalog_inputs as catalog_inputs

    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    monkeypatch.setattr(buildview, "_depth", 0)
    monkeypatch.setattr(buildview, "_view", None)
