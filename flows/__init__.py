"""Prefect flows: thin wrappers around the pubflow library (which never imports Prefect)."""

from __future__ import annotations


def _stop_on_unreadable_pyproject() -> None:
    """Prefect reads ``pyproject.toml`` of the current folder (its ``[tool.prefect]``) as it is
    imported, and a syntax error there ended ``make publish`` in Prefect's traceback before
    any flow code ran: say it in one line instead, with the file and line, and exit 1."""
    import sys
    from pathlib import Path

    from pubflow.config import check_toml
    from pubflow.errors import ConfigError

    try:
        check_toml(Path.cwd() / "pyproject.toml")
    except ConfigError as error:
        print(f"pubflow: error: {error.describe()}", file=sys.stderr)
        raise SystemExit(1) from None


_stop_on_unreadable_pyproject()
