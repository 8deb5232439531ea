"""Fingerprints of what a build read and wrote, so a rebuild can skip work whose inputs are unchanged.

The site and newsletter builds (and ingest) keep a small state file under
``build/incremental/``. It records, per group of outputs (one locale of the site, one locale of
a newsletter issue), a fingerprint of everything that could change those outputs and the
SHA-256 of every file written. A later build skips a group only when its fingerprint is the
same *and* every output it wrote is still there, byte for byte; anything else renders again
(correctness first: a missing or damaged state file just means a full build).

Content, not time, decides: every input and output is identified by the SHA-256 of its bytes.
``(size, mtime_ns, inode)`` only lets a build reuse a hash it computed before, so an unchanged
tree costs a ``stat`` per file. A stat is trusted only when the file had not been modified for
a moment (:data:`RACY_NS`) before the state was saved: a file changed again within the same
timestamp tick would otherwise look unchanged (git's "racy clean" problem); such a file is
simply hashed again next time. Atomic writes (ours, the compiler's, most editors') also get a
new inode.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from pubflow.config import Settings
from pubflow.fsutil import atomic_write_bytes

STATE_FORMAT = 1
"""Bump when the meaning of a state file changes: every old state is then ignored."""

STATE_DIR = "incremental"
"""Folder under the build folder holding the state files."""

RACY_NS = 100_000_000
"""A file modified less than this before the state was saved is hashed again next time.

Linux stamps files from a clock that ticks every 1–10 ms; 100 ms leaves a wide margin.
"""

COARSE_RACY_NS = 2_000_000_000
"""The same for timestamps without a sub-second part (FAT, some network file systems)."""

LIBRARIES = ("jinja2", "markupsafe", "babel", "lxml", "mjml", "polib", "yaml")
"""Modules whose version can change rendered bytes (part of the code fingerprint)."""

OPERATIONAL_SETTINGS = frozenset(
    {
        "mt_backend", "mt_base_url", "mt_timeout", "mt_concurrency", "mt_requests_per_second",
        "mt_retries", "mt_backoff", "translation_memory", "deepl_api_key", "microsoft_api_key",
        "microsoft_region", "libre_api_key", "mymemory_email", "subscribers_db", "smtp_host",
        "smtp_port", "smtp_security", "smtp_user", "smtp_password", "smtp_timeout", "send_rate",
        "smtp_retries", "smtp_backoff", "smtp_ca_file", "newsletter_cron", "newsletter_timezone",
        "host", "preview_port", "unsubscribe_port", "run_lock_wait",
        # Outputs are the same with any number of worker processes (tested).
        "workers",
    }
)
"""Settings no rendered byte depends on (machine translation, sending, servers, scheduling).

