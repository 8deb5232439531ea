"""Canonical articles that contradict each other or the project stop every stage first.

A copied article file keeps its slug: it would take over the first article's catalogs (its
changed sentences turned fuzzy, reviewed translations lost for good) and its pages. An article
in another language than ``source_locale`` would be published as that language's pages.
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


def test_an_article_not_in_the_source_language_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # source_locale changed after the articles were ingested: the English text would be
    # published as the German pages, under lang="de".
    monkeypatch.setenv("PUBFLOW_SOURCE_LOCALE", "de")
    monkeypatch.setenv("PUBFLOW_LOCALES", "en,fr")
    settings = load_settings(project)
    article = project / "content" / "articles" / f"{SLUG}.md"
    with pytest.raises(CatalogError) as caught:
        sync_catalogs(settings)
    assert caught.value.path == article and caught.value.line == 3
    assert "is in 'en' but the project's source language (source_locale) is 'de'" in caught.value.message
    with pytest.raises(IngestError, match="source language"):
        render_site(settings)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("date", "2026-11-25T10:00:00", "front matter date '2026-11-25T10:00:00' is not a date"),
        ("date", "'25.11.2026'", "is not a date"),
        ("related", "'not a list'", "related must be a list"),
        ("image", "[1, 2]", "image"),
        ("image", "images/hero.jpg", "image 'images/hero.jpg' is not an absolute http(s) URL"),
        ("image", "'javascript:alert(1)'", "is not an absolute http(s) URL"),
    ],
)
def test_front_matter_errors_name_the_fields_own_line(
    tmp_path: Path, field: str, value: str, needle: str
) -> None:
    from pubflow.ingest.canonical import parse_canonical

    source = Path(__file__).resolve().parents[2] / "content" / "articles" / f"{SLUG}.md"
    lines = source.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(f"{field}:"))
    lines[at] = f"{field}: {value}"
    end = next(n for n in range(at + 1, len(lines)) if not lines[n].startswith(("  ", "- ")))
    del lines[at + 1 : end]  # the old value's own lines (a list), if any
    with pytest.raises(IngestError) as caught:
        parse_canonical("\n".join(lines), tmp_path / "a.md")
    assert needle in caught.value.message
    assert caught.value.line == at + 1  # the field's own line, not the front matter's first


def test_every_translatable_front_matter_string_keeps_its_line() -> None:
    from pubflow.ingest.canonical import read_canonical

    source = Path(__file__).resolve().parents[2] / "content" / "articles" / f"{SLUG}.md"
    lines = source.read_text(encoding="utf-8").split("\n")
    article = read_canonical(source)
    assert article.lines["title"] == 4 and article.lines["summary"] == 5
    for index, related in enumerate(article.article.related, start=1):
        line = article.lines[f"related.{index}.title"]
        assert lines[line - 1].startswith("- title:"), (index, line)


def test_a_related_image_that_is_a_path_is_refused_at_its_own_line(tmp_path: Path) -> None:
    from pubflow.ingest.canonical import parse_canonical

    source = Path(__file__).resolve().parents[2] / "content" / "articles" / f"{SLUG}.md"
    lines = source.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line == "  image: null")  # related[1]'s
    lines[at] = "  image: /img/other.png"
    with pytest.raises(IngestError) as caught:
        parse_canonical("\n".join(lines), tmp_path / "a.md")
    assert caught.value.line == at + 1
    assert caught.value.message == "related[1].image '/img/other.png' is not an absolute http(s) URL"
    assert "write `image: null`" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  slug: maximizing-trauma-integration-with-ketamine-therapy-5-tips",
            "  slug: why-use-ketamine-for-forgiveness-in-trauma-recovery",
            "related[2] lists 'why-use-ketamine-for-forgiveness-in-trauma-recovery' again "
            "(related[1] has it)",
        ),
        (
            "  slug: maximizing-trauma-integration-with-ketamine-therapy-5-tips",
            f"  slug: {SLUG}",
            f"related[2] is this article itself ('{SLUG}')",
        ),
        (
            "  slug: maximizing-trauma-integration-with-ketamine-therapy-5-tips",
            "  slug: maximizing-trauma-integration-with-ketamine-therapy-5-tips\n  extra: 1",
            "related[2] has the unknown field 'extra'",
        ),
    ],
)
def test_related_entries_are_distinct_other_articles(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    # Emails found related articles by slug: a repeated one showed the second title twice.
    from pubflow.ingest.canonical import parse_canonical

    source = Path(__file__).resolve().parents[2] / "content" / "articles" / f"{SLUG}.md"
    text = source.read_text(encoding="utf-8")
    lines = text.split("\n")
    title_line = lines.index("- title: 'Maximizing Trauma Integration With Ketamine Therapy: 5 Tips'") + 1
    with pytest.raises(IngestError) as caught:
        parse_canonical(text.replace(old, new, 1), tmp_path / "a.md")
    assert caught.value.message == message
    assert caught.value.line == title_line and caught.value.hint


@pytest.mark.parametrize(
    ("old", "new", "line_of", "message", "hint"),
    [
        # YAML keeps the last of two keys silently: an edit of the first would not show.
        ("lang: en\n", "lang: en\ntitle: Other\n", "title: 'Achieving Relief With Ketamine Therapy: 3 Tips'",
         "front matter field 'title' is written twice (lines 4 and 5)", "keep one"),
        ("date: '2026-11-25'", "date: 2026-13-45", "date: 2026-13-45", "cannot be read", "YYYY-MM-DD"),
        ("title: 'Achieving Relief With Ketamine Therapy: 3 Tips'", "title: 12345", "title: 12345",
         "YAML reads '12345' as a number", "quotes"),
        ("title: 'Achieving Relief With Ketamine Therapy: 3 Tips'", "title: yes", "title: yes",
         "YAML reads 'true' as a yes/no value", "quotes"),
    ],
)
def test_front_matter_slips_are_named_at_their_line(
    tmp_path: Path, old: str, new: str, line_of: str, message: str, hint: str
) -> None:
    from pubflow.ingest.canonical import parse_canonical

    source = Path(__file__).resolve().parents[2] / "content" / "articles" / f"{SLUG}.md"
    text = source.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    with pytest.raises(IngestError) as caught:
        parse_canonical(text, tmp_path / "a.md")
    assert message in caught.value.message and hint in (caught.value.hint or "")
    assert caught.value.line == text.split("\n").index(line_of) + 1
