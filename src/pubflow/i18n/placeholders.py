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
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Placeholder",
    "PlaceholderKind",
    "brace_placeholders",
    "placeholders_of",
    "printf_placeholders",
    "scan_placeholders",
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


def scan_placeholders(text: str) -> list[Placeholder]:
    """Every placeholder of ``text`` (printf and brace), in order of appearance."""
    found = printf_placeholders(text) + brace_placeholders(text)
    found.sort(key=lambda placeholder: placeholder.start)
    return found


def placeholders_of(text: str) -> Counter[str]:
    """How often each placeholder token occurs, e.g. ``Counter({"%(count)d": 1, "{name}": 2})``."""
    return Counter(placeholder.token for placeholder in scan_placeholders(text))
