"""Markup safety: which tags a translation may use and what `safe_translation` lets through."""

from __future__ import annotations

import re

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from pubflow.i18n.checks import EntryText, check_entry
from pubflow.i18n.markup import (
    FORBIDDEN_TAGS,
    has_markup,
    markup_issues,
    safe_translation,
    tags_of,
    url_scheme,
)

# A msgid with as much allowed markup as a real UI string could have: the widest attack surface.
RICH_MSGID = (
    'Read <a href="https://example.com/guide" title="Guide">the guide</a>, '
    '<img src="/static/logo.png" alt="Logo"> <strong>now</strong><br>'
)


def test_tags_of_normalises_names_and_counts_end_tags() -> None:
    assert tags_of('<A HREF="x">y</A><br/><BR><span/>') == {
        "a": 1,
        "/a": 1,
        "br": 2,
        "span": 1,
        "/span": 1,
    }
    assert tags_of("a < b and c > d") == {}
    assert tags_of("no markup") == {}


def test_has_markup() -> None:
    assert has_markup("<b>x</b>") and has_markup("Tom &amp; Jerry") and has_markup("<!-- x -->")
    assert not has_markup("Q&A, a < b, 3 > 2, 50% off")
    assert not has_markup("")


def test_plain_msgid_escapes_the_translation() -> None:
    assert safe_translation("Subscribe", "<b>Abonnieren</b>") == Markup(
        "&lt;b&gt;Abonnieren&lt;/b&gt;"
    )
    assert safe_translation("Q&A", "Fragen & Antworten") == Markup("Fragen &amp; Antworten")
    assert isinstance(safe_translation("a", "b"), Markup)


@pytest.mark.parametrize(
    ("msgstr", "expected"),
    [
        # Same tags, rewritten from the parsed tokens: quotes normalised, text escaped.
        (
            "Lies <a href='https://example.com/guide' title='Leitfaden'>den Leitfaden</a>",
            'Lies <a href="https://example.com/guide" title="Leitfaden">den Leitfaden</a>',
        ),
        (
            "<strong>Jetzt</strong> lesen & <br/>staunen",
            "<strong>Jetzt</strong> lesen &amp; <br>staunen",
        ),
        (
            "Fish &amp; chips &mdash; <strong>5 &lt; 6</strong>",
            "Fish &amp; chips \u2014 <strong>5 &lt; 6</strong>",
        ),
        (
            '<img src="/static/logo.png" alt="Logo &quot;X&quot;">',
            '<img src="/static/logo.png" alt="Logo &quot;X&quot;">',
        ),
        # A relative link may be localised.
        ('<a href="/de/guide">Leitfaden</a>', '<a href="/de/guide">Leitfaden</a>'),
        ("kein Markup", "kein Markup"),
    ],
)
def test_translation_with_the_sources_markup_keeps_it(msgstr: str, expected: str) -> None:
    assert markup_issues(RICH_MSGID, msgstr) == [] or not any(
        issue.fatal for issue in markup_issues(RICH_MSGID, msgstr)
    )
    assert safe_translation(RICH_MSGID, msgstr) == Markup(expected)


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src="/static/logo.png" alt="Logo" onerror="alert(1)">',
    "<img src=x oNeRrOr=alert(1)//>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" \tjava\nscript:alert(1)">x</a>',
    '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>" alt="Logo">',
    '<a href="//evil.example/">x</a>',
    '<a href="https://evil.example/">x</a>',
    '<strong style="background:url(https://t.example/p)">x</strong>',
    '<strong onmouseover="alert(1)">x</strong>',
    "<iframe src=https://evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<style>@import 'x'</style>",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<base href=https://evil.example/>",
    "<meta http-equiv=refresh content=0;url=javascript:alert(1)>",
    "<form action=https://evil.example><button>x</button></form>",
    "<strong>unclosed",
    "</strong>closed first<strong>",
    '<a href="https://example.com/guide" target="_blank">new attribute</a>',
    '<a href="https://example.com/guide" title="x" href="javascript:alert(1)">dup</a>',
    '<img src="/static/logo.png" alt="Logo" srcset="javascript:alert(1) 2x">',
    "<em>not in the source</em>",
    "</script><script>alert(1)//",
    "text</script>",
    "text</style>",
]


@pytest.mark.parametrize("msgstr", XSS)
def test_hostile_translation_is_escaped_whole(msgstr: str) -> None:
    assert any(issue.fatal for issue in markup_issues(RICH_MSGID, msgstr))
    assert safe_translation(RICH_MSGID, msgstr) == escape(msgstr)
    # ... and the markup check reports it as an error.
    diagnostics = check_entry(EntryText(RICH_MSGID, msgstr), locale="de")
    assert any(d.check == "markup" and d.is_error for d in diagnostics)


@pytest.mark.parametrize("tag", ["script", "iframe", "object", "embed"])
def test_dangerous_tags_are_errors_even_when_the_source_has_them(tag: str) -> None:
    msgid = f"<{tag}>x</{tag}> text"
    assert any(issue.fatal for issue in markup_issues(msgid, msgid))
    assert "<" + tag not in safe_translation(msgid, msgid)
    assert tag in FORBIDDEN_TAGS


def test_event_handlers_and_javascript_urls_are_errors_even_from_the_source() -> None:
    msgid = '<a href="javascript:go()" onclick="go()">Go</a>'
    messages = [issue.message for issue in markup_issues(msgid, msgid)]
    assert any("onclick=" in m for m in messages) and any("javascript:" in m for m in messages)
    assert safe_translation(msgid, msgid) == escape(msgid)


