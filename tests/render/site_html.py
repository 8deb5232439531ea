"""Helpers to read rendered pages in the render tests (parsed, never compared as whole files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from pubflow.render.site import SiteReport


def page(report: SiteReport, site_path: str) -> lxml.html.HtmlElement:
    """The parsed page at ``site_path`` (``de/calm-mornings/index.html``)."""
    return lxml.html.fromstring((report.out_dir / site_path).read_bytes())


def text(element: Any) -> str:
    return " ".join(element.text_content().split())


def headings(tree: lxml.html.HtmlElement) -> list[tuple[int, str]]:
    """(level, text) of every h1–h6 in document order."""
    return [(int(h.tag[1]), text(h)) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def json_ld(tree: lxml.html.HtmlElement) -> dict[str, dict[str, Any]]:
    """JSON-LD objects of the page by ``@type``."""
    found: dict[str, dict[str, Any]] = {}
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = json.loads(script.text)
        found[data["@type"]] = data
    return found


def hreflangs(tree: lxml.html.HtmlElement) -> dict[str, str]:
    return {
        link.get("hreflang"): link.get("href")
        for link in tree.xpath('//head/link[@rel="alternate"][@hreflang]')
    }


def switcher(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """hreflang → href of the language switcher links."""
    return {a.get("hreflang"): a.get("href") for a in tree.xpath('//nav[@class="languages"]//a')}


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def xml(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())
