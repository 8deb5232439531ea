"""Choosing the reader for a source file by its suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pubflow.errors import IngestError
from pubflow.ingest.decode import check_file, decode_source, read_bytes
from pubflow.model import Article

Reader = Callable[[str, Path, str], Article]

# The readers (lxml, YAML, slug rules) are imported when a source is parsed, not when the
# package is: a rebuild with nothing new to ingest never needs them.


def _text(text: str, path: Path, lang: str) -> Article:
    from pubflow.ingest.text import parse_text

    return parse_text(text, path, lang=lang)


def _markdown(text: str, path: Path, lang: str) -> Article:
    from pubflow.ingest.markdown import parse_markdown

    return parse_markdown(text, path)


def _html(text: str, path: Path, lang: str) -> Article:
    from pubflow.ingest.html import parse_html

    return parse_html(text, path, lang=lang)


_READERS: dict[str, Reader] = {
    ".txt": _text,
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": _html,
    ".htm": _html,
}
SUPPORTED_SUFFIXES = tuple(_READERS)


def _reader_for(path: Path) -> Reader:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(
            f"unsupported source type {path.suffix or '(no suffix)'!r}",
            path=path,
            hint="give scraped blog text (.txt), Markdown with front matter (.md, .markdown) "
            "or a saved HTML page (.html, .htm)",
        )
    return reader


def parse_source(data: bytes, path: Path, *, lang: str = "en") -> Article:
    """Parse the bytes of a source file named ``path`` (the suffix picks the reader).

    ``lang`` is the source language of text and HTML sources; Markdown carries its own.
    """
    reader = _reader_for(path)
    return reader(decode_source(data, path), path, lang)


def read_source(path: Path, *, lang: str = "en") -> Article:
    """Read a source article: ``.txt`` (scraped text), ``.md``/``.markdown``, ``.html``/``.htm``.

    Every problem is an :class:`~pubflow.errors.IngestError` naming the file (and line).
    """
    path = Path(path)
    check_file(path)
    _reader_for(path)  # an unsupported suffix is refused before the file is read
    return parse_source(read_bytes(path), path, lang=lang)
