"""Rules every reader shares: section names, title-like lines, announced tip counts, slugs.

The readers differ in how a source marks structure (blank lines, ``<h2>``, ``##``); what a
section *means* is decided here once, so a post reads the same whatever its format.
"""

from __future__ import annotations

import re
from pathlib import Path

from slugify import slugify

from pubflow.errors import ConfigError, IngestError
from pubflow.fsutil import validate_slug
from pubflow.model import RESERVED_SLUGS, RelatedArticle, check_article_slug

# Longest slug we derive: well under validate_slug's limit, cut at a word boundary.
_MAX_SLUG = 120

_FAQ_HEADING = re.compile(
    r"^(?:frequently\s+asked\s+questions|faqs?|common\s+questions)(?:\s*\(faqs?\))?\s*:?$",
    re.IGNORECASE,
)
_CONCLUSION_HEADING = re.compile(
    r"^(?:(?:in\s+)?conclusion|final\s+thoughts|wrapping\s+up|the\s+bottom\s+line|"
    r"summary|closing\s+thoughts)\s*:?$",
    re.IGNORECASE,
)
# A paragraph that opens the conclusion even without a heading ("In conclusion, we've …").
_CONCLUSION_OPENER = re.compile(
    r"^(?:in\s+conclusion|to\s+conclude|in\s+closing|to\s+sum\s+up|in\s+summary|"
    r"to\s+wrap\s+up|all\s+in\s+all)\b",
    re.IGNORECASE,
)
_RELATED_HEADING = re.compile(
    r"^(?:related(?:\s+(?:articles|posts|reading|stories))?|you\s+(?:may|might)\s+also\s+like|"
    r"read\s+(?:more|next)|more\s+(?:articles|posts|to\s+read)|further\s+reading|"
    r"recommended(?:\s+(?:articles|posts|reading))?)\s*:?$",
    re.IGNORECASE,
)
# Headings that open a part of the introduction rather than a tip.
_INTRO_HEADING = re.compile(r"^(?:key\s+takeaways|introduction|overview)\s*:?$", re.IGNORECASE)

# Words a title may keep lowercase ("Preparing for Your Therapy Session", "…: a Guide").
_SMALL_WORDS = frozenset(
    "a an and as at but by en for from if in into is it its nor of off on onto or over per so "
    "than the to up via vs vs. with yet".split()
)
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_TIP_NOUNS = (
    "tips|ways|strategies|steps|things|reasons|ideas|methods|techniques|secrets|lessons|"
    "rules|habits|tricks|hacks|keys|practices|strategy|tip|way|step"
)
# "3 Tips", "10 Best Strategies", "Five Simple Ways": a count, up to two adjectives, a noun.
_ANNOUNCED_COUNT = re.compile(
    rf"(?<![\w.,])(\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})\s+(?:[^\W\d_][\w'’-]*\s+){{0,2}}?"
    rf"(?:{_TIP_NOUNS})\b",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(r"^(?:\d{1,3}|[IVX]{1,4})[.)]\s+")
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’)]*\s+\S")


def normalise_space(text: str) -> str:
    """Collapse runs of ASCII whitespace (HTML source indentation) to one space; strip the ends.

    Non-breaking and other typographic spaces are kept: they are the author's choice.
    """
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()


def is_faq_heading(text: str) -> bool:
    """``Frequently Asked Questions``, ``FAQ``, ``FAQs``…"""
    return bool(_FAQ_HEADING.match(text.strip()))


def is_conclusion_heading(text: str) -> bool:
    """``Conclusion``, ``Final Thoughts``, ``Wrapping Up``…"""
    return bool(_CONCLUSION_HEADING.match(text.strip()))


def opens_conclusion(text: str) -> bool:
    """A paragraph that starts the conclusion by its first words (``In conclusion, …``)."""
    return bool(_CONCLUSION_OPENER.match(text.strip()))


def is_related_heading(text: str) -> bool:
    """``Related Articles``, ``You May Also Like``, ``Read More``…"""
    return bool(_RELATED_HEADING.match(text.strip()))


def is_intro_heading(text: str) -> bool:
    """``Key Takeaways``, ``Introduction``: part of the intro, never a tip."""
    return bool(_INTRO_HEADING.match(text.strip()))


