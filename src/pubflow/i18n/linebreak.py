"""GNU gettext's line wrapping of PO strings, so our catalogs match msgmerge/msgcat byte for byte.

GNU gettext (``write-po.c``) wraps each ``msgid``/``msgstr`` at 79 columns using Unicode line
breaking (UAX #14, as implemented by GNU libunistring). Babel and polib use ``textwrap``
instead, so a catalog they write is re-wrapped by the next ``msgmerge`` or Poedit save and
every update shows spurious diffs. This module re-implements the same pair-table algorithm.

The per-character classes below are derived from the general category, plus a table of the
characters whose class differs from that default. The table was measured against the
libunistring 1.0 that Debian's gettext 0.21 uses (U+0020-U+30FF and the half/full-width forms);
outside those blocks a character falls back to its category's default class. That covers
every script our locales use (Latin, Arabic, the pseudo-locale); exotic scripts (Thai,
Hebrew) may wrap differently from msgmerge, which only affects diffs, never correctness.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from functools import lru_cache

PAGE_WIDTH = 79
"""gettext's default ``--width``: no physical line is longer than this (in columns)."""

# Break actions between the class before and the class after (pair-table algorithm of
# UAX #14): D = break allowed, I = break only if spaces came between, P = never break.
_CLASSES = ("GL", "B2", "BA", "BB", "HY", "CL", "CP", "EX", "IN", "NS", "OP", "QU", "IS",
            "NU", "PO", "PR", "AL", "ID", "WJ")
_COLUMN = {name: index for index, name in enumerate(_CLASSES)}
_PAIRS = {
    # after →  GL B2 BA BB HY CL CP EX IN NS OP QU IS NU PO PR AL ID WJ
    "GL": "IIIIIPPPIIIIPIIIIIP",
    "B2": "IPIDIPPPIIDIPDDDDDP",
    "BA": "DDIDIPPPIIDIPDDDDDP",
    "BB": "IIIIIPPPIIIIPIIIIIP",
    "HY": "DDIDIPPPIIDIPIDDDDP",
    "CL": "IDIDIPPPIPDIPDIIDDP",
    "CP": "IDIDIPPPIIDIPIIIIDP",
    "EX": "IDIDIPPPIIDIPDDDDDP",
    "IN": "IDIDIPPPIIDIPDDDDDP",
    "NS": "IDIDIPPPIIDIPDDDDDP",
    "OP": "PPPPPPPPPPPPPPPPPPP",
    "QU": "IIIIIPPPIIPIPIIIIIP",
    "IS": "IDIDIPPPIIDIPIDDDDP",
    "NU": "IDIDIPPPIIIIPIIIIDP",
    "PO": "IDIDIPPPIIIIPIDDIDP",
    "PR": "IDIDIPPPIIIIPIDDIIP",
    "AL": "IDIDIPPPIIIIPIIIIDP",
    "ID": "IDIDIPPPIIDIPDIDDDP",
    "WJ": "IIIIIPPPIIIIPIIIIIP",
}

_CATEGORY_DEFAULT = {
    "Nd": "NU", "Pe": "CL", "Pf": "QU", "Pi": "QU", "Ps": "OP", "Sc": "PR", "Zs": "BA",
    "Pd": "BA", "Mn": "CM", "Me": "CM", "Mc": "CM", "Cf": "CM", "Zl": "BK", "Zp": "BK",
}

