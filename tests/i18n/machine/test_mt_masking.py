from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.i18n.machine.masking import MaskError, has_words, mask, split_whitespace, unmask
from pubflow.i18n.placeholders import placeholders_of


def test_placeholders_markup_entities_and_urls_become_tokens() -> None:
    text = 'Hi %(name)s, see <a href="https://x.org/a?b=1">docs</a> &amp; {count} at https://y.org/p. 100%%'
    masked = mask(text)
    assert masked.text == "Hi ⟦0⟧, see ⟦1⟧docs⟦2⟧ ⟦3⟧ ⟦4⟧ at ⟦5⟧. 100⟦6⟧"
    assert masked.spans == (
        "%(name)s", '<a href="https://x.org/a?b=1">', "</a>", "&amp;", "{count}", "https://y.org/p", "%%",
    )  # fmt: skip
    assert unmask(masked.text, masked) == text


def test_prose_is_not_taken_for_a_placeholder() -> None:
    assert mask("It is 50% off, {color: red}").spans == ()


def test_tolerates_spaces_and_native_digits_in_tokens() -> None:
    masked = mask("Hello %(name)s <b>now</b>")
    assert unmask("مرحبا ⟦ ٠ ⟧ ⟦١⟧الآن⟦2⟧", masked) == "مرحبا %(name)s <b>الآن</b>"


@pytest.mark.parametrize(
    ("translated", "needle"),
    [
        ("Hallo ⟦0⟧", "lost '<b>', '</b>'"),
        ("⟦0⟧ ⟦0⟧ ⟦1⟧ ⟦2⟧", "repeated"),
        ("⟦0⟧ ⟦1⟧ ⟦2⟧ ⟦7⟧", "invented token 7"),
        ("⟦0⟧ ⟦1⟧ ⟦2⟧ ⟦", "broken token"),
    ],
)
def test_damaged_tokens_are_refused(translated: str, needle: str) -> None:
    with pytest.raises(MaskError, match=needle):
        unmask(translated, mask("Hello %(name)s <b>now</b>"))


def test_literal_token_brackets_in_the_source_cannot_forge_a_token() -> None:
    masked = mask("keep ⟦0⟧ literally %s")
    assert unmask(masked.text, masked) == "keep ⟦0⟧ literally %s"
    assert "%s" not in masked.text


def test_edges_and_words() -> None:
    assert split_whitespace("  Next: \n") == ("  ", "Next:", " \n")
    assert split_whitespace("   ") == ("   ", "", "")
    assert not has_words("⟦0⟧ ⟦1⟧ — 42")
    assert has_words("⟦0⟧ files")


_PIECES = st.sampled_from(
    ["%(name)s", "%s", "%d", "{count}", "{}", "<b>", "</b>", '<a href="https://a.b/c">', "&amp;",
     "https://example.org/x?y=1", "⟦", "⟧", "%%", " ", "word", "Ünïcödé", ". ", "\n", "50%", "{{"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=5), max_size=12).map("".join))
def test_mask_round_trips_and_hides_every_placeholder(text: str) -> None:
    masked = mask(text)
    assert unmask(masked.text, masked) == text
    # Nothing the placeholder check compares reaches the engine, and tokens carry no letters.
    assert not placeholders_of(masked.text)
    assert not has_words(masked.text) or has_words(text)
