"""Validate MJML ourselves, then compile it with mjml-python.

mjml-python (a binding of the Rust MRML renderer) never validates: an unknown tag such as
``<mj-txt>`` is dropped, an unknown attribute is ignored, a mismatched closing tag is accepted,
and a parse error is a bare ``ValueError`` without a line. :func:`check_mjml` reads the
generated MJML as :class:`html.parser.HTMLParser` would, a tolerant tokenizer (the content of
ending tags such as ``<mj-text>`` is HTML, not XML; :mod:`pubflow.newsletter.markup` does it
fast), and reports, with the line of each:

* unknown ``mj-*`` tags and attributes a tag does not have (allow-list of MJML 4);
* a component inside a parent that cannot hold it (``<mj-text>`` directly in ``<mj-section>``);
* closing tags that do not match, tags never closed, text outside an ending tag (MRML drops it);
* MJML components inside an ending tag, and unbalanced HTML inside one.

:func:`compile_mjml` turns a ``ValueError`` into a :class:`~pubflow.errors.RenderError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import mjml

from pubflow.errors import RenderError
from pubflow.newsletter.markup import Attributes, LineIndex, MarkupEvent, markup_events

_PADDING = frozenset({"padding", "padding-top", "padding-bottom", "padding-left", "padding-right"})
_BORDERS = frozenset({"border", "border-top", "border-bottom", "border-left", "border-right"})
_FONT = frozenset(
    {"color", "font-family", "font-size", "font-style", "font-weight", "letter-spacing",
     "line-height", "text-decoration", "text-transform"}
)
_LINK = frozenset({"href", "rel", "target", "title", "name"})
_BODY = frozenset({"css-class", "mj-class"})
_BACKGROUND = frozenset(
    {"background-color", "background-position", "background-position-x",
     "background-position-y", "background-repeat", "background-size", "background-url"}
)

ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "mjml": frozenset({"lang", "dir", "owa"}),
    "mj-head": frozenset(),
    "mj-title": frozenset(),
    "mj-preview": frozenset(),
    "mj-breakpoint": frozenset({"width"}),
    "mj-font": frozenset({"name", "href"}),
    "mj-style": frozenset({"inline"}),
    "mj-attributes": frozenset(),
    "mj-html-attributes": frozenset(),
    "mj-selector": frozenset({"path"}),
    "mj-html-attribute": frozenset({"name"}),
    "mj-raw": frozenset({"position", "css-class"}),
    "mj-body": frozenset({"width", "background-color", "css-class"}),
    "mj-wrapper": _BODY | _PADDING | _BORDERS | _BACKGROUND
    | frozenset({"border-radius", "direction", "full-width", "text-align", "gap"}),
    "mj-section": _BODY | _PADDING | _BORDERS | _BACKGROUND
    | frozenset({"border-radius", "direction", "full-width", "text-align"}),
    "mj-group": _BODY | frozenset({"background-color", "direction", "vertical-align", "width"}),
    "mj-column": _BODY | _PADDING | _BORDERS
    | frozenset(
        {"background-color", "border-radius", "direction", "inner-background-color",
         "inner-border", "inner-border-top", "inner-border-bottom", "inner-border-left",
         "inner-border-right", "inner-border-radius", "vertical-align", "width"}
    ),
    "mj-text": _BODY | _PADDING | _FONT
    | frozenset({"align", "container-background-color", "height", "vertical-align"}),
    "mj-button": _BODY | _PADDING | _BORDERS | _FONT | _LINK
    | frozenset(
        {"align", "background-color", "border-radius", "container-background-color",
         "height", "inner-padding", "text-align", "vertical-align", "width"}
    ),
    "mj-image": _BODY | _PADDING | _BORDERS | _LINK
    | frozenset(
        {"align", "alt", "border-radius", "container-background-color", "fluid-on-mobile",
         "height", "max-height", "sizes", "src", "srcset", "usemap", "width"}
    ),
    "mj-divider": _BODY | _PADDING
    | frozenset({"align", "border-color", "border-style", "border-width",
                 "container-background-color", "width"}),
    "mj-spacer": _BODY | _PADDING | frozenset({"container-background-color", "height"}),
    "mj-table": _BODY | _PADDING | _FONT
    | frozenset({"align", "border", "cellpadding", "cellspacing", "container-background-color",
                 "role", "table-layout", "width"}),
    "mj-social": _BODY | _PADDING | _FONT
    | frozenset({"align", "border-radius", "container-background-color", "icon-height",
                 "icon-size", "icon-padding", "inner-padding", "mode", "table-layout",
                 "text-padding"}),
    "mj-social-element": _BODY | _PADDING | _FONT | _LINK
    | frozenset({"align", "alt", "background-color", "border-radius", "icon-height",
                 "icon-size", "icon-padding", "icon-position", "sizes", "src", "srcset",
                 "text-padding", "vertical-align"}),
    "mj-navbar": _BODY | _PADDING
    | frozenset({"align", "base-url", "hamburger", "ico-align", "ico-close", "ico-color",
                 "ico-font-family", "ico-font-size", "ico-line-height", "ico-open",
                 "ico-padding", "ico-padding-top", "ico-padding-bottom", "ico-padding-left",
                 "ico-padding-right", "ico-text-decoration", "ico-text-transform"}),
    "mj-navbar-link": _BODY | _PADDING | _FONT | _LINK,
    "mj-hero": _BODY | _PADDING
    | frozenset({"background-color", "background-height", "background-position",
                 "background-url", "background-width", "border-radius",
                 "container-background-color", "height", "inner-background-color",
                 "inner-padding", "inner-padding-top", "inner-padding-bottom",
                 "inner-padding-left", "inner-padding-right", "mode", "vertical-align",
                 "width"}),
    "mj-accordion": _BODY | _PADDING | _BORDERS
    | frozenset({"container-background-color", "font-family", "icon-align", "icon-height",
                 "icon-position", "icon-unwrapped-alt", "icon-unwrapped-url", "icon-width",
                 "icon-wrapped-alt", "icon-wrapped-url"}),
    "mj-accordion-element": _BODY | _BORDERS
    | frozenset({"background-color", "font-family", "icon-align", "icon-height",
                 "icon-position", "icon-unwrapped-alt", "icon-unwrapped-url", "icon-width",
                 "icon-wrapped-alt", "icon-wrapped-url"}),
    "mj-accordion-title": _BODY | _PADDING | _FONT | frozenset({"background-color"}),
    "mj-accordion-text": _BODY | _PADDING | _FONT | frozenset({"background-color"}),
    "mj-carousel": _BODY | _BORDERS
    | frozenset({"align", "border-radius", "container-background-color", "icon-width",
                 "left-icon", "right-icon", "tb-border", "tb-border-radius",
                 "tb-hover-border-color", "tb-selected-border-color", "tb-width",
                 "thumbnails"}),
    "mj-carousel-image": _BODY | _LINK
    | frozenset({"alt", "border-radius", "src", "thumbnails-src", "tb-border",
                 "tb-border-radius"}),
}
"""Every MJML tag with the attributes it accepts (MJML 4; ``mj-class``/``css-class`` included)."""

_COLUMN_CONTENT = frozenset(
    {"mj-accordion", "mj-button", "mj-carousel", "mj-divider", "mj-image", "mj-navbar",
     "mj-raw", "mj-social", "mj-spacer", "mj-table", "mj-text"}
)
CHILDREN: Mapping[str, frozenset[str]] = {
    "mjml": frozenset({"mj-head", "mj-body"}),
    "mj-head": frozenset({"mj-attributes", "mj-breakpoint", "mj-font", "mj-html-attributes",
                          "mj-preview", "mj-raw", "mj-style", "mj-title"}),
    "mj-html-attributes": frozenset({"mj-selector"}),
    "mj-selector": frozenset({"mj-html-attribute"}),
    "mj-body": frozenset({"mj-hero", "mj-raw", "mj-section", "mj-wrapper"}),
    "mj-wrapper": frozenset({"mj-hero", "mj-raw", "mj-section"}),
    "mj-section": frozenset({"mj-column", "mj-group", "mj-raw"}),
    "mj-group": frozenset({"mj-column", "mj-raw"}),
    "mj-column": _COLUMN_CONTENT,
    "mj-hero": _COLUMN_CONTENT,
    "mj-accordion": frozenset({"mj-accordion-element", "mj-raw"}),
    "mj-accordion-element": frozenset({"mj-accordion-title", "mj-accordion-text", "mj-raw"}),
    "mj-carousel": frozenset({"mj-carousel-image"}),
    "mj-navbar": frozenset({"mj-navbar-link", "mj-raw"}),
    "mj-social": frozenset({"mj-social-element", "mj-raw"}),
}
"""Which components each container may hold directly (``mj-attributes`` is special)."""

ENDING_TAGS = frozenset(
    {"mj-text", "mj-button", "mj-table", "mj-raw", "mj-navbar-link", "mj-social-element",
     "mj-accordion-title", "mj-accordion-text", "mj-style", "mj-title", "mj-preview",
     "mj-html-attribute"}
)
"""Tags whose content is HTML or text, left as it is by MJML (no components inside)."""

_VOID_HTML = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)
_ALL_ATTRIBUTES = frozenset().union(*ATTRIBUTES.values())
_CLASS_ATTRIBUTES = _ALL_ATTRIBUTES | {"name"}  # <mj-class name="…" …> in <mj-attributes>
_KNOWN_OPEN = frozenset(ATTRIBUTES) | {"mj-all", "mj-class"}


@dataclass(frozen=True)
class MjmlProblem:
    """One finding in generated MJML: 1-based line and column of the output, and what is wrong."""

    line: int
    column: int
    message: str
    offset: int  # character offset in the checked text (to map back to a template)

    def describe(self) -> str:
        return f"line {self.line}: {self.message}"


@lru_cache(maxsize=4096)
def _attribute_problems(tag: str, allowed: frozenset[str], attrs: Attributes) -> tuple[str, ...]:
    """Unknown and repeated attributes of one tag (cached: the same tags come back in every email)."""
    problems: list[str] = []
    seen: set[str] = set()
    for name, _value in attrs:
        if name in seen:
            problems.append(f"<{tag}> has the attribute {name!r} twice")
        seen.add(name)
        if name not in allowed:
            problems.append(f"unknown attribute {name!r} on <{tag}>")
    return tuple(problems)


@dataclass
class _Open:
    name: str
    offset: int  # where its start tag is (lines are counted only for a report)

    def __post_init__(self) -> None:
        # An ending tag (HTML inside), or an unknown tag (reported; its content is skipped).
        self.holds_html = self.name in ENDING_TAGS or self.name not in _KNOWN_OPEN


class _Checker:
    """Walks the markup events of generated MJML, keeping the open components on a stack."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: LineIndex | None = None  # made for the first report (most texts have none)
        self.stack: list[_Open] = []  # open MJML components
        self.html: list[_Open] = []  # open HTML elements inside the current ending tag
        self.problems: list[MjmlProblem] = []
        self.seen_root = False
        self.event: MarkupEvent | None = None  # the one being checked (where problems are)

    # Helpers -------------------------------------------------------------------------------
    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def _report(self, message: str) -> None:
        event = self.event
        assert event is not None
        line, column = self.lines.position(event.offset)
        self.problems.append(MjmlProblem(line, column + 1, message, event.offset))

    def _line(self, opened: _Open) -> int:
        return self.lines.line(opened.offset)

    @property
    def _ending(self) -> _Open | None:
        """The ending tag (or unknown tag, already reported) we are inside, if any."""
        stack = self.stack
        return stack[-1] if stack and stack[-1].holds_html else None

    def _check_attributes(self, tag: str, attrs: Attributes) -> None:
        inside_attributes = bool(self.stack) and self.stack[-1].name in ("mj-attributes",)
        if tag in ("mj-all",) and inside_attributes:
            allowed = _ALL_ATTRIBUTES
        elif tag == "mj-class" and inside_attributes:
            allowed = _CLASS_ATTRIBUTES
        else:
            allowed = ATTRIBUTES[tag]
        for message in _attribute_problems(tag, allowed, attrs):
            self._report(message)

    # Events --------------------------------------------------------------------------------
    def check(self, events: Iterable[MarkupEvent]) -> None:
        for event in events:
            self.event = event
            kind = event.kind
            if kind == "data":
                self._data(event.text)
            elif kind == "end":
                self._end(event.text)
            elif kind == "start":
                self._start(event.text, event.attrs, closed=False)
            else:  # "startend": <tag/>, opened and closed at once
                self._start(event.text, event.attrs, closed=True)

    def _start(self, tag: str, attrs: Attributes, *, closed: bool) -> None:
        event = self.event
        assert event is not None
        ending = self._ending
        if ending is not None and ending.name not in ENDING_TAGS:
            return  # inside an unknown tag (reported): its content is not checked
        if ending is not None:
            if tag == "mjml" or tag.startswith("mj-"):
                self._report(
                    f"<{tag}> inside <{ending.name}>: an ending tag holds only HTML and text"
                )
            elif not closed and tag not in _VOID_HTML:
                self.html.append(_Open(tag, event.offset))
            return
        if tag != "mjml" and not tag.startswith("mj-"):
            parent = self.stack[-1].name if self.stack else "the document"
            self._report(
                f"HTML <{tag}> directly inside <{parent}>: put it in <mj-text> or <mj-raw>"
            )
            return
        parent_open = self.stack[-1] if self.stack else None
        in_attributes = parent_open is not None and parent_open.name == "mj-attributes"
        if in_attributes and tag in ("mj-all", "mj-class"):
            self._check_attributes(tag, attrs)
        elif tag not in ATTRIBUTES:
            self._report(f"unknown MJML tag <{tag}>")
            if not closed:
                self.stack.append(_Open(tag, event.offset))
            return
        else:
            self._check_attributes(tag, attrs)
            if parent_open is None:
                if tag != "mjml" or self.seen_root:
                    self._report(f"<{tag}> outside <mjml>: the document has one <mjml> root")
                self.seen_root = True
            elif not in_attributes:
                allowed = CHILDREN.get(parent_open.name, frozenset())
                if tag not in allowed:
                    self._report(f"<{tag}> cannot be inside <{parent_open.name}>")
        if not closed:
            self.stack.append(_Open(tag, event.offset))

    def _end(self, tag: str) -> None:
        ending = self._ending
        if ending is not None and ending.name not in ENDING_TAGS and tag != ending.name:
            return  # inside an unknown tag (reported)
        if ending is not None and tag != ending.name:
            if tag.startswith("mj-") or tag == "mjml":
                self._report(
                    f"</{tag}> closes <{ending.name}> opened on line {self._line(ending)}"
                )
                self._close_to(tag)
                return
            if tag in _VOID_HTML:
                return
            if self.html and self.html[-1].name == tag:
                self.html.pop()
            else:
                opened = self.html[-1] if self.html else None
                where = (
                    f"<{opened.name}> opened on line {self._line(opened)} is still open"
                    if opened
                    else "it was never opened"
                )
                self._report(f"</{tag}> in <{ending.name}> does not match: {where}")
            return
        if ending is not None:
            for left in self.html:
                self._report(f"<{left.name}> (line {self._line(left)}) is not closed inside <{tag}>")
            self.html.clear()
        if not (tag == "mjml" or tag.startswith("mj-")):
            self._report(f"stray closing tag </{tag}>")
            return
        if self.stack and self.stack[-1].name == tag:
            self.stack.pop()
            return
        opened = self.stack[-1] if self.stack else None
        if opened is None:
            self._report(f"</{tag}> closes nothing")
        else:
            self._report(f"</{tag}> closes <{opened.name}> opened on line {self._line(opened)}")
        self._close_to(tag)

    def _close_to(self, tag: str) -> None:
        """Recover after a mismatch: pop up to the matching open tag, else the innermost one.

        (A typo'd closing tag most likely meant to close the innermost tag: one report, not
        one per enclosing tag.)
        """
        names = [item.name for item in self.stack]
        if tag in names:
            while self.stack and self.stack[-1].name != tag:
                self.stack.pop()
        if self.stack:
            self.stack.pop()
        self.html.clear()

    def _data(self, data: str) -> None:
        if not data.strip() or self._ending is not None:
            return
        parent = self.stack[-1].name if self.stack else "the document"
        snippet = " ".join(data.split())[:40]
        self._report(f"text {snippet!r} directly inside <{parent}> is dropped by MJML")

    def finish(self) -> list[MjmlProblem]:
        if not self.seen_root:
            self.problems.append(MjmlProblem(1, 1, "no <mjml> root element", 0))
        for left in reversed(self.stack):
            line = self._line(left)
            self.problems.append(
                MjmlProblem(line, 1, f"<{left.name}> opened on line {line} is never closed",
                            self.lines.line_start(line))
            )
        return self.problems


def check_mjml(text: str) -> list[MjmlProblem]:
    """Every problem in ``text`` (generated MJML), in document order; empty when valid."""
    checker = _Checker(text)
    # Text that is only whitespace is never a problem (see _Checker._data): left out.
    checker.check(markup_events(text, blank=False))
    return checker.finish()


def compile_mjml(text: str, *, template: Path | str, locale: str) -> str:
    """MJML → HTML with mjml-python: no comments, no web fonts (nothing fetched on open).

    A parse error (mjml-python raises a bare ``ValueError``) becomes a :class:`RenderError`
    naming the template and the locale.
    """
    try:
        return mjml.mjml2html(text, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError(
            f"MJML of {Path(template).name} ({locale}) does not compile: {exc}",
            path=template,
            hint="fix the template's MJML structure (check tag nesting and quotes)",
        ) from None