# (first, last, class) for characters whose class is not their category's default.
_EXCEPTIONS = (
    (0x0021, 0x0021, "EX"), (0x0022, 0x0022, "QU"), (0x0025, 0x0025, "PO"), (0x0027, 0x0027, "QU"),
    (0x0029, 0x0029, "CP"), (0x002B, 0x002B, "PR"), (0x002C, 0x002C, "IS"), (0x002D, 0x002D, "HY"),
    (0x002E, 0x002F, "IS"), (0x003A, 0x003B, "IS"), (0x003F, 0x003F, "EX"), (0x005C, 0x005C, "PR"),
    (0x005D, 0x005D, "CP"), (0x007C, 0x007C, "BA"), (0x00A0, 0x00A0, "GL"), (0x00A1, 0x00A1, "OP"),
    (0x00A2, 0x00A2, "PO"), (0x00AD, 0x00AD, "BA"), (0x00B0, 0x00B0, "PO"), (0x00B1, 0x00B1, "PR"),
    (0x00B4, 0x00B4, "BB"), (0x00BF, 0x00BF, "OP"), (0x02C8, 0x02C8, "BB"), (0x02CC, 0x02CC, "BB"),
    (0x02DF, 0x02DF, "BB"), (0x034F, 0x034F, "GL"), (0x035C, 0x0362, "GL"), (0x037E, 0x037E, "IS"),
    (0x0589, 0x0589, "IS"), (0x05C6, 0x05C6, "EX"), (0x0609, 0x060B, "PO"), (0x060C, 0x060D, "IS"),
    (0x061B, 0x061B, "EX"), (0x061D, 0x061F, "EX"), (0x066A, 0x066A, "PO"), (0x066B, 0x066C, "NU"),
    (0x06D4, 0x06D4, "EX"), (0x07F8, 0x07F8, "IS"), (0x07F9, 0x07F9, "EX"), (0x0964, 0x0965, "BA"),
    (0x09F2, 0x09F3, "PO"), (0x09F9, 0x09F9, "PO"), (0x0C77, 0x0C77, "BB"), (0x0C84, 0x0C84, "BB"),
    (0x0D79, 0x0D79, "PO"), (0x0E31, 0x0E31, "AL"), (0x0E34, 0x0E3A, "AL"), (0x0E47, 0x0E4E, "AL"),
    (0x0E5A, 0x0E5B, "BA"), (0x0EB1, 0x0EB1, "AL"), (0x0EB4, 0x0EBC, "AL"), (0x0EC8, 0x0ECD, "AL"),
    (0x0F01, 0x0F04, "BB"), (0x0F06, 0x0F07, "BB"), (0x0F08, 0x0F08, "GL"), (0x0F09, 0x0F0A, "BB"),
    (0x0F0B, 0x0F0B, "BA"), (0x0F0C, 0x0F0C, "GL"), (0x0F0D, 0x0F11, "EX"), (0x0F12, 0x0F12, "GL"),
    (0x0F14, 0x0F14, "EX"), (0x0F34, 0x0F34, "BA"), (0x0F7F, 0x0F7F, "BA"), (0x0F85, 0x0F85, "BA"),
    (0x0FBE, 0x0FBF, "BA"), (0x0FD0, 0x0FD1, "BB"), (0x0FD2, 0x0FD2, "BA"), (0x0FD3, 0x0FD3, "BB"),
    (0x0FD9, 0x0FDA, "GL"), (0x102B, 0x103E, "AL"), (0x104A, 0x104B, "BA"), (0x1056, 0x1059, "AL"),
    (0x105E, 0x1060, "AL"), (0x1062, 0x1064, "AL"), (0x1067, 0x106D, "AL"), (0x1071, 0x1074, "AL"),
    (0x1082, 0x108D, "AL"), (0x108F, 0x108F, "AL"), (0x109A, 0x109D, "AL"), (0x1100, 0x11FF, "ID"),
    (0x1361, 0x1361, "BA"), (0x16EB, 0x16ED, "BA"), (0x1735, 0x1736, "BA"), (0x17B4, 0x17D3, "AL"),
    (0x17D4, 0x17D5, "BA"), (0x17D6, 0x17D6, "NS"), (0x17D8, 0x17D8, "BA"), (0x17DA, 0x17DA, "BA"),
    (0x17DD, 0x17DD, "AL"), (0x1802, 0x1803, "EX"), (0x1804, 0x1805, "BA"), (0x1806, 0x1806, "BB"),
    (0x1808, 0x1809, "EX"), (0x180E, 0x180E, "GL"), (0x1944, 0x1945, "EX"), (0x1A55, 0x1A5E, "AL"),
    (0x1A60, 0x1A7C, "AL"), (0x1B5A, 0x1B5B, "BA"), (0x1B5D, 0x1B60, "BA"), (0x1B7D, 0x1B7E, "BA"),
    (0x1C3B, 0x1C3F, "BA"), (0x1C7E, 0x1C7F, "BA"), (0x1FFD, 0x1FFD, "BB"), (0x2007, 0x2007, "GL"),
    (0x2011, 0x2011, "GL"), (0x2014, 0x2014, "B2"), (0x2015, 0x2015, "AL"), (0x2024, 0x2026, "IN"),
    (0x2027, 0x2027, "BA"), (0x202F, 0x202F, "GL"), (0x2030, 0x2037, "PO"), (0x203C, 0x203D, "NS"),
    (0x2044, 0x2044, "IS"), (0x2047, 0x2049, "NS"), (0x2056, 0x2056, "BA"), (0x2058, 0x205B, "BA"),
    (0x205D, 0x205E, "BA"), (0x2060, 0x2060, "WJ"), (0x20A7, 0x20A7, "PO"), (0x20B6, 0x20B6, "PO"),
    (0x20BB, 0x20BB, "PO"), (0x20BE, 0x20BE, "PO"), (0x20C0, 0x20C0, "PO"), (0x2103, 0x2103, "PO"),
    (0x2109, 0x2109, "PO"), (0x2116, 0x2116, "PR"), (0x2212, 0x2213, "PR"), (0x22EF, 0x22EF, "IN"),
    (0x231A, 0x231B, "ID"), (0x23F0, 0x23F3, "ID"), (0x2600, 0x2603, "ID"), (0x2614, 0x2615, "ID"),
    (0x2618, 0x2618, "ID"), (0x261A, 0x261F, "ID"), (0x2639, 0x263B, "ID"), (0x2668, 0x2668, "ID"),
    (0x267F, 0x267F, "ID"), (0x26BD, 0x26C8, "ID"), (0x26CD, 0x26CD, "ID"), (0x26CF, 0x26D1, "ID"),
    (0x26D3, 0x26D4, "ID"), (0x26D8, 0x26D9, "ID"), (0x26DC, 0x26DC, "ID"), (0x26DF, 0x26E1, "ID"),
    (0x26EA, 0x26EA, "ID"), (0x26F1, 0x26F5, "ID"), (0x26F7, 0x26FA, "ID"), (0x26FD, 0x2704, "ID"),
    (0x2708, 0x270D, "ID"), (0x275B, 0x2760, "QU"), (0x2762, 0x2763, "EX"), (0x2764, 0x2764, "ID"),
    (0x2CF9, 0x2CF9, "EX"), (0x2CFA, 0x2CFC, "BA"), (0x2CFE, 0x2CFE, "EX"), (0x2CFF, 0x2CFF, "BA"),
    (0x2D70, 0x2D70, "BA"), (0x2E00, 0x2E01, "QU"), (0x2E06, 0x2E08, "QU"), (0x2E0B, 0x2E0B, "QU"),
    (0x2E0E, 0x2E15, "BA"), (0x2E18, 0x2E18, "OP"), (0x2E19, 0x2E19, "BA"), (0x2E1A, 0x2E1A, "AL"),
    (0x2E2A, 0x2E2D, "BA"), (0x2E2E, 0x2E2E, "EX"), (0x2E30, 0x2E31, "BA"), (0x2E33, 0x2E34, "BA"),
    (0x2E3A, 0x2E3B, "B2"), (0x2E3C, 0x2E3E, "BA"), (0x2E41, 0x2E41, "BA"), (0x2E43, 0x2E4A, "BA"),
    (0x2E4C, 0x2E4C, "BA"), (0x2E4E, 0x2E4F, "BA"), (0x2E53, 0x2E54, "EX"), (0x2E80, 0x2E99, "ID"),
    (0x2E9B, 0x2EF3, "ID"), (0x2F00, 0x2FD5, "ID"), (0x2FF0, 0x2FFB, "ID"), (0x3001, 0x3002, "CL"),
    (0x3003, 0x3004, "ID"), (0x3005, 0x3005, "NS"), (0x3006, 0x3007, "ID"), (0x3012, 0x3013, "ID"),
    (0x301C, 0x301C, "NS"), (0x3020, 0x3029, "ID"), (0x3030, 0x3034, "ID"), (0x3036, 0x303A, "ID"),
    (0x303B, 0x303C, "NS"), (0x303D, 0x303F, "ID"), (0x3041, 0x3041, "NS"), (0x3042, 0x3042, "ID"),
    (0x3043, 0x3043, "NS"), (0x3044, 0x3044, "ID"), (0x3045, 0x3045, "NS"), (0x3046, 0x3046, "ID"),
    (0x3047, 0x3047, "NS"), (0x3048, 0x3048, "ID"), (0x3049, 0x3049, "NS"), (0x304A, 0x3062, "ID"),
    (0x3063, 0x3063, "NS"), (0x3064, 0x3082, "ID"), (0x3083, 0x3083, "NS"), (0x3084, 0x3084, "ID"),
    (0x3085, 0x3085, "NS"), (0x3086, 0x3086, "ID"), (0x3087, 0x3087, "NS"), (0x3088, 0x308D, "ID"),
    (0x308E, 0x308E, "NS"), (0x308F, 0x3094, "ID"), (0x3095, 0x3096, "NS"), (0x309B, 0x309E, "NS"),
    (0x309F, 0x309F, "ID"), (0x30A0, 0x30A1, "NS"), (0x30A2, 0x30A2, "ID"), (0x30A3, 0x30A3, "NS"),
    (0x30A4, 0x30A4, "ID"), (0x30A5, 0x30A5, "NS"), (0x30A6, 0x30A6, "ID"), (0x30A7, 0x30A7, "NS"),
    (0x30A8, 0x30A8, "ID"), (0x30A9, 0x30A9, "NS"), (0x30AA, 0x30C2, "ID"), (0x30C3, 0x30C3, "NS"),
    (0x30C4, 0x30E2, "ID"), (0x30E3, 0x30E3, "NS"), (0x30E4, 0x30E4, "ID"), (0x30E5, 0x30E5, "NS"),
    (0x30E6, 0x30E6, "ID"), (0x30E7, 0x30E7, "NS"), (0x30E8, 0x30ED, "ID"), (0x30EE, 0x30EE, "NS"),
    (0x30EF, 0x30F4, "ID"), (0x30F5, 0x30F6, "NS"), (0x30F7, 0x30FA, "ID"), (0x30FB, 0x30FE, "NS"),
    (0x30FF, 0x30FF, "ID"), (0xFF01, 0xFF01, "EX"), (0xFF02, 0xFF03, "ID"), (0xFF05, 0xFF05, "PO"),
    (0xFF06, 0xFF07, "ID"), (0xFF0A, 0xFF0B, "ID"), (0xFF0C, 0xFF0C, "CL"), (0xFF0D, 0xFF0D, "ID"),
    (0xFF0E, 0xFF0E, "CL"), (0xFF0F, 0xFF19, "ID"), (0xFF1A, 0xFF1B, "NS"), (0xFF1C, 0xFF1E, "ID"),
    (0xFF1F, 0xFF1F, "EX"), (0xFF20, 0xFF3A, "ID"), (0xFF3C, 0xFF3C, "ID"), (0xFF3E, 0xFF5A, "ID"),
    (0xFF5C, 0xFF5C, "ID"), (0xFF5E, 0xFF5E, "ID"), (0xFF61, 0xFF61, "CL"), (0xFF64, 0xFF64, "CL"),
    (0xFF65, 0xFF65, "NS"), (0xFF66, 0xFF66, "ID"), (0xFF67, 0xFF70, "NS"), (0xFF71, 0xFF9D, "ID"),
    (0xFF9E, 0xFF9F, "NS"), (0xFFA0, 0xFFBE, "ID"), (0xFFC2, 0xFFC7, "ID"), (0xFFCA, 0xFFCF, "ID"),
    (0xFFD2, 0xFFD7, "ID"), (0xFFDA, 0xFFDC, "ID"), (0xFFE0, 0xFFE0, "PO"), (0xFFE2, 0xFFE4, "ID"),
)
_EXCEPTION_STARTS = [first for first, _, _ in _EXCEPTIONS]

