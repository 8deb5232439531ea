"""Incremental newsletter builds: a locale is rendered again only when one of its inputs changed.

Renders are counted by wrapping the per-locale renderer (never by timing).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import pubflow.newsletter.build as build
import pubflow.render.catalog_inputs as catalog_inputs
from newsletter_data import ARTICLE, DOMAIN, ISSUE, SUBJECT, write_newsletter_po
from pubflow.config import load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.ingest.canonical import read_canonical, write_article
from pubflow.newsletter import NewsletterReport, render_newsletter

LOCALES = ["en", "de", "es", "fr", "ar", "en_XA"]  # the locales the prepared project publishes
OTHERS = [locale for locale in LOCALES if locale != "de"]


class Spy:
    """The locales rendered, issues loaded and catalogs compiled since the last look."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rendered: list[str] = []
        self.loads = 0
        self.compiles: list[tuple[Any, Any]] = []
        render, load, compile_ = build._render_locale, build.load_issue, catalog_inputs.ensure_compiled

        def render_spy(settings: Any, loaded: Any, plan: Any, locale: str, *rest: Any) -> Any:
            self.rendered.append(locale)
            return render(settings, loaded, plan, locale, *rest)

        def load_spy(*args: Any) -> Any:
            self.loads += 1
            return load(*args)

        def compile_spy(settings: Any, locales: Any = None, domains: Any = None) -> Any:
            self.compiles.append((locales, sorted(domains) if domains else domains))
            return compile_(settings, locales, domains)

        monkeypatch.setattr(build, "_render_locale", render_spy)
        monkeypatch.setattr(build, "worker_count", lambda *_: 1)  # renders counted in this process
        monkeypatch.setattr(build, "load_issue", load_spy)
        monkeypatch.setattr(catalog_inputs, "ensure_compiled", compile_spy)

    def take(self) -> list[str]:
        rendered, self.rendered, self.loads, self.compiles = self.rendered, [], 0, []
        return rendered


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def _build(root: Path) -> NewsletterReport:
    clear_cache()
    return render_newsletter(load_settings(root), ISSUE)


def _snapshot(report: NewsletterReport) -> list[tuple[str, str, list[Any], str | None, list[Any]]]:
    return [
        (r.locale, r.status, [f.as_dict() for f in r.findings], r.subject,
         [(f.name, f.path, f.size, f.sha256) for f in r.files])
        for r in report.locales
    ]


def test_a_second_build_renders_loads_and_compiles_nothing(newsletter_project: Path, spy: Spy) -> None:
    first = _build(newsletter_project)
    assert spy.take() == LOCALES and first.up_to_date == []
    manifest = first.manifest_path.read_bytes()
    stamp = first.manifest_path.stat().st_mtime_ns

    second = _build(newsletter_project)
    assert spy.rendered == [] and spy.loads == 0 and spy.compiles == []
    assert second.up_to_date == LOCALES and second.written == [] and second.ok
    assert _snapshot(second) == _snapshot(first)
    assert [s.describe() for s in second.skipped] == [s.describe() for s in first.skipped]
    assert second.manifest_path.read_bytes() == manifest
    assert second.manifest_path.stat().st_mtime_ns == stamp
    assert f"({len(LOCALES)} up to date)" in second.summary()


def test_one_catalog_change_renders_only_its_locale(newsletter_project: Path, spy: Spy) -> None:
    _build(newsletter_project)
    spy.take()
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei Wege zu mehr Linderung"})
    report = _build(newsletter_project)
    assert spy.rendered == ["de"] and spy.loads == 1
    assert spy.compiles == [(["de"], [DOMAIN])]
    assert report.up_to_date == OTHERS
    assert report.result("de").subject == "Drei Wege zu mehr Linderung"
    manifest = json.loads(report.manifest_path.read_text("utf-8"))
    assert manifest["locales"]["de"]["subject"] == "Drei Wege zu mehr Linderung"


