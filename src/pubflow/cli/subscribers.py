"""`pubflow subscribers`: not available yet (issue 6/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("subscribers", help="Not available yet (issue 6/9).")
def subscribers_command() -> None:
    not_yet("subscribers", "issue 6/9")