# Wide ideographic blocks beyond the measured range.
_IDEOGRAPHIC = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA4CF), (0xAC00, 0xD7A3),
                (0xF900, 0xFAFF), (0x20000, 0x3FFFD))

POSSIBLE = 1
PROHIBITED = 0
MANDATORY = 2

# Actions by (class before, class after), flattened for one dict lookup per character.
_ACTION = {(before, after): row[_COLUMN[after]] for before, row in _PAIRS.items() for after in _CLASSES}
_CLASS_CACHE: dict[str, str] = {}
_WIDTH_CACHE: dict[str, int] = {}


def _classify(char: str) -> str:
    code = ord(char)
    if char == " ":
        return "SP"
    if char in "\n\x0b\x0c\r\x85":
        return "BK"
    if code == 0x200B:
        return "ZW"
    index = bisect_right(_EXCEPTION_STARTS, code) - 1
    if index >= 0:
        first, last, name = _EXCEPTIONS[index]
        if first <= code <= last:
            return name
    if any(first <= code <= last for first, last in _IDEOGRAPHIC):
        return "ID"
    return _CATEGORY_DEFAULT.get(unicodedata.category(char), "AL")


def line_break_class(char: str) -> str:
    """The UAX #14 class of ``char`` as libunistring sees it (SP, BK, ZW, CM or a pair-table class)."""
    cls = _CLASS_CACHE.get(char)
    if cls is None:
        cls = _CLASS_CACHE[char] = _classify(char)
    return cls


