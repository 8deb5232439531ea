"""`pubflow stats`: not available yet (issue 2/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("stats", help="Not available yet (issue 2/9).")
def stats_command() -> None:
    not_yet("stats", "issue 2/9")
