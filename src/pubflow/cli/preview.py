"""`pubflow preview`: not available yet (issue 4/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("preview", help="Not available yet (issue 4/9).")
def preview_command() -> None:
    not_yet("preview", "issue 4/9")
