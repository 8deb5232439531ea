from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.i18n.machine.splitting import Piece, join_pieces, split_text


def sent(pieces: list[Piece]) -> list[str]:
    return [piece.text for piece in pieces if piece.send]


def test_short_text_is_one_piece_and_edges_stay_home() -> None:
    pieces = split_text("  Hello there. \n", 100)
    assert sent(pieces) == ["Hello there."]
    assert "".join(piece.text for piece in pieces) == "  Hello there. \n"


def test_lines_are_translated_separately_and_breaks_kept() -> None:
    pieces = split_text("First line\r\nSecond line\u2028Third", 100)
    assert sent(pieces) == ["First line", "Second line", "Third"]


def test_long_text_is_cut_at_sentence_ends_under_the_limit() -> None:
    sentence = "This sentence has exactly forty-four chars. "
    text = (sentence * 30).strip()  # ~1,300 characters
    pieces = split_text(text, 499)  # MyMemory's limit
    assert all(len(piece) <= 499 for piece in sent(pieces))
    assert all(piece.endswith(".") for piece in sent(pieces))
    assert len(sent(pieces)) == 3
    assert join_pieces(pieces, {i: p.text for i, p in enumerate(pieces) if p.send}) == text


def test_google_limit_on_a_5000_character_paragraph() -> None:
    text = " ".join(f"Sentence number {n} talks about ketamine therapy." for n in range(120))
    assert len(text) > 5000
    pieces = split_text(text, 4999)
    assert len(sent(pieces)) == 2
    assert all(len(piece) < 5000 for piece in sent(pieces))


def test_words_then_characters_when_no_sentence_end_fits() -> None:
    pieces = split_text("a" * 30 + "⟦12⟧" + "b" * 10, 16)
    texts = sent(pieces)
    assert all(len(text) <= 16 for text in texts)
    assert not any(re.search("⟦\\d*$|^\\d*⟧", text) for text in texts)  # no token cut in two


def test_pieces_without_words_are_not_sent() -> None:
    assert sent(split_text("⟦0⟧ — ⟦1⟧", 100)) == []


def test_tiny_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 3)


_WORDS = st.sampled_from(["word", "longerword", "⟦3⟧", "⟦12⟧", ". ", "! ", " ", "  ", "\n", "é", "x" * 40, "…"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, max_size=40).map("".join), st.integers(min_value=8, max_value=120))
def test_split_is_lossless_and_respects_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(piece.text for piece in pieces) == text
    for piece in sent(pieces):
        assert 0 < len(piece) <= limit
        assert piece == piece.strip()
        assert "\n" not in piece
        assert piece.count("⟦") == piece.count("⟧")
