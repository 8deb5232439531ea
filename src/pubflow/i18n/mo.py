"""Writing and reading GNU ``.mo`` files.

Writing gives byte for byte what :meth:`polib.POFile.to_binary` writes.

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

Reading (:func:`read_mo`) gives the messages as :class:`gettext.GNUTranslations` holds them
(tests compare the two). A build reads 2,000+ small ``.mo`` files: ``GNUTranslations`` compiles
the plural rule of each one again (``gettext.c2py``, a third of its time), so the reader only
returns the header's ``Plural-Forms`` and the caller compiles each distinct rule once.
"""

from __future__ import annotations

import array
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

import polib

__all__ = ["MoContents", "MoEntry", "mo_bytes", "mo_header", "read_mo"]


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


# Reading ---------------------------------------------------------------------------------------

_MAGIC_SWAPPED = 0xDE120495  # the magic number of a .mo written on a machine of the other byte order


class MoContents(NamedTuple):
    """What a ``.mo`` holds, keyed as :class:`gettext.GNUTranslations` keys its ``_catalog``."""

    messages: dict[object, str]
    """``msgid`` (``ctxt\\x04msgid`` with a context) → text; plural entries as
    ``(msgid, form index)`` → text. The header entry is left out."""
    plural_forms: str | None
    """The header's ``Plural-Forms`` value, if it has one."""


def read_mo(data: bytes) -> MoContents:
    """The messages of a UTF-8 ``.mo`` (either byte order); ValueError when it is damaged.

    UnicodeDecodeError (a ValueError) when a string is not UTF-8: every ``.mo`` pubflow reads
    is one it wrote, always UTF-8.
    """
    if len(data) < 28:
        raise ValueError("file is too short to be a .mo")
    (magic,) = struct.unpack_from("<I", data)
    if magic == polib.MOFile.MAGIC:
        order = "<"
    elif magic == _MAGIC_SWAPPED:
        order = ">"
    else:
        raise ValueError("not a .mo file (wrong magic number)")
    revision, count, keys_at, values_at = struct.unpack_from(f"{order}4I", data, 4)
    if revision >> 16 not in (0, 1):
        raise ValueError(f"unknown .mo format revision {revision >> 16}")
    size = len(data)
    if keys_at + 8 * count > size or values_at + 8 * count > size:
        raise ValueError("the string tables run past the end of the file")
    key_table = struct.unpack_from(f"{order}{2 * count}I", data, keys_at)
    value_table = struct.unpack_from(f"{order}{2 * count}I", data, values_at)
    messages: dict[object, str] = {}
    plural_forms: str | None = None
    for index in range(0, 2 * count, 2):
        key_length, key_start = key_table[index], key_table[index + 1]
        value_length, value_start = value_table[index], value_table[index + 1]
        key_end, value_end = key_start + key_length, value_start + value_length
        if key_end > size or value_end > size:
            raise ValueError("a string runs past the end of the file")
        key, value = data[key_start:key_end], data[value_start:value_end]
        if not key:
            plural_forms = _plural_forms_of(value.decode())
        elif b"\x00" in key:
            singular = key.split(b"\x00", 1)[0].decode()
            for form, text in enumerate(value.split(b"\x00")):
                messages[(singular, form)] = text.decode()
        else:
            messages[key.decode()] = value.decode()
    return MoContents(messages, plural_forms)


def _plural_forms_of(header: str) -> str | None:
    """The ``Plural-Forms`` field of a header entry (field names are not case-sensitive)."""
    for line in header.split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "plural-forms":
            return value.strip()
    return None
