"""`pubflow catalogs`: not available yet (issue 2/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("catalogs", help="Not available yet (issue 2/9).")
def catalogs_command() -> None:
    not_yet("catalogs", "issue 2/9")
