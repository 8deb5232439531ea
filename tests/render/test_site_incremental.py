"""Incremental site builds: a locale is rendered again only when something it depends on changed.

What was rendered is counted by wrapping the page renderers (never by timing).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import polib
import pytest

import pubflow.render.catalog_inputs as catalog_inputs
import pubflow.fingerprint as fingerprint
import pubflow.render.site as site
from pubflow.config import Settings, load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.render.publishing import plan_publication
from pubflow.render.site import SITE_WIDE, SiteReport, render_site
from render_site_data import EVENINGS, MORNINGS, PT_MISSING_PARAGRAPH

BUILT = ["en", "de", "ar", "pt_BR", "en_XA"]  # locales with pages in the fixture site
EVERY = ["en", "de", "es", "fr", "ar", "pt_BR", "en_XA", SITE_WIDE]


class Spy:
    """Counts renders per locale ("*": the chooser and the sitemap) and compile calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pages: Counter[str] = Counter()
        self.compiles: list[tuple[Any, Any]] = []
        # Renders are counted in this process: no worker processes for these builds.
        monkeypatch.setattr(site, "worker_count", lambda *_: 1)
        for name in ("render_article_page", "render_locale_index", "build_feed"):
            monkeypatch.setattr(site, name, self._wrap(getattr(site, name), lambda env, *_: env.locale))
        for name in ("render_chooser", "build_sitemap"):
            monkeypatch.setattr(site, name, self._wrap(getattr(site, name), lambda *_: SITE_WIDE))
        real_compile = catalog_inputs.ensure_compiled

        def compile_spy(settings: Settings, locales: Any = None, domains: Any = None) -> Any:
            self.compiles.append((locales, domains))
            return real_compile(settings, locales, domains)

        monkeypatch.setattr(catalog_inputs, "ensure_compiled", compile_spy)

    def _wrap(self, function: Any, locale_of: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.pages[locale_of(*args)] += 1
            return function(*args, **kwargs)

        return wrapper

    def rendered(self) -> set[str]:
        found = set(self.pages)
        self.pages.clear()
        self.compiles.clear()
        return found


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def _edit_po(root: Path, locale: str, domain: str, msgid: str, msgstr: str) -> None:
    path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(msgid).msgstr = msgstr
    catalog.save(str(path))
    clear_cache()


def _rebuild(settings: Settings) -> SiteReport:
    clear_cache()
    return render_site(load_settings(settings.root))


def test_a_second_build_renders_and_writes_nothing(site_settings: Settings, spy: Spy) -> None:
    first = render_site(site_settings)
    assert spy.rendered() == {*BUILT, SITE_WIDE} and first.up_to_date == []
    state = site_settings.build_path / "incremental" / "site.json"

    second = _rebuild(site_settings)
    assert spy.pages == Counter() and spy.compiles == []  # nothing rendered, nothing compiled
    assert second.up_to_date == EVERY
    assert second.written == [] and second.removed == []
    assert [(p.site_path, p.kind, p.locale, p.slug, p.notices) for p in second.pages] == [
        (p.site_path, p.kind, p.locale, p.slug, p.notices) for p in first.pages
    ]
    assert [p.describe() for p in second.problems] == [p.describe() for p in first.problems]
    assert second.plan == first.plan
    assert "0 rendered, 7 up to date" in second.summary()
    # An unchanged state is not rewritten either. (The second build may still complete it:
    # files changed within 100 ms of a build's save are only trusted by their hash, and their
    # stat is recorded once a later build sees them older than that. Age every file, so the
    # test does not depend on how fast the builds ran.)
    for path in site_settings.root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**10))
    _rebuild(site_settings)
    saved = state.stat().st_mtime_ns
    third = _rebuild(site_settings)
    assert third.written == [] and spy.pages == Counter()
    assert state.stat().st_mtime_ns == saved


