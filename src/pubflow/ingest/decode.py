"""Reading a source file into text: UTF-8 only, BOM dropped, line ends normalised.

Every refusal names the file and, where there is one, the line, and says what to do, so a
marketer who saved a post from Word or a browser knows how to fix it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from pubflow.errors import IngestError

# C0 controls other than tab, LF and CR, DEL and the C1 controls (NEL included), and U+FFFE/
# U+FFFF have no place in article text: XML, HTML5 (invalid code points) and gettext refuse or
# mangle them downstream, and a C1 CSI reaches terminals as an escape sequence. (NUL is
# refused before, as the mark of a binary file.)
# The bidirectional embeddings and overrides (U+202A-U+202E) too: they show text in another
# order than it is stored, and no source language of ours needs them.
_CONTROL = re.compile(r"[\x01-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\ufffe\uffff]")
_CONTROL_OR_NUL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\ufffe\uffff]")


def first_control_character(text: str) -> re.Match[str] | None:
    """The first character of ``text`` that has no place in article text (NUL included)."""
    return _CONTROL_OR_NUL.search(text)


def check_file(path: Path) -> None:
    """Refuse a path that does not exist or is a directory (IngestError with a hint)."""
    if path.is_dir():
        raise IngestError(
            "is a directory, not a source file",
            path=path,
            hint="name the files inside it, e.g. content/sources/*.txt",
        )
    if not path.exists():
        raise IngestError(
            "file not found", path=path, hint="check the path (it is relative to where you run)"
        )


def read_bytes(path: Path) -> bytes:
    """The raw bytes of ``path``; missing files, folders and unreadable files are IngestErrors."""
    check_file(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IngestError("file not found", path=path, hint="check the path") from None
    except OSError as exc:
        raise IngestError(
            f"cannot read file: {exc.strerror or exc}",
            path=path,
            hint="check that the file is readable",
        ) from None


def _line_of(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting LF, CRLF and lone CR as line ends."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode_source(data: bytes, path: Path) -> str:
    """UTF-8 text of ``data`` with the BOM dropped and CRLF/CR turned into LF.

    Refuses (IngestError): UTF-16/32 files, binary data (NUL bytes), bytes that are not UTF-8,
    control characters, and files with nothing but whitespace.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise IngestError(
            "file is UTF-16 or UTF-32, not UTF-8",
            path=path,
            line=1,
            hint="re-save it as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise IngestError(
            "file holds binary data (a NUL byte), not text",
            path=path,
            line=_line_of(data, nul),
            hint="give the text, Markdown or HTML source of the article",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = "re-save it as UTF-8"
        try:
            data.decode("cp1252")
            hint += (
                " (it looks like Windows-1252/Latin-1: in your editor choose Save As… → UTF-8)"
            )
        except UnicodeDecodeError:
            pass
        raise IngestError(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            path=path,
            line=_line_of(data, exc.start),
            hint=hint,
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(
            "file is empty", path=path, line=1, hint="put the article's title on the first line"
        )
    control = _CONTROL.search(text)
    if control is not None:
        raise IngestError(
            f"file holds the control character U+{ord(control.group()):04X}",
            path=path,
            line=text.count("\n", 0, control.start()) + 1,
            hint="delete it (often a copy-paste accident); if the file is binary, give the "
            "article's text source instead",
        )
    return text
