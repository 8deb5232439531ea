"""Readers that turn a source article (text, Markdown, HTML) into an :class:`Article`.

- :func:`read_source` picks the reader by suffix (``.txt``, ``.md``/``.markdown``,
  ``.html``/``.htm``);
- :func:`ingest` writes ``content/articles/<slug>.md`` for each source, all or nothing, and
  never overwrites a hand-edited canonical file without ``force``.
"""

from __future__ import annotations

from pubflow.ingest.sources import SUPPORTED_SUFFIXES, parse_source, read_source
from pubflow.ingest.stage import IngestResult, PlannedArticle, ingest, plan_ingest

__all__ = [
    "SUPPORTED_SUFFIXES",
    "IngestResult",
    "PlannedArticle",
    "ingest",
    "parse_source",
    "plan_ingest",
    "read_source",
]
