"""Reading and writing gettext catalogs (``.po``/``.pot``) strictly, deterministically and safely.

- :func:`read_catalog` is strict: UTF-8 only, no duplicate messages, syntax errors reported
  as ``file:line``. It keeps previous msgids (``#|``), obsolete entries (``#~``), translator
  comments and flags (polib parses them faithfully; Babel's ``read_po`` drops ``#|``).
- :func:`dump_catalog` writes exactly what GNU ``msgmerge``/``msgcat`` would write (same
  79-column wrapping, see :mod:`pubflow.i18n.linebreak`), so a translator's diff only shows
  real changes and ``msgfmt --check`` accepts previous msgids however long.
- :func:`edit_catalog` / :func:`update_catalog` take ``<file>.lock`` and never overwrite a save
  that a translator made (in Poedit, say) between our read and our write.

polib objects are the in-memory model: stages exchange ``polib.POFile``/``polib.POEntry``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import polib

from pubflow import buildview
from pubflow.errors import CatalogError, CatalogLockedError
from pubflow.fsutil import atomic_write_text, is_slug, validate_slug
from pubflow.i18n.linebreak import PAGE_WIDTH, wrap_points
from pubflow.i18n.poparse import parse_po_text
from pubflow.locales import validate_locale

if TYPE_CHECKING:
    from pubflow.config import Settings

LOCK_TIMEOUT = 30.0
"""Seconds to wait for another run's lock on a catalog before giving up with a clear error."""

T = TypeVar("T")

# Control characters written as backslash escapes, as gettext writes them, except BEL: gettext
# writes it as \a, but polib (and so our reader, which must read as polib does) takes \a for a
# backslash and an "a", so a catalog we wrote would read back altered. BEL is written as the
# character itself, which msgfmt and every reader take as it is.
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\t\r\b\f\v]')
_PORTIONS = re.compile(r"[^\n]*\n|[^\n]+")
_SYNTAX_LINE = re.compile(r"\(line (\d+)\)")
_CHARSET = re.compile(r"charset\s*=\s*([^\s;]+)", re.IGNORECASE)
_UTF8_NAMES = {"utf-8", "utf8"}
# A line holding a PO string (a keyword line or a continuation, live, obsolete "#~" or previous
# "#|"), and the shape of one complete string literal: polib quietly accepts a string whose
# closing quote is missing (dropping its last character), msgfmt calls it "end-of-line within
# string" — a file cut short by a crash must not publish the truncated text.
_STRING_LINE = re.compile(
    r'^(?:#~\|?|#\|)?[ \t]*(?:(?:msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)[ \t]+)?(".*)$'
)
_CLOSED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"[ \t]*')
# The escapes GNU gettext reads in a string (po-lex.c), taken left to right (so the "a" of an
# escaped backslash followed by "a", a file's \\a, is text): a run of octal (1-3 digits) and
# hex (any number of digits) byte values, which together may spell one character (\303\244);
# one of polib's escapes or \a (group 1); anything else ("\q", "\u00A0", a lone "\x", group
# 2) is msgfmt's "invalid control sequence".
_BYTE_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]+))")
_GNU_ESCAPE = re.compile(r'(?:\\(?:[0-7]{1,3}|x[0-9a-fA-F]+))+|\\([\\"ntrbfva])|\\(.?)')
# Cheap test of a whole file: a backslash before anything but the escapes polib reads.
_UNUSUAL_ESCAPE = re.compile(r'\\[^\\"ntrbfv]')
# The lines git writes around the two sides of a conflict it leaves in a file (with diff3,
# "|||||||" before the common ancestor's lines).
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
# Keywords of live and obsolete entries (previous "#|" lines are not entries).
_KEYWORD = re.compile(r"^(#~)?[ \t]*(msgctxt|msgid_plural|msgid|msgstr)(\[\d+\])?(?:[ \t]|$)")
_CONTEXT_SEPARATOR = "\x04"
# printf-style directives (python-format, c-format): gettext never breaks a line inside one.
_PRINTF_DIRECTIVE = re.compile(
    r"%(?P<name>\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrs%]"
)
_PRINTF_FLAGS = {"python-format", "c-format"}


# Paths -------------------------------------------------------------------------------------


def pot_path(settings: Settings, domain: str) -> Path:
    """``locales/<domain>.pot``: the template of a domain."""
    return settings.locales_path / f"{validate_slug(domain, where='domain')}.pot"


