"""Fixtures of the render tests: a temp project holding the small site of render_site_data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pubflow.config import Settings, load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.render.site import SiteReport, render_site
from render_site_data import build_fixture_site

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def site_project(project: Path) -> Iterator[Path]:
    """The ``project`` copy with our two articles and catalogs instead of the repo's."""
    build_fixture_site(project)
    clear_cache()
    yield project
    clear_cache()


@pytest.fixture
def site_settings(site_project: Path) -> Settings:
    return load_settings(site_project)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteReport]:
    """The fixture site rendered once per test module (read-only tests share it)."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    build_fixture_site(root)
    clear_cache()
    yield render_site(load_settings(root))
    clear_cache()
