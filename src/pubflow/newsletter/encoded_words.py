"""Non-ASCII header text as RFC 2047 encoded words that every reader decodes back exactly.

Why not the email package's own folding: for a long non-ASCII Subject it splits the text so
that the space between two words ends up *between* two encoded words, where RFC 2047 §6.2 says
whitespace is ignored ("ثلاث طرق" reads back as "ثلاثطرق"), and it writes encoded words of
76 characters (§2 allows 75) on lines of 79. Here:

- a run of words that need encoding (non-ASCII, or ASCII that could be mistaken for an encoded
  word or is too long for a line) becomes encoded words *with the spaces inside them*; the
  folds between those encoded words carry no text, so dropping them (as §6.2 says) is right;
- a plain ASCII word stays as it is, with the whitespace before it written literally, which is
  where the value is folded between such words (unfolding gives the same text back);
- every encoded word holds whole characters (§5) and, where it can, whole grapheme clusters
  (a base letter with its marks, an emoji sequence), is at most 75 characters, and every line
  at most 78 (RFC 5322 §2.1.1).

Display names (From, Reply-To) are phrases, which Python's parser (email.policy.default)
decodes differently: it keeps the whitespace between two encoded words, where §6.2 drops it.
No split pleases both, so a non-ASCII display name is one encoded word (see
:func:`encode_display_name`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator

MAX_LINE = 78
"""RFC 5322 §2.1.1: lines SHOULD be at most 78 characters (CRLF excluded)."""

MAX_WORD = 75
"""RFC 2047 §2: an encoded word is at most 75 characters."""

_PREFIX_B = "=?utf-8?b?"
_PREFIX_Q = "=?utf-8?q?"
_OVERHEAD = len(_PREFIX_B) + len("?=")

# RFC 2047 §5(3): the characters a "Q"-encoded word may carry as they are in any header
# position (phrases included); everything else is =XX, and a space is "_".
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")

_SPACES = re.compile(r"([ \t]+)")
_ZWJ = "\u200d"


def _q_length(data: bytes) -> int:
    return sum(1 if byte in _Q_SAFE or byte == 0x20 else 3 for byte in data)


def _q_encode(data: bytes) -> str:
    return "".join(
        "_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in data
    )


def _b_length(size: int) -> int:
    return 4 * math.ceil(size / 3)


def _b_encode(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def _joins_previous(char: str, previous: str) -> bool:
    """Whether ``char`` belongs to the grapheme cluster of the character before it."""
    if previous == _ZWJ or char == _ZWJ:
        return True
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    code = ord(char)
    return (
        0xFE00 <= code <= 0xFE0F  # variation selectors (emoji or text style)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
    )


def _clusters(text: str) -> list[str]:
    """``text`` cut into approximate grapheme clusters (never inside one as far as known)."""
    clusters: list[str] = []
    for char in text:
        if clusters and _joins_previous(char, clusters[-1][-1]):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _payload_length(data: bytes, encoding: str) -> int:
    return _b_length(len(data)) if encoding == "b" else _q_length(data)


def _encode(data: bytes, encoding: str) -> str:
    if encoding == "b":
        return f"{_PREFIX_B}{_b_encode(data)}?="
    return f"{_PREFIX_Q}{_q_encode(data)}?="


def _pick_encoding(text: str) -> str:
    """"q" (readable) unless "b" is shorter, as for CJK, Arabic or Cyrillic text."""
    data = text.encode("utf-8")
    return "b" if _b_length(len(data)) < _q_length(data) else "q"


def _units(text: str, encoding: str, budget: int) -> list[bytes]:
    """The clusters of ``text`` as UTF-8; one too big for any encoded word is cut into its
    characters (§5 asks only for whole characters)."""
    units: list[bytes] = []
    for cluster in _clusters(text):
        data = cluster.encode("utf-8")
        if _payload_length(data, encoding) <= budget:
            units.append(data)
        else:
            units.extend(char.encode("utf-8") for char in cluster)
    return units


def _encoded_words(text: str, first_room: int) -> Iterator[str]:
    """Encoded words for ``text``: the first at most ``first_room`` characters long (what is
    left of its line), the others at most :data:`MAX_WORD`. An empty first word means that
    not even the first character fits there: it goes on a line of its own."""
    encoding = _pick_encoding(text)
    room = min(first_room, MAX_WORD)
    chunk = b""
    for unit in _units(text, encoding, MAX_WORD - _OVERHEAD):
        if _payload_length(chunk + unit, encoding) > room - _OVERHEAD:
            yield _encode(chunk, encoding) if chunk else ""
            chunk, room = b"", MAX_WORD
        chunk += unit
    if chunk:
        yield _encode(chunk, encoding)


def _plain(word: str, room: int) -> bool:
    """Whether ``word`` can be written as it is: printable ASCII, no ``=?`` that a reader
    could take for an encoded word, and short enough for a line of its own."""
    return (
        word.isascii()
        and word.isprintable()
        and "=?" not in word
        and "?=" not in word
        and len(word) <= room
    )


def _runs(text: str, first_room: int) -> list[tuple[str, str, bool]]:
    """``text`` as (whitespace before, text, encoded?) pieces.

    Plain words keep the whitespace before them literally; neighbouring words to be encoded
    are merged into one piece with the whitespace between them, and so is whitespace at
    either end (a reader drops it around encoded words and at the start of a value).
    """
    parts = _SPACES.split(text)  # word, space, word, …, word ("" at an end with spaces)
    words = parts[0::2]
    spaces = ["", *parts[1::2]]
    encode = [
        not _plain(word, (first_room if index == 0 else MAX_LINE - len(spaces[index])))
        for index, word in enumerate(words)
    ]
    if words[0] == "" and len(words) > 1:
        encode[0] = encode[1] = True
    if words[-1] == "" and len(words) > 1:
        encode[-1] = encode[-2] = True
    pieces: list[tuple[str, str, bool]] = []
    for space, word, coded in zip(spaces, words, encode, strict=True):
        if coded and pieces and pieces[-1][2]:
            before, joined, _ = pieces[-1]
            pieces[-1] = (before, joined + space + word, True)
        else:
            pieces.append((space, word, coded))
    return [piece for piece in pieces if piece[1] or piece[0]]


def fold_unstructured(name: str, text: str) -> str:
    """The value of header ``name`` for ``text``, folded (CRLF and a space) and encoded so that
    every line is at most 78 characters, every encoded word at most 75, and decoding gives
    ``text`` back exactly. For ``message.set_raw``."""
    lines: list[str] = []
    line = f"{name}: "
    for space, piece, coded in _runs(text, MAX_LINE - len(line)):
        if not coded:
            if len(line) + len(space) + len(piece) > MAX_LINE and space:
                lines.append(line)
                line = ""
            line += space + piece
            continue
        lead = space
        # Too little room left for even a short encoded word: start a new line. (Never right
        # after the header name: the value starts there; _runs put no space before it.)
        if MAX_LINE - len(line) - len(lead) < _OVERHEAD + 12 and space:
            lines.append(line)
            line = ""
        for index, word in enumerate(_encoded_words(piece, MAX_LINE - len(line) - len(lead))):
            if index:  # the fold between two encoded words carries no text (§6.2)
                lines.append(line)
                line = ""
            if word:
                line += lead + word
                lead = " "
            elif not lead:  # nothing fits after the header name: the value starts below
                lead = " "
    lines.append(line)
    value = "\r\n".join(lines)
    return value[len(name) + 2 :]


def encode_display_name(name: str, room: int) -> str | None:
    """``name`` as one encoded word of at most ``room`` (and 75) characters, or None when it
    does not fit in one (see the module docstring: two would read back differently)."""
    word = _encode(name.encode("utf-8"), _pick_encoding(name))
    return word if len(word) <= min(room, MAX_WORD) else None
