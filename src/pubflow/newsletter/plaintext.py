"""The plain-text part of an email: wrapped at 72 columns, headings underlined, links as footnotes.

The ``email.txt`` template writes the structure (headings followed by an underline of ``=`` or
``-``, paragraphs on one line each, link references ``[3]``); :func:`format_plain_text` wraps
long lines at spaces (never inside a word or a URL, with a hanging indent for list items and
footnotes) and fits every underline to its heading. Right-to-left text is left in logical
order, exactly as written: mail clients apply the bidi algorithm themselves.
"""

from __future__ import annotations

import re

from pubflow.i18n.linebreak import char_width

WIDTH = 72
"""Columns per line: leaves room for ``> `` quoting within the traditional 78."""

SIGNATURE = "-- "
_UNDERLINE = re.compile(r"^(=+|-+)$")
# A list item, numbered item or footnote: its continuation lines indent to the text.
_HANGING = re.compile(r"^(\s*(?:[-*•]\s+|\d+[.)]\s+|\[\d+\]\s+)?)")


_WIDTHS: dict[str, int] = {}  # char_width of every character seen (a C-level lookup per char)


def text_width(text: str) -> int:
    """Display columns of ``text`` (wide East Asian characters count two, marks none)."""
    if text.isascii() and text.isprintable():  # the common case: one column per character
        return len(text)
    widths = _WIDTHS
    try:
        return sum(map(widths.__getitem__, text))
    except KeyError:
        for char in set(text).difference(widths):
            widths[char] = char_width(char)
        return sum(map(widths.__getitem__, text))


def underline(text: str, char: str = "=") -> str:
    """``text`` and, on the next line, ``char`` repeated to its width (a Jinja filter)."""
    return f"{text}\n{char * max(3, text_width(text))}"


def wrap_line(line: str, width: int = WIDTH) -> list[str]:
    """``line`` broken at spaces into lines of at most ``width`` columns where possible.

    A word longer than the width (a URL) stays whole on a line of its own.
    """
    if text_width(line) <= width:
        return [line]
    prefix = _HANGING.match(line).group(1)  # type: ignore[union-attr]
    indent = " " * text_width(prefix)
    words = line[len(prefix):].split(" ")
    lines: list[str] = []
    current = prefix
    current_width = text_width(prefix)
    at_start = True
    for word in words:
        if not word:
            continue
        word_width = text_width(word)
        if at_start:
            current += word
            current_width += word_width
            at_start = False
        elif current_width + 1 + word_width <= width:
            current += " " + word
            current_width += 1 + word_width
        else:
            lines.append(current)
            current = indent + word
            current_width = len(indent) + word_width
    lines.append(current)
    return lines


def format_plain_text(text: str, width: int = WIDTH) -> str:
    """Wrap every line, fit underlines to their headings, squeeze runs of blank lines."""
    output: list[str] = []
    blank_run = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        # "-- " (with its space) starts a signature: clients fold or grey out what follows.
        line = raw if raw == SIGNATURE else raw.rstrip()
        if not line:
            blank_run += 1
            if blank_run <= 1 and output:
                output.append("")
            continue
        blank_run = 0
        match = _UNDERLINE.match(line)
        if match and output and output[-1]:
            # Underline the heading just written (which may have been wrapped).
            heading: list[str] = []
            index = len(output) - 1
            while index >= 0 and output[index]:
                heading.insert(0, output[index])
                index -= 1
            output.append(match.group(1)[0] * max(3, max(text_width(h) for h in heading)))
            continue
        output.extend(wrap_line(line, width))
    while output and not output[-1]:
        output.pop()
    return "\n".join(output) + "\n"
