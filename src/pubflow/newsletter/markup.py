"""Tags and text of HTML or MJML exactly as :class:`html.parser.HTMLParser` sees them, fast.

The link scan and the MJML allow-list check both read markup the way the standard library's
``HTMLParser`` does (lower-cased names, entity references decoded, comments and declarations
skipped, ``<script>``/``<style>`` content kept raw, positions as ``getpos()``). The parser
spends 5–10 ms on one compiled email (half the newsletter build of a locale), mostly on
per-token bookkeeping in Python, so both readers first try regular expressions that accept
only a strict subset of markup — names plain ASCII, every value quoted or one plain bare
word, a space between attributes, every comment and raw-text element closed — for which the
parser's result is known exactly. A text with anything outside that subset (a stray ``<``,
``<![CDATA[``, ``a==b``, an unclosed comment, …) goes through ``HTMLParser`` itself, so
either way the result is the parser's; ``tests/newsletter/test_newsletter_markup.py``
compares both paths on generated markup. Machine-made markup (Jinja's MJML, mjml-python's
HTML) takes the fast path.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from typing import Literal, NamedTuple

Kind = Literal["start", "startend", "end", "data"]
Attributes = tuple[tuple[str, "str | None"], ...]


class MarkupEvent(NamedTuple):
    """One start tag, self-closing tag, end tag or run of text, and where it starts.

    (Where as a character offset: :class:`LineIndex` turns it into the line and column
    ``HTMLParser.getpos()`` would give, which only a problem report needs.)
    """

    kind: Kind
    offset: int  # of its first character
    text: str  # the lower-cased tag name, or the text (references decoded outside script/style)
    attrs: Attributes  # lower-cased names, decoded values; None for an attribute without value


class StartTag(NamedTuple):
    """A start (or self-closing) tag: lower-cased name, attributes, 1-based line."""

    name: str
    attrs: Attributes
    line: int


# The strict subset, one pattern per construct the parser knows. Only ASCII spaces separate
# (the parser's tag names run on through U+00A0 and \v, its attribute patterns do not).
_S = r"[ \t\n\r\f]"
_ATTRIBUTE = rf"""[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{_S}*={_S}*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_START = rf"<(?P<start>[a-zA-Z][a-zA-Z0-9:_.-]*)(?P<attrs>(?:{_S}+{_ATTRIBUTE})*){_S}*(?P<closed>/?)>"
_END = rf"</(?P<end>[a-zA-Z][-.a-zA-Z0-9:_]*){_S}*>"
_DATA = r"(?P<data>[^<]+)"
# A comment ends at the first ``--\s*>`` after ``<!--`` (as the parser's), a doctype and a
# processing instruction at the first ``>``.
_QUIET = r"<!--.*?--\s*>|<![dD][oO][cC][tT][yY][pP][eE][^>]*>|<\?[^>]*>"

_TOKEN = re.compile(f"{_DATA}|{_START}|{_END}|{_QUIET}", re.DOTALL)
# The same tokens, each taking along the spaces after it when only a tag or the end follows:
# the runs of text ``blank=False`` leaves out, skipped inside the regex engine.
_BLANK = rf"(?:{_S}+(?=<|\Z))?"
_TOKEN_NO_BLANK = re.compile(
    f"{_DATA}|(?:{_START}){_BLANK}|(?:{_END}){_BLANK}|(?:{_QUIET}){_BLANK}", re.DOTALL
)
_ATTRIBUTES = re.compile(rf"""([-a-zA-Z0-9_:.]+)(?:{_S}*={_S}*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_RAW_TEXT = ("script", "style")  # HTMLParser.CDATA_CONTENT_ELEMENTS
_RAW_END = {name: re.compile(rf"</\s*{name}\s*>", re.IGNORECASE) for name in _RAW_TEXT}


@lru_cache(maxsize=4096)
def parse_attributes(source: str) -> Attributes:
    """The attributes of a start tag in the strict subset (the text after its name).

    Cached: generated markup repeats the same attributes tag after tag, locale after locale.
    """
    found: list[tuple[str, str | None]] = []
    for name, value in _ATTRIBUTES.findall(source):
        if not value:
            found.append((name.lower(), None))
            continue
        if value[0] in "\"'":
            value = value[1:-1]
        found.append((name.lower(), unescape(value) if value else value))
    return tuple(found)


def _raw_text_end(text: str, name: str, position: int) -> re.Match[str] | None:
    """The end tag that closes ``<script>``/``<style>`` content; None: leave it to the parser.

    (The parser's pattern ignores case the Unicode way, so ``</ſtyle>`` would match it and
    then not close the element: such a text takes the parser.)
    """
    end = _RAW_END[name].search(text, position)
    return end if end is not None and end.group().isascii() else None


class LineIndex:
    """Line (1-based) and column (0-based) of character offsets in one text."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        index = text.find("\n")
        while index >= 0:
            starts.append(index + 1)
            index = text.find("\n", index + 1)
        self._starts = starts

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset)

    def line_start(self, line: int) -> int:
        """Offset of the first character of ``line``."""
        return self._starts[line - 1]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1]


