"""Translation memory: accepted machine translations in SQLite, so nothing is sent twice.

Key: backend name, source and target language *as the backend knows them* (``pt`` for Google
whether the catalog is ``pt_BR`` or ``pt_PT``: the same request gives the same answer), and the
full source text. Only results that passed every check are stored; a rejected result is never
cached, so the next run asks again. The file is a cache: deleting it loses nothing but time.

One connection per :class:`TranslationMemory`, used from the thread that opened it (the
pre-fill looks up and stores from its main thread; only HTTP calls run in workers). WAL mode and
a busy timeout let two runs share the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from pubflow.errors import TranslationError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS translations (
    backend TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source_text TEXT NOT NULL,
    translation TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (backend, source_lang, target_lang, source_text)
) WITHOUT ROWID;
"""

MemoryKey = tuple[str, str, str, str]
"""``(backend, source_lang, target_lang, source_text)``."""


class TranslationMemory:
    """A SQLite-backed map from :data:`MemoryKey` to an accepted translation."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TranslationError(
                f"cannot create the folder of the translation memory: {exc.strerror}",
                path=path.parent,
                hint="check permissions, or set translation_memory to another path",
            ) from None
        self._db = sqlite3.connect(path, timeout=30)
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        path = self.path
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                with self._db:
                    self._db.execute(
                        "INSERT INTO meta(key, value) VALUES('schema', ?)", (str(SCHEMA_VERSION),)
                    )
            elif row[0] != str(SCHEMA_VERSION):
                raise TranslationError(
                    f"translation memory has schema {row[0]}, this pubflow needs {SCHEMA_VERSION}",
                    path=path,
                    hint="move the file away; pubflow starts a new memory",
                )
        except sqlite3.DatabaseError as exc:
            raise TranslationError(
                f"cannot open the translation memory ({exc.__class__.__name__}: {exc})",
                path=path,
                hint="move the file away (it is only a cache) or fix translation_memory",
            ) from None

    def get(self, key: MemoryKey) -> str | None:
        """The stored translation for ``key``, or None."""
        row = self._db.execute(
            "SELECT translation FROM translations"
            " WHERE backend=? AND source_lang=? AND target_lang=? AND source_text=?",
            key,
        ).fetchone()
        return None if row is None else str(row[0])

    def put_many(self, items: Iterable[tuple[MemoryKey, str]]) -> int:
        """Store accepted translations (newer wins); returns how many rows were written."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = [(*key, translation, stamp) for key, translation in items]
        if not rows:
            return 0
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO translations"
                    " (backend, source_lang, target_lang, source_text, translation, stored_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.DatabaseError as exc:
            raise TranslationError(
                f"cannot write the translation memory ({exc.__class__.__name__})",
                path=self.path,
                hint="check free disk space and permissions of the file",
            ) from None
        return len(rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def open_memory(path: Path) -> Iterator[TranslationMemory]:
    """Open (creating if needed) the memory at ``path`` and close it afterwards."""
    memory = TranslationMemory(path)
    try:
        yield memory
    finally:
        memory.close()
