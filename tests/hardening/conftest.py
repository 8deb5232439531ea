"""Fixtures of the hardening suite: a translated demo project, built once per module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardening_support import make_project, translate_all
from pubflow.config import Settings, load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.sync import sync_catalogs


@pytest.fixture(scope="module")
def translated_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with German fully reviewed and compiled (read-only: copy it before use)."""
    root = tmp_path_factory.mktemp("hardening-base")
    settings = make_project(root, locales=("de",))
    sync_catalogs(settings)
    translate_all(settings, "de")
    sync_catalogs(settings)
    return root


@pytest.fixture
def demo(translated_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A private copy of ``translated_base``; the CLI (cwd, PUBFLOW_ROOT) points at it."""
    root = tmp_path / "project"
    shutil.copytree(translated_base, root)
    for key in [k for k in os.environ if k.startswith("PUBFLOW_")]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    monkeypatch.chdir(root)
    clear_cache()
    yield load_settings(root)
    clear_cache()