def po_path(settings: Settings, locale: str, domain: str) -> Path:
    """``locales/<lang>/LC_MESSAGES/<domain>.po``: one language's catalog of a domain."""
    return po_path_in(settings.locales_path, locale, domain)


@functools.lru_cache(maxsize=16384)  # asked for thousands of times per build (see compiled_paths)
def po_path_in(base: Path, locale: str, domain: str) -> Path:
    """:func:`po_path` under ``base`` (``settings.locales_path``, for callers that loop)."""
    name = validate_slug(domain, where="domain")
    return _catalog_folder(base, locale) / f"{name}.po"


@functools.lru_cache(maxsize=256)
def _catalog_folder(base: Path, locale: str) -> Path:
    # One join per catalog instead of three (a fresh process builds 1,000+ of these paths).
    return base / validate_locale(locale) / "LC_MESSAGES"


def list_domains(settings: Settings) -> list[str]:
    """The domains that have a template (``locales/*.pot``), sorted."""
    folder = settings.locales_path
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.pot") if path.is_file())


def _catalog_files(settings: Settings, locale: str) -> list[Path]:
    folder = settings.locales_path / locale / "LC_MESSAGES"
    return [path for path in folder.glob("*.po") if path.is_file()] if folder.is_dir() else []


def locale_domains(settings: Settings, locale: str) -> list[str]:
    """The domains of ``locale``'s catalogs: every template's, plus any its folder has a
    ``.po`` for under a domain's name (a slug), sorted. Other ``.po`` files are not catalogs
    (see :func:`stray_catalogs`)."""
    names = set(list_domains(settings))
    names.update(path.stem for path in _catalog_files(settings, locale) if is_slug(path.stem))
    return sorted(names)


def stray_catalogs(settings: Settings, locale: str, domains: list[str] | None = None) -> list[Path]:
    """``.po`` files in a language's folder that cannot be catalogs of this project: no
    template has their name, which is no domain's either (``messages (copy).po``,
    ``messages_old.po``, ``Messages.po``, ``messages.de.po``). Every step that looks for
    catalogs skips them; ``pubflow check`` names them. ``domains``: the templates' names, when
    the caller has listed them already."""
    known = set(domains if domains is not None else list_domains(settings))
    found = _catalog_files(settings, locale)
    return sorted(path for path in found if path.stem not in known and not is_slug(path.stem))


# Reading -----------------------------------------------------------------------------------


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 text without a BOM; CatalogError at the line of the first bad byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogError(
            "catalog is not UTF-8 text",
            path=path,
            line=line,
            hint="save it as UTF-8 (Poedit: Catalog → Properties → Charset UTF-8)",
        ) from None


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _check_charset(po: polib.POFile, text: str, path: Path) -> None:
    content_type = po.metadata.get("Content-Type")
    if content_type is None:
        return  # the header check (pubflow check) reports a missing Content-Type
    match = _CHARSET.search(content_type)
    charset = match.group(1).strip().lower() if match else ""
    if charset in _UTF8_NAMES or (charset == "charset" and path.suffix == ".pot"):
        return
    raise CatalogError(
        f"catalog declares charset {charset or '(none)'!r}, pubflow needs UTF-8",
        path=path,
        line=_line_of(text, "Content-Type:"),
        hint='convert the file to UTF-8 and set "Content-Type: text/plain; charset=UTF-8"',
    )


def _syntax_error(path: Path, line: int, what: str) -> CatalogError:
    return CatalogError(
        f"PO syntax error: {what}",
        path=path,
        line=line,
        hint="an entry is [msgctxt] msgid msgstr, or msgid msgid_plural msgstr[0] msgstr[1]…; "
        "a file cut short? restore it from your editor or git",
    )


@dataclass
class _Entry:
    """Where the entry being read stands (one for live entries, one for obsolete ones)."""

    context: int | None = None  # line of a msgctxt still waiting for its msgid
    msgid: int | None = None  # line of a msgid still waiting for its msgstr
    plural: bool = False
    forms: bool = False  # inside msgstr[0], msgstr[1]…: more forms may follow


