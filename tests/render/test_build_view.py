"""One build, one check of the catalogs (pubflow.buildview): within ``one_build()`` the stages
after the sync take its check of every catalog instead of stat-ing every file again; outside
it, or once a catalog is written, each stage checks for itself.
"""

from __future__ import annotations

from typing import Any

import polib
import pytest

import pubflow.buildview as buildview
import pubflow.render.catalog_inputs as catalog_inputs
from pubflow.buildview import one_build
from pubflow.config import Settings, load_settings
from pubflow.fingerprint import FileHashes, settings_fingerprint
from pubflow.i18n.pofile import read_catalog, write_catalog
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.sync import sync_catalogs
from pubflow.render.catalog_inputs import (
    CATALOG_SUFFIXES,
    catalog_sources,
    compile_if_changed,
    compiled_fingerprints,
    compiled_of_tree,
    sources_of_tree,
)
from pubflow.render.site import render_site
from render_site_data import MORNINGS


class Checks:
    """Counts the file checks and compiles of the catalogs a stage makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checked = 0
        self.compiles: list[tuple[Any, Any]] = []
        real_sources, real_compile = catalog_inputs.catalog_sources, catalog_inputs.ensure_compiled

        def sources_spy(*args: Any, **kwargs: Any) -> Any:
            self.checked += 1
            return real_sources(*args, **kwargs)

        def compile_spy(settings: Settings, locales: Any = None, domains: Any = None) -> Any:
            self.compiles.append((locales, domains))
            return real_compile(settings, locales, domains)

        monkeypatch.setattr(catalog_inputs, "catalog_sources", sources_spy)
        monkeypatch.setattr(catalog_inputs, "ensure_compiled", compile_spy)

    def reset(self) -> None:
        self.checked = 0
        self.compiles.clear()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(monkeypatch)


def _save(settings: Settings, locale: str, domain: str, msgid: str, msgstr: str) -> None:
    """A translator's save, as an editor writes it (not through pubflow)."""
    path = settings.locales_path / locale / "LC_MESSAGES" / f"{domain}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(msgid).msgstr = msgstr
    catalog.save(str(path))
    clear_cache()


def _compiled_title(settings: Settings, locale: str) -> str:
    """The article title's translation in the compiled catalog the site reads."""
    mo = settings.compiled_locales_path / locale / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    return str(polib.mofile(str(mo)).find(MORNINGS.title).msgstr)


def _settled(settings: Settings) -> None:
    """Two syncs and a site build: the next sync replays, the next site build has a record."""
    sync_catalogs(settings)
    sync_catalogs(settings)
    render_site(settings)
    clear_cache()


def test_the_views_read_off_the_trees_are_what_the_stages_check(site_settings: Settings) -> None:
    sync_catalogs(site_settings)
    missing = site_settings.compiled_locales_path / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.mo"
    missing.unlink()  # a catalog without its .mo reads the same both ways
    (site_settings.locales_path / "stray.po").write_text("", encoding="utf-8")  # not a catalog
    hashes = FileHashes(site_settings.root)
    sources = hashes.tree(site_settings.locales_path, CATALOG_SUFFIXES)
    compiled = hashes.tree(site_settings.compiled_locales_path)
    assert sources_of_tree(site_settings, sources) == catalog_sources(site_settings, hashes, None)
    assert sources_of_tree(site_settings, sources, with_paths=False)[1] == {}
    by_tree = compiled_of_tree(site_settings, compiled)
    assert by_tree == compiled_fingerprints(site_settings, hashes, None)
    assert by_tree[f"de/{MORNINGS.slug}"].endswith(":00")
    assert "?/stray.po" in catalog_sources(site_settings, hashes, None)[0]


