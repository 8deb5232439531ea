"""UTM tagging keeps what a link has; the link and image rules of the rendered HTML."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.newsletter.links import add_utm, check_links, has_utm
from pubflow.newsletter.plaintext import format_plain_text, wrap_line


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_utm_parameters_are_added_before_the_fragment() -> None:
    url = add_utm("https://example.org/de/a/#tip-2", campaign="2026-12", content="tip-2")
    assert url == (
        "https://example.org/de/a/?utm_source=newsletter&utm_medium=email"
        "&utm_campaign=2026-12&utm_content=tip-2#tip-2"
    )


def test_existing_parameters_are_kept_byte_for_byte_and_never_overwritten() -> None:
    original = "https://example.org/p?utm_source=partner&q=a+b%20c&flag&utm_content=hero#x"
    url = add_utm(original, campaign="2026-12", content="cta")
    assert url.startswith("https://example.org/p?utm_source=partner&q=a+b%20c&flag&utm_content=hero&")
    assert url.endswith("#x")
    found = params(url)
    assert ("utm_source", "partner") in found and ("utm_source", "newsletter") not in found
    assert ("utm_content", "hero") in found and ("utm_content", "cta") not in found
    assert ("utm_medium", "email") in found and ("utm_campaign", "2026-12") in found
    assert add_utm(url, campaign="other", content="other") == url  # idempotent


def test_mailto_and_other_schemes_are_left_alone() -> None:
    for url in ("mailto:unsubscribe@example.org?subject=x", "tel:+4930123", "#top"):
        assert add_utm(url, campaign="c", content="s") == url


names = st.text(alphabet="abcdefgh_", min_size=1, max_size=8)
values = st.text(alphabet="abcXYZ019-._~", max_size=8)


@settings(max_examples=150, deadline=None)
@given(existing=st.lists(st.tuples(st.one_of(names, st.sampled_from(["utm_source", "utm_content"])), values), max_size=6),
       fragment=st.one_of(st.just(""), st.text(alphabet="abc-12", min_size=1, max_size=6)))
def test_tagging_keeps_every_existing_parameter(existing: list[tuple[str, str]], fragment: str) -> None:
    query = "&".join(f"{k}={v}" for k, v in existing)
    url = "https://example.org/a/" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    tagged = add_utm(url, campaign="2026-12", content="related-3")
    found = params(tagged)
    assert found[: len(params(url))] == params(url)  # the old ones first, unchanged, in order
    assert has_utm(tagged)
    assert urlsplit(tagged).fragment == fragment
    present = {k for k, _ in existing}
    for key, value in (("utm_source", "newsletter"), ("utm_content", "related-3")):
        assert ((key, value) in found) == (key not in present)


def test_link_and_image_rules() -> None:
    unsubscribe = "https://example.org/unsubscribe/TOKEN"
    html = (
        '<a href="http://example.org/">plain http</a>\n'
        '<a href="/relative/">relative</a>\n'
        '<a href="https://example.org/ok?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=c&amp;utm_content=x">ok</a>\n'
        '<a href="https://example.org/untagged">untagged</a>\n'
        '<a href="mailto:hello@example.org">mail</a>\n'
        f'<a href="{unsubscribe}">unsubscribe</a>\n'
        '<img src="https://example.org/a.png">\n'
        '<img src="http://example.org/b.png" alt="b">\n'
        '<img src="https://example.org/c.png" alt="" role="presentation">\n'
    )
    found = {(issue.severity, issue.check, issue.line) for issue in check_links(html, untracked=[unsubscribe])}
    assert found == {
        ("error", "links", 1),
        ("error", "links", 2),
        ("warning", "utm", 4),
        ("error", "images", 7),  # no alt text
        ("error", "images", 8),  # not https
    }
    tagged_unsubscribe = add_utm(unsubscribe, campaign="c", content="u")
    issues = check_links(f'<a href="{tagged_unsubscribe}">u</a>', untracked=[tagged_unsubscribe])
    assert [(i.severity, i.check) for i in issues] == [("error", "utm")]


def test_plain_text_wraps_at_72_keeps_urls_whole_and_fits_underlines() -> None:
    long_url = "https://example.org/" + "a" * 90
    text = (
        "A heading that is long enough to be wrapped because it goes on and on and on and on\n===\n\n"
        + "word " * 40 + "\n\n"
        + f"[12] {long_url}\n"
        + "- a list item that is long enough to wrap onto a second line with a hanging indent ok\n"
        + "نتناول هذا الشهر ما يساعد العلاج بالكيتامين على تحقيق نتائجه، قبل الجلسة وأثناءها وبعدها.\n"
    )
    lines = format_plain_text(text).splitlines()
    assert all(len(line) <= 72 for line in lines if "https://" not in line)
    assert f"[12] {long_url}" in lines
    assert lines[2] == "=" * max(len(lines[0]), len(lines[1]))
    item = lines.index(next(line for line in lines if line.startswith("- a list item")))
    assert lines[item + 1].startswith("  ") and not lines[item + 1].startswith("   ")
    arabic = [line for line in lines if "الكيتامين" in line or "وبعدها" in line]
    assert " ".join(arabic).split() == "نتناول هذا الشهر ما يساعد العلاج بالكيتامين على تحقيق نتائجه، قبل الجلسة وأثناءها وبعدها.".split()
    assert wrap_line("short") == ["short"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_text_width_counts_columns_like_char_width(text: str) -> None:
    from pubflow.i18n.linebreak import char_width
    from pubflow.newsletter.plaintext import text_width

    assert text_width(text) == sum(char_width(char) for char in text)
    assert text_width("abc") == 3 and text_width("日本") == 4 and text_width("e\u0301\t") == 1


def test_utm_values_are_form_encoded_like_urlencode() -> None:
    from urllib.parse import urlencode

    url = add_utm("https://example.org/a", campaign="Spring sale/ü&x", content="tip-1")
    expected = urlencode(
        [("utm_source", "newsletter"), ("utm_medium", "email"), ("utm_campaign", "Spring sale/ü&x"), ("utm_content", "tip-1")]
    )
    assert url == f"https://example.org/a?{expected}"
    assert ("utm_campaign", "Spring sale/ü&x") in params(url)