def _check_strings(text: str, path: Path) -> None:
    """Every string is closed on its own line and every entry is complete, as msgfmt demands.

    polib accepts these mistakes silently: an unclosed string loses its last character; a
    msgid (or msgctxt) without msgstr at the end of a file turns the header into an ordinary
    entry; ``msgstr[0]`` without ``msgid_plural`` is dropped when the file is written again.
    """
    entries = {False: _Entry(), True: _Entry()}  # obsolete? → the entry being read
    for number, line in enumerate(text.split("\n"), start=1):
        found = _STRING_LINE.match(line)
        if found is not None and _CLOSED_STRING.fullmatch(found.group(1)) is None:
            raise CatalogError(
                "PO syntax error: a string is not closed on this line",
                path=path,
                line=number,
                hint='end it with a double quote (write a quote inside a string as \\"); if '
                "a crash or a full disk cut the file short, restore it from your editor or git",
            )
        keyword = _KEYWORD.match(line)
        if keyword is None:
            continue
        entry = entries[bool(keyword.group(1))]
        name, indexed = keyword.group(2), keyword.group(3) is not None
        if name in ("msgctxt", "msgid") and entry.msgid is not None:
            raise _syntax_error(path, entry.msgid, "this msgid has no msgstr")
        if name == "msgctxt":
            entry.context, entry.forms = number, False
        elif name == "msgid":
            entry.context, entry.msgid, entry.plural, entry.forms = None, number, False, False
        elif name == "msgid_plural":
            entry.plural = True
        elif entry.msgid is not None:  # the first msgstr of the entry
            if indexed != entry.plural:
                raise _syntax_error(
                    path,
                    number,
                    "msgstr[N] without msgid_plural" if indexed else "a plural entry needs msgstr[N]",
                )
            entry.msgid, entry.forms = None, indexed
        elif not (indexed and entry.forms):
            raise _syntax_error(path, number, "msgstr without a msgid before it")
    for entry in entries.values():
        if entry.msgid is not None:
            raise _syntax_error(path, entry.msgid, "this msgid has no msgstr")
        if entry.context is not None:
            raise _syntax_error(path, entry.context, "this msgctxt has no msgid")


def _check_separators(po: polib.POFile, text: str, path: Path) -> None:
    """No EOT in a message: it is how .mo files join context and msgid, so it could forge keys.

    And no entry with an empty msgid: that is the header, which polib takes for an ordinary
    entry (dropping the metadata, the charset check with it) when it is damaged or repeated.
    """
    for entry in po:
        if entry.msgid == "" and not entry.obsolete:
            line = entry.linenum or _line_of(text, 'msgid ""') or 1  # polib may say 0 here
            raise _syntax_error(path, line, 'a damaged or second header (msgid "")')
        fields = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        if any(_CONTEXT_SEPARATOR in field for field in fields):
            raise CatalogError(
                "message contains the control character U+0004 (gettext's context separator)",
                path=path,
                line=entry.linenum,
                hint="delete that entry or the character (msgfmt refuses it too)",
            )


def _check_duplicates(po: polib.POFile, path: Path) -> None:
    seen: dict[tuple[str | None, str], int | None] = {}
    for entry in po:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if key in seen:
            first = seen[key]
            context = f" (context {entry.msgctxt!r})" if entry.msgctxt is not None else ""
            raise CatalogError(
                f"duplicate message {entry.msgid[:60]!r}{context}"
                + (f", first defined at line {first}" if first else ""),
                path=path,
                line=entry.linenum,
                hint="keep one of the two entries (msgfmt refuses duplicates)",
            )
        seen[key] = entry.linenum


class _LinesOfText(str):
    """Catalog text that polib splits at LF only.

    polib splits text it is given with ``str.splitlines()``, which also breaks at U+2028,
    U+2029, U+0085, VT and FF: a translation containing one would be misread as a syntax
    error instead of reaching the ``single-line`` check that names it.
    """

    def splitlines(self, keepends: bool = False) -> list[str]:  # type: ignore[override]
        return self.split("\n")


def _byte_text(run: str, path: Path, line: int) -> str:
    """The text of consecutive ``\\ooo``/``\\xHH`` escapes: bytes, as msgfmt copies them into
    the .mo (a value over 255 keeps its low byte), which in a UTF-8 file must be UTF-8."""
    data = bytes(
        int(octal, 8) & 0xFF if octal else int(hexa, 16) & 0xFF
        for octal, hexa in _BYTE_ESCAPE.findall(run)
    )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(
            f"the byte escapes {run} in a string are not UTF-8 text",
            path=path,
            line=line,
            hint="type the character itself (the file is UTF-8)",
        ) from None


