"""The data model: an article and what the pipeline derives from it (frozen dataclasses).

The JSON shape of :meth:`Article.to_dict` is a documented interface (``pubflow ingest --json``):
keys ``slug``, ``lang``, ``title``, ``summary``, ``date``, ``image``, ``intro``,
``tips`` [{``heading``, ``paragraphs``}], ``faq`` [{``question``, ``answer``}],
``conclusion``, ``related`` [{``title``, ``slug``, ``image``}].
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubflow.errors import IngestError


@dataclass(frozen=True)
class Tip:
    """One tip: a heading and its paragraphs."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry: a question and its answer paragraphs."""

    question: str
    answer: tuple[str, ...]


@dataclass(frozen=True)
class RelatedArticle:
    """A related article teaser; ``image`` is None when the source has no image."""

    title: str
    slug: str
    image: str | None = None


@dataclass(frozen=True)
class Article:
    """A source article in its source language."""

    slug: str
    lang: str
    title: str
    summary: str
    intro: tuple[str, ...]
    tips: tuple[Tip, ...]
    faq: tuple[FaqEntry, ...] = ()
    conclusion: tuple[str, ...] = ()
    related: tuple[RelatedArticle, ...] = ()
    date: dt.date | None = None
    image: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (see the module docstring)."""
        return {
            "slug": self.slug,
            "lang": self.lang,
            "title": self.title,
            "summary": self.summary,
            "date": self.date.isoformat() if self.date else None,
            "image": self.image,
            "intro": list(self.intro),
            "tips": [{"heading": t.heading, "paragraphs": list(t.paragraphs)} for t in self.tips],
            "faq": [{"question": f.question, "answer": list(f.answer)} for f in self.faq],
            "conclusion": list(self.conclusion),
            "related": [{"title": r.title, "slug": r.slug, "image": r.image} for r in self.related],
        }


@dataclass(frozen=True)
class CallToAction:
    """The newsletter's button: a label (translated) and an absolute https URL."""

    label: str
    url: str


@dataclass(frozen=True)
class NewsletterIssue:
    """One newsletter issue, defined in ``content/newsletters/<id>.toml``.

    ``tips`` and ``related`` hold 1-based tip numbers and related-article slugs; empty means
    "all of the featured article's".
    """

    id: str
    date: dt.date
    article: str
    subject: str
    preheader: str
    intro: tuple[str, ...]
    cta: CallToAction | None = None
    tips: tuple[int, ...] = ()
    related: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


_IMAGE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def is_image_url(value: str) -> bool:
    """Whether an article's image is usable: an absolute http(s) URL.

    pubflow publishes no image files, so a relative path would be a broken image on every page
    and email; other schemes (``javascript:``, ``data:``) are never used."""
    return bool(_IMAGE_URL.match(value))


def check_image(value: str | None, *, field: str, path: Path, line: int | None) -> str | None:
    """``value`` when it is None or :func:`is_image_url`; else IngestError saying what to write."""
    if value is None or is_image_url(value):
        return value
    raise IngestError(
        f"{field} {value!r} is not an absolute http(s) URL",
        path=path,
        line=line,
        hint="pubflow does not copy image files: give the image's full https:// address, "
        "or write `image: null` to show a placeholder",
    )


RESERVED_SLUGS = frozenset({"newsletter"})
"""Slugs an article may not have: the site keeps other pages there (``<lang>/newsletter/<issue>/``
holds the newsletter issues' web copies)."""


def check_article_slug(slug: str, *, path: Path, line: int | None) -> str:
    """``slug``, or IngestError when the site reserves it for pages of its own."""
    if slug in RESERVED_SLUGS:
        raise IngestError(
            f"the slug {slug!r} is reserved (the site keeps its newsletter pages there)",
            path=path,
            line=line,
            hint="give the article another slug (or title)",
        )
    return slug
