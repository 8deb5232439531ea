"""`pubflow serve`: not available yet (issue 7/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("serve", help="Not available yet (issue 7/9).")
def serve_command() -> None:
    not_yet("serve", "issue 7/9")
