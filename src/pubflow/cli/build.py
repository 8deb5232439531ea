"""`pubflow build`: not available yet (pubflow build site|newsletter: issue 4/9 and 5/9)."""

from __future__ import annotations

from pubflow.cli.common import app, not_yet


@app.command("build", help="Not available yet (pubflow build site|newsletter: issue 4/9 and 5/9).")
def build_command() -> None:
    not_yet("build", "pubflow build site|newsletter: issue 4/9 and 5/9")
