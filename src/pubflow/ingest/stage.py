"""The ingest stage: source files → ``content/articles/<slug>.md``, all or nothing.

Every source is read and checked before anything is written, and a canonical file that
differs from what its source now produces (a marketer's hand edit) is never overwritten
without ``force``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pubflow.errors import IngestError
from pubflow.fsutil import atomic_write_bytes
from pubflow.ingest.canonical import canonical_path, dump_article, read_canonical
from pubflow.ingest.sources import read_source
from pubflow.model import Article

Status = Literal["written", "unchanged", "kept"]
"""``kept``: the canonical file was edited by hand and left as it is (``keep_edited``)."""


@dataclass(frozen=True)
class PlannedArticle:
    """What ingesting one source would do, before anything is written."""

    source: Path
    article: Article
    path: Path
    text: str
    previous: bytes | None  # the canonical file's bytes now, None when it does not exist

    @property
    def status(self) -> Status:
        return "unchanged" if self.previous == self.text.encode("utf-8") else "written"

    @property
    def overwrites_edit(self) -> bool:
        """True when an existing canonical file holds something else than this source gives."""
        return self.previous is not None and self.status == "written"


@dataclass(frozen=True)
class IngestResult:
    """One ingested source: the article, its canonical file and whether it was written."""

    source: Path
    article: Article
    path: Path
    status: Status


def _unique(paths: Iterable[Path]) -> list[Path]:
    """The paths in order, each file once (a shell glob may name one twice)."""
    seen: set[Path] = set()
    result: list[Path] = []
    for path in map(Path, paths):
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def _existing(path: Path) -> tuple[bytes | None, dt.date | None]:
    """The canonical file's bytes and front-matter date (None when missing or unreadable)."""
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    try:
        return previous, read_canonical(path).article.date
    except IngestError:
        # A broken hand edit: it differs from what we would write, so `force` decides.
        return previous, None


def plan_ingest(
    paths: Sequence[Path],
    articles_dir: Path,
    *,
    date: dt.date | None = None,
    lang: str = "en",
    on_read: Callable[[Path], None] | None = None,
) -> list[PlannedArticle]:
    """Read and check every source and work out each canonical file; writes nothing.

    The date is the source's own (Markdown front matter), else the existing canonical file's,
    else ``date``, else today. Two sources giving one slug are refused.
    """
    if not paths:
        raise IngestError(
            "no source files given", hint="name one or more files, e.g. content/sources/*.txt"
        )
    planned: list[PlannedArticle] = []
    by_slug: dict[str, Path] = {}
    for source in _unique(paths):
        article = read_source(source, lang=lang)
        if article.slug in by_slug:
            raise IngestError(
                f"gives the same slug {article.slug!r} as {by_slug[article.slug]}",
                path=source,
                hint="ingest one of them, or rename a file (a file name that is a valid slug "
                "is the slug)",
            )
        by_slug[article.slug] = source
        target = canonical_path(articles_dir, article.slug)
        previous, kept_date = _existing(target)
        article = replace(article, date=article.date or kept_date or date or dt.date.today())
        planned.append(PlannedArticle(source, article, target, dump_article(article), previous))
        if on_read is not None:
            on_read(source)
    return planned


def _write_all(planned: list[PlannedArticle]) -> None:
    """Write every changed file atomically; on a failure, put back what was already written."""
    done: list[PlannedArticle] = []
    try:
        for item in planned:
            if item.status == "written":
                atomic_write_bytes(item.path, item.text.encode("utf-8"))
                done.append(item)
    except OSError as exc:
        for item in reversed(done):
            try:
                if item.previous is None:
                    os.unlink(item.path)
                else:
                    atomic_write_bytes(item.path, item.previous)
            except OSError:
                pass  # best effort: the original error below is what the user must fix
        failed = planned[len(done)] if len(done) < len(planned) else planned[-1]
        raise IngestError(
            f"cannot write the canonical file: {exc.strerror or exc}",
            path=getattr(exc, "filename", None) or failed.path,
            hint="check free space and permissions of the articles folder; nothing was changed",
        ) from None


def ingest(
    paths: Sequence[Path],
    articles_dir: Path,
    *,
    force: bool = False,
    keep_edited: bool = False,
    date: dt.date | None = None,
    lang: str = "en",
    on_read: Callable[[Path], None] | None = None,
) -> list[IngestResult]:
    """Ingest source files into canonical articles under ``articles_dir``, all or nothing.

    Nothing is written unless every source reads cleanly and (without ``force``) no existing
    canonical file would lose a hand edit. An identical result is left alone ("unchanged").
    ``keep_edited`` leaves hand-edited canonical files as they are (status ``kept``) instead of
    refusing: what ``publish`` wants, since the canonical file is the one marketers maintain.
    ``on_read`` is called after each source is read (for progress bars).
    """
    planned = plan_ingest(paths, articles_dir, date=date, lang=lang, on_read=on_read)
    kept: list[PlannedArticle] = []
    if keep_edited and not force:
        kept = [item for item in planned if item.overwrites_edit]
        planned = [item for item in planned if not item.overwrites_edit]
    if not force:
        edited = [item for item in planned if item.overwrites_edit]
        if edited:
            first = edited[0]
            more = f" (and {len(edited) - 1} more)" if len(edited) > 1 else ""
            raise IngestError(
                f"differs from what {first.source} gives now (edited by hand?){more}; "
                "nothing was written",
                path=first.path,
                hint="keep your edits by making them in the source, or re-run with --force "
                "to replace the file",
            )
    _write_all(planned)
    results = [IngestResult(p.source, p.article, p.path, p.status) for p in planned]
    return results + [IngestResult(k.source, k.article, k.path, "kept") for k in kept]
