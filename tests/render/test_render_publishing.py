"""Publication rules and page addresses."""

from __future__ import annotations

import posixpath
import shutil

from hypothesis import given, settings as hypothesis_settings, strategies as st

from pubflow.config import Settings, load_settings
from pubflow.i18n.compile import ensure_compiled
from pubflow.i18n.runtime import clear_cache
from pubflow.render.publishing import (
    absolute_url,
    page_dir,
    plan_publication,
    policy_for,
    publish_coverage,
    _relative_parts,
    relative_href,
)
from render_site_data import EVENINGS, MORNINGS

SLUGS = [MORNINGS.slug, EVENINGS.slug]

segment = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
folder = st.lists(segment, max_size=3).map(lambda parts: "".join(f"{p}/" for p in parts))


@hypothesis_settings(max_examples=150)
@given(folder, folder)
def test_relative_links_lead_to_their_target(start: str, target: str) -> None:
    href = relative_href(start, target)
    assert href.endswith("/") and not href.startswith("/")
    resolved = posixpath.normpath(posixpath.join(start or ".", href))
    assert resolved == (target.rstrip("/") or ".")


path = st.lists(st.sampled_from(["de", "pt_BR", "a-b", "feed.xml", "x"]), max_size=3).map("/".join)


@hypothesis_settings(max_examples=300)
@given(path, path)
def test_segment_relpath_agrees_with_posixpath(start: str, target: str) -> None:
    # The fast path behind relative_href must give exactly what posixpath.relpath gives.
    start, target = start or ".", target or "."
    assert _relative_parts(target, start) == posixpath.relpath(target, start)


def test_unusual_paths_fall_back_to_relpath() -> None:
    assert _relative_parts("de/../fr", "de") is None and _relative_parts("de//a", ".") is None
    assert relative_href("de/./a/", "de/") == "../"


def test_addresses() -> None:
    assert page_dir() == "" and page_dir("de") == "de/" and page_dir("de", "a") == "de/a/"
    assert relative_href("de/a/", "fr/a/") == "../../fr/a/"
    assert relative_href("de/a/", "de/") == "../"
    assert relative_href("de/", "de/") == "./"
    assert relative_href("", "de/") == "de/"
    assert relative_href("de/a/", "de/feed.xml") == "../feed.xml"


def test_absolute_urls_ignore_a_trailing_slash(site_settings: Settings) -> None:
    assert absolute_url(site_settings, "de/a/") == "https://pubflow.example.org/de/a/"
    other = load_settings(site_settings.root, site_url="https://example.org/blog/")
    assert absolute_url(other, "") == "https://example.org/blog/"


def test_plan_follows_coverage_threshold_and_policy(site_settings: Settings) -> None:
    ensure_compiled(site_settings)
    plan = plan_publication(site_settings, SLUGS)
    assert plan.coverage[("en", MORNINGS.slug)] == 100.0
    assert plan.coverage[("de", MORNINGS.slug)] == 100.0
    # Per domain, the lowest counts: 17 of 19 article entries reviewed (the UI is complete).
    assert 89 < plan.coverage[("pt_BR", MORNINGS.slug)] < 90
    assert plan.coverage[("fr", MORNINGS.slug)] == 0.0  # no catalog at all
    assert plan.built["fr"] == () and plan.built["es"] == ()
    es = next(s for s in plan.skipped if (s.locale, s.slug) == ("es", MORNINGS.slug))
    assert es.describe() == "es: calm-mornings not published (0.0% translated, 50% needed)"
    fr = next(s for s in plan.skipped if (s.locale, s.slug) == ("fr", MORNINGS.slug))
    assert fr.missing_domains == () and fr.coverage == 0.0  # templates exist: all missing
    assert plan_publication(site_settings, SLUGS, threshold=92).built["pt_BR"] == ()
    assert plan_publication(site_settings, SLUGS, threshold=0).built["es"] == tuple(SLUGS)


def test_pseudo_locale_is_always_built_under_the_machine_policy(site_settings: Settings) -> None:
    ensure_compiled(site_settings)
    assert policy_for(site_settings, "en_XA") == "machine"
    assert policy_for(site_settings, "de") == "reviewed"
    plan = plan_publication(site_settings, SLUGS, threshold=100)
    assert plan.built["en_XA"] == tuple(SLUGS)
    assert "en_XA" not in plan.advertised and not plan.is_published("en_XA", MORNINGS.slug)
    assert "en_XA" not in plan.alternates(MORNINGS.slug)
    assert "en_XA" not in plan.locale_alternates()
    # Its entries are machine suggestions: covered under "machine", not under "reviewed".
    domains = ["messages", MORNINGS.slug]
    assert publish_coverage(site_settings, "en_XA", domains, policy="machine") == 100.0
    assert publish_coverage(site_settings, "en_XA", domains, policy="reviewed") == 0.0


def test_a_target_without_any_compiled_catalog_is_not_published(site_settings: Settings) -> None:
    shutil.rmtree(site_settings.locales_path)
    shutil.rmtree(site_settings.compiled_locales_path, ignore_errors=True)
    clear_cache()
    ensure_compiled(site_settings)
    plan = plan_publication(site_settings, SLUGS)
    assert plan.locale_alternates() == ("en",)
    assert {s.locale for s in plan.skipped} == {"de", "es", "fr", "ar", "pt_BR"}
    assert plan.skipped[0].missing_domains == ("messages", MORNINGS.slug)
    assert "no catalog for messages, calm-mornings" in plan.skipped[0].describe()

