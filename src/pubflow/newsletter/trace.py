"""Where in which template a piece of rendered output came from.

Jinja2 keeps no map from output to template lines, but its compiled templates yield output in
chunks and know which template line each code line belongs to
(:meth:`jinja2.Template.get_corresponding_lineno`). :func:`trace_render` renders once more,
notes for every chunk the innermost template frame that produced it (blocks are
``yield from``, includes iterate a local generator), and so can tell that character 4,210 of the
MJML came from ``newsletter/email.mjml`` line 57.

Literal template text is yielded in runs whose recorded line is that of the preceding block tag
(``{% for %}``), so literal chunks are looked up in the template source for their exact line.
Only used when something is wrong (after a check failed): it costs a second render.
"""

from __future__ import annotations

import bisect
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2


@dataclass(frozen=True)
class Chunk:
    """One piece of output: where it starts in the output and where it comes from."""

    start: int
    text: str
    template: str  # template name, e.g. "newsletter/email.mjml"
    filename: str | None  # the template's file on disk, when known
    line: int  # 1-based template line where the chunk's text starts


@dataclass(frozen=True)
class TemplateTrace:
    """The output of one render, cut into chunks that know their template line."""

    output: str
    chunks: tuple[Chunk, ...]

    def locate(self, offset: int) -> tuple[str, str | None, int] | None:
        """(template name, file, line) of the output character at ``offset``."""
        if not self.chunks:
            return None
        starts = [chunk.start for chunk in self.chunks]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        chunk = self.chunks[index]
        inside = max(0, min(offset - chunk.start, len(chunk.text)))
        return chunk.template, chunk.filename, chunk.line + chunk.text.count("\n", 0, inside)


def _innermost(generator: types.GeneratorType[Any, Any, Any]) -> types.GeneratorType[Any, Any, Any]:
    """The generator that actually produced the last chunk (through blocks and includes)."""
    current = generator
    for _ in range(100):  # template nesting is never this deep; guards against cycles
        inner = current.gi_yieldfrom
        if not isinstance(inner, types.GeneratorType):
            frame = current.gi_frame
            inner = None
            if frame is not None:
                # {% include %} runs `for event in gen: yield event` with a local `gen`.
                inner = next(
                    (
                        value
                        for value in frame.f_locals.values()
                        if isinstance(value, types.GeneratorType)
                        and value.gi_suspended
                        and value is not current
                    ),
                    None,
                )
        if inner is None:
            return current
        current = inner
    return current


def _source_line(source: str, text: str, near_line: int) -> int | None:
    """Line of the first occurrence of literal ``text`` at or after ``near_line`` in ``source``."""
    if not text.strip():
        return None
    start = 0
    for _ in range(near_line - 1):
        found = source.find("\n", start)
        if found < 0:
            break
        start = found + 1
    position = source.find(text, start)
    if position < 0:
        return None
    return source.count("\n", 0, position) + 1


def trace_render(
    environment: jinja2.Environment, name: str, context: Mapping[str, Any]
) -> TemplateTrace:
    """Render ``name`` with ``context`` and record the template line of every output chunk."""
    template = environment.get_template(name)
    generator = template.generate(dict(context))
    chunks: list[Chunk] = []
    sources: dict[str, str] = {}
    offset = 0
    pieces: list[str] = []
    for text in generator:
        frame = _innermost(generator).gi_frame  # type: ignore[arg-type]
        chunk_template, filename, line = name, template.filename, 1
        if frame is not None:
            chunk_template = str(frame.f_globals.get("name") or name)
            try:
                owner = environment.get_template(chunk_template)
            except jinja2.TemplateError:
                owner = template
            filename = owner.filename
            line = owner.get_corresponding_lineno(frame.f_lineno)
            if text in frame.f_code.co_consts:
                # Literal template text: find it in the source for its exact line.
                if chunk_template not in sources:
                    try:
                        sources[chunk_template] = Path(filename).read_text("utf-8") if filename else ""
                    except OSError:
                        sources[chunk_template] = ""
                exact = _source_line(sources[chunk_template], text, line)
                if exact is not None:
                    line = exact
        chunks.append(Chunk(offset, text, chunk_template, filename, line))
        pieces.append(text)
        offset += len(text)
    return TemplateTrace("".join(pieces), tuple(chunks))