def tip_heading(text: str) -> str:
    """A tip's heading without the number a source gave it (``1. Breathe`` → ``Breathe``):
    pages and emails number the tips themselves ("Tip 1"), so it would show twice."""
    stripped = _ENUMERATION.sub("", text.strip())
    return stripped or text.strip()


def is_title_like(text: str, *, max_chars: int = 100, max_words: int = 15) -> bool:
    """A short line in title case, not a sentence (no closing ``.``, ``!``, ``,``, ``;``, ``…``).

    A closing ``?`` or ``:`` is allowed (``Why Does It Work?``); every word that is not a
    small word (``for``, ``with``, ``a``…) must start with a capital letter or a digit.
    """
    # A numbered heading ("1. Mindfulness Practices", "2) Rest") is judged without its number.
    text = _ENUMERATION.sub("", text.strip())
    words = text.split()
    if not text or len(text) > max_chars or len(words) > max_words:
        return False
    if text[-1] in ".!,;…" or _SENTENCE_BREAK.search(text):
        return False
    first = text.lstrip("\"“‘'([")
    if not first or not (first[0].isupper() or first[0].isdigit()):
        return False
    significant = 0
    for raw in words:
        word = raw.strip("\"“”‘’'()[]:?!,")
        letters = [c for c in word if c.isalpha()]
        if not letters or word.lower() in _SMALL_WORDS:
            continue
        significant += 1
        if not (word[0].isupper() or word[0].isdigit() or letters[0].isupper()):
            return False
    return significant > 0


def is_question(text: str, *, max_chars: int = 300) -> bool:
    """One sentence ending with ``?`` (an FAQ question, not an answer that asks something)."""
    text = text.strip().rstrip("\"”’)")
    return (
        text.endswith("?")
        and len(text) <= max_chars
        and not _SENTENCE_BREAK.search(text[:-1])
    )


def announced_tip_count(title: str) -> int | None:
    """The number of tips a title announces (``3 Tips`` → 3, ``Five Ways`` → 5), else None."""
    match = _ANNOUNCED_COUNT.search(title)
    if match is None:
        return None
    count = match.group(1).lower()
    return int(count) if count.isdigit() else _NUMBER_WORDS[count]


def check_tip_count(title: str, found: int, *, path: Path, line: int | None) -> None:
    """Refuse an article whose title promises another number of tips than the body holds."""
    announced = announced_tip_count(title)
    if announced is not None and announced != found:
        raise IngestError(
            f"the title announces {announced} tips but the body holds {found}",
            path=path,
            line=line,
            hint=(
                f"fix the number in the title ({title!r}) or the tip headings; a tip heading is "
                "a short title-case line of its own"
            ),
        )


def distinct_related(slug: str, related: list[RelatedArticle]) -> tuple[RelatedArticle, ...]:
    """A scraped source's related articles without the article itself and without repeats.

    Blogs list the post itself among "related" posts, or the same post twice (a card and a
    text link); each related article is one card on the page and in the emails, found by
    its slug, so a second one with the same slug would show the first one's title twice."""
    seen = {slug}
    kept: list[RelatedArticle] = []
    for item in related:
        if item.slug not in seen:
            seen.add(item.slug)
            kept.append(item)
    return tuple(kept)


def slug_for_title(title: str, *, path: Path, line: int | None, what: str = "title") -> str:
    """The slug python-slugify makes of ``title``; IngestError when nothing usable is left."""
    slug = slugify(title, max_length=_MAX_SLUG, word_boundary=True)
    try:
        return check_article_slug(validate_slug(slug), path=path, line=line)
    except ConfigError:
        raise IngestError(
            f"cannot make a slug of the {what} {title!r}",
            path=path,
            line=line,
            hint="use letters or digits in it, or name the source file after the slug",
        ) from None


def slug_for_source(path: Path, title: str, *, title_line: int | None) -> str:
    """The source file's stem when it is a valid slug, else the slug of the title.

    Generic page names saved from a browser (``index.html``) never become slugs.
    """
    stem = path.stem
    if stem not in {"index", "default", "page", "post", "article", *RESERVED_SLUGS}:
        try:
            return validate_slug(stem)
        except ConfigError:
            pass
    return slug_for_title(title, path=path, line=title_line)