Every other setting, including ones added later, is part of the fingerprint: a setting
wrongly left in only costs a rebuild, one wrongly left out would leave stale pages.
"""

Stamp = tuple[int, int, int]
"""``(size, mtime_ns, inode)`` of a file."""

UNREADABLE = "!unreadable"
"""The "hash" of a file that exists but cannot be read (never equal to a real hash)."""


# orjson encodes what json would (keys sorted, compact, UTF-8), 5-10x faster on the large
# mappings builds hash (every catalog's hash, every output's record: ~25 ms of a one-catalog
# rebuild with json). Anything that is not plain JSON data (paths, dates, dataclasses, str
# subclasses such as enums) goes through str(), as with json's default=str.
_DIGEST_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def digest(*parts: Any) -> str:
    """SHA-256 of JSON-encodable ``parts`` (dict keys sorted, so order-independent for dicts)."""
    try:
        encoded = orjson.dumps(parts, default=str, option=_DIGEST_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        # Beyond orjson (integers over 64 bits, keys of mixed types): json, as before.
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        encoded = text.encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def stamp(status: os.stat_result) -> Stamp:
    """What a file is known by while unchanged: its size, mtime (ns) and inode."""
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def _is_racy(mtime_ns: int, saved_at_ns: int) -> bool:
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return mtime_ns >= saved_at_ns - window


def is_racy(mtime_ns: int) -> bool:
    """Whether a file last modified at ``mtime_ns`` could change now without its stat changing
    (see :data:`RACY_NS`): such a file must not be known again by its stat alone."""
    return _is_racy(mtime_ns, time.time_ns())


def _ignored(name: str) -> bool:
    """Temp files of interrupted atomic writes: no reader ever takes them for input."""
    return name.startswith(".") and name.endswith(".tmp")


# Hashes computed in this process (path → size, mtime_ns, inode, SHA-256), with the same trust
# in a stat as the saved records: the stages of one build hash the same catalogs, templates
# and articles, each with its own state file (10,000 hashes in a 100-article build).
_SEEN: dict[str, tuple[int, int, int, str]] = {}


WrittenFile = tuple[str, int, int, int, str]
"""A file a build wrote itself: path, size, mtime_ns, inode and the SHA-256 of what it wrote."""


def written_file(path: Path | str, data: bytes) -> WrittenFile | None:
    """What to tell :func:`remember_written_files` of ``path``, just written with ``data``
    (None when its stat does not match: then it is hashed as usual)."""
    name = os.fspath(path)
    try:
        status = os.stat(name)
    except OSError:
        return None
    if status.st_size != len(data):
        return None
    return (name, *stamp(status), hashlib.sha256(data).hexdigest())


def read_known(path: Path | str) -> tuple[bytes, WrittenFile | None]:
    """``path``'s bytes, and what to tell :func:`remember_written_files` of it (None when
    its stat cannot vouch for those bytes: changed while read, or too recently, see
    :func:`is_racy`).

    For a worker that reads an input anyway (a compile reads every catalog): its parent then
    knows the file's hash from the worker instead of reading and hashing it a second time.
    The stat is taken from the open file after reading, so it describes the file that was
    read; a write during the read leaves a recent mtime, which is racy and not vouched for.
    """
    with open(path, "rb") as handle:
        data = handle.read()
        status = os.fstat(handle.fileno())
    if status.st_size != len(data) or is_racy(status.st_mtime_ns):
        return data, None
    return data, (os.fspath(path), *stamp(status), hashlib.sha256(data).hexdigest())


def remember_written_files(files: Iterable[WrittenFile]) -> None:
    """Let this process know the hashes of files a worker of this build has just written.

    Unlike files it reads, they are trusted even when written moments ago (the "racy" rule
    above): nobody else writes a build's outputs while it runs (the run lock), and ours are
    always replaced whole, with a new inode. Saved records still leave out racy files.
    A cold sync's parent process otherwise read again the 2,000+ files its workers compiled.
    Files a worker only read are told by :func:`read_known`, which vouches only for files
    not changed recently.
    """
    for name, size, mtime, inode, sha in files:
        _SEEN[name] = (size, mtime, inode, sha)


class FileHashes:
    """SHA-256 of files, reusing a hash recorded earlier while the file's stat is unchanged.

    Records are grouped by folder (relative to ``root`` when under it): ``{folder: {name:
    [size, mtime_ns, inode, sha256]}}``, which keeps state files small and lookups cheap.
    """

    def __init__(self, root: Path, records: object = None) -> None:
        self._prefix = os.fspath(root).rstrip(os.sep) + os.sep
        self._previous: dict[str, Any] = records if isinstance(records, dict) else {}
        self._current: dict[str, dict[str, tuple[int, int, int, str]]] = {}
        self.hashed = 0  # files actually read this run (the others were known by their stat)

    def _folder_key(self, folder: str) -> str:
        if folder.startswith(self._prefix):
            return folder[len(self._prefix) :]
        return "" if folder + os.sep == self._prefix else folder

    def _folder(self, folder: str) -> tuple[dict[str, Any], dict[str, tuple[int, int, int, str]]]:
        key = self._folder_key(folder)
        known = self._previous.get(key)
        return (known if isinstance(known, dict) else {}), self._current.setdefault(key, {})

    def _hash(self, path: str) -> str:
        try:
            with open(path, "rb") as handle:
                sha = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return UNREADABLE
        self.hashed += 1
        return sha

    def _resolve(
        self,
        path: str,
        name: str,
        status: os.stat_result,
        known: dict[str, Any],
        current: dict[str, tuple[int, int, int, str]],
    ) -> str:
        if not stat.S_ISREG(status.st_mode):
            return UNREADABLE
        size, mtime, inode = status.st_size, status.st_mtime_ns, status.st_ino
        record = known.get(name)
        if (
            isinstance(record, list)
            and len(record) == 4
            and record[0] == size
            and record[1] == mtime
            and record[2] == inode
        ):
            sha = str(record[3])
        else:
            seen = _SEEN.get(path)
            if seen is not None and seen[0] == size and seen[1] == mtime and seen[2] == inode:
                sha = seen[3]
            else:
                sha = self._hash(path)
                if sha == UNREADABLE:
                    return sha
                if not is_racy(mtime):
                    _SEEN[path] = (size, mtime, inode, sha)
        current[name] = (size, mtime, inode, sha)
        return sha

    def sha256(self, path: Path | str) -> str | None:
        """The file's SHA-256; None when it does not exist; :data:`UNREADABLE` on other errors.

        :data:`UNREADABLE` never equals a recorded hash, so whatever depends on the file is
        rebuilt and its own reader reports the real problem.
        """
        name = os.fspath(path)
        try:
            status = os.stat(name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            return UNREADABLE
        folder, base = os.path.split(name)
        known, current = self._folder(folder)
        return self._resolve(name, base, status, known, current)

    def tree(self, folder: Path, suffixes: tuple[str, ...] = ()) -> dict[str, str]:
        """Relative POSIX path → SHA-256 of every file under ``folder`` (optionally by suffix).

        Like ``os.walk``, symlinked folders are not followed (no loops); symlinked files are.
        """
        found: dict[str, str] = {}
        pending = [(os.fspath(folder), "")]
        while pending:
            directory, relative = pending.pop()
            try:
                entries = os.scandir(directory)
            except OSError:
                continue  # missing or unreadable: whoever reads it reports the problem
            known, current = self._folder(directory)
            with entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{relative}{name}/"))
                        continue
                    if (suffixes and not name.endswith(suffixes)) or _ignored(name):
                        continue
                    try:
                        status = entry.stat()
                    except FileNotFoundError:
                        continue  # removed meanwhile
                    except OSError:
                        found[relative + name] = UNREADABLE
                        continue
                    found[relative + name] = self._resolve(entry.path, name, status, known, current)
        return found

    def names(self, folder: str, names: Iterable[str]) -> dict[str, str | None]:
        """Name → SHA-256 (None: missing) of files ``names`` (plain file names) in ``folder``."""
        known, current = self._folder(folder)
        found: dict[str, str | None] = {}
        prefix = os.path.join(folder, "")  # joined once: thousands of names per build
        for name in names:
            path = prefix + name
            try:
                status = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                found[name] = None
                continue
            except OSError:
                found[name] = UNREADABLE
                continue
            found[name] = self._resolve(path, name, status, known, current)
        return found

    def files(self, paths: Iterable[Path]) -> dict[str, str | None]:
        """Path (as given) → SHA-256, or None for a missing file."""
        return {str(path): self.sha256(path) for path in paths}

    def records(self, saved_at_ns: int) -> dict[str, dict[str, list[Any]]]:
        """What to save: this run's hashes whose stat can be trusted next time."""
        saved: dict[str, dict[str, list[Any]]] = {}
        for folder, entries in self._current.items():
            kept = {
                name: list(record)
                for name, record in entries.items()
                if not _is_racy(record[1], saved_at_ns)
            }
            if kept:
                saved[folder] = kept
        return saved


