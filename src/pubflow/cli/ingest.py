"""`pubflow ingest`: not available yet (issue 1/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("ingest", help="Not available yet (issue 1/9).")
def ingest_command() -> None:
    not_yet("ingest", "issue 1/9")