def _gnu_string(literal: str, path: Path, line: int) -> str:
    """One closed string literal with GNU's escapes turned into what polib reads the same way:
    its own escapes, any other character as itself (BEL, ESC, NUL… are for the checks)."""

    def replace(found: re.Match[str]) -> str:
        simple, invalid = found.group(1), found.group(2)
        if invalid is not None:
            raise CatalogError(
                f"invalid escape {found.group(0)} in a string (msgfmt: invalid control sequence)",
                path=path,
                line=line,
                hint="write \\\\ for a backslash; type the character itself instead of \\u… "
                "(the file is UTF-8)",
            )
        if simple is not None:
            return "\a" if simple == "a" else found.group(0)
        text = _byte_text(found.group(0), path, line)
        return "".join(_ESCAPES.get(char, char) for char in text)

    return _GNU_ESCAPE.sub(replace, literal)


def _read_gnu_escapes(text: str, path: Path) -> str:
    """``text`` with every escape GNU tools read in a string turned into what polib reads the
    same way, and an escape they refuse refused (CatalogError at its line).

    polib reads only ``\\n \\t \\r \\b \\f \\v \\" \\\\``: gettext's ``\\a`` (BEL), octal and
    hex escapes would be published as written (and our writer would then double the
    backslash, changing the text for GNU tools), and it keeps escapes msgfmt refuses. Comments
    are left alone: a reference such as ``#: src\\app.py`` holds no escapes. Line count and
    order are unchanged, so errors still name the right line. (Control characters decoded
    here — BEL, ESC, NUL… — are then reported by the checks.)
    """
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if "\\" not in line or (found := _STRING_LINE.match(line)) is None:
            continue
        start = found.start(1)
        if _CLOSED_STRING.fullmatch(line, start) is not None:  # else: the syntax checks say so
            lines[number] = line[:start] + _gnu_string(line[start:], path, number + 1)
    return "\n".join(lines)


def parse_catalog(raw: bytes, path: Path) -> polib.POFile:
    """Parse the bytes of a catalog strictly (see :func:`read_catalog`); ``path`` names errors."""
    text = _decode(raw, path)
    _refuse_empty(text, path)
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # a Windows editor's line ends are not an error
        if "\r" in text:
            _refuse_lone_cr(text, path)
    if "\\" in text and _UNUSUAL_ESCAPE.search(text) is not None:
        text = _read_gnu_escapes(text, path)
    # Well-formed files (nearly all) take the fast reader, which builds the very objects
    # polib would; anything unusual goes through polib and the strict line checks below.
    po = parse_po_text(text)
    if po is None:
        return parse_text_strictly(text, path)
    po.fpath = str(path)
    _check_charset(po, text, path)
    _check_separators(po, text, path)
    _check_duplicates(po, path)
    return po


def _cr_outside_strings(line: str) -> bool:
    """Whether ``line`` holds a CR outside its string literal (a comment, a keyword, after the
    closing quote): there it can only be meant as a line end. A raw CR between the quotes of
    a string is a character that msgfmt accepts (and our writer writes back as ``\\r``)."""
    found = _STRING_LINE.match(line)
    if found is None:
        return True
    inside = escaped = False
    for char in line[found.start(1) :]:
        if escaped:
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            inside = not inside
        elif char == "\r" and not inside:
            return True
    return False


def _refuse_lone_cr(text: str, path: Path) -> None:
    """A CR not followed by LF used as a line end (old Mac files, mixed line ends): read with
    LF only, the whole file is one line — a comment, an empty catalog — and a merge would
    write that back with every translation gone."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "\r" in line and _cr_outside_strings(line):
            raise CatalogError(
                "catalog has a line ending in a lone CR (carriage return without LF)",
                path=path,
                line=number,
                hint="save it with LF (or CRLF) line endings (your editor's line-ending setting)",
            )


def _refuse_empty(text: str, path: Path) -> None:
    """An emptied file is a save gone wrong (an editor or a disk that cut it off), not a
    catalog without entries: compiled, it would take the language off the site, and merged,
    a fresh catalog written over it would make the loss permanent."""
    if not text.strip():
        raise CatalogError(
            "catalog is empty",
            path=path,
            line=1,
            hint="restore it from version control (git checkout -- FILE), or delete it to "
            "start the language's catalog over",
        )


def _refuse_conflict_markers(text: str, path: Path) -> None:
    """A merge git could not finish leaves both versions in the file between marker lines;
    polib's "syntax error" would not say what happened or how to fix it."""
    found = _CONFLICT_MARKER.search(text)
    if found is not None:
        raise CatalogError(
            f"git merge conflict markers ({found.group(1)}): the file holds two versions of "
            "some entries",
            path=path,
            line=text.count("\n", 0, found.start()) + 1,
            hint="keep one version of the lines between <<<<<<< and >>>>>>> and delete the "
            "marker lines (or take one side whole: git checkout --ours/--theirs FILE), then "
            "run `pubflow catalogs update`",
        )


