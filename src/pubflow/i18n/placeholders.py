"""Format placeholders in a message: printf style (``%(name)s``, ``%s``) and braces (``{name}``).

These are the tokens that Python's ``%`` operator and :meth:`str.format` substitute at render
time (Jinja2's i18n extension and Babel use ``%(name)s``). A translation that drops, renames or
adds one breaks formatting or loses a number, so the ``placeholders`` check compares them.

Escapes are not placeholders: ``%%`` is a literal percent sign and ``{{`` / ``}}`` are literal
braces. A space flag (``% d``) is deliberately not recognised: in prose, "50 % de" is far more
common than a space-padded integer, and counting it would flood translators with false alarms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Placeholder",
    "PlaceholderKind",
    "brace_placeholders",
    "literal_text_flags",
    "placeholders_of",
    "printf_placeholders",
    "scan_placeholders",
    "stray_percents",
    "untrusted_directive",
]


class PlaceholderKind(StrEnum):
    """How a placeholder is filled, which decides whether its position matters."""

    PRINTF_NAMED = "printf-named"  # %(name)s: filled from a mapping, order free
    PRINTF_POSITIONAL = "printf-positional"  # %s, %d: filled in order, order fixed
    BRACE_NAMED = "brace-named"  # {name}, {0}: order free
    BRACE_AUTO = "brace-auto"  # {}: auto-numbered, order fixed

    @property
    def is_printf(self) -> bool:
        return self in (PlaceholderKind.PRINTF_NAMED, PlaceholderKind.PRINTF_POSITIONAL)

    @property
    def is_ordered(self) -> bool:
        """True when the translation must keep the source's order of these placeholders."""
        return self in (PlaceholderKind.PRINTF_POSITIONAL, PlaceholderKind.BRACE_AUTO)


@dataclass(frozen=True)
class Placeholder:
    """One placeholder as written in the text (``token``) and where it starts."""

    token: str
    kind: PlaceholderKind
    name: str | None
    start: int


# Python's printf conversions: %[(name)][flags][width][.precision][length]type. "%%" is matched
# first so that "%%d" is a literal "%d", not a placeholder.
_PRINTF = re.compile(
    r"%%"
    r"|%(?:\((?P<name>[^()]*)\))?"
    r"(?P<flags>[#0+-]*)"
    r"(?P<width>\*|[1-9][0-9]*)?"
    r"(?:\.(?P<precision>\*|[0-9]*))?"
    r"[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa])"
)

# str.format fields: {name}, {0}, {}, {name.attr}, {name[0]}, {name!r}, {name:>10}. "{{" and
# "}}" come first so that they are consumed as literal braces. The format spec is restricted to
# the real mini-language so that prose like "{color: red}" is not taken for a field.
_BRACE = re.compile(
    r"\{\{|\}\}"
    r"|\{(?P<field>(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[^\[\]{}]*\])*)?"
    r"(?P<conversion>![rsa])?"
    r"(?P<spec>:(?:.?[<>=^])?[-+ ]?z?#?0?[0-9]*[,_]?(?:\.[0-9]+)?[bcdeEfFgGnosxX%]?)?"
    r"\}"
)


def printf_placeholders(text: str) -> list[Placeholder]:
    """The printf-style placeholders of ``text`` in order of appearance."""
    found: list[Placeholder] = []
    for match in _PRINTF.finditer(text):
        token = match.group(0)
        if token == "%%":
            continue
        name = match.group("name")
        kind = PlaceholderKind.PRINTF_POSITIONAL if name is None else PlaceholderKind.PRINTF_NAMED
        found.append(Placeholder(token, kind, name, match.start()))
    return found


def brace_placeholders(text: str) -> list[Placeholder]:
    """The :meth:`str.format` placeholders of ``text`` in order of appearance."""
    found: list[Placeholder] = []
    for match in _BRACE.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        field = match.group("field")
        if field:
            found.append(Placeholder(token, PlaceholderKind.BRACE_NAMED, field, match.start()))
        else:
            found.append(Placeholder(token, PlaceholderKind.BRACE_AUTO, None, match.start()))
    return found


def literal_text_flags(text: str) -> list[str]:
    """The gettext flags that mark ``text`` as never formatted, for what it holds that looks
    like a placeholder: ``no-python-format`` (``%(name)s``, ``%d``), ``no-python-brace-format``
    (``{name}``).

    Content (articles, newsletter copy) is shown as written, never passed through ``%`` or
    ``str.format``: without the flags, the placeholder checks would ask translators to keep a
    ``{…}`` that is just text, or to write ``%%`` — which would then show as two signs."""
    found = scan_placeholders(text)
    flags = []
    if any(p.kind.is_printf for p in found):
        flags.append("no-python-format")
    if any(not p.kind.is_printf for p in found):
        flags.append("no-python-brace-format")
    return flags


def scan_placeholders(text: str) -> list[Placeholder]:
    """Every placeholder of ``text`` (printf and brace), in order of appearance."""
    found = printf_placeholders(text) + brace_placeholders(text)
    found.sort(key=lambda placeholder: placeholder.start)
    return found


# Every directive exactly as Python's % operator reads it (the space flag included, unlike
# _PRINTF above): what untrusted_directive() must see so nothing slips past it.
_PYTHON_DIRECTIVE = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?(?P<flags>[-+ #0]*)(?P<width>\*|[0-9]+)?"
    r"(?:\.(?P<precision>\*|[0-9]*))?[hlL]?(?P<type>[\s\S])?"
)
_PLAIN_CONVERSIONS = frozenset("sdiouxXeEfFgGcra")


def untrusted_directive(source: str, translation: str, names: Collection[str] = ()) -> str | None:
    """The first ``%`` directive of ``translation`` that must not reach Python's ``%``, or None.

    Renderers format every UI translation with ``%`` (as Jinja's newstyle gettext does), even
    when the source has no placeholder. Trusted are ``%%``, a directive written exactly so in
    ``source``, and a plain named one (``%(name)s``: no flags, width or precision) whose name is
    in ``names``. Anything else could format the variables dict into the page (``%s``), raise
    (``%(nope)s``, ``50 % off``) or allocate gigabytes (``%999999999s``).
    """
    if "%" not in translation:
        return None
    trusted = {match.group(0) for match in _PYTHON_DIRECTIVE.finditer(source)}
    for match in _PYTHON_DIRECTIVE.finditer(translation):
        token = match.group(0)
        if token == "%%" or token in trusted:
            continue
        plain = not match.group("flags") and not match.group("width")
        plain = plain and match.group("precision") is None
        if plain and match.group("name") in names and match.group("type") in _PLAIN_CONVERSIONS:
            continue
        return token
    return None


def stray_percents(text: str) -> list[str]:
    """``%`` signs that are neither ``%%`` nor a placeholder, e.g. "50 % off" or a trailing "%".

    In a python-format string Python's ``%`` reads each as a directive and fails (or formats a
    number with a space flag); msgfmt rejects them too. A percent sign is written ``%%`` there.
    """
    known = {match.start() for match in _PRINTF.finditer(text)}
    return [m.group(0) for m in _PYTHON_DIRECTIVE.finditer(text) if m.start() not in known]


def placeholders_of(text: str) -> Counter[str]:
    """How often each placeholder token occurs, e.g. ``Counter({"%(count)d": 1, "{name}": 2})``."""
    return Counter(placeholder.token for placeholder in scan_placeholders(text))
