"""Reader for an HTML article page as saved from a blog (parsed with lxml).

Where the article is: the first ``<article>``, else ``<main>``, else ``<body>``; scripts,
navigation, page header/footer and asides are not article text.

- title: the ``<h1>`` (else ``og:title``, else ``<title>``);
- summary: ``<meta name="description">`` (else ``og:description``, else the first paragraph);
- intro: paragraphs before the first tip; tips: ``<h2>`` sections that are not the FAQ,
  conclusion or related list; FAQ: an ``<h2>`` "Frequently Asked Questions" with ``<h3>``
  questions (``<dt>``/``<dd>`` and ``<details><summary>`` work too); conclusion: an ``<h2>``
  "Conclusion" or the paragraph starting "In conclusion" to the end;
- related: the links after a "Related Articles"-like heading (or inside an element whose class
  or id says "related"): title = link text, slug = the href's last path segment, image = the
  ``<img>`` in the entry or None.

Paragraphs are ``<p>``, ``<li>`` and loose text; whitespace runs from the HTML source are
collapsed to one space (that is how browsers show them), everything else is kept exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from pubflow.errors import ConfigError, IngestError
from pubflow.fsutil import validate_slug
from pubflow.ingest import rules
from pubflow.ingest.decode import first_control_character
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip, is_image_url

# Never article text: dropped before anything is read (their tails are kept).
_NOISE = ("script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select",
          "textarea", "object", "embed", "canvas", "video", "audio", "picture", "figure")
# Page chrome around the article: skipped when reading paragraphs.
_CHROME = frozenset({"nav", "header", "footer", "aside"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = _HEADINGS | frozenset(
    "p li dt dd div section article main blockquote summary details pre ul ol dl table tr td th "
    "tbody thead tfoot caption figcaption address center".split()
)
_QUESTION_TAGS = frozenset({"h3", "h4", "h5", "h6", "dt", "summary"})
_PAGE_SUFFIX = re.compile(r"\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Block:
    """One unit of article text: its kind (tag, or ``p`` for paragraphs), text and line."""

    kind: str
    text: str
    line: int | None


def _tag(element: object) -> str | None:
    tag = getattr(element, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def _text(element: HtmlElement) -> str:
    return rules.normalise_space(element.text_content())


def _document(text: str, path: Path) -> HtmlElement:
    """Parse the page; lxml gets UTF-8 bytes so an old ``<meta charset>`` cannot mislead it."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise IngestError(
            f"cannot read the page as HTML: {exc}",
            path=path,
            line=1,
            hint="save the page again from the browser (File → Save Page As… → HTML only)",
        ) from None
    # First: lxml refuses to set text holding them, which dropping elements below does.
    _refuse_control_characters(root, path)
    for element in list(root.iter(*_NOISE)):
        element.drop_tree()
    for element in [e for e in root.iter() if _is_hidden(e)]:
        element.drop_tree()  # readers never see it: spam, tracking, screen-reader-only copies
    for br in root.iter("br"):
        # <br> separates words on screen; keep a space where it was.
        br.tail = " " + (br.tail or "")
    return root


_HIDING_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.IGNORECASE)


def _is_hidden(element: HtmlElement) -> bool:
    """Whether the page hides ``element`` from readers (``hidden``, ``aria-hidden``, an
    inline ``display: none``)."""
    if not isinstance(element.tag, str):
        return False
    attributes = element.attrib
    return (
        "hidden" in attributes
        or attributes.get("aria-hidden", "").strip().lower() == "true"
        or bool(_HIDING_STYLE.search(attributes.get("style", "")))
    )


def _refuse_control_characters(root: HtmlElement, path: Path) -> None:
    """Character references (``&#27;``) smuggle in what the decoder refuses as raw bytes."""
    for element in root.iter():
        for text in (element.text, element.tail, *element.attrib.values()):
            found = first_control_character(text) if text else None
            if found is not None:
                raise IngestError(
                    f"the page holds the control character U+{ord(found.group()):04X} "
                    "(written as a character reference such as &#27;)",
                    path=path,
                    line=element.sourceline,
                    hint="delete it from the page: pages, feeds and emails cannot carry it",
                )


def _meta(root: HtmlElement, *names: str) -> str | None:
    for name in names:
        for element in root.iter("meta"):
            key = element.get("name") or element.get("property") or ""
            if key.lower() == name:
                content = rules.normalise_space(element.get("content") or "")
                if content:
                    return content
    return None


def _base_url(root: HtmlElement) -> str | None:
    """Where relative image URLs point: ``<base href>``, the canonical link, or ``og:url``."""
    for element in root.iter("base"):
        if element.get("href"):
            return element.get("href")
    for element in root.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split() and element.get("href"):
            return element.get("href")
    return _meta(root, "og:url")


def _container(body: HtmlElement) -> HtmlElement:
    for tag in ("article", "main"):
        found = next(body.iter(tag), None)
        if found is not None and _text(found):
            return found
    return body