def parse_text_strictly(text: str, path: Path) -> polib.POFile:
    """polib's parser plus every strict check: the reference the fast reader must match."""
    _refuse_empty(text, path)
    # Only here: the fast reader gives up on these lines (they start with none of m, # or ").
    _refuse_conflict_markers(text, path)
    try:
        # Parse from a string: polib's own file reading guesses the encoding.
        po = polib.pofile(
            _LinesOfText(text if text.strip() else "\n"), wrapwidth=PAGE_WIDTH, encoding="utf-8"
        )
    except (OSError, ValueError) as exc:
        message = str(exc)
        found = _SYNTAX_LINE.search(message)
        detail = message.split(":", 1)[1].strip() if ": " in message else "syntax error"
        quoting = "quote" in detail
        raise CatalogError(
            f"PO syntax error: {detail}" if detail != "syntax error" else "PO syntax error",
            path=path,
            line=int(found.group(1)) if found else None,
            hint='write a double quote inside a string as \\"'
            if quoting
            else "fix that line (msgctxt/msgid/msgstr lines, comments start with #); "
            "`msgfmt --check` on the file shows details",
        ) from None
    po.fpath = str(path)
    po.encoding = "utf-8"
    _check_strings(text, path)
    _check_charset(po, text, path)
    _check_separators(po, text, path)
    _check_duplicates(po, path)
    return po


def read_catalog(path: Path) -> polib.POFile:
    """Read a ``.po``/``.pot`` strictly; every problem is a :class:`CatalogError` with file:line.

    UTF-8 only (a BOM is tolerated), a declared charset must be UTF-8, no duplicate
    msgctxt+msgid. Previous msgids (``#|``), obsolete entries, translator comments and flags
    are kept.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(
            "catalog not found",
            path=path,
            hint="run `pubflow catalogs update` (or `pubflow catalogs init --locale L` for a new language)",
        ) from None
    except OSError as exc:
        raise CatalogError(f"cannot read catalog: {exc.strerror}", path=path) from None
    return parse_catalog(raw, path)


# Writing -----------------------------------------------------------------------------------


def _directive_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the format directives in ``text``, as GNU gettext's python-format parser sees them.

    Like gettext, parsing stops at the first error (a stray ``%``, named directives mixed
    with unnamed ones); the directives before it still count.
    """
    spans: list[tuple[int, int]] = []
    named = unnamed = False
    position = text.find("%")
    while position >= 0:
        match = _PRINTF_DIRECTIVE.match(text, position)
        if match is None:
            break
        if match.group(0)[-1] != "%":
            if match.group("name"):
                named = True
            else:
                unnamed = True
            if named and unnamed:
                break
        spans.append(match.span())
        position = text.find("%", match.end())
    return spans


def _escape(portion: str, keep_together: set[int]) -> tuple[str, list[bool]]:
    """The escaped text and, per escaped char, whether gettext forbids a line break before it.

    ``keep_together`` holds indexes of ``portion`` that must not start a line (inside a
    format directive).
    """
    if not keep_together and _NEEDS_ESCAPE.search(portion) is None:
        return portion, [False] * len(portion)  # plain text: nothing to escape or protect
    chars: list[str] = []
    no_break: list[bool] = []
    for index, char in enumerate(portion):
        escaped = _ESCAPES.get(char)
        if escaped is None:
            chars.append(char)
            no_break.append(index in keep_together)
        else:
            chars.extend(escaped)
            no_break.extend((index in keep_together, True))
    if portion.endswith("\n"):
        no_break[-2] = True  # never break right before the final "\n"
    return "".join(chars), no_break


