"""The ingest stage: source files → ``content/articles/<slug>.md``, all or nothing.

Every source is read and checked before anything is written, and a canonical file that
differs from what its source now produces (a marketer's hand edit) is never overwritten
without ``force``.

Ingesting the project's own articles folder again skips sources already done: when
``build/incremental/ingest.json`` says a source with the same bytes (SHA-256, found from its
stat when that is unchanged) gave a canonical file that still has the bytes written then, the
source is not read again (status ``unchanged``, the article from the record). Reading,
checking and re-serialising each source is what an unchanged ingest spent its time on.
Another pubflow version, another ``lang``, ``force`` or a folder outside a pubflow project
reads everything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pubflow.collector import with_fewer_collections
from pubflow.config import Settings, load_settings
from pubflow.errors import IngestError, PubflowError
from pubflow.fingerprint import FileHashes, now_ns, read_state, state_path, write_state
from pubflow.fsutil import atomic_write_bytes, sweep_stale_temp_files
from pubflow.ingest.canonical import (
    CanonicalArticle,
    canonical_path,
    dump_article,
    parse_canonical,
    read_canonical,
    remember_parsed,
)
from pubflow.ingest.sources import read_source
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip
from pubflow.parallel import run_jobs, worker_count

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
    parsed: CanonicalArticle | None = None  # ``text`` read back, as every later stage reads it

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


def _unique(paths: Iterable[Path]) -> dict[Path, str]:
    """The paths in order, each file once (a shell glob may name one twice), with the real
    path of each (what identifies a source in the state file)."""
    seen: set[str] = set()
    result: dict[Path, str] = {}
    folders: dict[str, str] = {}
    for path in map(Path, paths):
        key = _real_path(os.fspath(path), folders)
        if key not in seen:
            seen.add(key)
            result[path] = key
    return result


def _real_path(path: str, folders: dict[str, str]) -> str:
    """``os.path.realpath(path)``, each folder resolved once (``folders``: the cache).

    Resolving walks every component of the path with an ``lstat``; a hundred sources in one
    folder then cost one walk and an ``lstat`` each.
    """
    folder, name = os.path.split(path)
    if name in ("", ".", ".."):
        return os.path.realpath(path)
    if folder not in folders:
        folders[folder] = os.path.realpath(folder or os.curdir)
    joined = os.path.join(folders[folder], name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


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
    _require(paths)
    return _plan(list(_unique(paths)), articles_dir, date=date, lang=lang, on_read=on_read, taken={})


def _require(paths: Sequence[Path]) -> None:
    if not paths:
        raise IngestError(
            "no source files given", hint="name one or more files, e.g. content/sources/*.txt"
        )


def _refuse_taken_slugs(
    planned: Sequence[PlannedArticle], recorded: object, keys: Mapping[Path, str]
) -> None:
    """IngestError for a source whose slug is the article of another source that is still
    there (as the last ingests recorded): its article would replace the other one's, or,
    with ``--keep-edited``, be dropped without a word."""
    if not isinstance(recorded, dict):
        return  # nothing recorded (a fresh clone): a hand-edit check is all there is
    owner_of = {
        record["canonical"]: key
        for key, record in recorded.items()
        if isinstance(record, dict) and isinstance(record.get("canonical"), str)
    }
    for item in planned:
        owner = owner_of.get(item.path.name)
        if owner is not None and owner != keys[item.source] and os.path.exists(owner):
            raise IngestError(
                f"gives the slug {item.article.slug!r}, which is already the article of {owner}",
                path=item.source,
                hint="give this source another title or file name (a file name that is a valid "
                "slug is the slug), or remove the other source",
            )


def _claim(by_slug: dict[str, Path], slug: str, source: Path) -> None:
    """Refuse a second source for one slug."""
    if slug in by_slug:
        raise IngestError(
            f"gives the same slug {slug!r} as {by_slug[slug]}",
            path=source,
            hint="ingest one of them, or rename a file (a file name that is a valid slug "
            "is the slug)",
        )
    by_slug[slug] = source


def _plan(
    sources: Sequence[Path],
    articles_dir: Path,
    *,
    date: dt.date | None,
    lang: str,
    on_read: Callable[[Path], None] | None,
    taken: dict[str, Path],
    workers: int = 1,
) -> list[PlannedArticle]:
    """:func:`plan_ingest` of ``sources``; ``taken``: slugs already given by other sources.

    With ``workers`` > 1 and enough sources, they are read side by side (a 100-article
    corpus: 0.45 s in one process); either way the first problem in the sources' order is the
    one reported, and two sources of one slug are refused.
    """
    shared = (articles_dir, date, lang)
    count = worker_count(workers, len(sources) // _SOURCES_PER_WORKER)
    chunks = _chunks(sources, count)
    outcomes: dict[Path, _Read | IngestError] = {}

    def chunk_done(index: int, results: list[_Read | IngestError]) -> None:
        for source, outcome in zip(chunks[index], results, strict=True):
            outcomes[source] = outcome
            if on_read is not None and not isinstance(outcome, IngestError):
                on_read(source)

    if len(chunks) > 1:
        run_jobs(_read_chunk, shared, [(chunk,) for chunk in chunks], workers=count, on_done=chunk_done)
    planned: list[PlannedArticle] = []
    by_slug = taken
    for source in sources:
        outcome = outcomes.get(source)
        if outcome is None:  # one process: read here, in order (a problem stops the reading)
            outcome = _read_one(shared, source)
            if on_read is not None and not isinstance(outcome, IngestError):
                on_read(source)
        if isinstance(outcome, IngestError):
            raise outcome
        article, text, previous, parsed = outcome
        _claim(by_slug, article.slug, source)
        planned.append(
            PlannedArticle(
                source, article, canonical_path(articles_dir, article.slug), text, previous, parsed
            )
        )
    return planned


_SOURCES_PER_WORKER = 16
"""Fewer sources per worker than this are read in the calling process (forking costs more)."""


def _chunks(sources: Sequence[Path], workers: int) -> list[list[Path]]:
    """``sources`` in ``workers`` × 4 runs of neighbours (one run when ``workers`` is 1)."""
    if workers <= 1:
        return [list(sources)] if sources else []
    size = -(-len(sources) // (workers * 4))
    return [list(sources[start : start + size]) for start in range(0, len(sources), size)]


_Read = tuple[Article, str, bytes | None, CanonicalArticle | None]
"""One source read: its article, canonical text, the canonical file's bytes now, and the text
read back as a canonical article (None if that fails: the stage that reads it reports why)."""


def _read_chunk(
    shared: tuple[Path, dt.date | None, str], chunk: list[Path]
) -> list[_Read | IngestError]:
    """A job of :func:`pubflow.parallel.run_jobs`: :func:`_read_one` of each source."""
    return [_read_one(shared, source) for source in chunk]


def _read_one(shared: tuple[Path, dt.date | None, str], source: Path) -> _Read | IngestError:
    """One source read and checked (see :data:`_Read`); or the problem with it (returned, so
    the caller reports the first in order whichever process read it).

    The canonical text is read back here, in the worker: every later stage of the build
    (sync's extraction first) reads these articles, and would otherwise parse all of them
    again in the build process alone (~0.3 s for 100 articles)."""
    articles_dir, date, lang = shared
    try:
        article = read_source(source, lang=lang)
        path = canonical_path(articles_dir, article.slug)
        previous, kept_date = _existing(path)
    except IngestError as error:
        return error
    article = replace(article, date=article.date or kept_date or date or dt.date.today())
    text = dump_article(article)
    try:
        parsed: CanonicalArticle | None = parse_canonical(text, path)
    except IngestError:
        parsed = None
    return article, text, previous, parsed


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


@with_fewer_collections
def ingest(
    paths: Sequence[Path],
    articles_dir: Path,
    *,
    force: bool = False,
    keep_edited: bool = False,
    date: dt.date | None = None,
    lang: str = "en",
    on_read: Callable[[Path], None] | None = None,
    workers: int = 1,
    settings: Settings | None = None,
) -> list[IngestResult]:
    """Ingest source files into canonical articles under ``articles_dir``, all or nothing.

    Nothing is written unless every source reads cleanly and (without ``force``) no existing
    canonical file would lose a hand edit. An identical result is left alone ("unchanged").
    ``keep_edited`` leaves hand-edited canonical files as they are (status ``kept``) instead of
    refusing: what ``publish`` wants, since the canonical file is the one marketers maintain.
    ``on_read`` is called after each source is read (for progress bars). Sources unchanged
    since the last ingest into the project's articles folder are not read again (module doc).
    ``workers`` (the ``workers`` setting: 0 = one per core) reads many sources side by side.
    ``settings``: the project's, when the caller has them (else found from ``articles_dir``).
    """
    _require(paths)
    sources = _unique(paths)
    # Crash leftovers of earlier writes: the articles folder is committed, so a stray temp
    # file there would end up in someone's commit.
    sweep_stale_temp_files(shallow=[articles_dir])
    project = _project_state(articles_dir, settings)
    state_file, root = project if project is not None else (None, articles_dir)
    previous = read_state(state_file, "ingest") if state_file is not None else {}
    hashes = FileHashes(root, previous.get("hashes"))
    recorded = previous.get("sources")
    # ``force`` reads every source (and records what it wrote for the next run).
    known: Mapping[str, Any] = recorded if isinstance(recorded, dict) and not force else {}

    # Hash every source before reading any: a file saved meanwhile then differs next time.
    source_hashes = {source: hashes.sha256(source) for source in sources} if state_file else {}
    reused: dict[Path, IngestResult] = {}
    by_slug: dict[str, Path] = {}
    for source in sources:
        record = known.get(sources[source]) if state_file else None
        result = _reuse(source, record, source_hashes.get(source), hashes, articles_dir, lang)
        if result is not None:
            _claim(by_slug, result.article.slug, source)
            reused[source] = result
            if on_read is not None:
                on_read(source)
    fresh = [source for source in sources if source not in reused]
    planned = _plan(
        fresh, articles_dir, date=date, lang=lang, on_read=on_read, taken=by_slug, workers=workers
    )

    _refuse_taken_slugs(planned, recorded, sources)
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
    for item in planned:  # each file now holds exactly its text (written or unchanged)
        if item.parsed is not None:
            remember_parsed(item.path, item.text.encode("utf-8"), item.parsed)
    done = {p.source: IngestResult(p.source, p.article, p.path, p.status) for p in planned}
    results = [reused[s] if s in reused else done[s] for s in sources if s in reused or s in done]
    if state_file is not None:
        _save_state(state_file, previous, hashes, planned, kept, source_hashes, sources, lang)
    return results + [IngestResult(k.source, k.article, k.path, "kept") for k in kept]


# Skipping unchanged sources ----------------------------------------------------------------------

STATE_NAME = "ingest.json"


def _project_state(articles_dir: Path, settings: Settings | None) -> tuple[Path, Path] | None:
    """``build/incremental/ingest.json`` and the root of the project whose articles these are.

    None (no skipping) for a folder that is not a project's configured articles folder: a
    state must never be shared by two folders or written where nobody expects it. The
    ``settings`` given are used when ``articles_dir`` is their articles folder (loading them
    again costs more than the rest of an ingest that finds nothing new).
    """
    folder = articles_dir.resolve()
    if settings is not None and settings.articles_path.resolve() == folder:
        return state_path(settings, STATE_NAME), settings.root
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            # A cheap look first: most folders above an articles folder are no pubflow project.
            if "[tool.pubflow]" not in pyproject.read_text("utf-8"):
                continue
            settings = load_settings(candidate)
        except (OSError, UnicodeDecodeError, PubflowError):
            return None
        if settings.articles_path.resolve() != folder:
            return None
        return state_path(settings, STATE_NAME), settings.root
    return None


def _reuse(
    source: Path,
    record: object,
    source_hash: str | None,
    hashes: FileHashes,
    articles_dir: Path,
    lang: str,
) -> IngestResult | None:
    """The recorded result of ``source`` when neither it nor its canonical file changed."""
    if not isinstance(record, dict) or source_hash is None:
        return None
    if record.get("lang") != lang or record.get("source") != source_hash:
        return None
    try:
        article = _article_from_dict(record["article"])
        target = canonical_path(articles_dir, article.slug)
    except (KeyError, TypeError, ValueError, PubflowError):
        return None  # a damaged record: read the source
    if record.get("canonical") != target.name or hashes.sha256(target) != record.get("canonical_sha256"):
        return None
    return IngestResult(source, article, target, "unchanged")


def _save_state(
    state_file: Path,
    previous: Mapping[str, Any],
    hashes: FileHashes,
    planned: Sequence[PlannedArticle],
    kept: Sequence[PlannedArticle],
    source_hashes: Mapping[Path, str | None],
    keys: Mapping[Path, str],
    lang: str,
) -> None:
    """Record every source whose canonical file now holds exactly what it gives.

    Records of sources not named this time are kept (``pubflow ingest one.txt`` must not
    forget the others).
    """
    recorded = previous.get("sources")
    sources = dict(recorded) if isinstance(recorded, dict) else {}
    for item in kept:  # a hand-edited canonical file: read the source every time
        sources.pop(keys[item.source], None)
    for item in planned:
        expected = hashlib.sha256(item.text.encode("utf-8")).hexdigest()
        source_hash = source_hashes.get(item.source)
        if source_hash is None or hashes.sha256(item.path) != expected:
            sources.pop(keys[item.source], None)
            continue
        sources[keys[item.source]] = {
            "source": source_hash,
            "lang": lang,
            "canonical": item.path.name,
            "canonical_sha256": expected,
            "article": item.article.to_dict(),
        }
    saved_at = now_ns()
    write_state(state_file, "ingest", {"hashes": hashes.records(saved_at), "sources": sources}, previous)


def _article_from_dict(data: Mapping[str, Any]) -> Article:
    """The inverse of :meth:`Article.to_dict` (KeyError/TypeError/ValueError when malformed)."""
    return Article(
        slug=str(data["slug"]),
        lang=str(data["lang"]),
        title=str(data["title"]),
        summary=str(data["summary"]),
        date=dt.date.fromisoformat(data["date"]) if data["date"] else None,
        image=data["image"],
        intro=tuple(data["intro"]),
        tips=tuple(Tip(t["heading"], tuple(t["paragraphs"])) for t in data["tips"]),
        faq=tuple(FaqEntry(f["question"], tuple(f["answer"])) for f in data["faq"]),
        conclusion=tuple(data["conclusion"]),
        related=tuple(RelatedArticle(r["title"], r["slug"], r["image"]) for r in data["related"]),
    )
