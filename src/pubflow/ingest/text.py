"""Reader for blog posts scraped to plain text (the format of ``content/sources/*.txt``).

The shape, one paragraph per line and blank lines between::

    Title Of The Post: 3 Tips
    Teaser cut by the blog… Continue reading Title Of The Post: 3 Tips
    no image                           ← image placeholder (or the image's URL)

    Intro paragraph.
    Tip Heading                        ← a short title-case line of its own
    Tip paragraph.
    Frequently Asked Questions
    A Question Ending With a Question Mark?
    Its answer.
    In conclusion, …                   ← the conclusion runs to the end of the body

    no image                           ← each related post: an image line, then its title
    Related Post Title

Image lines ("no image" or a bare URL) are never text. The first line is the title; the
teaser line, when there is one, gives the summary (see :func:`summary_from_teaser`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pubflow.errors import IngestError
from pubflow.ingest import rules
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip, is_image_url

_NO_IMAGE = re.compile(r"^no[ _-]?image$", re.IGNORECASE)
# The scraper's "… Continue reading <title>" tail; the ellipsis belongs to the tail.
_TEASER_TAIL = re.compile(
    r"\s*(?:…|\.\.\.|\[…\]|\[\.\.\.\])?\s*Continue\s+reading\b.*$", re.IGNORECASE
)
# "difference.We've": the scraper dropped the space after a sentence's end.
_GLUED_SENTENCE = re.compile(r"([.!?])(?=(\w))")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”’)]*$")
_MAX_RELATED_TITLE = 200


@dataclass(frozen=True)
class _Line:
    """A non-blank line of the source, stripped, with its 1-based line number."""

    number: int
    text: str


def _image_of(text: str) -> tuple[bool, str | None]:
    """(is this an image line, its URL or None for a "no image" placeholder)."""
    if _NO_IMAGE.match(text):
        return True, None
    if is_image_url(text):
        return True, text
    return False, None


def summary_from_teaser(teaser: str) -> str:
    """The summary of a teaser line (fixed rule: translators rely on it).

    Cut the "… Continue reading <title>" tail, put back the space the scraper dropped after
    ``.``, ``!`` or ``?`` before an uppercase letter, and end with "…" because the blog cut
    the teaser mid-sentence (unless it already ends a sentence).
    """
    text = _TEASER_TAIL.sub("", teaser).strip()
    text = _GLUED_SENTENCE.sub(
        lambda m: m.group(1) + " " if m.group(2).isupper() else m.group(1), text
    )
    if text and not _ENDS_SENTENCE.search(text):
        text += "…"
    return text


def _is_teaser(text: str) -> bool:
    return bool(_TEASER_TAIL.search(text))


def _split_related(lines: list[str], first: int) -> int:
    """Index where the trailing related list starts (``len(lines)`` when there is none).

    The related list is the longest run at the end of the file made of (image line, title
    line) pairs on adjacent lines; blank lines may separate the pairs.
    """
    start = len(lines)
    index = len(lines) - 1
    while index > first:
        while index > first and not lines[index].strip():
            index -= 1
        title = lines[index].strip()
        image_line = lines[index - 1].strip() if index - 1 >= first else ""
        if (
            not title
            or _image_of(title)[0]
            or not _image_of(image_line)[0]
            or len(title) > _MAX_RELATED_TITLE
            or title.endswith(".")
        ):
            break
        start = index - 1
        index -= 2
    return start


def parse_text(text: str, path: Path, *, lang: str = "en") -> Article:
    """Parse scraped blog text (already decoded, LF line ends) into an :class:`Article`."""
    lines = text.split("\n")
    numbered = [(i + 1, raw.strip()) for i, raw in enumerate(lines)]
    head = next((i for i, (_, t) in enumerate(numbered) if t and not _image_of(t)[0]), None)
    if head is None:
        raise IngestError(
            "no title: the file holds only image lines",
            path=path,
            line=1,
            hint="put the article's title on the first line",
        )
    title_line, title = numbered[head]
    cursor = head + 1
    teaser: str | None = None
    if cursor < len(lines) and numbered[cursor][1] and _is_teaser(numbered[cursor][1]):
        teaser = numbered[cursor][1]
        cursor += 1
    image: str | None = None
    if cursor < len(lines):
        is_image, url = _image_of(numbered[cursor][1])
        if is_image:
            image = url
            cursor += 1

    related_start = _split_related(lines, cursor)
    body = [
        _Line(number, t)
        for number, t in numbered[cursor:related_start]
        if t and not _image_of(t)[0]
    ]
    related = _related(numbered[related_start:], path)
    if not body:
        raise IngestError(
            "the title has no body",
            path=path,
            line=title_line,
            hint="add the intro, the tips (a short title-case heading line, then paragraphs), "
            "the FAQ and the conclusion below the title",
        )
    intro, tips, faq, conclusion = _sections(body, path)
    if not tips:
        raise IngestError(
            "no tips found",
            path=path,
            line=body[0].number,
            hint="put each tip's heading on a line of its own in title case "
            "(e.g. 'Preparing for Your Therapy Session'), then its paragraphs",
        )
    rules.check_tip_count(title, len(tips), path=path, line=title_line)

    summary = summary_from_teaser(teaser) if teaser else ""
    if not summary:
        first = intro or [p for tip in tips for p in tip.paragraphs]
        summary = first[0]
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
        image=image,
    )


def _related(tail: list[tuple[int, str]], path: Path) -> list[RelatedArticle]:
    """Related posts from the trailing (image line, title line) pairs."""
    found: list[RelatedArticle] = []
    pending_image: str | None = None
    for number, text in tail:
        if not text:
            continue
        is_image, url = _image_of(text)
        if is_image:
            pending_image = url
            continue
        slug = rules.slug_for_title(text, path=path, line=number, what="related title")
        found.append(RelatedArticle(title=text, slug=slug, image=pending_image))
        pending_image = None
    return found


def _sections(
    body: list[_Line], path: Path
) -> tuple[list[str], list[Tip], list[FaqEntry], list[str]]:
    """Split the body lines into intro, tips, FAQ and conclusion (a small state machine)."""
    intro: list[str] = []
    tips: list[tuple[_Line, list[str]]] = []
    faq: list[tuple[_Line, list[str]]] = []
    conclusion: list[str] = []
    section = "intro"
    faq_heading: _Line | None = None
    for line in body:
        text = line.text
        if section == "conclusion":
            conclusion.append(text)
        elif rules.is_faq_heading(text) and section != "faq":
            section, faq_heading = "faq", line
        elif section != "intro" and (
            rules.opens_conclusion(text) or rules.is_conclusion_heading(text)
        ):
            section = "conclusion"
            if not rules.is_conclusion_heading(text):
                conclusion.append(text)
        elif section == "faq":
            if rules.is_question(text):
                faq.append((line, []))
            elif not faq:
                raise IngestError(
                    "the FAQ starts with a paragraph, not a question",
                    path=path,
                    line=line.number,
                    hint="make the first line after the FAQ heading a question ending with '?'",
                )
            else:
                faq[-1][1].append(text)
        elif rules.is_title_like(text) and not rules.is_intro_heading(text):
            section = "tips"
            tips.append((line, []))
        elif section == "intro":
            intro.append(text)
        else:
            tips[-1][1].append(text)

    for kind, entries in (("tip", tips), ("FAQ question", faq)):
        for heading, paragraphs in entries:
            if not paragraphs:
                raise IngestError(
                    f"{kind} {heading.text!r} has no text after it",
                    path=path,
                    line=heading.number,
                    hint="add its paragraphs below it, or join it to the paragraph it belongs to "
                    "(a short title-case line of its own reads as a heading)",
                )
    if faq_heading is not None and not faq:
        raise IngestError(
            "the FAQ heading has no questions after it",
            path=path,
            line=faq_heading.number,
            hint="add questions ending with '?' and their answers, or remove the heading",
        )
    return (
        intro,
        [Tip(rules.tip_heading(h.text), tuple(p)) for h, p in tips],
        [FaqEntry(q.text, tuple(a)) for q, a in faq],
        conclusion,
    )
