"""The ``pubflow`` command: the same verbs as the Prefect flows.

Each verb lives in its own module and registers itself on :data:`app`; importing this package
imports them all.
"""

from __future__ import annotations

from pubflow.cli.common import app

# Imported for their side effect of registering verbs on ``app``.
from pubflow.cli import (  # noqa: E402,F401
    build,
    catalogs,
    check,
    ingest,
    preview,
    send,
    serve,
    stats,
    subscribers,
    translate,
    unsubscribe,
)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point for ``python -m pubflow``."""
    app()
