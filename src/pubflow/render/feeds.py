"""The sitemap (with ``xhtml:link`` hreflang alternates) and one Atom feed per published locale.

Both are derived from the same :class:`~pubflow.render.publishing.PublishPlan` as the pages, so
a locale that is not published is in neither. Output is deterministic (no "generated at" time):
a rebuild with nothing changed produces the same bytes and rewrites nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lxml import etree

from pubflow.config import Settings
from pubflow.ingest.canonical import CanonicalArticle
from pubflow.locales import html_lang
from pubflow.render.environment import LocaleEnvironment
from pubflow.render.publishing import (
    FEED_NAME,
    PublishPlan,
    absolute_url,
    page_dir,
)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"



def article_timestamp(canonical: CanonicalArticle) -> dt.datetime:
    """When the article was published: its ``date`` (midnight UTC), else its file's mtime.

    The mtime fallback keeps rebuilds byte-identical (it only moves when the file is edited).
    """
    if canonical.article.date is not None:
        return dt.datetime.combine(canonical.article.date, dt.time(), tzinfo=dt.UTC)
    try:
        seconds = int(canonical.path.stat().st_mtime)
    except OSError:
        seconds = 0
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serialize(root: etree._Element) -> str:
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    ).decode("utf-8")


def build_sitemap(
    settings: Settings, plan: PublishPlan, articles: Sequence[CanonicalArticle]
) -> str:
    """``sitemap.xml``: every published page, each with the hreflang set of its group.

    Groups are the language chooser + the locale indexes (x-default: the chooser) and, per
    article, its published translations (x-default: the source-language page).
    """
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})

    def add_group(
        pages: list[tuple[str, str]], default_path: str, lastmod: dt.date | None, urls: list[str]
    ) -> None:
        for path in urls:
            url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
            etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = absolute_url(settings, path)
            if lastmod is not None:
                etree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
            for hreflang, target in [*pages, ("x-default", default_path)]:
                etree.SubElement(
                    url,
                    f"{{{XHTML_NS}}}link",
                    rel="alternate",
                    hreflang=hreflang,
                    href=absolute_url(settings, target),
                )

    index_locales = plan.locale_alternates()
    index_pages = [(html_lang(loc), page_dir(loc)) for loc in index_locales]
    add_group(index_pages, page_dir(), None, [page_dir(), *(p for _, p in index_pages)])
    for canonical in articles:
        slug = canonical.article.slug
        published = plan.alternates(slug)
        if not published:
            continue
        pages = [(html_lang(loc), page_dir(loc, slug)) for loc in published]
        default = page_dir(plan.source_locale, slug)
        if plan.source_locale not in published:
            default = pages[0][1]
        add_group(pages, default, canonical.article.date, [p for _, p in pages])
    return _serialize(root)


def build_feed(
    env: LocaleEnvironment, plan: PublishPlan, articles: Sequence[CanonicalArticle]
) -> str:
    """The Atom feed of ``env.locale``: its published articles, newest first.

    Titles and summaries are looked up like on the pages (recorded in the current
    :meth:`~pubflow.render.environment.LocaleEnvironment.recording`); a source-language
    fallback carries ``xml:lang`` of the source.
    """
    settings, locale = env.settings, env.locale
    entries = [c for c in articles if plan.is_built(locale, c.article.slug)]
    entries.sort(key=lambda c: (-article_timestamp(c).timestamp(), c.article.slug))
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    feed.set(XML_LANG, env.lang)

    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", **attrs)
        if text is not None:
            element.text = text
        return element

    index_url = absolute_url(settings, page_dir(locale))
    sub(feed, "title", settings.site_name)
    sub(feed, "id", index_url)
    sub(
        feed,
        "link",
        rel="self",
        type="application/atom+xml",
        href=absolute_url(settings, page_dir(locale) + FEED_NAME),
    )
    sub(feed, "link", rel="alternate", type="text/html", hreflang=env.lang, href=index_url)
    newest = max((article_timestamp(c) for c in entries), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    sub(feed, "updated", _rfc3339(newest))
    author = sub(feed, "author")
    sub(author, "name", settings.site_name)
    for canonical in entries:
        article = canonical.article
        url = absolute_url(settings, page_dir(locale, article.slug))
        entry = sub(feed, "entry")
        title = env.lookup(article.title, domain=article.slug)
        summary = env.lookup(article.summary, domain=article.slug)
        title_element = sub(entry, "title", title.text)
        if title.lang != env.lang:
            title_element.set(XML_LANG, title.lang)
        sub(entry, "id", url)
        sub(entry, "link", rel="alternate", type="text/html", hreflang=env.lang, href=url)
        stamp = _rfc3339(article_timestamp(canonical))
        sub(entry, "published", stamp)
        sub(entry, "updated", stamp)
        summary_element = sub(entry, "summary", summary.text)
        if summary.lang != env.lang:
            summary_element.set(XML_LANG, summary.lang)
    return _serialize(feed)
