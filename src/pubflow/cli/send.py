"""`pubflow send`: not available yet (issue 6/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("send", help="Not available yet (issue 6/9).")
def send_command() -> None:
    not_yet("send", "issue 6/9")
