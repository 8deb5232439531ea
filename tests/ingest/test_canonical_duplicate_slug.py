"""Two canonical articles with one slug stop every stage before anything is written.

A copied article file keeps its slug: it would take over the first article's catalogs (its
changed sentences turned fuzzy, reviewed translations lost for good) and its pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.config import load_settings
from pubflow.errors import CatalogError, IngestError
from pubflow.i18n.sync import sync_catalogs
from pubflow.render.site import render_site

SLUG = "achieving-relief-with-ketamine-therapy"


def _copy_with_an_edit(project: Path) -> Path:
    original = project / "content" / "articles" / f"{SLUG}.md"
    copy = original.with_name("zcopy.md")
    text = original.read_text(encoding="utf-8")
    copy.write_text(text.replace("Navigating the world", "ZZZ Navigating the world"), encoding="utf-8")
    return copy


def test_catalogs_update_refuses_a_second_article_with_the_same_slug(project: Path) -> None:
    settings = load_settings(project)
    catalogs = sorted((project / "locales").rglob("*.po")) + sorted((project / "locales").glob("*.pot"))
    before = {path: path.read_bytes() for path in catalogs}
    copy = _copy_with_an_edit(project)
    with pytest.raises(CatalogError) as caught:
        sync_catalogs(settings)
    error = caught.value
    assert error.path == copy and error.line == 2  # the slug: line of the copy
    assert f"{SLUG}.md" in error.message and SLUG in error.message
    assert {path: path.read_bytes() for path in catalogs} == before  # no catalog touched


def test_the_site_build_refuses_it_too_and_writes_nothing(project: Path) -> None:
    settings = load_settings(project)
    _copy_with_an_edit(project)
    with pytest.raises(IngestError, match="already the slug of"):
        render_site(settings)
    assert not (project / "dist" / "site").exists() or not any((project / "dist" / "site").rglob("*.html"))