@pytest.mark.parametrize("damage", ["email.html", "archive"])
def test_a_damaged_output_is_rendered_again(newsletter_project: Path, spy: Spy, damage: str) -> None:
    first = _build(newsletter_project)
    spy.take()
    path = first.result("ar").file(damage).path
    good = path.read_bytes()
    if damage == "archive":
        path.unlink()
    else:
        path.write_bytes(good.replace(b"<html", b"<HTML", 1))
    report = _build(newsletter_project)
    assert spy.rendered == ["ar"]
    assert path.read_bytes() == good and path in report.written


@pytest.mark.parametrize("change", ["template", "issue", "article", "settings"])
def test_shared_inputs_render_every_locale(newsletter_project: Path, spy: Spy, change: str) -> None:
    _build(newsletter_project)
    spy.take()
    root = newsletter_project
    if change == "template":
        text = root / "templates" / "newsletter" / "email.txt"
        text.write_text(text.read_text("utf-8") + "\n", "utf-8")
    elif change == "issue":
        issue = root / "content" / "newsletters" / f"{ISSUE}.toml"
        issue.write_text(issue.read_text("utf-8").replace("date = 2026-12-01", "date = 2026-12-02"), "utf-8")
    elif change == "article":
        article = read_canonical(root / "content" / "articles" / f"{ARTICLE}.md").article
        changed = dataclasses.replace(article, image="https://example.org/new.jpg")
        write_article(changed, root / "content" / "articles")
    else:
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text("utf-8") + 'mail_from = "Other <news@example.org>"\n', "utf-8")
    report = _build(root)
    assert sorted(spy.rendered) == sorted(LOCALES)
    assert report.up_to_date == []


def test_only_the_articles_an_issue_reads_count(newsletter_project: Path, spy: Spy) -> None:
    _build(newsletter_project)
    spy.take()
    articles = newsletter_project / "content" / "articles"
    article = read_canonical(articles / f"{ARTICLE}.md").article
    # An article the issue does not link: nothing to do.
    write_article(dataclasses.replace(article, slug="an-unrelated-article", related=()), articles)
    assert _build(newsletter_project).up_to_date == LOCALES and spy.take() == []
    # An article whose slug the featured article lists as related: its teaser now links it.
    related = article.related[0].slug
    write_article(dataclasses.replace(article, slug=related, related=()), articles)
    report = _build(newsletter_project)
    assert sorted(spy.take()) == sorted(LOCALES) and report.up_to_date == []


def test_force_and_a_damaged_state_render_everything(newsletter_project: Path, spy: Spy) -> None:
    _build(newsletter_project)
    spy.take()
    settings = load_settings(newsletter_project)
    render_newsletter(settings, ISSUE, force=True)
    assert sorted(spy.take()) == sorted(LOCALES)
    state = settings.build_path / "incremental" / "newsletter" / f"{ISSUE}.json"
    state.write_text('{"format": 1, "kind": "newsletter", "locales": 7}', "utf-8")
    report = _build(newsletter_project)
    assert sorted(spy.take()) == sorted(LOCALES) and report.written == []


def test_a_partial_build_keeps_the_other_locales_records(newsletter_project: Path, spy: Spy) -> None:
    _build(newsletter_project)
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei Wege zu mehr Linderung"})
    spy.take()
    clear_cache()
    only_ar = render_newsletter(load_settings(newsletter_project), ISSUE, ["ar"])
    assert spy.take() == [] and only_ar.up_to_date == ["ar"]
    report = _build(newsletter_project)
    assert spy.take() == ["de"] and report.up_to_date == OTHERS


def test_a_failed_locale_is_tried_again(newsletter_project: Path, spy: Spy) -> None:
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei Wege\r\nBcc: everyone@example.org"})
    first = _build(newsletter_project)
    assert first.result("de").status == "failed"
    spy.take()
    again = _build(newsletter_project)
    assert spy.rendered == ["de"] and again.result("de").status == "failed"
    assert again.up_to_date == OTHERS


