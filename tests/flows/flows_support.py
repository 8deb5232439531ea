"""Helpers shared by the flow tests (kept out of conftest: every test folder has a conftest
module, and test modules importing ``conftest`` would get whichever was imported first)."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `import flows.*`, as make publish / make serve do


def copy_project(target: Path) -> Path:
    """The project's content, catalogs, templates and settings under ``target`` (no outputs)."""
    for name in ("content", "locales", "templates", "flows"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    shutil.copy(REPO / "babel.cfg", target / "babel.cfg")
    return target


def free_port() -> int:
    """A loopback port that was free a moment ago (for servers started as subprocesses)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
