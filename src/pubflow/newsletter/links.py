"""Links of a newsletter: UTM tagging, and the link and image rules of the rendered HTML.

UTM parameters are appended to the query string as it is (never re-encoded, never
overwriting a parameter the link already has) and before the fragment, so
``https://x.org/a/?utm_source=partner#tip-1`` keeps its ``utm_source`` and its anchor. ``mailto:``
links and the unsubscribe link are never tagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pubflow.newsletter.markup import start_tags

UTM_SOURCE = "newsletter"
UTM_MEDIUM = "email"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")


# The URL helpers below are pure functions of strings, and an issue-locale asks about the same
# URLs several times (email, plain text, web copy, then the link checks of each), as do the
# issues of one build: remembered rather than split and parsed again.
_URL_CACHE = 8192


@lru_cache(maxsize=_URL_CACHE)
def add_utm(url: str, *, campaign: str, content: str, source: str = UTM_SOURCE, medium: str = UTM_MEDIUM) -> str:
    """``url`` with the UTM parameters it does not have yet (http/https only; others unchanged)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return url
    present = (
        {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)} if parts.query else set()
    )
    wanted = {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_content": content,
    }
    added = [(name, value) for name, value in wanted.items() if name not in present]
    if not added:
        return url
    query = "&".join(part for part in (parts.query, _form_encoded(added)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote_plus leaves as it is


def _form_encoded(pairs: list[tuple[str, str]]) -> str:
    """``urlencode(pairs)``, skipping its per-character quoting for values that need none."""
    if all(_UNRESERVED.fullmatch(name) and _UNRESERVED.fullmatch(value) for name, value in pairs):
        return "&".join(f"{name}={value}" for name, value in pairs)
    return urlencode(pairs)


@lru_cache(maxsize=_URL_CACHE)
def has_utm(url: str) -> bool:
    """True when every UTM parameter we add is present."""
    present = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return all(key in present for key in UTM_KEYS)


# Matches exactly the characters for which str.isspace() is true (both use Unicode's list).
_WHITESPACE = re.compile(r"\s")


@lru_cache(maxsize=_URL_CACHE)
def is_https(url: str) -> bool:
    """An absolute https URL with a host and no whitespace."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and _WHITESPACE.search(url) is None


@lru_cache(maxsize=_URL_CACHE)
def is_mailto(url: str) -> bool:
    return urlsplit(url).scheme == "mailto" and "@" in url and _WHITESPACE.search(url) is None


@dataclass(frozen=True)
class Reference:
    """A URL in rendered HTML: element, attribute, value and 1-based line."""

    tag: str
    attribute: str
    url: str
    line: int


@dataclass(frozen=True)
class Image:
    """An ``<img>``: its source, alt text (None when missing) and line."""

    src: str | None
    alt: str | None
    decorative: bool
    line: int


_URL_ATTRIBUTES = frozenset({"href", "src", "background", "action", "poster", "srcset", "data"})
_IMAGE = frozenset({"img"})


def scan_html(html: str) -> tuple[list[Reference], list[Image]]:
    """Every URL-bearing attribute and every image in ``html``.

    Markup is read as :class:`html.parser.HTMLParser` reads it (comments skipped, references
    decoded, names lower-cased); see :mod:`pubflow.newsletter.markup` for how it is done fast.
    """
    references: list[Reference] = []
    images: list[Image] = []
    for tag, attrs, line in start_tags(html, _IMAGE, _URL_ATTRIBUTES):
        for name, value in attrs:
            if name in _URL_ATTRIBUTES and value is not None:
                if name == "srcset":
                    for candidate in value.split(","):
                        url = candidate.strip().split(" ")[0]
                        if url:
                            references.append(Reference(tag, name, url, line))
                else:
                    references.append(Reference(tag, name, value.strip(), line))
        if tag == "img":
            values = dict(attrs)
            decorative = values.get("role") == "presentation" or values.get("aria-hidden") == "true"
            images.append(Image(values.get("src"), values.get("alt"), decorative, line))
    return references, images


@dataclass(frozen=True)
class LinkIssue:
    """A broken rule: ``error`` stops the locale, ``warning`` is reported."""

    severity: str
    check: str
    message: str
    line: int | None = None


def check_links(
    html: str, *, untracked: Iterable[str] = (), require_utm: bool = True
) -> list[LinkIssue]:
    """Links absolute https (or mailto for ``<a>``), tagged with UTM; images https with alt text.

    ``untracked`` lists URLs that must not carry UTM parameters (the unsubscribe link).
    """
    skip = set(untracked)
    issues: list[LinkIssue] = []
    references, images = scan_html(html)
    for ref in references:
        if ref.tag == "img" and ref.attribute == "src":
            continue  # images are checked below, with their alt text
        if ref.tag == "a" and ref.attribute == "href":
            if is_mailto(ref.url):
                continue
            if not is_https(ref.url):
                issues.append(LinkIssue("error", "links", f"link {ref.url!r} is not an absolute https or mailto URL", ref.line))
            elif ref.url in skip:
                if has_utm(ref.url) or "utm_" in ref.url:
                    issues.append(LinkIssue("error", "utm", f"the unsubscribe link carries UTM parameters: {ref.url}", ref.line))
            elif require_utm and not has_utm(ref.url):
                issues.append(LinkIssue("warning", "utm", f"link without UTM parameters: {ref.url}", ref.line))
        elif not is_https(ref.url):
            issues.append(
                LinkIssue("error", "links", f"<{ref.tag} {ref.attribute}> {ref.url!r} is not an absolute https URL", ref.line)
            )
    for image in images:
        if image.src is None or not is_https(image.src):
            issues.append(LinkIssue("error", "images", f"image {image.src!r} is not an absolute https URL", image.line))
        if not image.decorative and not (image.alt or "").strip():
            issues.append(LinkIssue("error", "images", f"image {image.src!r} has no alt text", image.line))
    return issues