def digest_files(files: Mapping[str, str | None]) -> str:
    """Hash of a path → hash mapping (cheaper than :func:`digest` for thousands of files)."""
    hasher = hashlib.sha256()
    for path in sorted(files):
        hasher.update(f"{path}\0{files[path]}\n".encode())
    return hasher.hexdigest()


# Outputs ---------------------------------------------------------------------------------------


def output_record(path: Path, data: bytes) -> dict[str, Any]:
    """What to remember of an output just written (or found identical): hash, size, stat."""
    return output_record_of(path, hashlib.sha256(data).hexdigest(), len(data))


def output_record_of(path: Path | str, sha256: str, size: int) -> dict[str, Any]:
    """:func:`output_record` of content whose hash and size are already known."""
    record: dict[str, Any] = {"sha256": sha256, "bytes": size}
    try:
        status = os.stat(path)
    except OSError:
        return record
    # A file that is not exactly what we wrote is never trusted by its stat.
    if status.st_size == size:
        record["stat"] = list(stamp(status))
    return record


def finish_output_records(records: Iterable[dict[str, Any]], saved_at_ns: int) -> None:
    """Drop stats too recent to trust (see :data:`RACY_NS`): those files are hashed next time."""
    for record in records:
        stamp = record.get("stat")
        if stamp is not None and _is_racy(int(stamp[1]), saved_at_ns):
            del record["stat"]