def test_workers_build_the_same_issue_as_one_process(project: Path, tmp_path: Path) -> None:
    from pubflow.config import load_settings
    from pubflow.newsletter import render_newsletter

    built = {}
    for workers in (1, 3):
        root = tmp_path / f"w{workers}"
        shutil.copytree(project, root)
        settings = load_settings(root).copy(workers=workers)
        report = render_newsletter(settings, "2026-12")
        out = root / "dist" / "newsletter"
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        statuses = [(r.locale, r.status, r.subject) for r in report.locales]
        built[workers] = (files, statuses)
    assert built[1] == built[3]
    assert sum(1 for _, status, _ in built[1][1] if status == "built") >= 5


def test_after_a_site_build_in_the_same_process_the_issue_compiles_nothing(
    newsletter_project: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.render.site import render_site

    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    settings = load_settings(newsletter_project)
    render_site(settings)  # checks every catalog: the issue's domains are a part of that
    spy.take()
    report = _build(newsletter_project)
    assert spy.compiles == [] and report.ok
    # The same issue as a build that checks its catalogs itself.
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    shutil.rmtree(settings.build_path / "incremental")
    again = render_newsletter(load_settings(newsletter_project), ISSUE, force=True)
    assert spy.compiles and spy.compiles[0][0] is None  # this time its own compile
    assert _snapshot(again) == _snapshot(report) and again.written == []


def test_an_issue_built_before_trusts_the_sites_fresh_check_of_a_translators_save(
    newsletter_project: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The issue's own record is out of date after the save, but the site build a moment ago
    # (same process: make publish) compiled and checked that catalog: nothing to compile again.
    from pubflow.render.site import render_site

    first = _build(newsletter_project)
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Ruhige Morgen, neu gespeichert"})
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    clear_cache()
    render_site(load_settings(newsletter_project))
    spy.take()
    report = _build(newsletter_project)
    assert spy.compiles == [] and spy.take() == ["de"]
    assert next(r.subject for r in report.locales if r.locale == "de") == "Ruhige Morgen, neu gespeichert"
    assert _snapshot(report) != _snapshot(first)
    # The same issue as a build that checks its catalogs itself.
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    again = render_newsletter(load_settings(newsletter_project), ISSUE, force=True)
    assert spy.compiles and _snapshot(again) == _snapshot(report) and again.written == []


def _save_ui(root: Path, locale: str, msgid: str, msgstr: str) -> None:
    """A translator's save of one message of the UI catalog (site and newsletter strings)."""
    import polib

    path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    entry = catalog.find(msgid)
    if entry is None:
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    else:
        entry.msgstr = msgstr
    catalog.save(str(path))


def test_a_ui_save_of_a_message_no_email_shows_renders_nothing(newsletter_project: Path, spy: Spy) -> None:
    # The UI catalog holds the site's strings too: a save of one the emails never look up
    # leaves every locale of the issue as it is (each records the messages it looked up).
    _save_ui(newsletter_project, "de", "Skip to main content", "Zum Hauptinhalt springen")
    first = _build(newsletter_project)
    spy.take()
    state = newsletter_project / "build" / "incremental" / "newsletter" / f"{ISSUE}.json"
    recorded = json.loads(state.read_text("utf-8"))["locales"]["de"]["ui"]
    assert ["Read the tip", None, False] in recorded["keys"]
    assert all(key[0] != "Skip to main content" for key in recorded["keys"])

    _save_ui(newsletter_project, "de", "Skip to main content", "Direkt zum Inhalt")
    second = _build(newsletter_project)
    assert spy.rendered == [] and second.up_to_date == LOCALES and second.written == []
    assert _snapshot(second) == _snapshot(first)
    assert json.loads(state.read_text("utf-8"))["locales"]["de"]["ui"]["compiled"] != recorded["compiled"]

    # A message the emails show: that locale renders again, with the new text.
    _save_ui(newsletter_project, "de", "Read the tip", "Den Tipp jetzt lesen")
    third = _build(newsletter_project)
    assert spy.rendered == ["de"] and third.up_to_date == OTHERS
    html = next(f.path for f in third.result("de").files if f.name == "email.html").read_text("utf-8")
    assert "Den Tipp jetzt lesen" in html