def _wrap_field(keyword: str, value: str, prefix: str = "", directives: bool = False) -> list[str]:
    """Lines of one ``keyword "value"`` field, wrapped exactly like GNU gettext's write-po.c.

    ``directives``: the entry is python-format, so format directives are never split.
    """
    lines: list[str] = []
    portions = _PORTIONS.findall(value) or [""]
    indent = len(prefix) + 1  # a continuation line starts with prefix and the opening quote
    width = PAGE_WIDTH - 1 - indent  # room for the closing quote
    inside: set[int] = set()
    if directives:
        for start, end in _directive_spans(value):
            inside.update(range(start + 1, end))
    first = True
    offset = 0
    for number, portion in enumerate(portions):
        local = {i - offset for i in inside if offset <= i < offset + len(portion)}
        escaped, no_break = _escape(portion, local)
        offset += len(portion)
        start = len(keyword) + 1 if first else 0
        breaks = wrap_points(escaped, width, start, no_break)
        more = number < len(portions) - 1
        if first and escaped and (more or start > width or breaks):
            # Like msgmerge: a value that spans lines starts with an empty string.
            lines.append(f'{prefix}{keyword} ""')
            first = False
            breaks = wrap_points(escaped, width, 0, no_break)
        pieces = [escaped[a:b] for a, b in zip([0, *breaks], [*breaks, len(escaped)])]
        for piece in pieces:
            if first:
                lines.append(f'{prefix}{keyword} "{piece}"')
                first = False
            else:
                lines.append(f'{prefix}"{piece}"')
    return lines


def _comment_lines(marker: str, text: str) -> list[str]:
    if not text:
        return []
    return [f"{marker} {line}" if line else marker for line in text.split("\n")]


def _reference_lines(occurrences: list[tuple[str, str]]) -> list[str]:
    """``#:`` lines, filled up to the page width like GNU gettext."""
    if not occurrences:
        return []
    lines: list[str] = []
    current = "#:"
    references = (
        f"{file_name}:{line}" if line not in ("", None) else file_name
        for file_name, line in occurrences
    )
    for reference in dict.fromkeys(references):  # gettext lists a place once
        if current != "#:" and len(current) + len(reference) + 1 > PAGE_WIDTH:
            lines.append(current)
            current = "#:"
        current += f" {reference}"
    lines.append(current)
    return lines


def _flag_line(flags: list[str], translated: bool) -> list[str]:
    ordered = [flag for flag in flags if flag]
    if "fuzzy" in ordered:
        # gettext writes fuzzy first, and drops it where there is no translation to doubt.
        rest = [flag for flag in ordered if flag != "fuzzy"]
        ordered = ["fuzzy", *rest] if translated else rest
    unique = list(dict.fromkeys(ordered))
    return [f"#, {', '.join(unique)}"] if unique else []


def _directives(entry: polib.POEntry) -> bool:
    return bool(_PRINTF_FLAGS.intersection(entry.flags))


def _message_lines(entry: polib.POEntry, prefix: str, directives: bool = True) -> list[str]:
    # Obsolete entries keep no format flags, so gettext wraps them without directive spans.
    together = directives and _directives(entry)
    lines: list[str] = []
    if entry.msgctxt is not None:
        lines += _wrap_field("msgctxt", entry.msgctxt, prefix)
    lines += _wrap_field("msgid", entry.msgid, prefix, together)
    if entry.msgid_plural:
        lines += _wrap_field("msgid_plural", entry.msgid_plural, prefix, together)
        for index in sorted(entry.msgstr_plural):
            lines += _wrap_field(f"msgstr[{index}]", entry.msgstr_plural[index], prefix, together)
    else:
        lines += _wrap_field("msgstr", entry.msgstr, prefix, together)
    return lines


def _entry_lines(entry: polib.POEntry) -> list[str]:
    lines = _comment_lines("#", entry.tcomment)
    if entry.obsolete:
        if entry.fuzzy:
            lines.append("#, fuzzy")
        return lines + _message_lines(entry, "#~ ", directives=False)
    lines += _comment_lines("#.", entry.comment)
    lines += _reference_lines(entry.occurrences)
    # gettext's test: the first msgstr is not empty.
    first_msgstr = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
    lines += _flag_line(entry.flags, bool(first_msgstr))
    if entry.previous_msgctxt is not None:
        lines += _wrap_field("msgctxt", entry.previous_msgctxt, "#| ")
    together = _directives(entry)
    if entry.previous_msgid is not None:
        lines += _wrap_field("msgid", entry.previous_msgid, "#| ", together)
    if entry.previous_msgid_plural is not None:
        lines += _wrap_field("msgid_plural", entry.previous_msgid_plural, "#| ", together)
    return lines + _message_lines(entry, "")