def _title(
    root: HtmlElement, container: HtmlElement, path: Path
) -> tuple[str, int | None, HtmlElement | None]:
    """The title, its line, and its ``<h1>`` (None when it came from the page's metadata)."""
    for scope in (container, root):
        for h1 in scope.iter("h1"):
            text = _text(h1)
            if text:
                return text, h1.sourceline, h1
    fallback = _meta(root, "og:title")
    if fallback is None:
        title_element = next(root.iter("title"), None)
        fallback = _text(title_element) if title_element is not None else None
        line = title_element.sourceline if title_element is not None else None
    else:
        line = None
    if fallback:
        return fallback, line, None
    raise IngestError(
        "no title: the page has no <h1>, og:title or <title>",
        path=path,
        line=1,
        hint="add the article's title as <h1>",
    )


def _related_region(body: HtmlElement) -> list[HtmlElement]:
    """The elements holding the related-articles list (empty when there is none)."""
    for heading in body.iter("h2", "h3", "h4"):
        if not rules.is_related_heading(_text(heading)):
            continue
        level = int(heading.tag[1])
        anchor = heading
        # A heading wrapped alone (<div class="title"><h2>…</h2></div>): look after the wrapper.
        while anchor.getnext() is None and anchor.getparent() not in (None, body):
            anchor = anchor.getparent()
        region = [heading]
        for sibling in anchor.itersiblings():
            tag = _tag(sibling)
            if tag in _HEADINGS and int(tag[1]) <= level:
                break
            if tag is not None:
                region.append(sibling)
        return region
    for element in body.iter():
        marks = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if "related" in marks and _tag(element) and element.find(".//a[@href]") is not None:
            return [element]
    return []


def _slug_from_href(href: str, title: str, path: Path, line: int | None) -> str:
    segments = [s for s in urlsplit(href).path.split("/") if s]
    if segments:
        candidate = _PAGE_SUFFIX.sub("", unquote(segments[-1]))  # "Some%20Post" is "Some Post"
        try:
            return validate_slug(candidate)
        except ConfigError:
            pass
        try:
            return rules.slug_for_title(candidate, path=path, line=line, what="link")
        except IngestError:
            pass
    return rules.slug_for_title(title, path=path, line=line, what="related title")


def _image_src(entry: HtmlElement, base: str | None) -> str | None:
    for img in entry.iter("img"):
        src = img.get("data-src") or img.get("src") or ""
        src = src.strip()
        if src and not src.startswith("data:"):
            return _image_url(src, base)
    return None


def _related(region: list[HtmlElement], base: str | None, path: Path) -> list[RelatedArticle]:
    """One related article per list item (or per link when the list has no items)."""
    entries: list[HtmlElement] = [li for part in region for li in part.iter("li")]
    if not entries:
        entries = [a for part in region for a in part.iter("a")]
    # Cards often link twice: an image-only link, then the title link to the same page.
    image_of_href = {
        a.get("href", "").strip(): _image_src(a, base)
        for part in region
        for a in part.iter("a")
        if not _text(a) and _image_src(a, base)
    }
    found: list[RelatedArticle] = []
    seen: set[str] = set()
    for entry in entries:
        links = [entry] if _tag(entry) == "a" else list(entry.iter("a"))
        links = [a for a in links if _is_page_link(a.get("href") or "")]
        titled = next((a for a in links if _text(a)), None)
        if titled is None:
            continue  # an image-only link: its card's title link carries the entry
        title = _text(titled)
        href = titled.get("href", "").strip()
        slug = _slug_from_href(href, title, path, titled.sourceline)
        if slug in seen:
            continue
        seen.add(slug)
        image = _image_src(entry, base) or image_of_href.get(href)
        found.append(RelatedArticle(title=title, slug=slug, image=image))
    return found


def _is_page_link(href: str) -> bool:
    """A link to a page (http(s), or relative): not ``javascript:``, ``mailto:`` or ``#top``."""
    value = href.strip()
    if not value or value.startswith("#"):
        return False
    scheme = urlsplit(value).scheme.lower()
    return scheme in ("", "http", "https")


def _has_block_inside(element: HtmlElement) -> bool:
    return any(_tag(d) in _BLOCKS for d in element.iterdescendants())


def _blocks(element: HtmlElement, skip: set[HtmlElement]) -> Iterator[_Block]:
    """The article's text units in reading order; loose text between blocks is a paragraph."""
    loose: list[str] = [element.text or ""]
    loose_line = element.sourceline

    def flush() -> Iterator[_Block]:
        text = rules.normalise_space("".join(loose))
        if text:
            yield _Block("p", text, loose_line)

    for child in element:
        tag = _tag(child)
        if tag is None or child in skip or tag in _CHROME:
            loose.append(child.tail or "")
            continue
        if tag in _HEADINGS or (tag in _BLOCKS and not _has_block_inside(child)):
            yield from flush()
            text = _text(child)
            if text:
                kind = tag if tag in _HEADINGS or tag in _QUESTION_TAGS else "p"
                yield _Block(kind, text, child.sourceline)
        elif tag in _BLOCKS or _has_block_inside(child):
            yield from flush()
            yield from _blocks(child, skip)
        else:
            loose.append(child.text_content())
            loose.append(child.tail or "")
            continue
        loose, loose_line = [child.tail or ""], child.sourceline
    yield from flush()


