"""Writes staged by worker processes and renamed into place together by their parent.

A build that renders in worker processes (:mod:`pubflow.parallel`) would otherwise send every
rendered file back to its parent and write them there one by one: for a site of 1,000+ pages
that is tens of megabytes through a pipe and a serial write loop. Instead each worker writes
its files under temporary names right beside their targets, and the parent renames them all
once every worker has succeeded — still nothing half-published when one locale fails, since
a failed build removes its staged files (:meth:`StagedWrites.discard`) and renames none.

Temporary names have the crash sweep's shape (``.<name>.<8 chars>.tmp``,
:data:`pubflow.fsutil.TEMP_FILE_NAME`); the 8 characters are one random token per build, so
a failed build finds exactly its own files, and a killed build's leftovers are swept like any
crashed atomic write's. Unlike :func:`~pubflow.fsutil.atomic_write_bytes`, a staged file is
not locked until its rename (its writer has exited by then): the sweep's age limit (5 min)
and the project run lock, which keeps other builds out of the same output folder, protect it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pubflow.fsutil import TEMP_FILE_NAME, write_all


@dataclass(frozen=True)
class StagedFile:
    """One output staged by a worker: its temp file (None: the target already holds these
    bytes), and the hash and size of its content."""

    target: str
    temp: str | None
    sha256: str
    size: int


@dataclass(frozen=True)
class StagedWrites:
    """The staged writes of one build; share it with the workers (it is only a token)."""

    token: str

    @classmethod
    def new(cls) -> StagedWrites:
        return cls(secrets.token_hex(4))  # 8 of [0-9a-f]: the sweep's name shape

    def stage(self, path: Path, data: bytes) -> StagedFile:
        """Write ``data`` beside ``path`` under this build's temp name (not yet in place)."""
        sha = hashlib.sha256(data).hexdigest()
        try:
            status = path.stat()
            if status.st_size == len(data) and path.read_bytes() == data:
                return StagedFile(str(path), None, sha, len(data))
            mode: int | None = status.st_mode & 0o777
        except FileNotFoundError:
            mode = None  # a new file: 0666 less the umask, as open() gives
        temp = path.with_name(f".{path.name}.{self.token}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            fd = os.open(temp, flags, 0o666)
        except FileNotFoundError:  # a new folder (tried second: most targets have one)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, flags, 0o666)
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # keep the mode of the file it replaces
            write_all(fd, data)
        except BaseException:
            os.close(fd)
            os.unlink(temp)
            raise
        os.close(fd)
        return StagedFile(str(path), str(temp), sha, len(data))

    def commit(self, staged: StagedFile) -> bool:
        """Put a staged file in place; False when nothing had to change."""
        if staged.temp is None:
            return False
        os.replace(staged.temp, staged.target)
        return True

    def discard(self, *folders: Path) -> int:
        """Remove every file this build staged under ``folders`` (after a failure)."""
        removed = 0
        suffix = f".{self.token}.tmp"
        for folder in folders:
            for directory, _dirs, names in os.walk(folder):
                for name in names:
                    if name.endswith(suffix) and TEMP_FILE_NAME.match(name):
                        try:
                            os.unlink(os.path.join(directory, name))
                            removed += 1
                        except FileNotFoundError:
                            pass
        return removed


__all__ = ["StagedFile", "StagedWrites"]