def _has_translation(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return any(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _header_lines(pofile: polib.POFile) -> list[str]:
    lines: list[str] = []
    if pofile.header:
        for line in pofile.header.split("\n"):
            lines.append(f"# {line}" if line and line[0] not in ",:" else f"#{line}")
    if pofile.metadata_is_fuzzy:
        lines.append("#, fuzzy")
    metadata = "".join(f"{key}: {value}\n" for key, value in pofile.metadata.items())
    lines += _wrap_field("msgid", "")
    lines += _wrap_field("msgstr", metadata)
    return lines


def dump_catalog(pofile: polib.POFile) -> str:
    """The catalog as text, byte for byte what GNU msgcat would write for it.

    Deterministic: entries in list order (obsolete ones last), metadata in its stored order,
    nothing time-dependent added. Obsolete entries without a translation are dropped (as
    msgmerge does: they hold nothing to keep); obsolete entries carry no previous msgid.
    """
    blocks: list[list[str]] = []
    if pofile.metadata or pofile.header or pofile.metadata_is_fuzzy:
        blocks.append(_header_lines(pofile))
    live = [entry for entry in pofile if not entry.obsolete]
    obsolete = [entry for entry in pofile if entry.obsolete and _has_translation(entry)]
    blocks.extend(_entry_lines(entry) for entry in live)
    blocks.extend(_entry_lines(entry) for entry in obsolete)
    return "\n\n".join("\n".join(block) for block in blocks) + "\n" if blocks else ""


def write_catalog(
    pofile: polib.POFile, path: Path, *, before_replace: Callable[[], None] | None = None
) -> bool:
    """Write atomically; returns False (and touches nothing) when the bytes are unchanged.

    ``before_replace``: see :func:`pubflow.fsutil.atomic_write_bytes` (raise to cancel).
    """
    buildview.forget()  # the stages after this write check the catalogs themselves again
    if path.is_symlink():
        # A catalog shared through a link: write the file it points to (a rename over the
        # link would replace the link with a copy, and the other place would go stale).
        path = path.resolve()
    try:
        return atomic_write_text(path, dump_catalog(pofile), before_replace=before_replace)
    except OSError as exc:
        raise CatalogError(
            f"cannot write catalog: {exc.strerror}", path=path, hint="check permissions and free space"
        ) from None


# Locked editing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """What the file looked like when we read it (None: it did not exist)."""

    mtime_ns: int
    size: int
    digest: str


def _snapshot(path: Path) -> tuple[_Snapshot | None, bytes | None]:
    try:
        before = path.stat()
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise CatalogError(f"cannot read catalog: {exc.strerror}", path=path) from None
    return _Snapshot(before.st_mtime_ns, before.st_size, hashlib.sha256(raw).hexdigest()), raw


def _changed_since(path: Path, snapshot: _Snapshot | None) -> bool:
    current, _ = _snapshot(path)
    return current != snapshot


def lock_path(path: Path) -> Path:
    """The lock file guarding ``path``: ``<path>.lock`` (left in place; an OS lock is what counts)."""
    return path.with_name(path.name + ".lock")


@contextmanager
def catalog_lock(path: Path, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold ``<path>.lock``; another holder for more than ``timeout`` s → CatalogError."""
    # Imported on first use: reading catalogs (every build) never locks, and filelock costs
    # ~25 ms of a process's start.
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(path)), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise CatalogLockedError(
            f"catalog is locked by another pubflow run (waited {timeout:g} s)",
            path=path,
            hint="wait for the other run to finish, then run the command again",
        ) from None
    try:
        yield
    finally:
        lock.release()


def _load(path: Path, create: Callable[[], polib.POFile] | None) -> tuple[_Snapshot | None, polib.POFile]:
    snapshot, raw = _snapshot(path)
    if raw is None:
        if create is None:
            raise CatalogError(
                "catalog not found",
                path=path,
                hint="run `pubflow catalogs update` (or `pubflow catalogs init --locale L`)",
            )
        return None, create()
    return snapshot, parse_catalog(raw, path)


class _SavedMeanwhile(Exception):
    """The catalog changed on disk between our read and our rename (internal signal)."""


def _unchanged_since(path: Path, snapshot: _Snapshot | None) -> Callable[[], None]:
    """A ``before_replace`` check: raise _SavedMeanwhile if the file is no longer as read.

    Editors don't take our lock, so this check (a stat and a hash, microseconds before the
    rename) is what keeps a translator's save from being overwritten; the window left is
    the rename itself.
    """

    def check() -> None:
        if _changed_since(path, snapshot):
            raise _SavedMeanwhile

    return check


def _changed_error(path: Path) -> CatalogError:
    return CatalogError(
        "catalog was changed on disk while pubflow was updating it (saved in an editor?)",
        path=path,
        hint="nothing was written and your save is intact: run the command again",
    )


@contextmanager
def edit_catalog(
    path: Path,
    *,
    create: Callable[[], polib.POFile] | None = None,
    timeout: float = LOCK_TIMEOUT,
) -> Iterator[polib.POFile]:
    """Lock, read, yield the catalog for changes, and write it back atomically on clean exit.

    ``create`` makes the catalog when the file does not exist (else CatalogError). If the
    file changed on disk since it was read (mtime, size or content: a translator saved it
    meanwhile), nothing is written and CatalogError says so — their save always wins. Use
    :func:`update_catalog` to re-read and re-apply automatically instead.
    """
    with catalog_lock(path, timeout=timeout):
        snapshot, po = _load(path, create)
        yield po
        try:
            write_catalog(po, path, before_replace=_unchanged_since(path, snapshot))
        except _SavedMeanwhile:
            raise _changed_error(path) from None


def update_catalog(
    path: Path,
    apply: Callable[[polib.POFile], T],
    *,
    create: Callable[[], polib.POFile] | None = None,
    timeout: float = LOCK_TIMEOUT,
    attempts: int = 3,
    changed: Callable[[T], bool] | None = None,
) -> tuple[T, bool]:
    """Like :func:`edit_catalog`, but a save made meanwhile is re-read and ``apply`` re-run.

    ``apply`` changes the catalog in place and returns a result (e.g. a merge report).
    Returns ``(result, written)``; ``written`` is False when the bytes did not change.
    ``changed(result)`` False means apply left the catalog as it was: nothing is written
    (not even re-wrapped), which spares the serialisation of a catalog that stayed the same.
    After ``attempts`` reads that all changed underneath us, stops with CatalogError.
    """
    unlocked: tuple[_Snapshot | None, polib.POFile, T] | None = None
    if changed is not None:
        # Most updates change nothing: try once without the lock (which only guards writes;
        # a read needs none, since every write is an atomic rename). Only a change goes on
        # to the locked write below, reusing this work if the file is still as we read it.
        snapshot, po = _load(path, create)
        result = apply(po)
        if snapshot is not None and not changed(result):
            return result, False
        unlocked = (snapshot, po, result)
    with catalog_lock(path, timeout=timeout):
        for _ in range(max(1, attempts)):
            if unlocked is not None and not _changed_since(path, unlocked[0]):
                snapshot, po, result = unlocked
            else:
                snapshot, po = _load(path, create)
                result = apply(po)
            unlocked = None
            try:
                # Checked again right before the rename: a save made while we merged or
                # wrote is never overwritten; it is re-read and merged on the next round.
                return result, write_catalog(po, path, before_replace=_unchanged_since(path, snapshot))
            except _SavedMeanwhile:
                continue
    raise _changed_error(path)


def same_catalog(a: polib.POFile, b: polib.POFile) -> bool:
    """Whether ``a`` and ``b`` hold the same header and entries (everything a writer writes)."""
    if (
        a.header != b.header
        or list(a.metadata.items()) != list(b.metadata.items())
        or bool(a.metadata_is_fuzzy) != bool(b.metadata_is_fuzzy)
        or len(a) != len(b)
    ):
        return False
    return all(_entry_fields(x) == _entry_fields(y) for x, y in zip(a, b, strict=True))


def _entry_fields(entry: polib.POEntry) -> tuple[object, ...]:
    return (
        entry.msgid,
        entry.msgctxt,
        entry.msgid_plural,
        entry.msgstr,
        entry.msgstr_plural,
        bool(entry.obsolete),
        entry.flags,
        entry.tcomment,
        entry.comment,
        entry.occurrences,
        entry.previous_msgctxt,
        entry.previous_msgid,
        entry.previous_msgid_plural,
    )


def catalog_fingerprint(path: Path) -> str | None:
    """SHA-256 of the file's bytes (None if missing): cheap change detection for callers."""
    snapshot, _ = _snapshot(path)
    return snapshot.digest if snapshot else None


__all__ = [
    "LOCK_TIMEOUT",
    "catalog_fingerprint",
    "catalog_lock",
    "dump_catalog",
    "edit_catalog",
    "list_domains",
    "locale_domains",
    "lock_path",
    "parse_catalog",
    "po_path",
    "pot_path",
    "read_catalog",
    "same_catalog",
    "stray_catalogs",
    "update_catalog",
    "write_catalog",
]
