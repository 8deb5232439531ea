"""Reader for Markdown with front matter: the canonical format, so marketers can write by hand.

The format is described in :mod:`pubflow.ingest.canonical`; this reader adds the checks every
source gets (announced tip count) on top of the canonical parser.
"""

from __future__ import annotations

from pathlib import Path

from pubflow.errors import IngestError
from pubflow.ingest import rules
from pubflow.ingest.canonical import CanonicalArticle, parse_canonical
from pubflow.model import Article


def parse_markdown_source(text: str, path: Path) -> CanonicalArticle:
    """Parse Markdown with front matter (decoded text), keeping the line of every field."""
    try:
        parsed = parse_canonical(text, path)
    except RecursionError:
        # PyYAML composes recursively: absurdly nested front matter must not crash the CLI.
        raise IngestError(
            "front matter is nested too deeply", path=path, line=2, hint="check the YAML"
        ) from None
    article = parsed.article
    rules.check_tip_count(
        article.title, len(article.tips), path=path, line=parsed.lines.get("title")
    )
    return parsed


def parse_markdown(text: str, path: Path) -> Article:
    """Parse Markdown with front matter into an :class:`Article` (slug and lang as written)."""
    return parse_markdown_source(text, path).article
