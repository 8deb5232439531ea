"""A fast reader for well-formed ``.po`` text, giving exactly what polib's parser gives.

polib's parser is a general state machine with a regular expression or two per line; on a
corpus of 1,000+ catalogs (25 MB) reading them was a third of a full build. This reader
walks the lines once with plain string tests and builds the same ``polib.POFile`` /
``polib.POEntry`` objects (same fields, same line numbers, same header and metadata), for the
layout that msgmerge, msgcat, Poedit and our own writer produce.

It never decides that a file is *wrong*: anything outside that layout (a stray quote, an
entry missing its msgstr, trailing blanks, an odd comment, a second header…) makes it give up
and return None, and :func:`pubflow.i18n.pofile.parse_catalog` reads the file with polib and
its strict checks instead, which name the problem with file:line. So error messages come from
one place, and the fast path only has to be right about good files (tests compare it with
polib on every catalog we have, on generated ones and on the hostile corpus).
"""

from __future__ import annotations

import re

import polib

from pubflow.i18n.linebreak import PAGE_WIDTH

_CLOSED = re.compile(r'"(?:[^"\\]|\\.)*"')
_KEYWORDS = (
    ('msgctxt "', "ct"),
    ('msgid "', "mi"),
    ('msgid_plural "', "mp"),
    ('msgstr "', "ms"),
)
_PREVIOUS = (('msgctxt "', "pc"), ('msgid "', "pm"), ('msgid_plural "', "pp"))
# Where each keyword may come (a subset of polib's transitions: the canonical order).
_FOLLOWS = {
    "ct": frozenset({"st", "he", "gc", "oc", "fl", "tc", "pc", "pm", "pp", "ms", "mx"}),
    "mi": frozenset({"st", "he", "gc", "oc", "fl", "tc", "pc", "pm", "pp", "ms", "mx", "ct"}),
    "mp": frozenset({"mi"}),
    "ms": frozenset({"mi"}),
}
_COMMENT_STATES = frozenset({"st", "he", "gc", "oc", "fl", "tc", "pc", "pm", "pp", "ms", "mx"})
_ENDS_ENTRY = frozenset({"ms", "mx"})


def _new_entry(linenum: int) -> polib.POEntry:
    """``polib.POEntry(linenum=linenum)`` without its keyword lookups (185,000 per corpus)."""
    entry: polib.POEntry = object.__new__(polib.POEntry)
    entry.__dict__ = {
        "msgid": "",
        "msgstr": "",
        "msgid_plural": "",
        "msgstr_plural": {},
        "msgctxt": None,
        "obsolete": False,
        "encoding": polib.default_encoding,
        "comment": "",
        "tcomment": "",
        "occurrences": [],
        "flags": [],
        "previous_msgctxt": None,
        "previous_msgid": None,
        "previous_msgid_plural": None,
        "linenum": linenum,
    }
    return entry


class _GiveUp(Exception):
    """The text is outside the layout this reader handles: let polib read it."""


def _string(token: str) -> str:
    """The value of a complete ``"…"`` literal, unescaped as polib does; _GiveUp otherwise."""
    if len(token) < 2 or token[-1] != '"':
        raise _GiveUp
    inner = token[1:-1]
    if '"' in inner or "\\" in inner:
        if _CLOSED.fullmatch(token) is None:
            raise _GiveUp
        if "\\" in inner:
            return polib.unescape(inner)
    return inner


def parse_po_text(text: str) -> polib.POFile | None:
    """The catalog in ``text`` (LF line ends, no BOM), or None when polib must read it."""
    if "\r" in text:
        return None
    try:
        return _parse(text)
    except _GiveUp:
        return None