@pytest.mark.parametrize("replayed", [False, True], ids=["sync-compiles", "sync-replays"])
def test_in_one_build_the_site_takes_the_syncs_check(
    site_settings: Settings, checks: Checks, replayed: bool
) -> None:
    if replayed:
        _settled(site_settings)
    checks.reset()
    with one_build():
        sync_catalogs(site_settings)
        assert buildview.current(settings_fingerprint(site_settings)) is not None
        before = checks.checked
        report = render_site(site_settings)
        assert checks.checked == before  # no catalog stat-ed again
        assert checks.compiles == []
    assert buildview.current(settings_fingerprint(site_settings)) is None  # ends with the build
    # The same site as a build that checks every catalog itself.
    catalog_inputs._PROVEN.clear()
    clear_cache()
    forced = render_site(site_settings, force=True)
    assert [(p.site_path, p.notices) for p in forced.pages] == [
        (p.site_path, p.notices) for p in report.pages
    ]
    assert forced.written == []  # byte for byte what the build wrote


def test_a_domain_subset_of_the_view_is_what_checking_those_domains_gives(
    site_settings: Settings,
) -> None:
    domains = [MORNINGS.slug, "messages", "never-compiled"]
    key = settings_fingerprint(site_settings)
    _settled(site_settings)
    first = compile_if_changed(site_settings, FileHashes(site_settings.root), None, domains=domains)
    with one_build():
        sync_catalogs(site_settings)
        view = buildview.current(key)
        assert view is not None
        taken = compile_if_changed(site_settings, FileHashes(site_settings.root), first.record, domains=domains)
    checked = compile_if_changed(site_settings, FileHashes(site_settings.root), first.record, domains=domains)
    assert taken.skipped and checked.skipped
    assert taken.compiled == checked.compiled
    assert taken.record == checked.record
    assert taken.compiled["de/never-compiled"] == "None:00"


def test_outside_a_build_the_sync_offers_nothing(site_settings: Settings, checks: Checks) -> None:
    sync_catalogs(site_settings)
    assert buildview.current(settings_fingerprint(site_settings)) is None
    checks.reset()
    render_site(site_settings)
    assert checks.checked == 1  # the site checked for itself


def test_a_catalog_written_in_the_build_drops_the_view(site_settings: Settings, checks: Checks) -> None:
    # A machine pre-fill between the sync and the site (the publish flow's order) writes
    # catalogs: the site must see them, not the sync's check from before.
    _settled(site_settings)
    path = site_settings.locales_path / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    with one_build():
        sync_catalogs(site_settings)
        catalog = read_catalog(path)
        catalog.find(MORNINGS.title).msgstr = "Ruhige Morgen: vorgefüllt"
        write_catalog(catalog, path)
        assert buildview.current(settings_fingerprint(site_settings)) is None
        checks.reset()
        clear_cache()
        render_site(site_settings)
    assert checks.checked == 1
    assert checks.compiles == [(["de"], [MORNINGS.slug])]
    assert _compiled_title(site_settings, "de") == "Ruhige Morgen: vorgefüllt"


def test_a_save_after_the_syncs_check_waits_for_the_next_build(
    site_settings: Settings, checks: Checks
) -> None:
    # An editor's save lands between the sync and the site of one build: that build shows the
    # catalogs as the sync compiled them (a consistent snapshot), the next one shows the save.
    _settled(site_settings)
    with one_build():
        sync_catalogs(site_settings)
        _save(site_settings, "de", MORNINGS.slug, MORNINGS.title, "Ruhige Morgen: gespeichert")
        render_site(site_settings)
    assert checks.compiles == []
    assert _compiled_title(site_settings, "de") != "Ruhige Morgen: gespeichert"
    clear_cache()
    with one_build():
        sync_catalogs(load_settings(site_settings.root))
        render_site(load_settings(site_settings.root))
    assert _compiled_title(site_settings, "de") == "Ruhige Morgen: gespeichert"


def test_builds_nest_and_the_view_ends_with_the_outermost(site_settings: Settings) -> None:
    key = settings_fingerprint(site_settings)
    with one_build():
        with one_build():
            sync_catalogs(site_settings)
        assert buildview.current(key) is not None
        assert buildview.current("other settings") is None
    assert buildview.current(key) is None
    assert not buildview.building()
