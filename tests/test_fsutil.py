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