def test_tag_count_difference_is_only_a_warning() -> None:
    msgid = "<strong>a</strong> and <strong>b</strong>"
    [issue] = markup_issues(msgid, "<strong>a und b</strong>")
    assert not issue.fatal and "1 time(s), the source 2" in issue.message
    assert safe_translation(msgid, "<strong>a und b</strong>") == Markup("<strong>a und b</strong>")
    [diagnostic] = check_entry(EntryText(msgid, "<strong>a und b</strong>"), locale="de")
    assert (diagnostic.check, diagnostic.severity) == ("markup", "warning")


def test_messages_tell_the_translator_what_the_source_allows() -> None:
    [issue] = markup_issues("<em>a</em> b", "<em>a</em> <u>b</u>")
    assert (
        issue.message
        == "the translation adds <u>, which the source does not have (source tags: <em>)"
    )
    [issue] = markup_issues('<a href="/x">a</a>', '<a href="/x" class="big">a</a>')
    assert (
        issue.message
        == "<a> has the attribute class= that the source's <a> does not have (allowed: href)"
    )


def test_character_reference_in_a_plain_translation_is_a_warning() -> None:
    [issue] = markup_issues("Tom and Jerry", "Tom &amp; Jerry")
    assert not issue.fatal and "&amp;" in issue.message
    assert safe_translation("Tom and Jerry", "Tom &amp; Jerry") == Markup("Tom &amp;amp; Jerry")
    assert markup_issues("Tom &amp; Jerry", "Tom &amp; Jerry") == []


def test_url_scheme_sees_what_a_browser_sees() -> None:
    assert url_scheme(" \x01JaVa\tScRiPt:alert(1)") == "javascript"
    assert url_scheme("https://x.org") == "https"
    assert url_scheme("/relative:path") is None
    assert url_scheme("#top") is None


# ---------------------------------------------------------------------------------------------
# Property: whatever the catalog holds, the output never carries a live script.

_PIECES = [
    "<script>",
    "</script>",
    "<SCRIPT>",
    "<scr",
    "ipt>",
    '<a href="',
    "<a href='",
    "<a href=",
    "javascript:",
    "JAVASCRIPT:",
    "java\tscript:",
    "&#106;avascript:",
    "&#x6a;",
    "data:text/html,",
    "vbscript:",
    '"',
    "'",
    ">",
    "<",
    "/>",
    "</a>",
    "<img src=x ",
    "onerror=",
    " onload=",
    "ONCLICK=",
    "alert(1)",
    "<strong>",
    "</strong>",
    "<em>",
    "</em>",
    "<br>",
    "<iframe>",
    "<svg>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "&lt;",
    "&",
    ' style="',
    "url(x)",
    "expression(x)",
    "=",
    " ",
    "https://example.com/guide",
    "//evil",
    "\x00",
    "\n",
    "é",
]
_HOSTILE = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=14).map(
    "".join
)
_MSGIDS = st.one_of(
    st.just(RICH_MSGID),
    st.just("Plain text"),
    st.just('<a href="https://example.com/guide">x</a> <em>y</em>'),
    _HOSTILE,
)

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "data", "poster"}
_DANGEROUS_ELEMENTS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "svg",
    "math",
    "base",
    "meta",
    "link",
    "form",
}


def _browser_view_is_safe(output: str) -> None:
    """Parse like a browser (html5lib) and look for anything that could run."""
    fragment = html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        name = element.tag.split("}")[-1].lower()
        assert name not in _DANGEROUS_ELEMENTS, output
        for attribute, value in element.attrib.items():
            attribute = attribute.split("}")[-1].lower()
            assert not attribute.startswith("on"), output
            assert "javascript:" not in re.sub(r"\s", "", value.lower()), output
            if attribute in _URL_ATTRIBUTES:
                scheme = url_scheme(value)
                assert scheme in (None, "http", "https", "mailto", "tel"), output
            if attribute == "style":
                assert not re.search(r"url\s*\(|expression", value, re.I), output


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(msgid=_MSGIDS, msgstr=_HOSTILE)
def test_safe_translation_never_lets_script_through(msgid: str, msgstr: str) -> None:
    output = safe_translation(msgid, msgstr)
    assert isinstance(output, Markup)
    lowered = str(output).lower()
    assert "<script" not in lowered and "</script" not in lowered and "</style" not in lowered
    # Inside tags, outside quoted attribute values: no handler; nowhere in a tag: javascript:.
    tags = re.findall(r"<[^>]*>", lowered)
    assert not any(re.search(r"\son[a-z]*\s*=", re.sub(r'"[^"]*"', '""', tag)) for tag in tags)
    assert not any("javascript:" in tag for tag in tags), output
    _browser_view_is_safe(str(output))


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(msgid=_MSGIDS, msgstr=_HOSTILE)
def test_safe_translation_agrees_with_the_markup_check(msgid: str, msgstr: str) -> None:
    """Markup renders live only when the check passes; otherwise the reader sees the raw text."""
    output = safe_translation(msgid, msgstr)
    fatal = any(issue.fatal for issue in markup_issues(msgid, msgstr))
    if fatal or not has_markup(msgid):
        assert output == escape(msgstr)
    errors = [
        d
        for d in check_entry(EntryText(msgid, msgstr), locale="de")
        if d.check == "markup" and d.is_error
    ]
    assert bool(errors) == fatal or not msgid  # an empty msgid is the header: not checked
