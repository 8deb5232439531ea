"""Hostile translations (and hostile source text) never render live, and are reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import polib

from pubflow.config import load_settings
from pubflow.ingest.canonical import write_article
from pubflow.model import FaqEntry
from pubflow.render.site import render_site
from render_site_data import MORNINGS
from site_html import html_files

ATTACKS = {
    # article strings (domain calm-mornings)
    MORNINGS.title: "<script>alert('title')</script>Ruhige Morgen",
    MORNINGS.intro[0]: 'Der Morgen <img src="x" onerror="alert(1)"> zählt.',
    MORNINGS.tips[0].heading: '<a href="javascript:alert(2)">Am Vorabend</a>',
    # UI strings (domain messages)
    "Skip to main content": "<script>alert('ui')</script>",
    "Published on %(date)s": '<img src=x onerror="alert(3)"> %(date)s',
    "heading\x04Related articles": '<a href="javascript:alert(4)">Ähnliche Artikel</a>',
}


def _poison(root: Path) -> None:
    for domain in ("messages", MORNINGS.slug):
        path = root / "locales" / "de" / "LC_MESSAGES" / f"{domain}.po"
        catalog = polib.pofile(str(path), wrapwidth=0)
        for entry in catalog:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            if key in ATTACKS:
                entry.msgstr = ATTACKS[key]
        catalog.save(str(path))


def _assert_inert(html: str, where: object) -> None:
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script[not(@type='application/ld+json')]") == [], where
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, name)
            assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (where, value)
    # JSON-LD cannot be broken out of: no "<" at all inside it, and it is still JSON.
    for script in tree.xpath("//script[@type='application/ld+json']"):
        assert "<" not in script.text
        json.loads(script.text)


def test_hostile_translations_never_render_and_are_reported(site_project: Path) -> None:
    _poison(site_project)
    report = render_site(load_settings(site_project))
    for path in html_files(report.out_dir):
        _assert_inert(path.read_text(encoding="utf-8"), path)
    # The German page shows the source text instead (lang="en"), never the attack.
    de = (report.out_dir / "de" / "calm-mornings" / "index.html").read_text(encoding="utf-8")
    assert "alert" not in de
    tree = lxml.html.fromstring(de)
    assert tree.xpath("//h1")[0].get("lang") == "en"
    # Every refused translation is reported, with the page it was on.
    refused = {(p.problem.domain, p.problem.msgid) for p in report.problems if p.site_path.startswith("de/")}
    assert refused == {
        (MORNINGS.slug, MORNINGS.title),
        (MORNINGS.slug, MORNINGS.intro[0]),
        (MORNINGS.slug, MORNINGS.tips[0].heading),
        ("messages", "Skip to main content"),
        ("messages", "Published on %(date)s"),
        ("messages", "Related articles"),
    }
    assert {p.problem.kind for p in report.problems} == {"invalid"}
    # Other locales are untouched.
    assert not [p for p in report.problems if not p.site_path.startswith("de/")]


def test_hostile_source_text_is_plain_text_everywhere(site_project: Path) -> None:
    hostile = "</script><script>alert(1)</script><b onmouseover=alert(2)>x</b> & <!--"
    article = MORNINGS.__class__(
        **{**MORNINGS.__dict__, "faq": (FaqEntry("Q <i>?</i>", (hostile,)),), "summary": hostile}
    )
    write_article(article, site_project / "content" / "articles")
    report = render_site(load_settings(site_project))
    en = (report.out_dir / "en" / "calm-mornings" / "index.html").read_text(encoding="utf-8")
    _assert_inert(en, "en")
    tree = lxml.html.fromstring(en)
    assert tree.xpath("//b | //i") == []
    assert hostile in tree.xpath('//section[@id="faq"]//p')[0].text_content()
    faq = json.loads(tree.xpath("//script[@type='application/ld+json']")[1].text)
    assert faq["mainEntity"][0]["acceptedAnswer"]["text"] == hostile
    feed = (report.out_dir / "en" / "feed.xml").read_text(encoding="utf-8")
    assert "<script>" not in feed and "&lt;/script&gt;" in feed