def char_width(char: str) -> int:
    """Columns a character takes in a terminal (0 for combining marks and controls)."""
    width = _WIDTH_CACHE.get(char)
    if width is None:
        category = unicodedata.category(char)
        if category in ("Mn", "Me", "Cf", "Cc") or char == "\u200b":
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        _WIDTH_CACHE[char] = width
    return width


def break_opportunities(text: str) -> list[int]:
    """For each index: POSSIBLE (a line may start here), PROHIBITED, or MANDATORY (a line break char)."""
    result = [PROHIBITED] * len(text)
    last: str | None = None  # class of the last non-space character; None at a line start
    after_zero_width_space = False
    seen_space = False
    cache = _CLASS_CACHE
    action = _ACTION
    for index, char in enumerate(text):
        cls = cache.get(char) or line_break_class(char)
        if cls == "SP":
            seen_space = True
            continue
        if cls == "BK":
            result[index] = MANDATORY
            last, seen_space, after_zero_width_space = None, False, False
            continue
        if cls == "ZW":
            after_zero_width_space, seen_space = True, False
            if last is None:
                last = "WJ"
            continue
        if cls == "CM":
            if last is not None and not seen_space and not after_zero_width_space:
                continue  # a combining mark sticks to the character before it
            cls = "AL"
            if seen_space and last is not None:
                # libunistring always allows a break before a mark that follows spaces
                # (even after an opening bracket, where the pair table would forbid it).
                result[index] = POSSIBLE
                last, seen_space, after_zero_width_space = cls, False, False
                continue
        if after_zero_width_space:
            result[index] = POSSIBLE
        elif last is not None:
            verdict = action[(last, cls)]
            if verdict == "D" or (verdict == "I" and seen_space):
                result[index] = POSSIBLE
        last, seen_space, after_zero_width_space = cls, False, False
    return result


