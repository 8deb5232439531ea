"""Rebuilds rewrite only what changed (checked with inode + mtime, not with timing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest

from pubflow.config import Settings, load_settings
from pubflow.errors import ConfigError, RenderError
from pubflow.i18n.runtime import clear_cache
from pubflow.render.site import MANIFEST_NAME, render_site
from render_site_data import MORNINGS


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def _edit(root: Path, locale: str, domain: str, msgid: str, msgstr: str) -> None:
    path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(msgid).msgstr = msgstr
    catalog.save(str(path))
    clear_cache()


def test_rebuilding_with_nothing_changed_writes_nothing(site_settings: Settings) -> None:
    first = render_site(site_settings)
    assert len(first.written) == len(first.pages) == 19
    before = _snapshot(first.out_dir)
    second = render_site(site_settings)
    assert second.written == [] and second.removed == []
    assert len(second.unchanged) == 19
    assert _snapshot(second.out_dir) == before


def test_a_catalog_change_rewrites_only_that_locales_pages(site_settings: Settings) -> None:
    first = render_site(site_settings)
    before = _snapshot(first.out_dir)
    _edit(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    second = render_site(site_settings)
    changed = _changed(before, _snapshot(second.out_dir))
    assert changed == {"de/calm-mornings/index.html", "de/index.html", "de/feed.xml"}
    assert {str(p.relative_to(second.out_dir)) for p in second.written} == changed


def test_a_paragraph_change_rewrites_one_page(site_settings: Settings) -> None:
    first = render_site(site_settings)
    before = _snapshot(first.out_dir)
    _edit(site_settings.root, "ar", MORNINGS.slug, MORNINGS.conclusion[0], "خطوات صغيرة كل يوم.")
    changed = _changed(before, _snapshot(render_site(site_settings).out_dir))
    assert changed == {"ar/calm-mornings/index.html"}


def test_a_change_of_published_state_rewrites_the_alternates_that_depend_on_it(
    site_settings: Settings,
) -> None:
    first = render_site(site_settings)
    before = _snapshot(first.out_dir)
    # Unpublish pt_BR: empty most of its article translations.
    path = site_settings.root / "locales" / "pt_BR" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    for entry in list(catalog)[:12]:
        entry.msgstr = ""
    catalog.save(str(path))
    clear_cache()
    second = render_site(site_settings)
    assert not second.plan.is_published("pt_BR", MORNINGS.slug)
    changed = _changed(before, _snapshot(second.out_dir))
    removed = {"pt_BR/calm-mornings/index.html", "pt_BR/index.html", "pt_BR/feed.xml"}
    # Pages whose switcher/hreflang listed pt_BR, plus the lists of locales.
    rewritten = {
        f"{loc}/calm-mornings/index.html" for loc in ("en", "de", "ar", "en_XA")
    } | {f"{loc}/index.html" for loc in ("en", "de", "ar", "en_XA")} | {
        "index.html", "sitemap.xml", MANIFEST_NAME
    }
    assert changed == removed | rewritten
    # Pages that never mentioned pt_BR (calm-evenings is not published in pt_BR) stay as they were.
    assert not any("calm-evenings" in path for path in changed)


def test_a_partial_build_touches_only_the_requested_locale(site_settings: Settings) -> None:
    first = render_site(site_settings)
    before = _snapshot(first.out_dir)
    _edit(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    _edit(site_settings.root, "ar", MORNINGS.slug, MORNINGS.title, "صباحات هادئة")
    only_ar = render_site(site_settings, ["ar"])
    assert only_ar.built_locales == ("ar",)
    assert _changed(before, _snapshot(only_ar.out_dir)) == {
        "ar/calm-mornings/index.html", "ar/index.html", "ar/feed.xml"
    }
    with pytest.raises(ConfigError, match="not configured"):
        render_site(site_settings, ["xx"])


def test_files_not_written_by_us_are_never_removed(site_settings: Settings) -> None:
    report = render_site(site_settings)
    mine = report.out_dir / "pt_BR" / "notes.txt"
    mine.write_text("keep me")
    stricter = load_settings(site_settings.root, coverage_threshold=99)
    clear_cache()
    render_site(stricter)
    assert mine.read_text() == "keep me"
    assert not (report.out_dir / "pt_BR" / "calm-mornings").exists()


def test_no_articles_is_a_clear_error(site_settings: Settings) -> None:
    for path in site_settings.articles_path.glob("*.md"):
        path.unlink()
    with pytest.raises(RenderError, match="no articles") as error:
        render_site(site_settings)
    assert "pubflow ingest" in (error.value.hint or "")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_locale_that_fails_to_render_publishes_nothing(
    site_settings: Settings, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # Every locale stages its files as it renders; one failing locale (in a worker process or
    # not) must leave the whole site as it was: no page renamed into place, no staged leftover.
    from pubflow.render import site as site_module

    first = render_site(site_settings)
    before = {p: p.read_bytes() for p in first.out_dir.rglob("*") if p.is_file()}
    _edit(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen (neu)")
    _edit(site_settings.root, "ar", MORNINGS.slug, MORNINGS.title, "صباحات هادئة (جديد)")
    real = site_module.render_locale_index

    def failing(env, *args, **kwargs):  # type: ignore[no-untyped-def]
        if env.locale == "ar":
            raise RenderError("broken on purpose")
        return real(env, *args, **kwargs)

    monkeypatch.setattr(site_module, "render_locale_index", failing)
    monkeypatch.setattr(site_module, "worker_count", lambda *_: workers)
    with pytest.raises(RenderError, match="broken on purpose"):
        render_site(load_settings(site_settings.root))
    after = {p: p.read_bytes() for p in first.out_dir.rglob("*") if p.is_file()}
    assert after == before

    monkeypatch.setattr(site_module, "render_locale_index", real)
    clear_cache()
    report = render_site(load_settings(site_settings.root))
    assert "Ruhige Morgen (neu)" in (first.out_dir / "de" / "index.html").read_text("utf-8")
    assert any(p.locale == "ar" for p in report.pages if p.written)
    assert not [p for p in first.out_dir.rglob("*.tmp")]


def _twin_and_jobs(
    site_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[list[tuple[Any, ...]]]]:
    """A copy of the sources to build from scratch, and the render jobs recorded from now on."""
    import shutil

    from pubflow.render import site as site_module

    twin = tmp_path / "twin"
    shutil.copytree(site_settings.root, twin, ignore=shutil.ignore_patterns("build", "dist"))
    jobs: list[list[tuple[Any, ...]]] = []
    real_run_jobs = site_module.run_jobs

    def recording(function, shared, job_list, **options):  # type: ignore[no-untyped-def]
        jobs.append(list(job_list))
        return real_run_jobs(function, shared, job_list, **options)

    monkeypatch.setattr(site_module, "run_jobs", recording)
    return twin, jobs


def _same_files(one: Path, other: Path) -> None:
    files = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
    assert files and files == {p.relative_to(one): p.read_bytes() for p in one.rglob("*") if p.is_file()}


def test_one_locales_pages_split_over_the_workers_make_the_same_site(
    site_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A translator's save of a UI string every page shows re-renders one language: its pages
    # are split over the idle workers, and the site must come out byte for byte as one process
    # renders it, in the same order.
    from pubflow.render import site as site_module

    render_site(site_settings)
    _edit(site_settings.root, "de", "messages", "Published on %(date)s", "Erschienen am %(date)s")
    _edit(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: geteilt")
    twin, jobs = _twin_and_jobs(site_settings, tmp_path, monkeypatch)
    monkeypatch.setattr(site_module, "_MIN_PAGES_PER_PART", 1)
    monkeypatch.setattr(site_module, "worker_count", lambda *_: 2)
    split = render_site(load_settings(site_settings.root))
    monkeypatch.setattr(site_module, "worker_count", lambda *_: 1)
    clear_cache()
    whole = render_site(load_settings(twin))

    assert jobs[0] == [("de", 0, 2, None), ("de", 1, 2, None)]
    # From scratch: every language, then the chooser and sitemap ("*"), the smallest job, last.
    assert jobs[1] == [(locale, 0, 1, None) for locale in load_settings(twin).all_locales] + [("*", 0, 1, None)]
    assert [p.site_path for p in split.pages] == [p.site_path for p in whole.pages]
    written = sorted(str(p.relative_to(split.out_dir)) for p in split.written)
    assert {"de/calm-mornings/index.html", "de/calm-evenings/index.html", "de/feed.xml"} <= set(written)
    assert all(path.startswith("de/") for path in written)
    _same_files(split.out_dir, whole.out_dir)
    assert "Ruhige Morgen: geteilt" in (split.out_dir / "de" / "index.html").read_text("utf-8")


def test_an_article_save_renders_its_page_the_index_and_the_feed_only(
    site_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other pages of the language did not show that article's catalog: they are replayed
    # (and recorded again, in order), and the site is byte for byte a build from scratch.
    first = render_site(site_settings)
    _edit(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: allein")
    twin, jobs = _twin_and_jobs(site_settings, tmp_path, monkeypatch)
    again = render_site(load_settings(site_settings.root))
    clear_cache()
    whole = render_site(load_settings(twin))

    rendered = ("de/calm-mornings/index.html", "de/feed.xml", "de/index.html")
    assert jobs[0] == [("de", 0, 1, rendered)] and again.rendered == 3
    assert sorted(str(p.relative_to(again.out_dir)) for p in again.written) == list(rendered)
    assert "de" not in again.up_to_date and "ar" in again.up_to_date
    assert [(p.site_path, p.notices) for p in again.pages] == [(p.site_path, p.notices) for p in whole.pages]
    assert [p.site_path for p in again.pages] == [p.site_path for p in first.pages]
    _same_files(again.out_dir, whole.out_dir)
    # Recorded again in full: the next build renders nothing, a forced one writes nothing.
    clear_cache()
    assert render_site(load_settings(site_settings.root)).up_to_date[-1] == "*"
    assert "de" in render_site(load_settings(site_settings.root)).up_to_date
    assert render_site(load_settings(site_settings.root), force=True).written == []


def test_pages_are_split_only_when_fewer_locales_than_workers_render() -> None:
    from types import SimpleNamespace

    from pubflow.render.site import _page_jobs

    plan = SimpleNamespace(built={"de": tuple(f"a{n}" for n in range(100)), "fr": ("one",) * 30})
    assert _page_jobs(plan, ["de", "fr"], 2) == [("de", 0, 1), ("fr", 0, 1)]  # type: ignore[arg-type]
    assert _page_jobs(plan, ["de"], 2) == [("de", 0, 2), ("de", 1, 2)]  # type: ignore[arg-type]
    assert _page_jobs(plan, ["de"], 8) == [("de", p, 5) for p in range(5)]  # type: ignore[arg-type]
    # Under 2 × 20 pages, one part: splitting would cost more than it saves.
    assert _page_jobs(plan, ["fr"], 4) == [("fr", 0, 1)]  # type: ignore[arg-type]
    assert _page_jobs(plan, [], 4) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [0, 1, 20, 40, 41, 100, 1000])
@pytest.mark.parametrize("parts", [1, 2, 3, 5, 8, 12])
def test_parts_cover_every_page_once_and_the_last_is_lightest(count: int, parts: int) -> None:
    from pubflow.render.site import part_bounds

    bounds = [part_bounds(count, part, parts) for part in range(parts)]
    covered = [page for start, end in bounds for page in range(start, end)]
    assert covered == list(range(count))  # in order, each page once
    sizes = [end - start for start, end in bounds]
    # The last part also renders the index and feed: it never has more pages than the others.
    assert all(sizes[-1] <= size for size in sizes[:-1] if size)
    if parts == 2 and count == 100:
        assert sizes == [60, 40]


def test_a_site_build_keeps_the_switchers_autonyms_in_its_cache(site_settings: Settings) -> None:
    import json

    from pubflow.locales import LOCALE_FACTS_NAME

    render_site(site_settings)
    saved = json.loads((site_settings.cache_path / LOCALE_FACTS_NAME).read_text(encoding="utf-8"))
    assert saved["names"]["ar"] == "العربية" and saved["directions"]["ar"] == "rtl"
    assert saved["names"]["de"] == "Deutsch" and saved["names"]["pt_BR"] == "Português (Brasil)"
