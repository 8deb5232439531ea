from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pubflow.errors import ConfigError
from pubflow.fsutil import atomic_write_text, validate_slug


def test_atomic_write_skips_equal_bytes_and_uses_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "page.html"
    assert atomic_write_text(target, "one") is True
    # Not mkstemp's 0600: served files must be readable by the web server.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    inode = target.stat().st_ino
    assert atomic_write_text(target, "one") is False
    assert target.stat().st_ino == inode  # untouched
    target.chmod(0o640)
    assert atomic_write_text(target, "two") is True
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's mode is kept
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]  # no temp files left


@pytest.mark.parametrize("bad", ["../etc", "/abs", "a\x00b", "UPPER", "a--b", "", "a/b", "-a"])
def test_validate_slug_refuses_paths(bad: str) -> None:
    with pytest.raises(ConfigError):
        validate_slug(bad)


def test_the_temp_file_has_the_sweeps_name_shape_is_private_and_locked_until_the_rename(
    tmp_path: Path,
) -> None:
    import fcntl

    from pubflow.fsutil import TEMP_FILE_NAME, atomic_write_bytes

    target = tmp_path / "messages.mo"
    seen: list[tuple[str, int, bool]] = []

    def look() -> None:
        (temp,) = [p for p in tmp_path.iterdir() if p.name != target.name]
        fd = os.open(temp, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = False
        except BlockingIOError:
            locked = True
        finally:
            os.close(fd)
        seen.append((temp.name, stat.S_IMODE(temp.stat().st_mode), locked))
        assert temp.read_bytes() == b"data"  # all written before the rename

    umask = os.umask(0)
    os.umask(umask)
    assert atomic_write_bytes(target, b"data", durable=False, before_replace=look) is True
    (name, mode, locked), = seen
    match = TEMP_FILE_NAME.match(name)
    assert match is not None and match["target"] == "messages.mo"
    assert locked and mode == 0o666 & ~umask
    assert target.read_bytes() == b"data" and sorted(p.name for p in tmp_path.iterdir()) == ["messages.mo"]


def test_a_failed_write_leaves_no_temp_file_and_the_old_content(tmp_path: Path) -> None:
    from pubflow.fsutil import atomic_write_bytes

    target = tmp_path / "a.json"
    target.write_bytes(b"old")

    def refuse() -> None:
        raise RuntimeError("saved meanwhile")

    with pytest.raises(RuntimeError):
        atomic_write_bytes(target, b"new", before_replace=refuse)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.json"]
    big = bytes(range(256)) * 40_000  # 10 MB: written whole, however the kernel splits it
    assert atomic_write_bytes(target, big) is True and target.read_bytes() == big


def test_temp_names_differ_between_a_parent_and_its_forked_worker(tmp_path: Path) -> None:
    """Each process draws its own names (in separate folders here, so no O_EXCL retry can hide
    two processes drawing the same sequence)."""
    from pubflow.fsutil import _create_temp

    def draw(folder: Path) -> list[str]:
        folder.mkdir(exist_ok=True)
        names = []
        for _ in range(5):
            fd, name = _create_temp(str(folder / "x"))
            os.close(fd)
            names.append(os.path.basename(name))
        return names

    draw(tmp_path / "before")  # the parent's generator exists before the fork
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover — the worker
        os.close(read)
        try:
            os.write(write, "\n".join(draw(tmp_path / "child")).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child_names = pipe.read().split("\n")
    os.waitpid(child, 0)
    parent_names = draw(tmp_path / "parent")
    assert len(child_names) == 5 and not set(child_names) & set(parent_names)


def test_readable_json_round_trips_with_a_line_per_entry() -> None:
    import json

    from pubflow.fsutil import readable_json

    manifest = {
        "issue": "2026-12",
        "locales": {"de": {"status": "built", "files": {"email.html": {"bytes": 3}}}, "ar": {"subject": "نشرة"}},
        "files": {},
        "count": 2,
        "tags": ["a", "b"],
    }
    text = readable_json(manifest)
    assert json.loads(text) == manifest
    assert text.endswith("}\n") and "نشرة" in text  # not \\u-escaped
    lines = text.splitlines()
    assert lines[1:4] == [' "count": 2,', ' "files": {},', ' "issue": "2026-12",']
    assert lines[4:8] == [
        ' "locales": {',
        '  "ar": {"subject": "نشرة"},',
        '  "de": {"files": {"email.html": {"bytes": 3}}, "status": "built"}',
        " },",
    ]
    assert readable_json(dict(reversed(list(manifest.items())))) == text  # key order never matters