def _widths(text: str) -> list[int]:
    if text.isascii() and text.isprintable():
        return [1] * len(text)
    cache = _WIDTH_CACHE
    return [cache.get(char) if char in cache else char_width(char) for char in text]  # type: ignore[misc]


def text_width(text: str) -> int:
    """Columns ``text`` takes (see :func:`char_width`)."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(_widths(text))


def _wrap_points_full(
    text: str, width: int, start_column: int, overrides: list[bool] | None
) -> list[int]:
    """The greedy layout over every character (handles spaces, marks and hard breaks)."""
    opportunities = break_opportunities(text)
    widths = _widths(text)
    breaks: list[int] = []
    last_opportunity: int | None = None
    column = start_column
    piece_width = 0
    for index, state in enumerate(opportunities):
        if state == POSSIBLE and overrides is not None and overrides[index]:
            state = PROHIBITED
        if state != PROHIBITED:
            if last_opportunity is not None and column + piece_width > width:
                breaks.append(last_opportunity)
                column = 0
            if state == MANDATORY:
                last_opportunity, column, piece_width = None, 0, 0
                continue
            last_opportunity = index
            column += piece_width
            piece_width = 0
        piece_width += widths[index]
    if last_opportunity is not None and column + piece_width > width:
        breaks.append(last_opportunity)
    return breaks


_CONTEXT_CLASSES = frozenset({"BK", "ZW", "CM"})


def _wrap_points_local(
    text: str, width: int, start_column: int, overrides: list[bool] | None
) -> list[int]:
    """The same layout, deciding break opportunities only near each line's end.

    Valid when ``text`` has no hard breaks, zero-width spaces or combining marks: then
    whether a line may start at ``i`` depends only on ``text[i]``, the spaces before it and
    the character before those, so each line costs a short backward scan.
    """
    cache = _CLASS_CACHE
    for char in set(text).difference(cache):  # classified once per process, before the scans
        line_break_class(char)
    action = _ACTION
    size = len(text)
    prefix: list[int] | None = None
    if not (text.isascii() and text.isprintable()):
        prefix = [0]
        for char_columns in _widths(text):
            prefix.append(prefix[-1] + char_columns)

    def columns(start: int, end: int) -> int:
        return end - start if prefix is None else prefix[end] - prefix[start]

    def last_fitting(start: int, room: int) -> int:
        if prefix is None:
            return min(size, start + room)
        return bisect_right(prefix, prefix[start] + room) - 1

    def opportunity(index: int) -> bool:
        if overrides is not None and overrides[index]:
            return False
        cls = cache[text[index]]
        if cls == "SP":
            return False
        before = index - 1
        while before >= 0 and text[before] == " ":
            before -= 1
        if before < 0:
            return False
        verdict = action[(cache[text[before]], cls)]
        return verdict == "D" or (verdict == "I" and before < index - 1)

    breaks: list[int] = []
    start, column = 0, start_column
    while column + columns(start, size) > width:
        limit = last_fitting(start, width - column) if width >= column else start
        found = next((i for i in range(limit, start, -1) if opportunity(i)), None)
        if found is None:  # the first piece alone overflows: it takes the whole line
            found = next((i for i in range(max(limit + 1, start + 1), size) if opportunity(i)), None)
            if found is None:
                break
        breaks.append(found)
        start, column = found, 0
    return breaks


def wrap_points(
    text: str, width: int, start_column: int, overrides: list[bool] | None = None
) -> list[int]:
    """Indexes where a new line starts when ``text`` is laid out greedily in ``width`` columns.

    ``start_column`` is where the first line starts; ``overrides[i]`` forbids a break before
    ``i`` (gettext forbids breaks inside escape sequences). Trailing spaces count, as in gettext.
    """
    if start_column + text_width(text) <= width:
        return []  # fits: no piece can overflow (the common case, and the cheap one)
    # Only the forbidden positions (few: escape sequences) go into the cache key, not a flag
    # per character, so the cache stays small.
    forbidden = None if overrides is None else tuple(i for i, flag in enumerate(overrides) if flag)
    return list(_wrap_points_cached(text, width, start_column, forbidden))


@lru_cache(maxsize=16384)
def _wrap_points_cached(
    text: str, width: int, start_column: int, forbidden: tuple[int, ...] | None
) -> tuple[int, ...]:
    # The same msgid is wrapped in the template and in every language's catalog, on every
    # write: remembering layouts saves about a quarter of a full catalog sync.
    flags = None
    if forbidden is not None:
        flags = [False] * len(text)
        for index in forbidden:
            flags[index] = True
    classes = {line_break_class(char) for char in set(text)}
    if classes & _CONTEXT_CLASSES:
        return tuple(_wrap_points_full(text, width, start_column, flags))
    return tuple(_wrap_points_local(text, width, start_column, flags))