def _parse(text: str) -> polib.POFile:  # noqa: C901 (one loop over the lines, kept in one place for speed)
    po = polib.POFile(wrapwidth=PAGE_WIDTH, encoding="utf-8")
    entries: list[polib.POEntry] = []
    entry = _new_entry(0)
    state = "st"
    obsolete_entry = 0  # the obsolete mark of the current entry's keyword lines
    plural_index = -1
    header = ""
    lines = text.split("\n")
    count = len(lines)
    number = 0
    while number < count:
        line = lines[number]
        number += 1
        if not line:
            continue
        if line[0].isspace() or line[-1].isspace():
            raise _GiveUp  # polib strips these, our strict checks look at them: the slow path
        first = line[0]
        if first == '"':  # a continuation: the commonest line after the keywords
            if obsolete_entry != 0:
                raise _GiveUp
            # A paragraph's msgid and msgstr run over many continuation lines: take the run at
            # once when every line of it is plain text (what the loop below would check line
            # by line), else this line alone.
            end = number
            while end < count and lines[end][:1] == '"':
                end += 1
            value = _plain_run(lines, number - 1, end)
            if value is not None:
                number = end
            else:
                inner = line[1:-1]
                if len(line) > 1 and line[-1] == '"' and '"' not in inner and "\\" not in inner:
                    value = inner  # plain text: what _string gives, without the call
                else:
                    value = _string(line)
            if state == "ms":
                entry.msgstr += value
            elif state == "mi":
                entry.msgid += value
            else:
                state = _continue(entry, state, value, plural_index)
            continue
        if first == "#":
            marker = line[:3]
            if marker == "#~ ":
                rest = line[3:]
                if rest[:1] == '"':
                    if obsolete_entry != 1:
                        raise _GiveUp
                    state = _continue(entry, state, _string(rest), plural_index)
                    continue
                entry, state, plural_index = _keyword(
                    entry, entries, state, rest, number, 1, plural_index
                )
                obsolete_entry = 1
                continue
            if state not in _COMMENT_STATES:
                raise _GiveUp
            if state in _ENDS_ENTRY:
                entries.append(entry)
                entry = _new_entry(number)
                obsolete_entry = 0
            if marker == "#: ":
                for occurrence in line[3:].split():
                    place, separator, at = occurrence.rpartition(":")
                    if separator and at.isdigit():
                        entry.occurrences.append((place, at))
                    else:
                        entry.occurrences.append((occurrence, ""))
                state = "oc"
            elif marker == "#, ":
                entry.flags += [flag.strip() for flag in line[3:].split(",")]
                state = "fl"
            elif marker == "#. ":
                entry.comment = f"{entry.comment}\n{line[3:]}" if entry.comment else line[3:]
                state = "gc"
            elif marker == "#| ":
                rest = line[3:]
                if rest[:1] == '"':
                    if state not in ("pc", "pm", "pp"):
                        raise _GiveUp
                    state = _continue(entry, state, _string(rest), plural_index)
                    continue
                for prefix, kind in _PREVIOUS:
                    if rest.startswith(prefix):
                        value = _string(rest[len(prefix) - 1 :])
                        if kind == "pc":
                            entry.previous_msgctxt = value
                        elif kind == "pm":
                            entry.previous_msgid = value
                        else:
                            entry.previous_msgid_plural = value
                        state = kind
                        break
                else:
                    raise _GiveUp
            elif line == "#" or line[:2] == "# ":
                comment = line[2:]
                if state in ("st", "he"):
                    # As polib does: no line break is added while the header is still empty.
                    header = f"{header}\n{comment}" if header else comment
                    state = "he"
                else:
                    entry.tcomment = f"{entry.tcomment}\n{comment}" if entry.tcomment else comment
                    state = "tc"
            else:
                raise _GiveUp
            continue
        if first != "m":
            raise _GiveUp
        obsolete_entry = 0
        if state == "mi" and line[:8] == 'msgstr "' and not entry.obsolete:
            # The commonest keyword line: a live msgid's translation. What _keyword does for
            # it (no new entry, no other state), without the call and the keyword search.
            inner = line[8:-1]
            if len(line) > 8 and line[-1] == '"' and '"' not in inner and "\\" not in inner:
                entry.msgstr = inner
            else:
                entry.msgstr = _string(line[7:])
            state = "ms"
            continue
        entry, state, plural_index = _keyword(entry, entries, state, line, number, 0, plural_index)
    if state not in _ENDS_ENTRY:
        raise _GiveUp  # an unfinished entry or trailing comments: polib's rules are subtle there
    entries.append(entry)
    return _finish(po, entries, header)


