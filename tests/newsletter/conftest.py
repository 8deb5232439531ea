"""Fixtures of the newsletter tests: a temp project that builds the first issue in en, de, ar."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter_data import ISSUE, REPO, prepare
from pubflow.config import Settings, load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.newsletter import NewsletterReport, render_newsletter


@pytest.fixture
def newsletter_project(project: Path) -> Iterator[Path]:
    """The ``project`` copy with German and Arabic catalogs for the newsletter and its UI."""
    prepare(project)
    clear_cache()
    yield project
    clear_cache()


@pytest.fixture
def newsletter_settings(newsletter_project: Path) -> Settings:
    return load_settings(newsletter_project)


@pytest.fixture(scope="module")
def built_issue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsletterReport]:
    """The first issue built once per test module (en, de, ar and en_XA published; read-only)."""
    root = tmp_path_factory.mktemp("newsletter")
    for name in ("content", "locales", "templates"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    prepare(root)
    clear_cache()
    yield render_newsletter(load_settings(root), ISSUE)
    clear_cache()
