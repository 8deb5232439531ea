"""Markup in translations: which tags a translation may use, and how to render it safely.

Jinja2's i18n extension marks every translation as safe HTML under autoescape, so a ``<script>``
typed into a ``.po`` file would run on the page. :func:`safe_translation` is the one place that
decides what a translation may render as:

- a msgid without markup gets its msgstr fully escaped (a translation cannot add HTML);
- a msgid with markup lets the msgstr use only the msgid's tags and attributes, and never
  scripts, event handlers, ``javascript:``/``data:``/``vbscript:`` URLs or risky CSS;
- anything else is escaped whole, so the reader sees the raw text and nothing runs.

Accepted markup is not passed through as typed: it is parsed and written out again from the
parsed tokens (text escaped, attributes quoted), so what the browser sees is exactly what was
checked, whatever quirks the input had. :func:`markup_issues` is the same decision as a list of
findings for the ``markup`` check, so an entry that passes the check renders with its markup and
one that fails renders escaped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape as _escape_attribute
from html.parser import HTMLParser

from markupsafe import Markup, escape

__all__ = [
    "FORBIDDEN_TAGS",
    "MarkupIssue",
    "has_markup",
    "might_have_markup",
    "markup_issues",
    "safe_translation",
    "tags_of",
    "url_scheme",
]

VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
"""Elements without an end tag: ``<br>`` needs no ``</br>``."""

FORBIDDEN_TAGS = frozenset(
    [
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "link",
        "meta",
        "style",
        "svg",
        "math",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "plaintext",
        "title",
        "textarea",
        "form",
        "portal",
    ]
)
"""Tags never allowed in a translation, even when the msgid has them: they run code, load
content, change how the rest of the page parses, or can phish. No UI string needs them."""

URL_ATTRIBUTES = frozenset(
    [
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "poster",
        "background",
        "cite",
        "longdesc",
        "data",
        "codebase",
        "srcset",
        "ping",
        "lowsrc",
        "dynsrc",
        "usemap",
        "manifest",
        "icon",
        "profile",
        "archive",
        "classid",
    ]
)
"""Attributes whose value a browser follows or loads as a URL."""

SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
"""Any other scheme in a link (``javascript:``, ``data:``, ``vbscript:``, ``file:``…) is refused."""

_TAG_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
_ATTRIBUTE_NAME = re.compile(r"^[a-z_][a-z0-9_.:-]*\Z")
_CHAR_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Browsers drop ASCII tab/newline anywhere in a URL and C0 controls/space at its ends, so
# "java\tscript:" is a javascript: URL to them: normalise the same way before looking.
_URL_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCRIPT_URL = re.compile(r"(?:java|vb)script\s*:", re.IGNORECASE)
# CSS that loads or runs something, or hides it behind escapes or comments.
_RISKY_CSS = re.compile(
    r"url\s*\(|expression\s*\(|image-set\s*\(|image\s*\(|@import|behaviou?r\s*:|-moz-binding"
    r"|javascript:|vbscript:|\\|/\*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Tag:
    name: str
    attributes: tuple[tuple[str, str | None], ...]
    kind: str  # "start", "end" or "startend" (<br/>)


@dataclass(frozen=True)
class _Other:
    """A comment, doctype, processing instruction or CDATA section (never allowed)."""

    raw: str


_Token = _Tag | _Other | str  # str: text, entity references already decoded


class _Tokenizer(HTMLParser):
    """Flat token list of an HTML fragment (no tree: translations are short fragments)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[_Token] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(_Tag(tag, tuple(attrs), "start"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(_Tag(tag, tuple(attrs), "startend"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(_Tag(tag, (), "end"))

    def handle_data(self, data: str) -> None:
        self.tokens.append(data)

    def handle_comment(self, data: str) -> None:
        self.tokens.append(_Other(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append(_Other(f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.tokens.append(_Other(f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.tokens.append(_Other(f"<![{data}]]>"))  # data is "CDATA[…": the "]]" is eaten


@lru_cache(maxsize=8192)
def _tokenize(text: str) -> tuple[_Token, ...] | None:
    """Tokens of ``text``, or None when the parser gives up (treated as unsafe).

    Cached: a render looks up the same UI strings for every page and locale.
    """
    tokenizer = _Tokenizer()
    try:
        tokenizer.feed(text)
        tokenizer.close()
    except Exception:  # noqa: BLE001 — html.parser may raise on odd input; never let it escape
        return None
    return tuple(tokenizer.tokens)


def might_have_markup(text: str) -> bool:
    """False for text that holds neither a tag nor a character reference (a cheap first test)."""
    return "<" in text or "&" in text


def has_markup(text: str) -> bool:
    """True when ``text`` holds HTML: a tag, comment or character reference such as ``&amp;``.

    Character references count because a msgid like ``Tom &amp; Jerry`` was written as HTML and
    is rendered unescaped; its translation must be treated the same way.
    """
    if not might_have_markup(text):
        return False
    if _CHAR_REFERENCE.search(text):
        return True
    tokens = _tokenize(text)
    if tokens is None:
        return True
    return any(not isinstance(token, str) for token in tokens)


def tags_of(text: str) -> Counter[str]:
    """Tag names of ``text``, lower-cased, end tags as ``/name``: ``Counter({"a": 1, "/a": 1})``.

    A self-closed non-void element (``<span/>``) counts as opened and closed.
    """
    counts: Counter[str] = Counter()
    if "<" not in text:
        return counts
    for token in _tokenize(text) or ():
        if isinstance(token, _Tag):
            counts.update(_tag_keys(token))
    return counts


def added_markup(msgid: str, msgstr: str) -> list[str]:
    """What looks like markup in ``msgstr`` and not in ``msgid``: ``<name>`` for a tag (start
    or end) whose name the source does not write, a comment or declaration as written.

    For plain text, where markup is shown as written: a translation may repeat the source's
    ``<video>`` (it is the text being translated), but markup it adds would show as text."""
    if "<" not in msgstr:
        return []
    tokens = _tokenize(msgstr)
    if tokens is None:
        return []  # not even HTML-like enough to parse: plain text, shown as it is
    source = _tokenize(msgid) if "<" in msgid else ()
    names = {token.name for token in source or () if isinstance(token, _Tag)}
    others = {token.raw for token in source or () if isinstance(token, _Other)}
    added: list[str] = []
    for token in tokens:
        if isinstance(token, _Tag) and token.name not in names:
            shown = f"<{token.name}>"
        elif isinstance(token, _Other) and token.raw not in others:
            shown = token.raw[:30]
        else:
            continue
        if shown not in added:
            added.append(shown)
    return added


def _tag_keys(tag: _Tag) -> list[str]:
    if tag.kind == "end":
        return [f"/{tag.name}"]
    if tag.kind == "startend" and tag.name not in VOID_ELEMENTS:
        return [tag.name, f"/{tag.name}"]
    return [tag.name]


@dataclass(frozen=True)
class MarkupIssue:
    """One finding about a translation's markup; ``fatal`` ones make it render escaped."""

    message: str
    fatal: bool = True


def url_scheme(value: str) -> str | None:
    """The lower-cased scheme of a URL as a browser sees it (``"JaVa\\tScript:x"`` → javascript)."""
    cleaned = _URL_IGNORED.sub("", value).strip(_C0_AND_SPACE)
    match = _URL_SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _urls_in_attribute(name: str, value: str) -> list[str]:
    if name == "srcset":
        # "a.png 1x, b.png 2x": every candidate's first word is a URL.
        return [part.split()[0] for part in value.split(",") if part.split()]
    return [value]


def _is_external(value: str) -> bool:
    """True for absolute and protocol-relative URLs (``//host/…``), which leave the site."""
    cleaned = _URL_IGNORED.sub("", value).strip().replace("\\", "/")
    return url_scheme(cleaned) is not None or cleaned.startswith("//")


def _describe_tags(names: Iterable[str]) -> str:
    listed = ", ".join(f"<{name}>" for name in sorted(set(names)))
    return listed or "none"


@dataclass(frozen=True)
class _SourceMarkup:
    """What the msgid allows: its tag names, attribute names per tag and values per attribute."""

    tags: frozenset[str]
    attributes: dict[str, frozenset[str]]
    values: dict[tuple[str, str], frozenset[str]]
    counts: Counter[str]
    nested: bool
    references: bool  # character references such as &amp;: the msgid is HTML even without tags


@lru_cache(maxsize=4096)
def _source_markup_of(msgid: str) -> _SourceMarkup:
    """What the msgid allows (cached; callers must not change the result)."""
    tokens = _tokenize(msgid) if might_have_markup(msgid) else ()
    return _source_markup(tokens or (), references=bool(_CHAR_REFERENCE.search(msgid)))


def _source_markup(tokens: Sequence[_Token], *, references: bool = False) -> _SourceMarkup:
    attributes: dict[str, set[str]] = {}
    values: dict[tuple[str, str], set[str]] = {}
    counts: Counter[str] = Counter()
    for token in tokens:
        if not isinstance(token, _Tag):
            continue
        counts.update(_tag_keys(token))
        if token.kind == "end":
            continue
        allowed = attributes.setdefault(token.name, set())
        for name, value in token.attributes:
            allowed.add(name)
            values.setdefault((token.name, name), set()).add(value or "")
    return _SourceMarkup(
        tags=frozenset(name for name in counts if not name.startswith("/")),
        attributes={tag: frozenset(names) for tag, names in attributes.items()},
        values={key: frozenset(found) for key, found in values.items()},
        counts=counts,
        nested=_nesting_error(tokens) is None,
        references=references,
    )


def _nesting_error(tokens: Iterable[_Token]) -> str | None:
    """Why the tags are not properly opened, closed and nested, or None when they are."""
    open_tags: list[str] = []
    for token in tokens:
        if not isinstance(token, _Tag) or token.name in VOID_ELEMENTS:
            continue
        if token.kind == "start":
            open_tags.append(token.name)
        elif token.kind == "end":
            if not open_tags:
                return f"</{token.name}> closes a tag that was never opened"
            if open_tags[-1] != token.name:
                return f"</{token.name}> closes <{open_tags[-1]}>: tags must close in reverse order"
            open_tags.pop()
    if open_tags:
        return f"<{open_tags[-1]}> is opened but never closed"
    return None


def _open_minus_closed(counts: Counter[str]) -> dict[str, int]:
    names = {name.lstrip("/") for name in counts} - VOID_ELEMENTS
    return {name: counts[name] - counts[f"/{name}"] for name in names}


def _attribute_issues(tag: _Tag, source: _SourceMarkup) -> list[MarkupIssue]:
    issues: list[MarkupIssue] = []
    allowed = source.attributes.get(tag.name, frozenset())
    for name, value in tag.attributes:
        if not _ATTRIBUTE_NAME.match(name):
            issues.append(MarkupIssue(f"<{tag.name}> has a malformed attribute {name!r}"))
            continue
        if name.startswith("on"):
            issues.append(
                MarkupIssue(
                    f"<{tag.name}> has the event handler {name}=, which is never allowed "
                    "in a translation (it runs script)"
                )
            )
            continue
        if name not in allowed:
            issues.append(
                MarkupIssue(
                    f"<{tag.name}> has the attribute {name}= that the source's <{tag.name}> "
                    f"does not have (allowed: {', '.join(sorted(allowed)) or 'none'})"
                )
            )
            continue
        text = value or ""
        url_problems = _url_issues(tag, name, text, source) if name in URL_ATTRIBUTES else []
        if url_problems:
            issues.extend(url_problems)
            continue
        if _SCRIPT_URL.search(_URL_IGNORED.sub("", text)):
            # Anywhere in a value (title=, alt=, a relative path): harmless there, but no
            # translation needs it and "no javascript: in any tag" stays a simple, checkable rule.
            issues.append(
                MarkupIssue(f"<{tag.name} {name}=…> contains a script URL, which is never allowed")
            )
            continue
        if name == "style":
            if _RISKY_CSS.search(text):
                issues.append(
                    MarkupIssue(
                        f"<{tag.name} style=…> loads or runs something (url(), expression(), "
                        "@import, escapes); styles in translations may not"
                    )
                )
            elif text not in source.values.get((tag.name, name), frozenset()):
                issues.append(
                    MarkupIssue(f"<{tag.name}> changes style={text!r}: keep the source's style")
                )
    return issues


def _url_issues(tag: _Tag, name: str, value: str, source: _SourceMarkup) -> list[MarkupIssue]:
    issues: list[MarkupIssue] = []
    for url in _urls_in_attribute(name, value):
        scheme = url_scheme(url)
        if scheme is not None and scheme not in SAFE_URL_SCHEMES:
            issues.append(
                MarkupIssue(
                    f"<{tag.name} {name}=…> uses a {scheme}: URL, which is never allowed "
                    f"(only {', '.join(sorted(SAFE_URL_SCHEMES))} or a relative link)"
                )
            )
        elif _is_external(url) and value not in source.values.get((tag.name, name), frozenset()):
            issues.append(
                MarkupIssue(
                    f"<{tag.name} {name}={url!r}> points somewhere the source does not; "
                    "keep the source's link target"
                )
            )
    return issues


def markup_issues(msgid: str, msgstr: str) -> list[MarkupIssue]:
    """What is wrong with the markup of ``msgstr`` given its ``msgid`` (empty when fine).

    Fatal issues (new tags or attributes, scripts, handlers, unsafe URLs or CSS, broken nesting,
    comments) make :func:`safe_translation` escape the translation; the others (a tag used a
    different number of times than in the source) are worth a look but render fine.
    """
    if not might_have_markup(msgstr):
        return []
    tokens = _tokenize(msgstr)
    if tokens is None:
        return [MarkupIssue("the translation's markup cannot be parsed")]
    source = _source_markup_of(msgid)
    issues: list[MarkupIssue] = []
    reported: set[str] = set()
    for token in tokens:
        if isinstance(token, _Other):
            issues.append(
                MarkupIssue(
                    f"the translation contains {token.raw[:30]!r} (an HTML comment or "
                    "declaration); remove it"
                )
            )
        elif isinstance(token, _Tag):
            issues.extend(_tag_issues(token, source, reported))
    issues.extend(_structure_issues(tokens, source))
    if not source.tags and not source.references:
        reference = _CHAR_REFERENCE.search(msgstr)
        if reference:
            issues.append(
                MarkupIssue(
                    f"the translation writes {reference.group(0)} but the source is plain text, "
                    "so readers would see it literally; type the character itself",
                    fatal=False,
                )
            )
    return issues


def _tag_issues(tag: _Tag, source: _SourceMarkup, reported: set[str]) -> list[MarkupIssue]:
    if not _TAG_NAME.match(tag.name):
        return [MarkupIssue(f"<{tag.name[:30]}> is not a valid tag; write '<' as text or fix it")]
    if tag.name in FORBIDDEN_TAGS:
        # End tags too: a stray </script> or </style> ends the block the text is inserted into.
        if tag.name in reported:
            return []
        reported.add(tag.name)
        return [MarkupIssue(f"the translation contains <{tag.name}>, which is never allowed")]
    if tag.name not in source.tags:
        if tag.name in reported:
            return []
        reported.add(tag.name)
        if not source.tags:
            return [
                MarkupIssue(
                    f"the translation adds <{tag.name}> but the source has no markup; "
                    "write plain text"
                )
            ]
        return [
            MarkupIssue(
                f"the translation adds <{tag.name}>, which the source does not have "
                f"(source tags: {_describe_tags(source.tags)})"
            )
        ]
    if tag.kind == "end":
        return []
    return _attribute_issues(tag, source)


def _structure_issues(tokens: Sequence[_Token], source: _SourceMarkup) -> list[MarkupIssue]:
    issues: list[MarkupIssue] = []
    counts: Counter[str] = Counter()
    for token in tokens:
        if isinstance(token, _Tag) and token.name in source.tags:
            counts.update(_tag_keys(token))
    if source.nested:
        problem = _nesting_error(
            [t for t in tokens if isinstance(t, _Tag) and t.name in source.tags]
        )
        if problem:
            issues.append(MarkupIssue(f"broken markup: {problem}"))
    elif _open_minus_closed(counts) != _open_minus_closed(source.counts):
        issues.append(
            MarkupIssue("the translation opens and closes tags differently from the source")
        )
    if not issues:
        for name in sorted(source.tags):
            if counts[name] != source.counts[name]:
                issues.append(
                    MarkupIssue(
                        f"the translation uses <{name}> {counts[name]} time(s), the source "
                        f"{source.counts[name]} time(s); check that no link or emphasis was lost",
                        fatal=False,
                    )
                )
    return issues


def _serialize(tokens: Iterable[_Token]) -> str:
    """Write tokens back as HTML: text escaped, attribute values quoted and escaped."""
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(str(escape(token)))
        elif isinstance(token, _Tag):
            if token.kind == "end":
                parts.append(f"</{token.name}>")
                continue
            attributes = "".join(
                f" {name}" if value is None else f' {name}="{_escape_attribute(value, quote=True)}"'
                for name, value in token.attributes
            )
            parts.append(f"<{token.name}{attributes}>")
            if token.kind == "startend" and token.name not in VOID_ELEMENTS:
                parts.append(f"</{token.name}>")
    return "".join(parts)


def safe_translation(msgid: str, msgstr: str) -> Markup:
    """``msgstr`` as HTML that is safe to insert unescaped into a page or an email.

    Plain msgids give an escaped msgstr; a msgid with markup lets through only a msgstr whose
    markup passes :func:`markup_issues` (rewritten from the parsed tokens), anything else comes
    back escaped as a whole.
    """
    if not isinstance(msgid, str) or not isinstance(msgstr, str):
        return escape(msgstr)
    return _safe_translation(msgid, msgstr)


@lru_cache(maxsize=16384)
def _safe_translation(msgid: str, msgstr: str) -> Markup:
    try:
        if not has_markup(msgid) or not might_have_markup(msgstr):
            return escape(msgstr)
        if any(issue.fatal for issue in markup_issues(msgid, msgstr)):
            return escape(msgstr)
        tokens = _tokenize(msgstr)
        if tokens is None:
            return escape(msgstr)
        return Markup(_serialize(tokens))
    except Exception:  # noqa: BLE001 — escaping is always safe; rendering must not crash
        return escape(msgstr)