def test_one_catalog_change_renders_only_its_locale(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    spy.rendered()
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    report = _rebuild(site_settings)
    assert spy.pages.keys() == {"de"}
    assert spy.compiles == [(["de"], [MORNINGS.slug])]  # only the changed catalog compiled
    assert "de" not in report.up_to_date and "ar" in report.up_to_date
    page = (report.out_dir / "de" / MORNINGS.slug / "index.html").read_text("utf-8")
    assert "Ruhige Morgen: drei Tipps" in page


@pytest.mark.parametrize("change", ["template", "article", "policy", "settings", "code"])
def test_what_every_page_depends_on_renders_every_locale(
    site_settings: Settings, spy: Spy, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    render_site(site_settings)
    spy.rendered()
    root = site_settings.root
    settings = site_settings
    if change == "template":
        base = root / "templates" / "site" / "base.html"
        base.write_text(base.read_text("utf-8") + "\n{# a comment changes no page #}\n", "utf-8")
    elif change == "article":
        path = site_settings.articles_path / f"{EVENINGS.slug}.md"
        path.write_text(path.read_text("utf-8").replace("slowing down", "slowing right down"), "utf-8")
    elif change == "policy":
        settings = load_settings(root, publish_policy="machine")
    elif change == "settings":
        settings = load_settings(root, site_name="Another name")
    else:
        monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "another pubflow")
    clear_cache()
    report = render_site(settings)
    assert set(spy.pages) == {*BUILT, SITE_WIDE}
    assert report.up_to_date == []


def test_operational_settings_change_nothing(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    spy.rendered()
    report = render_site(load_settings(site_settings.root, smtp_port=2525, mt_backend="pseudo"))
    assert spy.pages == Counter() and report.up_to_date == EVERY


def test_a_change_in_published_locales_renders_every_locale(site_settings: Settings, spy: Spy) -> None:
    first = render_site(site_settings)
    spy.rendered()
    # pt_BR falls below the threshold: every switcher and hreflang list changes.
    path = site_settings.root / "locales" / "pt_BR" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    for entry in list(catalog)[:12]:
        entry.msgstr = ""
    catalog.save(str(path))
    report = _rebuild(site_settings)
    assert first.plan.is_published("pt_BR", MORNINGS.slug)
    assert not report.plan.is_published("pt_BR", MORNINGS.slug)
    assert set(spy.pages) == {"en", "de", "ar", "en_XA", SITE_WIDE}  # pt_BR has no pages left
    assert not (report.out_dir / "pt_BR" / MORNINGS.slug / "index.html").exists()


def test_a_coverage_change_that_publishes_nothing_new_renders_one_locale(
    site_settings: Settings, spy: Spy
) -> None:
    render_site(site_settings)
    spy.rendered()
    # The missing pt_BR paragraph translated: coverage rises, the set of pages stays the same.
    before = render_site(site_settings).plan
    spy.rendered()
    _edit_po(
        site_settings.root, "pt_BR", MORNINGS.slug, PT_MISSING_PARAGRAPH,
        "Alongue-se, caminhe ou dance por cinco minutos para despertar corpo e mente.",
    )
    report = _rebuild(site_settings)
    assert set(spy.pages) == {"pt_BR"}
    key = ("pt_BR", MORNINGS.slug)
    assert report.plan.coverage[key] > before.coverage[key] and report.plan.built == before.built


@pytest.mark.parametrize("damage", ["deleted", "edited", "same size"])
def test_a_damaged_output_is_rendered_again(site_settings: Settings, spy: Spy, damage: str) -> None:
    first = render_site(site_settings)
    spy.rendered()
    page = first.out_dir / "ar" / MORNINGS.slug / "index.html"
    good = page.read_bytes()
    if damage == "deleted":
        page.unlink()
    elif damage == "edited":
        page.write_bytes(good + b"<!-- hand edit -->")
    else:  # rewritten in place with bytes of the same length: the stat changes, the hash tells
        page.write_bytes(good.replace(b"<html", b"<HTML", 1))
    report = _rebuild(site_settings)
    assert set(spy.pages) == {"ar"}
    assert page.read_bytes() == good
    assert page in report.written


def test_a_deleted_output_of_the_site_wide_group_is_restored(site_settings: Settings, spy: Spy) -> None:
    first = render_site(site_settings)
    spy.rendered()
    (first.out_dir / "sitemap.xml").unlink()
    report = _rebuild(site_settings)
    assert set(spy.pages) == {SITE_WIDE}
    assert (first.out_dir / "sitemap.xml").is_file() and report.up_to_date == EVERY[:-1]


def test_a_deleted_manifest_is_written_again(site_settings: Settings, spy: Spy) -> None:
    first = render_site(site_settings)
    manifest = first.out_dir / site.MANIFEST_NAME
    before = manifest.read_bytes()
    manifest.unlink()
    spy.rendered()
    _rebuild(site_settings)
    assert spy.pages == Counter() and manifest.read_bytes() == before


def test_a_deleted_compiled_catalog_is_compiled_again(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    spy.rendered()
    mo = site_settings.compiled_locales_path / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    before = mo.read_bytes()
    mo.unlink()
    report = _rebuild(site_settings)
    assert mo.read_bytes() == before
    assert spy.compiles == [(["de"], [MORNINGS.slug])]
    assert spy.pages == Counter() and report.up_to_date == EVERY  # same catalog, same pages


def test_a_new_catalog_compiles_everything(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    spy.rendered()
    catalog = polib.pofile(str(site_settings.root / "locales" / "de" / "LC_MESSAGES" / f"{EVENINGS.slug}.po"))
    catalog.metadata["Language"] = "ar"
    catalog.save(str(site_settings.root / "locales" / "ar" / "LC_MESSAGES" / f"{EVENINGS.slug}.po"))
    report = _rebuild(site_settings)
    assert spy.compiles == [(None, None)]  # a catalog appeared: the full compile, as before
    # ar now publishes calm-evenings: every switcher lists it, so every locale renders.
    assert report.plan.is_built("ar", EVENINGS.slug)
    assert set(spy.pages) == {*BUILT, SITE_WIDE}


def test_catalog_errors_are_reported_on_every_build(site_settings: Settings, spy: Spy) -> None:
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige\nMorgen")
    first = render_site(site_settings)
    assert first.catalog_errors, "a line break the msgid does not have is an error"
    again = _rebuild(site_settings)
    assert again.up_to_date == EVERY
    assert [d.format() for d in again.catalog_errors] == [d.format() for d in first.catalog_errors]
    # Fixing it recompiles that catalog alone and the error is gone.
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen")
    fixed = _rebuild(site_settings)
    assert fixed.catalog_errors == []


def test_force_and_a_damaged_state_render_everything(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    spy.rendered()
    render_site(site_settings, force=True)
    assert set(spy.rendered()) == {*BUILT, SITE_WIDE}
    state = site_settings.build_path / "incremental" / "site.json"
    state.write_text("{not json", "utf-8")
    report = render_site(site_settings)
    assert set(spy.rendered()) == {*BUILT, SITE_WIDE} and report.written == []
    assert json.loads(state.read_text("utf-8"))["kind"] == "site"


def test_a_partial_build_keeps_what_the_others_recorded(site_settings: Settings, spy: Spy) -> None:
    render_site(site_settings)
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    spy.rendered()
    render_site(load_settings(site_settings.root), ["ar"])
    assert set(spy.rendered()) == set()  # ar and the site-wide files had not changed
    report = _rebuild(site_settings)
    assert set(spy.pages) == {"de"}  # de was left for this build
    assert report.up_to_date == [loc for loc in EVERY if loc != "de"]


def test_an_undated_article_follows_its_file_time(site_settings: Settings, spy: Spy) -> None:
    path = site_settings.articles_path / f"{EVENINGS.slug}.md"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("date:")), "utf-8")
    render_site(site_settings)
    spy.rendered()
    _rebuild(site_settings)
    assert spy.rendered() == set()
    # Its feed entry is dated by the file's mtime: touching it must update the feeds.
    later = path.stat().st_mtime_ns + 86_400 * 10**9
    os.utime(path, ns=(later, later))
    _rebuild(site_settings)
    assert spy.rendered() >= {"en", "de"}


def test_plan_rows_round_trip(site_settings: Settings) -> None:
    render_site(site_settings)
    slugs = [MORNINGS.slug, EVENINGS.slug]
    plan = plan_publication(site_settings, slugs)
    rows = {locale: json.loads(json.dumps(plan.row(locale))) for locale in plan.locales}
    assert plan_publication(site_settings, slugs, reuse=rows) == plan
    # A row saved for other slugs is not taken.
    assert plan_publication(site_settings, slugs[:1], reuse=rows) == plan_publication(site_settings, slugs[:1])


def test_a_sync_just_run_spares_the_site_its_catalog_check(
    site_settings: Settings, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.i18n.sync import sync_catalogs

    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige\nMorgen")  # an error
    synced = sync_catalogs(site_settings)  # make publish: sync, then the site, in one process
    report = render_site(site_settings)
    assert spy.compiles == []  # the sync's compile was the check
    assert report.catalog_errors and [d.format() for d in report.catalog_errors] == [
        d.format() for d in synced.compiled.diagnostics if d.is_error
    ]
    # The same site as a build that checks every catalog itself.
    first = [(p.site_path, p.notices) for p in report.pages]
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    forced = render_site(site_settings, force=True)
    assert spy.compiles == [(None, None)]
    assert [(p.site_path, p.notices) for p in forced.pages] == first
    assert forced.written == []  # byte for byte what the first build wrote


def test_a_sync_of_one_translators_save_also_spares_the_site_its_catalog_check(
    site_settings: Settings, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A translator's save: the sync merges and compiles that language and replays the others
    # from its last run; the site that follows in the same process trusts both (no compile).
    from pubflow.i18n import sync

    sync.sync_catalogs(site_settings)
    sync.sync_catalogs(site_settings)  # settled: the next sync can replay unchanged languages
    render_site(site_settings)
    _edit_po(site_settings.root, "ar", MORNINGS.slug, MORNINGS.title, "صباحات هادئة: محفوظة")
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    spy.rendered()
    replayed: list[str] = []
    real_vouch = sync._vouch_for_replayed

    def vouch_spy(sources: Any, unchanged: dict[str, Any]) -> None:
        replayed.extend(unchanged)
        real_vouch(sources, unchanged)

    monkeypatch.setattr(sync, "_vouch_for_replayed", vouch_spy)
    synced = sync.sync_catalogs(site_settings)
    assert set(replayed) == set(site_settings.locales) - {"ar"}
    assert all(r.source_sha256 for r in synced.compiled.results if r.status != "removed")
    report = render_site(site_settings)
    assert spy.compiles == []  # the sync's compile and replay were the check
    # ar publishes no page after the sync (its coverage): nothing of it renders either.
    assert set(site_settings.locales) <= set(report.up_to_date)
    mo = site_settings.compiled_locales_path / "ar" / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    assert polib.mofile(str(mo)).find(MORNINGS.title).msgstr == "صباحات هادئة: محفوظة"
    # The same site as a build that checks every catalog itself.
    pages = [(p.site_path, p.notices) for p in report.pages]
    errors = [d.format() for d in report.catalog_errors]
    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    forced = render_site(site_settings, force=True)
    assert [(p.site_path, p.notices) for p in forced.pages] == pages
    assert [d.format() for d in forced.catalog_errors] == errors
    assert forced.written == []


def test_a_catalog_saved_between_sync_and_site_is_compiled_by_the_site(
    site_settings: Settings, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.i18n.sync import sync_catalogs

    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    sync_catalogs(site_settings)
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    render_site(site_settings)
    assert spy.compiles == [(["de"], [MORNINGS.slug])]  # that catalog alone
    mo = site_settings.compiled_locales_path / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    assert polib.mofile(str(mo)).find(MORNINGS.title).msgstr == "Ruhige Morgen: drei Tipps"


def test_a_compile_is_not_trusted_when_a_catalog_changed_since(
    site_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.fingerprint import FileHashes
    from pubflow.i18n.compile import compile_catalogs

    monkeypatch.setattr(catalog_inputs, "_PROVEN", {})
    report = compile_catalogs(site_settings)
    _edit_po(site_settings.root, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: drei Tipps")
    hashes = FileHashes(site_settings.root)
    assert not catalog_inputs.remember_full_compile(site_settings, hashes, report)
    assert catalog_inputs._PROVEN == {}
    assert catalog_inputs.remember_full_compile(site_settings, hashes, compile_catalogs(site_settings))


def test_compiled_fingerprints_by_listing_agree_with_a_stat_per_file(
    site_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    render_site(site_settings)
    mo = site_settings.compiled_locales_path / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    mo.unlink()  # a missing .mo must read the same both ways
    (mo.parent / "unrelated.mo").mkdir()  # a folder named like a compiled file is no file
    domains = [MORNINGS.slug, EVENINGS.slug, "messages", "unrelated", "never-compiled"]

    def fingerprints(few: int) -> dict[str, str]:
        monkeypatch.setattr(catalog_inputs, "_FEW_DOMAINS", few)
        hashes = fingerprint.FileHashes(site_settings.root)
        return catalog_inputs.compiled_fingerprints(site_settings, hashes, domains)

    by_stat, by_listing = fingerprints(len(domains)), fingerprints(0)
    assert by_listing == by_stat
    assert by_stat[f"de/{MORNINGS.slug}"].endswith(":00")  # no .mo, no machine .mo
    assert by_stat[f"de/{EVENINGS.slug}"].endswith(":10")
    assert by_stat["de/unrelated"] == "None:00" and by_stat["de/never-compiled"] == "None:00"


def _add_ui_entry(root: Path, locale: str, msgid: str, msgstr: str) -> None:
    path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    catalog.save(str(path))
    clear_cache()


def test_a_ui_save_of_messages_no_page_shows_renders_nothing(site_settings: Settings, spy: Spy) -> None:
    # The UI catalog also holds the newsletters' strings: a translator's save of one of those
    # must not render the language's site pages again (they record what they looked up).
    _add_ui_entry(site_settings.root, "de", "Only the newsletter says this.", "Nur der Newsletter.")
    first = render_site(site_settings)
    spy.rendered()
    state = site_settings.build_path / "incremental" / "site.json"
    recorded = json.loads(state.read_text("utf-8"))["groups"]["de"]["ui"]
    assert ["Published on %(date)s", None, False] in recorded["keys"]
    assert all(key[0] != "Only the newsletter says this." for key in recorded["keys"])

    _edit_po(site_settings.root, "de", "messages", "Only the newsletter says this.", "Nur er.")
    second = _rebuild(site_settings)
    assert spy.pages == Counter() and spy.compiles == [(["de"], ["messages"])]
    assert second.up_to_date == EVERY and second.written == [] and second.rendered == 0
    assert [(p.site_path, p.notices) for p in second.pages] == [(p.site_path, p.notices) for p in first.pages]
    # The group now records the new compiled files: the next build checks nothing again.
    updated = json.loads(state.read_text("utf-8"))["groups"]["de"]["ui"]
    assert updated["compiled"] != recorded["compiled"] and updated["digest"] == recorded["digest"]

    # A message every page shows: that language renders again, the others do not.
    _edit_po(site_settings.root, "de", "messages", "Published on %(date)s", "Erschienen am %(date)s")
    third = _rebuild(site_settings)
    assert spy.pages.keys() == {"de"} and "ar" in third.up_to_date
    page = (third.out_dir / "de" / MORNINGS.slug / "index.html").read_text("utf-8")
    assert "Erschienen am" in page
    # And the same site built from scratch is byte for byte what the rebuilds left.
    forced = render_site(load_settings(site_settings.root), force=True)
    assert forced.written == []


def test_a_ui_save_that_changes_a_state_renders_again(site_settings: Settings, spy: Spy) -> None:
    # Same text, another state (reviewed → fuzzy: the page falls back to the source text and
    # says so): what the pages show changed, so they render again.
    render_site(site_settings)
    spy.rendered()
    path = site_settings.root / "locales" / "de" / "LC_MESSAGES" / "messages.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find("Published on %(date)s").flags.append("fuzzy")
    catalog.save(str(path))
    clear_cache()
    report = _rebuild(site_settings)
    assert spy.pages.keys() == {"de"}
    assert "Published on" in (report.out_dir / "de" / MORNINGS.slug / "index.html").read_text("utf-8")


@pytest.mark.parametrize("damage", ["no ui", "bad keys", "bad digest"])
def test_a_damaged_ui_record_renders_its_language_again(
    site_settings: Settings, spy: Spy, damage: str
) -> None:
    _add_ui_entry(site_settings.root, "de", "Only the newsletter says this.", "Nur der Newsletter.")
    render_site(site_settings)
    spy.rendered()
    state = site_settings.build_path / "incremental" / "site.json"
    data = json.loads(state.read_text("utf-8"))
    ui = data["groups"]["de"]["ui"]
    if damage == "no ui":
        del data["groups"]["de"]["ui"]
    elif damage == "bad keys":
        ui["keys"] = [["only two", None]]
    else:
        ui["digest"] = "0" * 64
    state.write_text(json.dumps(data), "utf-8")
    _edit_po(site_settings.root, "de", "messages", "Only the newsletter says this.", "Nur er.")
    _rebuild(site_settings)
    assert spy.pages.keys() == {"de"}
