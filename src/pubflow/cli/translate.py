"""`pubflow translate`: not available yet (issue 3/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("translate", help="Not available yet (issue 3/9).")
def translate_command() -> None:
    not_yet("translate", "issue 3/9")