def fast_events(text: str, *, blank: bool = True) -> list[MarkupEvent] | None:
    """The events of ``text`` when it lies in the strict subset, else None.

    ``blank=False`` leaves out runs of text that are only whitespace.
    """
    events: list[MarkupEvent] = []
    append = events.append
    # MarkupEvent(...) goes through a Python-level __new__; this is the same tuple, made in C.
    make = tuple.__new__
    tokens = _TOKEN if blank else _TOKEN_NO_BLANK
    position, length = 0, len(text)
    while position < length:
        # finditer walks in C; a match that does not start where the last one ended means
        # something between them is outside the subset.
        for match in tokens.finditer(text, position):
            if match.start() != position:
                return None
            kind = match.lastindex  # the groups: 1 data, 2-4 start tag, 5 end tag; None: quiet
            end = match.end()
            if kind == 1:
                data = match.group(1)
                if "&" in data:
                    data = unescape(data)
                if blank or not data.isspace():
                    append(make(MarkupEvent, ("data", position, data, ())))
            elif kind == 5:
                append(make(MarkupEvent, ("end", position, match.group(5).lower(), ())))
            elif kind is not None:  # a start tag (lastindex: its last group that took part)
                name, source, closed = match.group(2, 3, 4)
                name = name.lower()
                attrs = parse_attributes(source) if source else ()
                append(make(MarkupEvent, ("startend" if closed else "start", position, name, attrs)))
                if name in _RAW_TEXT and not closed:
                    after = match.end(4) + 1  # just after its ">" (spaces taken along are text)
                    raw_end = _raw_text_end(text, name, after)
                    if raw_end is None:
                        return None
                    stop = raw_end.start()
                    data = text[after:stop]  # the raw text, undecoded, as the parser gives it
                    if data and (blank or not data.isspace()):
                        append(make(MarkupEvent, ("data", after, data, ())))
                    append(make(MarkupEvent, ("end", stop, name, ())))
                    position = raw_end.end()
                    break  # scan on after the raw text
            position = end
        else:
            if position < length:  # no token fits what is left
                return None
    return events


_NAME_CHARACTER = r"[-a-zA-Z0-9_:.]"


