"""Switchers, hreflang, sitemap, feeds and chooser all agree with what was published."""

from __future__ import annotations

import posixpath
from pathlib import Path

import polib

from pubflow.config import Settings, load_settings
from pubflow.i18n.runtime import clear_cache
from pubflow.locales import html_lang
from pubflow.render.feeds import ATOM_NS, SITEMAP_NS, XHTML_NS, XML_LANG
from pubflow.render.site import SiteReport, render_site
from render_site_data import MORNINGS
from site_html import hreflangs, html_files, page, switcher, text, xml

BASE = "https://pubflow.example.org/"


def _url_of(site_path: str) -> str:
    return BASE + site_path.removesuffix("index.html")


def test_published_locales_per_article(built_site: SiteReport) -> None:
    plan = built_site.plan
    assert plan.alternates("calm-mornings") == ("en", "de", "ar", "pt_BR")
    assert plan.alternates("calm-evenings") == ("en", "de")
    assert built_site.published == {
        "en": ("calm-evenings", "calm-mornings"),
        "de": ("calm-evenings", "calm-mornings"),
        "ar": ("calm-mornings",),
        "pt_BR": ("calm-mornings",),
    }
    skipped = {(s.locale, s.slug) for s in plan.skipped}
    assert ("es", "calm-mornings") in skipped and ("ar", "calm-evenings") in skipped


def test_alternates_and_switchers_list_exactly_the_published_pages(built_site: SiteReport) -> None:
    plan = built_site.plan
    for result in built_site.pages:
        if result.kind != "article" or result.locale == "en_XA":
            continue
        tree = page(built_site, result.site_path)
        published = plan.alternates(result.slug)
        expected = {html_lang(loc): f"{BASE}{loc}/{result.slug}/" for loc in published}
        expected["x-default"] = f"{BASE}en/{result.slug}/"
        assert hreflangs(tree) == expected, result.site_path
        links = switcher(tree)
        assert set(links) == {html_lang(loc) for loc in published}
        # Every switcher link leads to the same article in that language, and it exists.
        here = posixpath.dirname(result.site_path)
        for lang, href in links.items():
            target = posixpath.normpath(posixpath.join(here, href))
            locale = next(loc for loc in published if html_lang(loc) == lang)
            assert target == f"{locale}/{result.slug}"
            assert (built_site.out_dir / target / "index.html").is_file()


def test_sitemap_lists_published_pages_with_their_alternates(built_site: SiteReport) -> None:
    root = xml(built_site.out_dir / "sitemap.xml")
    entries = {
        url.findtext(f"{{{SITEMAP_NS}}}loc"): {
            link.get("hreflang"): link.get("href") for link in url.iter(f"{{{XHTML_NS}}}link")
        }
        for url in root.iter(f"{{{SITEMAP_NS}}}url")
    }
    published_pages = {
        _url_of(p.site_path)
        for p in built_site.pages
        if p.kind in ("article", "index", "chooser") and p.locale != "en_XA"
    }
    assert set(entries) == published_pages
    assert entries[BASE + "ar/calm-mornings/"] == {
        "en": BASE + "en/calm-mornings/",
        "de": BASE + "de/calm-mornings/",
        "ar": BASE + "ar/calm-mornings/",
        "pt-BR": BASE + "pt_BR/calm-mornings/",
        "x-default": BASE + "en/calm-mornings/",
    }
    assert set(entries[BASE + "de/calm-evenings/"]) == {"en", "de", "x-default"}
    lastmod = {
        url.findtext(f"{{{SITEMAP_NS}}}loc"): url.findtext(f"{{{SITEMAP_NS}}}lastmod")
        for url in root.iter(f"{{{SITEMAP_NS}}}url")
    }
    assert lastmod[BASE + "ar/calm-mornings/"] == "2026-11-25"
    assert lastmod[BASE + "de/calm-evenings/"] == "2026-10-01"
    assert entries[BASE]["x-default"] == BASE and set(entries[BASE]) == {"en", "de", "ar", "pt-BR", "x-default"}


def test_feeds_exist_for_published_locales_only(built_site: SiteReport) -> None:
    feeds = sorted(str(p.relative_to(built_site.out_dir)) for p in built_site.out_dir.rglob("feed.xml"))
    assert feeds == ["ar/feed.xml", "de/feed.xml", "en/feed.xml", "pt_BR/feed.xml"]
    feed = xml(built_site.out_dir / "de" / "feed.xml")
    assert feed.get(XML_LANG) == "de"
    entries = feed.findall(f"{{{ATOM_NS}}}entry")
    assert [e.findtext(f"{{{ATOM_NS}}}title") for e in entries] == ["Ruhige Morgen: 3 Tipps", "Ruhige Abende"]
    assert entries[0].findtext(f"{{{ATOM_NS}}}id") == BASE + "de/calm-mornings/"
    assert entries[0].findtext(f"{{{ATOM_NS}}}updated") == "2026-11-25T00:00:00Z"
    assert feed.findtext(f"{{{ATOM_NS}}}updated") == "2026-11-25T00:00:00Z"
    assert len(xml(built_site.out_dir / "ar" / "feed.xml").findall(f"{{{ATOM_NS}}}entry")) == 1


def test_unpublished_and_pseudo_locales_appear_nowhere(built_site: SiteReport) -> None:
    out = built_site.out_dir
    assert not (out / "es").exists() and not (out / "fr").exists()
    sitemap = (out / "sitemap.xml").read_text()
    for code in ("es", "fr", "en_XA", "en-XA"):
        assert f"/{code}/" not in sitemap and f'hreflang="{code}"' not in sitemap
    for path in html_files(out):
        if path.is_relative_to(out / "en_XA"):
            continue
        tree = page(built_site, str(path.relative_to(out)))
        for href in [*hreflangs(tree).values(), *switcher(tree).values(), *tree.xpath("//a/@href")]:
            assert not any(part in href for part in ("es/", "fr/", "en_XA")), (path, href)
        assert not {"es", "fr", "en-XA"} & set(hreflangs(tree)) and not {"es", "fr", "en-XA"} & set(switcher(tree))


