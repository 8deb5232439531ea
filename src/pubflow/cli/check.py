"""`pubflow check`: not available yet (issue 2/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("check", help="Not available yet (issue 2/9).")
def check_command() -> None:
    not_yet("check", "issue 2/9")