def parse_html(text: str, path: Path, *, lang: str = "en") -> Article:
    """Parse a saved HTML article page (decoded text) into an :class:`Article`."""
    root = _document(text, path)
    body = root.find("body")
    if body is None:
        body = root
    container = _container(body)
    title, title_line, title_element = _title(root, container, path)
    region = _related_region(body)
    base = _base_url(root)
    related = _related(region, base, path)
    skip = set(region)
    if title_element is not None:
        skip.add(title_element)
    blocks = list(_blocks(container, skip))
    if not blocks:
        raise IngestError(
            "the title has no body",
            path=path,
            line=title_line,
            hint="the page needs the article's paragraphs (<p>) and tip sections (<h2>)",
        )
    intro, tips, faq, conclusion = _sections(blocks, path)
    if not tips:
        raise IngestError(
            "no tips found",
            path=path,
            line=blocks[0].line,
            hint="start each tip with an <h2> heading followed by its paragraphs",
        )
    rules.check_tip_count(title, len(tips), path=path, line=title_line)
    summary = _meta(root, "description", "og:description") or (
        intro or [p for tip in tips for p in tip.paragraphs]
    )[0]
    slug = rules.slug_for_source(path, title, title_line=title_line)
    return Article(
        slug=slug,
        lang=lang,
        title=title,
        summary=summary,
        intro=tuple(intro),
        tips=tuple(tips),
        faq=tuple(faq),
        conclusion=tuple(conclusion),
        related=rules.distinct_related(slug, related),
        image=_image_url(_meta(root, "og:image"), base),
    )


def _image_url(src: str | None, base: str | None) -> str | None:
    """The image's absolute http(s) URL (resolved against the page's base), or None: a path
    no base resolves would be a broken image (pubflow publishes no image files)."""
    url = urljoin(base, src) if src and base else src
    return url if url and is_image_url(url) else None


def _questions_tagged(section: list[_Block]) -> bool:
    """Whether an FAQ section marks its questions (``<h3>``, ``<dt>``…) up to the next ``<h2>``.

    Only when it does not is a paragraph that is one question (``<p>Is it safe?</p>``) taken
    as a question.
    """
    for block in section:
        if block.kind in ("h1", "h2"):
            return False
        if block.kind in _QUESTION_TAGS:
            return True
    return False


def _sections(
    blocks: list[_Block], path: Path
) -> tuple[list[str], list[Tip], list[FaqEntry], list[str]]:
    """Split the text units into intro, tips, FAQ and conclusion by their ``<h2>`` headings."""
    intro: list[str] = []
    tips: list[tuple[_Block, list[str]]] = []
    faq: list[tuple[_Block, list[str]]] = []
    conclusion: list[str] = []
    section = "intro"
    faq_heading: _Block | None = None
    questions_tagged = False
    for index, block in enumerate(blocks):
        text = block.text
        if block.kind in ("h1", "h2"):
            if rules.is_faq_heading(text):
                section, faq_heading = "faq", block
                questions_tagged = _questions_tagged(blocks[index + 1 :])
            elif rules.is_conclusion_heading(text):
                section = "conclusion"
            elif rules.is_related_heading(text):
                section = "ignore"  # a related heading whose list held no links
            elif section == "conclusion":
                conclusion.append(text)
            elif rules.is_intro_heading(text) and section == "intro":
                intro.append(text)
            else:
                section = "tips"
                tips.append((block, []))
            continue
        if section == "ignore":
            continue
        if section in ("tips", "faq") and rules.opens_conclusion(text):
            section = "conclusion"
        if section == "conclusion":
            conclusion.append(text)
        elif section == "faq":
            if block.kind in _QUESTION_TAGS or (
                not questions_tagged and block.kind == "p" and rules.is_question(text)
            ):
                faq.append((block, []))
            elif not faq:
                raise IngestError(
                    "the FAQ starts with a paragraph, not a question",
                    path=path,
                    line=block.line,
                    hint="put each question in an <h3> after the FAQ <h2>",
                )
            else:
                faq[-1][1].append(text)
        elif section == "tips":
            tips[-1][1].append(text)
        else:
            intro.append(text)

    for kind, entries in (("tip", tips), ("FAQ question", faq)):
        for heading, paragraphs in entries:
            if not paragraphs:
                raise IngestError(
                    f"{kind} {heading.text!r} has no text after it",
                    path=path,
                    line=heading.line,
                    hint="add its paragraphs (<p>) after the heading",
                )
    if faq_heading is not None and not faq:
        raise IngestError(
            "the FAQ heading has no questions after it",
            path=path,
            line=faq_heading.line,
            hint="put each question in an <h3> after the FAQ <h2>, or remove the heading",
        )
    return (
        intro,
        [Tip(rules.tip_heading(h.text), tuple(p)) for h, p in tips],
        [FaqEntry(q.text, tuple(a)) for q, a in faq],
        conclusion,
    )
