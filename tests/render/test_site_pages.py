"""Golden-structure tests of the rendered pages, one locale at a time (parsed, not snapshots)."""

from __future__ import annotations

import re

import html5lib
import pytest

from pubflow.render.site import SiteReport
from render_site_data import AR_ARTICLE, DE_ARTICLE, MORNINGS, PT_ARTICLE, PT_MISSING_PARAGRAPH
from site_html import headings, hreflangs, html_files, json_ld, page, switcher, text

MORNINGS_PAGE = "{}/calm-mornings/index.html"
BASE = "https://pubflow.example.org/"


def test_every_page_is_valid_html5(built_site: SiteReport) -> None:
    # The strict parser really is strict (so a pass below means something).
    with pytest.raises(html5lib.html5parser.ParseError):
        html5lib.HTMLParser(strict=True).parse("<!DOCTYPE html><p></div>")
    files = html_files(built_site.out_dir)
    assert len(files) == 14
    for path in files:
        html5lib.HTMLParser(strict=True).parse(path.read_text(encoding="utf-8"))


def test_pages_load_nothing_from_elsewhere(built_site: SiteReport) -> None:
    for path in html_files(built_site.out_dir):
        tree = page(built_site, str(path.relative_to(built_site.out_dir)))
        assert tree.xpath("//script[@src] | //iframe | //object | //embed") == [], path
        assert tree.xpath('//link[@rel="stylesheet" or @rel="preload" or @rel="icon"]') == []
        assert tree.xpath("//script[not(@type='application/ld+json')]") == []
        for src in tree.xpath("//@src | //@srcset | //@poster"):
            assert not re.match(r"^(https?:)?//", src), (path, src)
        css = " ".join(tree.xpath("//style/text()")) + " ".join(tree.xpath("//@style"))
        assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_german_article_page(built_site: SiteReport) -> None:
    tree = page(built_site, MORNINGS_PAGE.format("de"))
    html = tree.getroottree().getroot()
    assert (html.get("lang"), html.get("dir")) == ("de", "ltr")
    assert text(tree.find(".//title")) == "Ruhige Morgen: 3 Tipps – pubflow"
    summary = DE_ARTICLE[MORNINGS.summary]
    assert tree.xpath('//meta[@name="description"]/@content') == [summary]
    assert tree.xpath('//link[@rel="canonical"]/@href') == [BASE + "de/calm-mornings/"]
    og = {m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")}
    assert og["og:title"] == "Ruhige Morgen: 3 Tipps" and og["og:locale"] == "de_DE"
    assert og["og:url"] == BASE + "de/calm-mornings/" and og["og:type"] == "article"

    # One h1, headings never skip a level.
    levels = headings(tree)
    assert [lvl for lvl, _ in levels].count(1) == 1 and levels[0] == (1, "Ruhige Morgen: 3 Tipps")
    for (before, _), (after, _) in zip(levels, levels[1:]):
        assert after <= before + 1
    # Tips: numbered sections with anchors, in order, linked from the table of contents.
    for number, tip in enumerate(MORNINGS.tips, start=1):
        section = tree.get_element_by_id(f"tip-{number}")
        assert text(section.find("h2")) == f"Tipp {number} {DE_ARTICLE[tip.heading]}"
        assert [text(p) for p in section.findall("p")] == [DE_ARTICLE[p] for p in tip.paragraphs]
    assert tree.xpath('//nav[@class="toc"]//a/@href') == [
        "#tip-1", "#tip-2", "#tip-3", "#faq", "#conclusion"
    ]
    faq = tree.get_element_by_id("faq")
    assert [text(h) for h in faq.iter("h3")] == [DE_ARTICLE[e.question] for e in MORNINGS.faq]
    assert text(tree.get_element_by_id("conclusion").find("h2")) == "Fazit"
    # Date written the German way, machine-readable too.
    published = tree.xpath('//p[@class="meta"]')[0]
    assert text(published) == "Veröffentlicht am 25. November 2026"
    assert published.xpath("time/@datetime") == ["2026-11-25"]
    # Fully reviewed: no fallback, no notice.
    assert tree.xpath("//main//*[@lang]") == [] and tree.xpath('//*[@class="notices"]') == []

    data = json_ld(tree)
    assert data["Article"]["headline"] == "Ruhige Morgen: 3 Tipps"
    assert data["Article"]["inLanguage"] == "de" and data["Article"]["datePublished"] == "2026-11-25"
    questions = data["FAQPage"]["mainEntity"]
    assert [q["name"] for q in questions] == [DE_ARTICLE[e.question] for e in MORNINGS.faq]
    assert questions[0]["acceptedAnswer"]["text"] == DE_ARTICLE[MORNINGS.faq[0].answer[0]]


def test_related_articles_link_where_they_exist_and_never_break_an_image(
    built_site: SiteReport,
) -> None:
    de = page(built_site, MORNINGS_PAGE.format("de"))
    cards = de.xpath('//section[@id="related"]//li')
    assert [text(c) for c in cards] == ["Ruhige Abende", "Besser schlafen im Sommer", "Fünf Minuten Ruhe"]
    # "Calm Evenings" is published in German: linked there; the others are not on this site.
    assert [c.xpath(".//a/@href") for c in cards] == [["../calm-evenings/"], [], []]
    for card in cards:
        images = card.xpath(".//img")
        assert all(img.get("src") and img.get("alt") for img in images)
        assert images or card.xpath('.//div[@class="placeholder"][@aria-hidden="true"]')
    # Not published in Arabic: the Arabic page links the English article and says so.
    ar = page(built_site, MORNINGS_PAGE.format("ar"))
    link = ar.xpath('//section[@id="related"]//a')[0]
    assert (link.get("href"), link.get("hreflang")) == ("../../en/calm-evenings/", "en")


def test_arabic_page_is_right_to_left_with_a_mirroring_layout(built_site: SiteReport) -> None:
    tree = page(built_site, MORNINGS_PAGE.format("ar"))
    html = tree.getroottree().getroot()
    assert (html.get("lang"), html.get("dir")) == ("ar", "rtl")
    assert text(tree.find(".//h1")) == AR_ARTICLE[MORNINGS.title]
    assert text(tree.get_element_by_id("tip-1").find("h2")).startswith("النصيحة 1")
    assert text(tree.xpath('//a[@class="skip-link"]')[0]) == "انتقل إلى المحتوى الرئيسي"
    # The layout uses logical properties only, so it mirrors by itself.
    css = " ".join(tree.xpath("//style/text()"))
    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|text-align:\s*(?:left|right)|float:", css)
    assert physical == []
    assert "border-inline-start" in css and "padding-inline-start" in css
    # Each language name in the switcher is marked with its own language.
    names = {a.get("lang"): text(a) for a in tree.xpath('//nav[@class="languages"]//a')}
    assert names == {"en": "English", "de": "Deutsch", "ar": "العربية", "pt-BR": "Português (Brasil)"}


def test_partial_translation_marks_fallbacks_and_says_so(built_site: SiteReport) -> None:
    tree = page(built_site, MORNINGS_PAGE.format("pt_BR"))
    assert tree.getroottree().getroot().get("lang") == "pt-BR"
    notices = [text(p) for p in tree.xpath('//div[@class="notices"]/p')]
    assert notices == [
        "Partes desta página ainda não foram traduzidas e aparecem em inglês.",
        "Partes desta página estão sendo atualizadas e aparecem em inglês até lá.",
    ]
    assert tree.xpath('//div[@class="notices"]//*[@lang] | //div[@class="notices"]/p[@lang]') == []
    # Missing paragraph, stale heading, missing UI heading: source text, lang="en".
    fallbacks = {text(e) for e in tree.xpath('//main//*[@lang="en"]')}
    assert fallbacks == {
        PT_MISSING_PARAGRAPH,
        "Wake Up Without Your Phone",  # stale: the old translation is not shown
        "Conclusion",
    }
    tip3 = tree.get_element_by_id("tip-3")
    assert tip3.xpath('p[@lang="en"]/text()') == [PT_MISSING_PARAGRAPH]
    assert text(tip3.find("h2")) == f"Dica 3 {PT_ARTICLE['Move for Five Minutes']}"
    assert tree.get_element_by_id("tip-2").xpath('h2/span[@lang="en"]/text()') == [
        "Wake Up Without Your Phone"
    ]


def test_pseudo_locale_is_built_for_qa_but_never_advertised(built_site: SiteReport) -> None:
    tree = page(built_site, MORNINGS_PAGE.format("en_XA"))
    assert tree.getroottree().getroot().get("lang") == "en-XA"
    assert tree.xpath('//meta[@name="robots"]/@content') == ["noindex, nofollow"]
    assert tree.xpath('//link[@rel="canonical"]') == [] and hreflangs(tree) == {}
    assert text(tree.find(".//h1")) == "[CALM MORNINGS: 3 TIPS]"
    assert "[PARTS OF THIS PAGE WERE TRANSLATED AUTOMATICALLY" in text(tree.xpath('//div[@class="notices"]')[0])
    # Its switcher leads to the real languages; it lists itself only as the current page.
    links = switcher(tree)
    assert links["en-XA"] == "./" and set(links) == {"en", "de", "ar", "pt-BR", "en-XA"}
    assert tree.xpath('//a[@href="../feed.xml"]') == []  # no feed for it


def test_accessibility_basics(built_site: SiteReport) -> None:
    for locale in ("en", "de", "ar", "pt_BR"):
        tree = page(built_site, MORNINGS_PAGE.format(locale))
        first_link = tree.xpath("//body//a")[0]
        assert first_link.get("class") == "skip-link" and first_link.get("href") == "#main"
        assert tree.xpath('//main[@id="main"]')
        assert tree.xpath("//nav[@class='languages']/@aria-label")
        assert all(img.get("alt") for img in tree.xpath("//img"))
        css = " ".join(tree.xpath("//style/text()"))
        assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", css)
        assert "overflow-wrap: anywhere" in css  # long words wrap on a phone
        ids = tree.xpath("//@id")
        assert len(ids) == len(set(ids))
        for target in tree.xpath('//a[starts-with(@href, "#")]/@href'):
            assert target[1:] in ids


def test_locale_index_and_language_chooser(built_site: SiteReport) -> None:
    de = page(built_site, "de/index.html")
    assert text(de.find(".//h1")) == "Artikel"
    titles = [text(a) for a in de.xpath("//main//h2/a")]
    assert titles == ["Ruhige Morgen: 3 Tipps", "Ruhige Abende"]  # newest first
    assert de.xpath("//main//h2/a/@href") == ["calm-mornings/", "calm-evenings/"]

    chooser = page(built_site, "index.html")
    assert chooser.getroottree().getroot().get("lang") == "en"
    links = chooser.xpath('//ul[@class="languages-big"]//a')
    assert [(a.get("href"), a.get("lang"), a.get("dir")) for a in links] == [
        ("en/", "en", "ltr"), ("de/", "de", "ltr"), ("ar/", "ar", "rtl"), ("pt_BR/", "pt-BR", "ltr")
    ]


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_text_colours_meet_wcag_aa_contrast(built_site: SiteReport) -> None:
    css = " ".join(page(built_site, MORNINGS_PAGE.format("de")).xpath("//style/text()"))
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, value in (d.split(":", 1) for d in body.split(";") if ":" in d)
        )
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)

    def colour(selector: str, prop: str) -> str:
        return rules[selector][prop]

    page_bg = colour("body", "background")
    pairs = {
        "body text": (colour("body", "color"), page_bg),
        "links": (colour("a", "color"), page_bg),
        "links in the contents box": (colour("a", "color"), colour(".toc", "background")),
        "dates": (colour(".meta", "color"), page_bg),
        "header": (colour(".site-header a", "color"), colour(".site-header", "background")),
        "tip number": (colour(".tip-number", "color"), colour(".tip-number", "background")),
        "notice": (colour("body", "color"), colour(".notices", "background")),
        "skip link": (colour(".skip-link", "color"), colour(".skip-link", "background")),
        "footer": (colour(".site-footer", "color"), page_bg),
    }
    for name, (foreground, background) in pairs.items():
        assert _contrast(foreground, background) >= 4.5, name
