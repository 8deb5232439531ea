"""File-system helpers shared by every stage: atomic writes, their crash sweep, safe path parts."""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pubflow.errors import ConfigError

_SLUG_SHAPE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")

TEMP_FILE_NAME = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp\Z")
"""Name of an :func:`atomic_write_bytes` temp file: ``.<name>.<8 random chars>.tmp`` (mkstemp's shape)."""

STALE_TEMP_AGE = 300.0
"""Seconds after its last change that an unlocked temp file counts as abandoned by a crash."""


def atomic_write_bytes(
    path: Path,
    data: bytes,
    *,
    durable: bool = True,
    before_replace: Callable[[], None] | None = None,
) -> bool:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + ``os.replace``).

    Returns False and leaves the file untouched when it already holds exactly ``data``, so
    rebuilds with nothing changed rewrite nothing (mtimes stay, watchers stay quiet).

    ``durable=False`` skips the ``fsync`` before the rename: for generated files (``build/``,
    ``dist/``) that a rebuild recreates. A crashed or killed process still never leaves a
    half-written file; only a power cut can lose the latest content (one fsync per file was
    a tenth of a full build of 1,000+ catalogs). Sources and catalogs stay durable.

    ``before_replace`` runs once the new content is on disk, right before the rename; if it
    raises, nothing is replaced and the error propagates (a compare-and-swap: the catalog
    editor re-checks there that nobody saved the file meanwhile).
    """
    target = os.fspath(path)
    try:
        with open(target, "rb") as existing:
            if existing.read() == data:
                return False
    except FileNotFoundError:
        pass
    try:
        fd, tmp_name = _create_temp(target)
    except FileNotFoundError:  # a new folder (tried second: most writes go to existing ones)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = _create_temp(target)
    # Hold an flock on the temp file until it is renamed into place: the crash sweep skips
    # locked temp files, so it never removes one whose writer is alive (the kernel frees the
    # lock when the writer dies, SIGKILL included). Never blocks: nobody else has this name yet.
    try_flock(fd, blocking=False)
    try:
        # The temp file is made 0600 (as mkstemp does); outputs are served and shared, so give
        # it the mode a plain open() would (0666 less the umask), or keep the mode of the file
        # it replaces.
        try:
            mode = os.stat(target).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.fchmod(fd, mode)
        write_all(fd, data)
        if durable:
            os.fsync(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp_name, target)  # still locked: closing the file unlocks
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    os.close(fd)
    return True


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_TEMP_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # mkstemp's: TEMP_FILE_NAME's shape
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_names: tuple[int, random.Random] | None = None


def _create_temp(target: str) -> tuple[int, str]:
    """A new temp file beside ``target``, ``.<name>.<8 random chars>.tmp``, mode 0600.

    What ``tempfile.mkstemp`` does (exclusive create, never following a symlink, the same
    characters), without its argument handling, which was a third of the cost of writing
    3,000+ small compiled files. The generator is re-seeded in a forked worker (as
    tempfile's is), so parent and workers do not draw the same names.
    """
    global _names
    pid = os.getpid()
    if _names is None or _names[0] != pid:
        _names = (pid, random.Random())
    choose = _names[1].choices
    folder, name = os.path.split(target)
    prefix = os.path.join(folder, f".{name}.")
    for _ in range(tempfile.TMP_MAX):
        candidate = f"{prefix}{''.join(choose(_TEMP_CHARACTERS, k=8))}.tmp"
        try:
            return os.open(candidate, _TEMP_FLAGS, 0o600), candidate
        except FileExistsError:
            continue  # taken (by another writer, or left by a crash): draw again
    raise FileExistsError(f"no free temp file name beside {target}")


def try_flock(fd: int, *, blocking: bool = True) -> bool:
    """Lock ``fd`` exclusively; False when another holder has it (only with ``blocking=False``).

    Filesystems without flock count as "got it": age alone then protects a live writer.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def sweep_stale_temp_files(
    *folders: Path,
    older_than: float = STALE_TEMP_AGE,
    left: list[Path] | None = None,
    shallow: Iterable[Path] = (),
) -> list[Path]:
    """Remove the temp files crashed atomic writes left under ``folders``, and directly in the
    ``shallow`` folders (not in their subfolders, which may be big: ``build/``); return what went.

    Only names shaped exactly like :data:`TEMP_FILE_NAME`, only regular files unchanged for
    ``older_than`` seconds, and only when no writer holds their lock (a live
    :func:`atomic_write_bytes` holds it until its rename). The age also covers the instant
    between a writer creating its temp file and locking it, and writers of other tools that
    never lock, so keep it at a few minutes. Folders that do not exist are skipped.
    ``left`` gets the temp-shaped files that stayed (too young, or locked by a live writer).
    """
    cutoff = time.time() - older_than
    removed: list[Path] = []
    for directory, names in _file_names(folders, shallow):
        for name in names:
            if TEMP_FILE_NAME.match(name):
                path = Path(directory, name)
                if _remove_if_abandoned(path, cutoff):
                    removed.append(path)
                elif left is not None and path.exists():
                    left.append(path)
    return removed


def _file_names(folders: Iterable[Path], shallow: Iterable[Path]) -> Iterator[tuple[str, list[str]]]:
    """(folder, names in it) for every folder under ``folders`` and each of ``shallow``."""
    for folder in folders:
        for directory, _dirs, names in os.walk(folder):
            yield directory, names
    for folder in shallow:
        try:
            yield os.fspath(folder), os.listdir(folder)
        except OSError:
            continue  # missing (or unreadable: whoever reads it reports the problem)


def _remove_if_abandoned(path: Path, cutoff: float) -> bool:
    try:
        # O_NOFOLLOW: never follow a planted symlink; O_NONBLOCK: a FIFO must not hang us.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # renamed into place meanwhile, a symlink, or not ours to read
        return False
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or opened.st_mtime > cutoff:
            return False
        if not try_flock(fd, blocking=False):
            return False  # its writer is alive
        try:
            now = os.lstat(path)
        except FileNotFoundError:
            return False
        # Still the same file under that name (not renamed away and the name reused)?
        if (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
            return False
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True
    finally:
        os.close(fd)


def readable_json(data: Mapping[str, Any]) -> str:
    """``data`` as JSON a person can read: one line per top-level key, and one per entry of a
    top-level value that is itself an object (a manifest's files or locales); keys sorted.

    Not ``json.dumps(indent=...)``: indenting runs json's pure-Python encoder, some 5 times
    slower than the C one each line is encoded with here (a 1,100-page manifest: 4 → 1 ms,
    written on every build that changes a page).
    """

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    lines = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, Mapping) and value:
            entries = ",\n".join(f"  {compact(str(name))}: {compact(value[name])}" for name in sorted(value))
            lines.append(f" {compact(str(key))}: {{\n{entries}\n }}")
        else:
            lines.append(f" {compact(str(key))}: {compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_text(
    path: Path,
    text: str,
    *,
    durable: bool = True,
    before_replace: Callable[[], None] | None = None,
) -> bool:
    """UTF-8, LF line ends; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(
        path, text.encode("utf-8"), durable=durable, before_replace=before_replace
    )


def is_slug(name: object) -> bool:
    """Whether ``name`` is a safe lowercase-hyphen slug (never a path): :func:`validate_slug`'s test."""
    return isinstance(name, str) and len(name) <= 200 and _SLUG_SHAPE.match(name) is not None


def validate_slug(slug: str, *, where: str = "slug") -> str:
    """Return ``slug`` if it is a safe lowercase-hyphen slug (never a path); else ConfigError."""
    if not is_slug(slug):
        raise ConfigError(
            f"{where}: {slug!r} is not a valid slug",
            hint="use lowercase letters, digits and hyphens, e.g. my-article",
        )
    return slug
