"""Cut a (masked) text into pieces a backend accepts, and glue the translations back.

Line breaks are always kept out of what is sent: each line is translated on its own and the
breaks are put back verbatim, so an engine cannot merge or add lines (the single-line rule of
the checks stays true by construction). A line longer than the backend's limit is cut at
sentence ends, then at spaces, and only as a last resort inside a word — never inside a
token (``⟦12⟧``). Whitespace between pieces is kept verbatim and never sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pubflow.i18n.machine.masking import TOKEN_CLOSE, TOKEN_OPEN, has_words

# Line breaks the checks know about (CR, LF, CRLF, U+2028, U+2029, U+0085).
_LINE_BREAK = re.compile("(\r\n|[\r\n\u2028\u2029\u0085])")
# A sentence ends with . ! ? … (or their CJK forms), optional closing quotes/brackets, then space.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])[\"'\u2019\u201d)\]]*(\s+)")
_SPACE = re.compile(r"(\s+)")


@dataclass(frozen=True)
class Piece:
    """Part of a text: ``send`` pieces go to the backend, the others are kept verbatim."""

    text: str
    send: bool


def split_text(text: str, limit: int) -> list[Piece]:
    """Pieces of ``text`` whose sendable parts are at most ``limit`` characters and have words.

    ``"".join(p.text for p in pieces) == text`` always holds.
    """
    if limit < 8:
        raise ValueError("limit must leave room for at least a token and a word")
    pieces: list[Piece] = []
    for part in _LINE_BREAK.split(text):
        if not part:
            continue
        if _LINE_BREAK.fullmatch(part):
            pieces.append(Piece(part, send=False))
            continue
        pieces.extend(_split_line(part, limit))
    return _merge_verbatim(pieces)


def join_pieces(pieces: list[Piece], translations: dict[int, str]) -> str:
    """Glue pieces back, using ``translations[i]`` for each sent piece number ``i``."""
    return "".join(translations[i] if piece.send else piece.text for i, piece in enumerate(pieces))


def _split_line(line: str, limit: int) -> list[Piece]:
    leading = line[: len(line) - len(line.lstrip())]
    trailing = line[len(line.rstrip()) :]
    core = line.strip()
    pieces: list[Piece] = []
    if leading:
        pieces.append(Piece(leading, send=False))
    if core:
        if not has_words(core):
            pieces.append(Piece(core, send=False))
        else:
            pieces.extend(_chunks(core, limit))
    if trailing and core:
        pieces.append(Piece(trailing, send=False))
    return pieces


def _chunks(core: str, limit: int) -> list[Piece]:
    """Greedy groups of sentences (then words, then characters) no longer than ``limit``."""
    if len(core) <= limit:
        return [Piece(core, send=True)]
    units = _split_keep_space(core, _SENTENCE_END)
    pieces: list[Piece] = []
    current = ""
    pending_space = ""
    for unit, space in units:
        if len(unit) > limit:
            if current:
                pieces.append(Piece(current, send=True))
                current = ""
            if pending_space:
                pieces.append(Piece(pending_space, send=False))
                pending_space = ""
            pieces.extend(_word_chunks(unit, limit))
            pending_space = space
            continue
        candidate = f"{current}{pending_space}{unit}" if current else unit
        if current and len(candidate) > limit:
            pieces.append(Piece(current, send=True))
            pieces.append(Piece(pending_space, send=False))
            current = unit
        else:
            if not current and pending_space:
                pieces.append(Piece(pending_space, send=False))
            current = candidate
        pending_space = space
    if current:
        pieces.append(Piece(current, send=True))
    if pending_space:
        pieces.append(Piece(pending_space, send=False))
    return [piece if has_words(piece.text) or not piece.send else Piece(piece.text, send=False) for piece in pieces]


def _word_chunks(sentence: str, limit: int) -> list[Piece]:
    units = _split_keep_space(sentence, _SPACE)
    pieces: list[Piece] = []
    current = ""
    pending_space = ""
    for unit, space in units:
        words = [unit] if len(unit) <= limit else _hard_cut(unit, limit)
        for index, word in enumerate(words):
            joiner = pending_space if index == 0 else ""
            candidate = f"{current}{joiner}{word}" if current else word
            if current and len(candidate) > limit:
                pieces.append(Piece(current, send=True))
                if joiner:
                    pieces.append(Piece(joiner, send=False))
                current = word
            else:
                current = candidate
        pending_space = space
    if current:
        pieces.append(Piece(current, send=True))
    if pending_space:
        pieces.append(Piece(pending_space, send=False))
    return pieces


def _hard_cut(word: str, limit: int) -> list[str]:
    """Cut a word longer than ``limit`` into slices, never splitting a ``⟦n⟧`` token."""
    parts: list[str] = []
    rest = word
    while len(rest) > limit:
        cut = limit
        opened = rest.rfind(TOKEN_OPEN, 0, cut)
        if opened != -1 and rest.find(TOKEN_CLOSE, opened) >= cut:
            cut = opened or rest.find(TOKEN_CLOSE) + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


def _split_keep_space(text: str, separator: re.Pattern[str]) -> list[tuple[str, str]]:
    """``[(unit, whitespace after it), …]`` using the whitespace group of ``separator``."""
    units: list[tuple[str, str]] = []
    position = 0
    for match in separator.finditer(text):
        start, end = match.span(1)
        units.append((text[position:start], text[start:end]))
        position = end
    units.append((text[position:], ""))
    return [(unit, space) for unit, space in units if unit or space]


def _merge_verbatim(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if merged and not piece.send and not merged[-1].send:
            merged[-1] = Piece(merged[-1].text + piece.text, send=False)
        else:
            merged.append(piece)
    return merged