@lru_cache(maxsize=8)
def _tag_scanner(names: frozenset[str], attributes: frozenset[str]) -> re.Pattern[str]:
    """Runs of everything but the wanted start tags, or one start tag that may be wanted.

    A start tag is skipped inside the regex engine when its name is none of ``names`` (nor
    ``script``/``style``, which change how the text after them is read) and no attribute is
    named one of ``attributes``; every other start tag comes back to Python.
    """
    def any_of(words: frozenset[str]) -> str:
        return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))

    special = frozenset(names) | frozenset(_RAW_TEXT)
    plain_name = rf"(?!(?i:{any_of(special)})[ \t\n\r\f/>])[a-zA-Z][a-zA-Z0-9:_.-]*"
    plain_attribute = (
        rf"(?!(?i:{any_of(attributes)})(?!{_NAME_CHARACTER})){_ATTRIBUTE}" if attributes else _ATTRIBUTE
    )
    plain_tag = rf"<{plain_name}(?:{_S}+{plain_attribute})*{_S}*/?>"
    skipped = rf"(?:[^<]+|</[a-zA-Z][-.a-zA-Z0-9:_]*{_S}*>|{_QUIET}|{plain_tag})+"
    return re.compile(rf"{skipped}|{_START}", re.DOTALL)


def fast_start_tags(
    text: str, names: frozenset[str], attributes: frozenset[str]
) -> list[StartTag] | None:
    """Start tags of ``text`` named one of ``names`` or with an attribute named one of
    ``attributes`` (lower case), when ``text`` lies in the strict subset; else None."""
    tags: list[StartTag] = []
    line, counted = 1, 0  # the line number at offset ``counted``
    position, length = 0, len(text)
    match_at = _tag_scanner(names, attributes).match
    while position < length:
        match = match_at(text, position)
        if match is None:
            return None
        if match.lastgroup is None:  # a run of text, end tags, comments and plain tags
            position = match.end()
            continue
        name = match.group("start").lower()
        source = match.group("attrs")
        attrs = parse_attributes(source) if source else ()
        if name in names or any(attribute in attributes for attribute, _ in attrs):
            line += text.count("\n", counted, position)
            counted = position
            tags.append(StartTag(name, attrs, line))
        position = match.end()
        if name in _RAW_TEXT and not match.group("closed"):
            end = _raw_text_end(text, name, position)
            if end is None:
                return None
            position = end.end()
    return tags


class _Recorder(HTMLParser):
    """HTMLParser's callbacks as a list of events (for markup outside the strict subset)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[MarkupEvent] = []
        self.positions: list[tuple[int, int]] = []  # (line, column) of each event

    def _add(self, kind: Kind, text: str, attrs: Attributes = ()) -> None:
        self.events.append(MarkupEvent(kind, -1, text, attrs))
        self.positions.append(self.getpos())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("start", tag, tuple(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("startend", tag, tuple(attrs))

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("data", data)


def parser_events(text: str, *, blank: bool = True) -> list[MarkupEvent]:
    """The events of any ``text`` as :class:`html.parser.HTMLParser` reports them.

    ``blank=False`` leaves out runs of text that are only whitespace.
    """
    recorder = _Recorder()
    recorder.feed(text)
    recorder.close()
    lines = LineIndex(text)
    return [
        event._replace(offset=lines.line_start(line) + column)
        for event, (line, column) in zip(recorder.events, recorder.positions)
        if blank or event.kind != "data" or not event.text.isspace()
    ]


def markup_events(text: str, *, blank: bool = True) -> list[MarkupEvent]:
    """Every tag and run of text of ``text``, as HTMLParser sees them.

    ``blank=False`` leaves out runs of text that are only whitespace.
    """
    events = fast_events(text, blank=blank)
    return events if events is not None else parser_events(text, blank=blank)


def start_tags(text: str, names: frozenset[str], attributes: frozenset[str]) -> list[StartTag]:
    """Start tags named one of ``names`` or carrying one of ``attributes``, as HTMLParser sees them."""
    tags = fast_start_tags(text, names, attributes)
    if tags is not None:
        return tags
    lines = LineIndex(text)
    return [
        StartTag(event.text, event.attrs, lines.line(event.offset))
        for event in parser_events(text)
        if event.kind in ("start", "startend")
        and (event.text in names or any(attribute in attributes for attribute, _ in event.attrs))
    ]