def test_a_locale_falling_below_the_threshold_disappears_everywhere(site_settings: Settings) -> None:
    first = render_site(site_settings)
    assert first.plan.is_published("pt_BR", "calm-mornings")
    assert (first.out_dir / "pt_BR" / "calm-mornings" / "index.html").is_file()

    # pt_BR covers 91 %: a threshold of 95 % unpublishes it.
    stricter = load_settings(site_settings.root, coverage_threshold=95)
    clear_cache()
    second = render_site(stricter)
    out = second.out_dir
    assert not (out / "pt_BR").exists()
    assert {p.name for p in second.removed} == {"index.html", "feed.xml"}
    assert len(second.removed) == 3
    for locale in ("en", "de", "ar"):
        tree = page(second, f"{locale}/calm-mornings/index.html")
        assert "pt-BR" not in hreflangs(tree) and "pt-BR" not in switcher(tree)
    assert "pt_BR" not in (out / "sitemap.xml").read_text()
    chooser = page(second, "index.html")
    assert [a.get("lang") for a in chooser.xpath('//ul[@class="languages-big"]//a')] == ["en", "de", "ar"]


def test_a_catalog_cut_down_to_its_header_is_not_published(site_settings: Settings) -> None:
    from pubflow.i18n.stats import catalog_stats

    assert render_site(site_settings).plan.is_published("de", "calm-evenings")
    path = site_settings.locales_path / "de" / "LC_MESSAGES" / "calm-evenings.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    del catalog[:]  # nothing left to translate, by the catalog's own count
    catalog.save(str(path))
    clear_cache()
    report = render_site(site_settings)
    assert not report.plan.is_published("de", "calm-evenings")
    assert not (report.out_dir / "de" / "calm-evenings").exists()
    assert report.plan.is_published("de", "calm-mornings")
    # stats says what the build did
    (row,) = catalog_stats(site_settings, ["de"], ["calm-evenings"])
    assert row.reviewed == 0 and row.missing == row.total > 0
    assert report.plan.coverage[("de", "calm-evenings")] == row.percent_reviewed == 0.0


def test_machine_policy_publishes_machine_translations_with_a_notice(site_project: Path) -> None:
    # Spanish: every entry a machine suggestion.
    for domain in ("messages", MORNINGS.slug):
        po_file = site_project / "locales" / "es" / "LC_MESSAGES" / f"{domain}.po"
        template = polib.pofile(str(site_project / "locales" / f"{domain}.pot"))
        catalog = polib.POFile(wrapwidth=0)
        catalog.metadata = {"Language": "es", "Content-Type": "text/plain; charset=UTF-8",
                            "Plural-Forms": "nplurals=2; plural=(n != 1);"}
        for entry in template:
            catalog.append(polib.POEntry(
                msgid=entry.msgid, msgctxt=entry.msgctxt, msgstr=f"ES {entry.msgid}",
                flags=["fuzzy", *entry.flags], tcomment="machine-translated: pseudo 2026-11-25",
            ))
        po_file.parent.mkdir(parents=True, exist_ok=True)
        catalog.save(str(po_file))
    reviewed = render_site(load_settings(site_project))
    assert not reviewed.plan.is_published("es", MORNINGS.slug)
    clear_cache()
    machine = render_site(load_settings(site_project, publish_policy="machine"))
    assert machine.plan.is_published("es", MORNINGS.slug)
    tree = page(machine, "es/calm-mornings/index.html")
    assert text(tree.find(".//h1")) == f"ES {MORNINGS.title}"
    assert machine.page("es/calm-mornings/index.html").notices == {"machine"}
    assert "ES Parts of this page were translated automatically" in text(tree.xpath('//div[@class="notices"]')[0])
    assert "es" in hreflangs(page(machine, "de/calm-mornings/index.html"))


def test_feed_marks_fallback_text_with_the_source_language(site_settings: Settings) -> None:
    path = site_settings.root / "locales" / "pt_BR" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(MORNINGS.summary).msgstr = ""
    catalog.save(str(path))
    report = render_site(site_settings)
    entry = xml(report.out_dir / "pt_BR" / "feed.xml").find(f"{{{ATOM_NS}}}entry")
    title = entry.find(f"{{{ATOM_NS}}}title")
    summary = entry.find(f"{{{ATOM_NS}}}summary")
    assert title.text == "Manhãs tranquilas: 3 dicas" and title.get(XML_LANG) is None
    assert summary.text == MORNINGS.summary and summary.get(XML_LANG) == "en"


def test_progress_is_reported_for_every_output(site_settings: Settings) -> None:
    calls: list[tuple[int, int, str]] = []
    report = render_site(site_settings, progress=lambda done, total, what: calls.append((done, total, what)))
    assert [done for done, _, _ in calls] == list(range(1, len(report.pages) + 1))
    assert {total for _, total, _ in calls} == {len(report.pages)}
    assert [what for _, _, what in calls] == [p.site_path for p in report.pages]


def test_workers_build_the_same_site_as_one_process(site_settings: Settings, tmp_path: Path) -> None:
    sites = {}
    for workers in (1, 3):
        out = tmp_path / f"site-{workers}"
        report = render_site(site_settings.copy(workers=workers), out_dir=out, force=True)
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        sites[workers] = (files, [p.site_path for p in report.pages], [str(p) for p in report.problems])
    assert sites[1] == sites[3]
    assert len(sites[1][0]) >= 10

