"""The fast markup reader gives exactly what html.parser gives (the link scan and MJML check rely on it)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.newsletter.links import scan_html
from pubflow.newsletter.markup import (
    LineIndex,
    StartTag,
    fast_events,
    fast_start_tags,
    markup_events,
    parser_events,
)
from pubflow.newsletter import mjml_check
from pubflow.newsletter.mjml_check import check_mjml

URL_ATTRIBUTES = frozenset({"href", "src", "background", "action", "poster", "srcset", "data"})


class StdlibScanner(HTMLParser):
    """The link scan as it was before the fast path: html.parser callbacks (the oracle)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, int]] = []
        self.images: list[tuple[str | None, str | None, bool, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = dict(attrs)
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                if name == "srcset":
                    for candidate in value.split(","):
                        url = candidate.strip().split(" ")[0]
                        if url:
                            self.found.append((tag, name, url, line))
                else:
                    self.found.append((tag, name, value.strip(), line))
        if tag == "img":
            decorative = values.get("role") == "presentation" or values.get("aria-hidden") == "true"
            self.images.append((values.get("src"), values.get("alt"), decorative, line))

    handle_startendtag = handle_starttag


def stdlib_scan(html: str) -> tuple[list[tuple[str, str, str, int]], list[tuple[str | None, str | None, bool, int]]]:
    scanner = StdlibScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found, scanner.images


def our_scan(html: str) -> tuple[list[tuple[str, str, str, int]], list[tuple[str | None, str | None, bool, int]]]:
    references, images = scan_html(html)
    return (
        [(r.tag, r.attribute, r.url, r.line) for r in references],
        [(i.src, i.alt, i.decorative, i.line) for i in images],
    )


TRICKY = """<!doctype html>
<HTML><head><title>T &amp; <b>bold</b></title>
<style type="text/css">a[href="<img src='http://in-style'>"] { color: red }</style>
<script>var s = "<a href='http://in-script'>"; if (a < b) {}</script></head>
<body>
<!-- <a href="http://in-comment">hidden</a> -->
<!--[if mso]><table background="http://outlook-only"><![endif]-->
<!--[if !mso]><!--><a HREF="https://example.org/a?x=1&amp;y=2&copy=3">visible</a><!--<![endif]-->
<A Href=https://example.org/unquoted/>unquoted</A>
<a href='https://example.org/single?q=&quot;x&quot;'>single</a>
<a
   href="https://example.org/multi-line"
>multi</a>
<IMG SRC="https://example.org/i.png" ALT="">
<img src="http://example.org/plain.png" alt="x" role="presentation"/>
<img srcset="https://example.org/1.png 1x, http://example.org/2.png 2x" alt=y>
<img src=https://example.org/bare.png alt>
<a href="https://example.org/dup" href="http://example.org/second">dup</a>
<?pi <a href="http://in-pi"> ?>
<p data-x="1" data="http://object-data">&nbsp;&#8202;&#x41;</p>
</body></HTML>
"""


def test_tricky_html_gives_the_stdlib_parsers_links_and_lines() -> None:
    assert fast_events(TRICKY) is not None  # the fast path reads all of it…
    assert our_scan(TRICKY) == stdlib_scan(TRICKY)  # …and finds what html.parser finds
    references, images = our_scan(TRICKY)
    urls = [url for _, _, url, _ in references]
    assert "https://example.org/a?x=1&y=2©=3" in urls  # entities decoded as html.parser does
    assert "https://example.org/unquoted/" in urls  # unquoted value keeps its slash
    assert not any("in-comment" in url or "in-script" in url or "in-style" in url for url in urls)
    assert not any("outlook-only" in url or "in-pi" in url for url in urls)
    assert ("a", "href", "https://example.org/multi-line", 11) in references  # the line of "<a"
    assert ("https://example.org/bare.png", None, False, 17) in images  # alt with no value
    assert ("a", "href", "http://example.org/second", 18) in references  # both duplicates


def test_markup_outside_the_strict_subset_takes_the_stdlib_parser() -> None:
    for text in (
        "<p>a < b</p>",  # a bare "<"
        '<a href="x"title="y">',  # no space between attributes
        "<a href==x>",
        "<![CDATA[ <a href='http://in-cdata'> ]]><a href='https://after'>",
        "<!-- never closed <a href='http://x'>",
        "<script>never closed <a href='http://x'>",
        "<style>a{}</\u017ftyle><a href='http://after-long-s'>",  # matches </style> only ignoring case the Unicode way
        "<a bac\u212aground='http://kelvin'>",
    ):
        assert fast_events(text) is None, text
        assert fast_start_tags(text, frozenset({"img"}), URL_ATTRIBUTES) is None, text
        assert markup_events(text) == parser_events(text)
        assert our_scan(text) == stdlib_scan(text), text


# Generated markup: pieces that are in the strict subset and pieces that are not, glued together.
_NAMES = st.sampled_from(["a", "A", "img", "IMG", "p", "mj-text", "mj-section", "script", "style", "br", "x:y"])
_ATTRIBUTE_NAMES = st.sampled_from(["href", "HREF", "src", "alt", "srcset", "data", "data-x", "role", "title", "x:y"])
_VALUES = st.text(alphabet="ab /:.?=&;#<>'\"-\n\u00e9", max_size=12)


@st.composite
def _attribute(draw: st.DrawFn) -> str:
    name = draw(_ATTRIBUTE_NAMES)
    value = draw(_VALUES)
    form = draw(st.sampled_from(["bare-name", "double", "single", "unquoted", "spaced"]))
    if form == "bare-name":
        return name
    if form == "double":
        return f'{name}="{value.replace(chr(34), "")}"'
    if form == "single":
        return f"{name}='{value.replace(chr(39), '')}'"
    if form == "spaced":
        return f'{name} = "{value.replace(chr(34), "")}"'
    return f"{name}={value}"


@st.composite
def _piece(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["start", "start", "end", "text", "comment", "odd"]))
    if kind == "start":
        attributes = draw(st.lists(_attribute(), max_size=3))
        separator = draw(st.sampled_from([" ", "\n  ", "\t"]))
        closing = draw(st.sampled_from([">", "/>", " />", "\n>"]))
        return "<" + draw(_NAMES) + "".join(separator + a for a in attributes) + closing
    if kind == "end":
        return f"</{draw(_NAMES)}{draw(st.sampled_from(['', ' ', chr(10)]))}>"
    if kind == "text":
        return draw(st.text(alphabet="ab &;#39x\n<>", max_size=10))
    if kind == "comment":
        return f"<!--{draw(st.text(alphabet='ab<>- ', max_size=8))}-->"
    return draw(st.sampled_from(["<!doctype html>", "<?pi x?>", "<![CDATA[x]]>", "<", "&amp", "<!x>", "</>", "<a\u00a0b>"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_piece(), max_size=12).map("".join))
def test_fast_events_equal_the_stdlib_parsers_whenever_they_are_given(text: str) -> None:
    fast = fast_events(text)
    if fast is not None:
        assert fast == parser_events(text)
        assert fast_events(text, blank=False) == parser_events(text, blank=False)
        assert [e for e in fast if not (e.kind == "data" and e.text.isspace())] == fast_events(text, blank=False)
    tags = fast_start_tags(text, frozenset({"img"}), URL_ATTRIBUTES)
    if tags is not None:
        lines = LineIndex(text)
        assert tags == [
            StartTag(e.text, e.attrs, lines.line(e.offset))
            for e in parser_events(text)
            if e.kind in ("start", "startend") and (e.text == "img" or any(a in URL_ATTRIBUTES for a, _ in e.attrs))
        ]
    assert our_scan(text) == stdlib_scan(text)


def test_machine_made_markup_takes_the_fast_path() -> None:
    # What the build feeds these readers: Jinja's MJML and mjml-python's HTML (with its
    # conditional comments for Outlook, <style> blocks and a doctype).
    from test_newsletter_mjml import VALID

    from pubflow.newsletter.mjml_check import compile_mjml

    html = compile_mjml(VALID, template="t.mjml", locale="de")
    for text in (VALID, html):
        assert fast_events(text) is not None
        assert fast_events(text) == parser_events(text)
        assert fast_start_tags(text, frozenset({"img"}), URL_ATTRIBUTES) is not None
    assert "<!--[if mso" in html and "<style" in html
    assert our_scan(html) == stdlib_scan(html)
    assert ("https://example.org/a.png", "Bild", False) in [image[:3] for image in our_scan(html)[1]]


def test_mjml_problems_are_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        '<mjml>\n  <mj-body>\n    <mj-section>stray words\n      <mj-column>\n'
        '        <mj-txt colour="red">x</mj-txt>\n        <mj-text>Hallo <b>Welt</i></mj-text>\n'
        '        <mj-button colour="red" href="https://e.org/">Los</mj-text>\n'
        "      </mj-column>\n    </mj-section>\n"
    )
    assert fast_events(text) is not None
    fast = [(p.line, p.column, p.offset, p.message) for p in check_mjml(text)]
    monkeypatch.setattr(mjml_check, "markup_events", parser_events)
    slow = [(p.line, p.column, p.offset, p.message) for p in check_mjml(text)]
    assert fast == slow
    # stray text, unknown tag, </i> mismatch, <b> left open, attribute, </mj-text>, 2 never closed
    assert len(fast) == 8, fast