def _plain_run(lines: list[str], start: int, end: int) -> str | None:
    """The text of continuation lines ``lines[start:end]`` (each starting with a quote) when
    every one is a plain ``"…"`` (no quote or backslash inside, nothing after the closing
    quote); None otherwise. Checked on the run joined, in C, instead of line by line."""
    if end - start < 2:
        return None
    block = "\n".join(lines[start:end])
    runs = end - start
    if (
        block[-1] != '"'
        or "\\" in block
        or block.count('"') != 2 * runs
        or block.count('"\n"') != runs - 1
    ):
        return None
    return block[1:-1].replace('"\n"', "")


def _keyword(
    entry: polib.POEntry,
    entries: list[polib.POEntry],
    state: str,
    line: str,
    number: int,
    obsolete: int,
    plural_index: int,
) -> tuple[polib.POEntry, str, int]:
    """Handle a keyword line; returns the entry being read (a new one after a msgstr), the
    new state and the index of the last plural form."""
    if line.startswith("msgstr["):
        if line[8:11] != '] "' or not line[7].isdigit():
            raise _GiveUp
        index = int(line[7])
        if not (state == "mp" and index == 0 or state == "mx" and index == plural_index + 1):
            raise _GiveUp
        if entry.obsolete != obsolete:
            raise _GiveUp
        entry.msgstr_plural[index] = _string(line[10:])
        return entry, "mx", index
    for prefix, kind in _KEYWORDS:
        if line.startswith(prefix):
            break
    else:
        raise _GiveUp
    if state not in _FOLLOWS[kind]:
        raise _GiveUp
    value = _string(line[len(prefix) - 1 :])
    if state in _ENDS_ENTRY:  # ct or mi: the entry before is complete
        entries.append(entry)
        entry = _new_entry(number)
    if kind == "ct":
        entry.msgctxt = value
        entry.obsolete = obsolete  # checked again by the msgid that must follow
        return entry, "ct", plural_index
    if kind == "mi":
        if state == "ct" and entry.obsolete != obsolete:
            raise _GiveUp
        entry.obsolete = obsolete
        entry.msgid = value
        return entry, "mi", plural_index
    if entry.obsolete != obsolete:
        raise _GiveUp
    if kind == "mp":
        entry.msgid_plural = value
        return entry, "mp", plural_index
    entry.msgstr = value
    return entry, "ms", plural_index


def _continue(entry: polib.POEntry, state: str, value: str, plural_index: int) -> str:
    """Append a continuation string to the field being read (the state does not change)."""
    if state == "ct":
        entry.msgctxt += value
    elif state == "mi":
        entry.msgid += value
    elif state == "mp":
        entry.msgid_plural += value
    elif state == "ms":
        entry.msgstr += value
    elif state == "mx":
        entry.msgstr_plural[plural_index] += value
    elif state == "pc":
        entry.previous_msgctxt += value
    elif state == "pm":
        entry.previous_msgid += value
    elif state == "pp":
        entry.previous_msgid_plural += value
    else:
        raise _GiveUp
    return state


def _finish(po: polib.POFile, entries: list[polib.POEntry], header: str) -> polib.POFile:
    """Header comments and metadata, as polib derives them from the ``msgid ""`` entry."""
    po.header = header
    live_headers = [e for e in entries if e.msgid == "" and not e.obsolete]
    if live_headers:
        first = entries[0]
        if len(live_headers) > 1 or live_headers[0] is not first or first.msgctxt is not None:
            raise _GiveUp  # polib's choice of header is subtle here; the strict checks refuse it
        entries = entries[1:]
        po.metadata_is_fuzzy = first.flags
        key = None
        for text in first.msgstr.splitlines():
            try:
                key, value = text.split(":", 1)
                po.metadata[key] = value.strip()
            except ValueError:
                if key is not None:
                    po.metadata[key] += "\n" + text.strip()
    po.extend(entries)
    return po


__all__ = ["parse_po_text"]
