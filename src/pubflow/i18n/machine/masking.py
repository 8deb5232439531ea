"""Hide what a machine translator must not touch behind opaque tokens, and put it back after.

Placeholders (``%(name)s``, ``%s``, ``%%``, ``{name}``, ``{0}``), markup tags, HTML entities and
URLs become tokens ``⟦0⟧``, ``⟦1⟧``, … (U+27E6/U+27E7, "mathematical white square brackets").
Why this shape and not ``<x id="0"/>`` or ``__0__``:

* it is not markup, so engines that translate plain text (Google's page, LibreTranslate and
  DeepL without ``tag_handling``, which deep-translator never sets) neither escape nor drop it;
* it has no letters, so nothing in it gets translated, transliterated or re-cased;
* ``_`` and ``{}`` are mangled by some engines (``__0__`` → ``__ 0 __``, ``{0}`` localized).

Engines still sometimes add spaces inside the brackets or write the digits in the target
script (Arabic-Indic ``٠``); :func:`unmask` accepts both. A token that comes back missing,
twice or unknown makes :func:`unmask` raise :class:`MaskError`: the result is thrown away.
Literal ``⟦``/``⟧`` in the source are masked too, so a token can never be forged by the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TOKEN_OPEN = "\u27e6"
TOKEN_CLOSE = "\u27e7"

# Tags, comments, character references, URLs and our own bracket characters. Placeholders come
# from :mod:`pubflow.i18n.placeholders`, so we protect exactly what the checks will compare.
_PROTECTED = re.compile(
    r"""
    (?P<url>(?:https?://|mailto:|www\.)[^\s<>"'\u27e6\u27e7]+?)(?=[.,;:!?)\]]*(?:[\s<>"'\u27e6\u27e7]|$))
    | (?P<tag></?[A-Za-z][\w:-]*(?:\s+[^<>]*?)?/?>|<!--.*?-->)
    | (?P<entity>&(?:[A-Za-z][A-Za-z0-9]{1,31}|\#[0-9]{1,7}|\#[xX][0-9A-Fa-f]{1,6});)
    | (?P<escape>%%|\{\{|\}\})
    | (?P<bracket>[\u27e6\u27e7])
    """,
    re.VERBOSE | re.DOTALL,
)

# What comes back: tolerate inner spaces and any Unicode decimal digits (٠١٢, ۰۱۲, ０１２).
_TOKEN_BACK = re.compile(rf"{TOKEN_OPEN}\s*(\d+)\s*{TOKEN_CLOSE}")


class MaskError(ValueError):
    """The translated text lost, duplicated or invented a token; the reason is in ``args[0]``."""


@dataclass(frozen=True)
class Masked:
    """``text`` with protected spans replaced by tokens; ``spans[i]`` is what ``⟦i⟧`` hides."""

    text: str
    spans: tuple[str, ...]


def token(index: int) -> str:
    """The token that stands for protected span number ``index``."""
    return f"{TOKEN_OPEN}{index}{TOKEN_CLOSE}"


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    """Non-overlapping ``(start, end)`` spans to protect; the earliest, then longest, wins."""
    from pubflow.i18n.placeholders import scan_placeholders

    ranges = [match.span() for match in _PROTECTED.finditer(text)]
    ranges += [(p.start, p.start + len(p.token)) for p in scan_placeholders(text)]
    ranges.sort(key=lambda span: (span[0], -span[1]))
    chosen: list[tuple[int, int]] = []
    for start, end in ranges:
        if end > start and (not chosen or start >= chosen[-1][1]):
            chosen.append((start, end))
    return chosen


def mask(text: str) -> Masked:
    """Replace placeholders, tags, entities and URLs of ``text`` by numbered tokens."""
    parts: list[str] = []
    spans: list[str] = []
    position = 0
    for start, end in _protected_ranges(text):
        parts.append(text[position:start])
        parts.append(token(len(spans)))
        spans.append(text[start:end])
        position = end
    parts.append(text[position:])
    return Masked("".join(parts), tuple(spans))


def protected_spans(text: str) -> list[str]:
    """The spans :func:`mask` would hide, in order."""
    return list(mask(text).spans)


def _token_number(digits: str) -> int:
    return int("".join(str(unicodedata.digit(char)) for char in digits))


def unmask(translated: str, masked: Masked) -> str:
    """Put the protected spans back into ``translated``; :class:`MaskError` if any went astray."""
    seen: set[int] = set()
    problems: list[str] = []

    def restore(match: re.Match[str]) -> str:
        number = _token_number(match.group(1))
        if number >= len(masked.spans):
            problems.append(f"invented token {number}")
            return match.group(0)
        if number in seen:
            problems.append(f"repeated {masked.spans[number]!r}")
        seen.add(number)
        return masked.spans[number]

    restored = _TOKEN_BACK.sub(restore, translated)
    missing = [masked.spans[i] for i in range(len(masked.spans)) if i not in seen]
    if missing:
        problems.insert(0, "lost " + ", ".join(repr(span) for span in missing))
    if TOKEN_OPEN in _TOKEN_BACK.sub("", translated) or TOKEN_CLOSE in _TOKEN_BACK.sub("", translated):
        problems.append("broken token")
    if problems:
        raise MaskError("; ".join(problems))
    return restored


def without_tokens(text: str) -> str:
    """``text`` with every ``⟦n⟧`` token removed."""
    return _TOKEN_BACK.sub("", text)


def has_words(text: str) -> bool:
    """True when ``text`` has a letter outside tokens (else there is nothing to translate)."""
    return any(unicodedata.category(char).startswith("L") for char in without_tokens(text))


def split_whitespace(text: str) -> tuple[str, str, str]:
    """``(leading, core, trailing)`` whitespace split, so the edges can be restored exactly."""
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]