def output_intact(path: Path | str, record: dict[str, Any]) -> bool:
    """True when ``path`` still holds exactly the bytes recorded (stat first, then hash).

    A file confirmed by its hash gets its current stat recorded, so the next check is a stat.
    """
    try:
        status = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(status.st_mode) or status.st_size != record.get("bytes"):
        return False
    known = record.get("stat")
    if isinstance(known, list) and tuple(known) == stamp(status):
        return True
    try:
        with open(path, "rb") as handle:
            same = hashlib.file_digest(handle, "sha256").hexdigest() == record.get("sha256")
    except OSError:
        return False
    if same:
        record["stat"] = list(stamp(status))
    return same


# What every build depends on -------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """pubflow's version and source files, Python's version and the rendering libraries'.

    Any change to pubflow's code rebuilds everything once: cheaper to trust than a list of
    which module feeds which output. Files count by path, size and mtime — what Python itself
    checks before reusing a compiled ``.pyc`` — so this costs a stat per module, not a read.
    """
    import pubflow

    package = Path(pubflow.__file__).parent
    parts: list[object] = [pubflow.__version__, sys.version]
    for source in sorted(package.rglob("*.py")):
        status = source.stat()
        parts.append((source.relative_to(package).as_posix(), status.st_size, status.st_mtime_ns))
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)  # finds the module without importing it
        origin = spec.origin if spec is not None else None
        try:
            status = os.stat(origin) if origin else None
        except OSError:
            status = None
        parts.append((name, origin, status and (status.st_size, status.st_mtime_ns)))
    return digest(*parts)


def settings_fingerprint(settings: Settings) -> str:
    """The settings rendered output may depend on (secrets stay masked: never in any output)."""
    values = settings.as_json(exclude=OPERATIONAL_SETTINGS)
    return digest(values)


# State files -----------------------------------------------------------------------------------


def state_path(settings: Settings, *parts: str) -> Path:
    """``build/incremental/<parts…>``: where one build keeps its state."""
    return settings.build_path.joinpath(STATE_DIR, *parts)


def read_state(path: Path, kind: str) -> dict[str, Any]:
    """The saved state of kind ``kind``; empty (rebuild everything) when missing or damaged."""
    try:
        data = orjson.loads(path.read_bytes())  # JSON like json's, 2x faster to read
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError (bad UTF-8 too)
        return {}
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT or data.get("kind") != kind:
        return {}
    if data.get("code") != code_fingerprint():
        return {}  # another pubflow: nothing recorded by it can be trusted
    return data


def write_state(
    path: Path, kind: str, data: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> bool:
    """Save a state atomically (a crash leaves the previous one, which only costs work).

    Nothing is written when ``data`` equals ``previous`` (what :func:`read_state` gave):
    encoding a large unchanged state would cost more than the rest of a no-op build.
    """
    payload = {"format": STATE_FORMAT, "kind": kind, "code": code_fingerprint(), **data}
    if previous is not None and dict(previous) == payload:
        return False
    # States run to 1 MB: orjson writes the same JSON as json.dumps(ensure_ascii=False) ten
    # times faster (keys in the order the build made them, not sorted: nothing compares the
    # bytes, only the decoded data; non-string keys become strings, as json makes them). No
    # fsync: a state only saves work, and one lost to a power cut (or damaged) means a rebuild.
    encoded = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)
    return atomic_write_bytes(path, encoded, durable=False)


def now_ns() -> int:
    """Wall-clock time in ns, the clock file timestamps come from."""
    return time.time_ns()
