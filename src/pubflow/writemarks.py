"""Marks left by writers while they write, so that only a crash makes the next build sweep.

A killed atomic write leaves a hidden temp file beside its target
(:func:`pubflow.fsutil.sweep_stale_temp_files` removes them). Walking a whole output tree for
them costs one directory listing per page folder: ~25 ms of every site rebuild at 1,100
pages, and more the larger the site. But only a writer that died mid-way can have left one.

So each writer of a tree holds a mark while it writes: a small file in
``build/incremental/writers/`` named after the tree, locked (``flock``) for as long as its
process is alive, and removed when the writer is done, error or not. A mark that is still
there but no longer locked was left by a writer that was killed: the next writer of that tree
then sweeps all of it, and removes the dead marks once that sweep left no temp file behind
(a leftover still too young to tell from a live write keeps them for the next one). Before
any writer has marked a tree here (a fresh ``build/``, an older pubflow), nothing is known
and the tree is swept too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pubflow.fsutil import try_flock, sweep_stale_temp_files

WRITERS_DIR = "writers"
"""Under ``build/incremental/``: the marks."""

_SUFFIX = ".writing"
_KNOWN = ".known"


def _dead_marks(folder: Path, name: str, own: Path | None) -> list[Path]:
    """Marks of ``name`` whose writer is gone (their lock can be taken)."""
    dead = []
    try:
        candidates = [entry for entry in os.scandir(folder) if entry.name.startswith(f"{name}.")]
    except OSError:
        return []
    for entry in candidates:
        path = Path(entry.path)
        if not entry.name.endswith(_SUFFIX) or path == own:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # removed meanwhile by its writer
        try:
            if try_flock(fd, blocking=False):
                dead.append(path)
        finally:
            os.close(fd)  # closing drops the probe's lock
    return dead


@contextmanager
def marked_writes(folder: Path, name: str) -> Iterator[Sweeper]:
    """Hold a mark for tree ``name`` inside; the :class:`Sweeper` sweeps only when needed."""
    folder.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}.{os.urandom(4).hex()}"
    own = folder / f"{name}.{token}{_SUFFIX}"
    # Locked under a name no one probes, then renamed: a mark is never seen unlocked while
    # its writer lives (a probe in between would take it for a dead writer's).
    pending = folder / f".{name}.{token}.pending"
    fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        try_flock(fd)
        os.replace(pending, own)
        sweeper = Sweeper(folder, name, own)
        yield sweeper
    finally:
        os.close(fd)
        for path in (own, pending):  # pending: only if the rename itself failed
            try:
                path.unlink()
            except FileNotFoundError:
                pass


class Sweeper:
    """Sweeps a tree's crash leftovers at most once, and only if a writer of it died."""

    def __init__(self, folder: Path, name: str, own: Path) -> None:
        self._folder, self._name, self._own = folder, name, own
        self.needed = not (folder / f"{name}{_KNOWN}").exists() or bool(_dead_marks(folder, name, own))
        self.swept: list[Path] = []  # what the sweep removed (empty: none ran, or none found)

    def sweep(self, *trees: Path) -> None:
        """Sweep ``trees`` when needed (once); then forget the dead marks if nothing is left."""
        if not self.needed:
            return
        self.needed = False
        left: list[Path] = []
        self.swept = sweep_stale_temp_files(*trees, left=left)
        if left:
            return  # a leftover too young to remove: the next writer sweeps again
        for mark in _dead_marks(self._folder, self._name, self._own):
            try:
                mark.unlink()
            except FileNotFoundError:
                pass
        known = self._folder / f"{self._name}{_KNOWN}"
        if not known.exists():
            known.touch()


def mark_name(kind: str, tree: Path) -> str:
    """The mark of output tree ``tree`` (``kind``: a word for people reading the folder)."""
    return f"{kind}-{hashlib.sha256(os.fsencode(tree.resolve())).hexdigest()[:12]}"
