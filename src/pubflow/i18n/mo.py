"""Writing GNU ``.mo`` files: byte for byte what :meth:`polib.POFile.to_binary` writes.

The compile step writes two ``.mo`` files per catalog (2,000+ on a 1,000-catalog project).
Going through polib meant building a ``POFile`` and a fresh ``POEntry`` per entry only to
serialise them again, and ``to_binary`` grows its byte strings with ``+=``; that was a sixth
of a cold compile. This writer takes the entries as they are and joins each table once.

The layout is polib's, kept exactly so a ``.mo`` does not change when pubflow does (tests
compare the bytes with polib's on every catalog we have, and GNU ``msgunfmt`` reads them):

* a 28-byte header (magic, revision 0, count, the two table offsets, no hash table),
* the key table then the value table: ``(length, offset)`` per string, native ``int``,
* the keys (``context\\x04msgid``, ``msgid\\x00msgid_plural`` for plurals), then the values
  (the plural forms joined by NUL in index order), each NUL-terminated,
* entries sorted by the UTF-8 bytes of ``context\\x04msgid`` (stable), after the header
  entry (empty msgid) built from the metadata in polib's order.
"""

from __future__ import annotations

import array
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import polib

__all__ = ["MoEntry", "mo_bytes", "mo_header"]


class MoEntry(Protocol):
    """What the writer reads of an entry (:class:`polib.POEntry` has it all)."""

    msgid: str
    msgstr: str
    msgid_plural: str
    msgstr_plural: Mapping[int, str]
    msgctxt: str | None


# polib.POFile.ordered_metadata's fixed order; other keys follow in natural order.
_METADATA_ORDER = (
    "Project-Id-Version",
    "Report-Msgid-Bugs-To",
    "POT-Creation-Date",
    "PO-Revision-Date",
    "Last-Translator",
    "Language-Team",
    "Language",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Plural-Forms",
)


def mo_header(metadata: Mapping[str, str]) -> str:
    """The header entry's msgstr, as polib's ``metadata_as_entry`` builds it."""
    rest = dict(metadata)
    ordered = [(name, rest.pop(name)) for name in _METADATA_ORDER if name in rest]
    ordered += [(name, rest[name]) for name in polib.natural_sort(list(rest))]
    if not ordered:
        return ""
    return "\n".join(f"{name}: {value}" for name, value in ordered) + "\n"


def _is_translated(entry: MoEntry) -> bool:
    """polib's ``POEntry.translated`` for a live entry without flags (what compile passes)."""
    if entry.msgstr != "":
        return True
    forms = entry.msgstr_plural
    return bool(forms) and all(forms[index] != "" for index in forms)


def _context_key(entry: MoEntry) -> bytes:
    """polib's sort key: the UTF-8 of ``msgid_with_context``."""
    if entry.msgctxt:
        return f"{entry.msgctxt}\x04{entry.msgid}".encode()
    return entry.msgid.encode()


def mo_bytes(metadata: Mapping[str, str], entries: Iterable[MoEntry]) -> bytes:
    """A ``.mo`` with a header from ``metadata`` and the translated ones of ``entries``.

    Equal to ``to_binary()`` of a UTF-8 ``polib.POFile`` holding that metadata and a copy of
    each entry without flags (fuzzy and obsolete marks are the caller's business: pass only
    what should be published).
    """
    chosen = sorted((entry for entry in entries if _is_translated(entry)), key=_context_key)
    keys: list[bytes] = [b""]
    values: list[bytes] = [mo_header(metadata).encode()]
    for entry in chosen:
        key = f"{entry.msgctxt}\x04" if entry.msgctxt else ""
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            keys.append(f"{key}{entry.msgid}\x00{entry.msgid_plural}".encode())
            values.append("\x00".join([forms[index] for index in sorted(forms)]).encode())
        else:
            keys.append(f"{key}{entry.msgid}".encode())
            values.append(entry.msgstr.encode())
    return _layout(keys, values)


def _layout(keys: Sequence[bytes], values: Sequence[bytes]) -> bytes:
    count = len(keys)
    key_start = 7 * 4 + 16 * count
    value_start = key_start + sum(len(key) + 1 for key in keys)
    table: list[int] = []
    offset = key_start
    for key in keys:
        table += (len(key), offset)
        offset += len(key) + 1
    offset = value_start
    for value in values:
        table += (len(value), offset)
        offset += len(value) + 1
    header = struct.pack("Iiiiiii", polib.MOFile.MAGIC, 0, count, 7 * 4, 7 * 4 + count * 8, 0, key_start)
    return b"".join(
        (
            header,
            array.array("i", table).tobytes(),
            b"\x00".join(keys),
            b"\x00",
            b"\x00".join(values),
            b"\x00",
        )
    )
