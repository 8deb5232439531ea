"""File-system helpers shared by every stage: atomic writes and safe path parts."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pubflow.errors import ConfigError

_SLUG_SHAPE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + ``os.replace``).

    Returns False and leaves the file untouched when it already holds exactly ``data``, so
    rebuilds with nothing changed rewrite nothing (mtimes stay, watchers stay quiet).

    ``durable=False`` skips the ``fsync`` before the rename: for generated files (``build/``,
    ``dist/``) that a rebuild recreates. A crashed or killed process still never leaves a
    half-written file; only a power cut can lose the latest content (one fsync per file was
    a tenth of a full build of 1,000+ catalogs). Sources and catalogs stay durable.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; outputs are served and shared, so give it the mode a
        # plain open() would (0666 less the umask), or keep the mode of the file it replaces.
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp_name, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> bool:
    """UTF-8, LF line ends; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def validate_slug(slug: str, *, where: str = "slug") -> str:
    """Return ``slug`` if it is a safe lowercase-hyphen slug (never a path); else ConfigError."""
    if not isinstance(slug, str) or len(slug) > 200 or not _SLUG_SHAPE.match(slug):
        raise ConfigError(
            f"{where}: {slug!r} is not a valid slug",
            hint="use lowercase letters, digits and hyphens, e.g. my-article",
        )
    return slug
