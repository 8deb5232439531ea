"""`pubflow serve-unsubscribe`: run the one-click unsubscribe endpoint with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from pubflow.cli.common import app, console, err_console, guarded, settings_from


@app.command("serve-unsubscribe")
@guarded
def serve_unsubscribe_command(
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="port (default: settings.unsubscribe_port)"),
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="interface (default: settings.host)")
    ] = None,
) -> None:
    """Serve GET/POST /unsubscribe/TOKEN (RFC 8058 one-click) and /healthz until Ctrl-C."""
    # Imported here, as uvicorn is: the web app is no cost of the other commands' start.
    import uvicorn

    from pubflow.deliver.tokens import load_list_secret
    from pubflow.deliver.unsubscribe import create_app

    settings = settings_from(host=host, unsubscribe_port=port)
    _port_is_free(settings.host, settings.unsubscribe_port)
    secret = load_list_secret(settings)
    err_console.print(escape(secret.describe()), highlight=False, soft_wrap=True)
    application = create_app(settings, secret)
    console.print(
        f"unsubscribe endpoint on http://{settings.host}:{settings.unsubscribe_port} "
        f"(links point to {escape(settings.unsubscribe_base_url)}/…); Ctrl-C stops it",
        highlight=False,
        soft_wrap=True,
    )
    # No access log: request paths carry personal unsubscribe tokens.
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.unsubscribe_port,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )


def _port_is_free(host: str, port: int) -> None:
    """DeliveryError, in one line, when ``host:port`` cannot be listened on (uvicorn would log
    its own error and exit 3)."""
    import socket

    from pubflow.errors import DeliveryError

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise DeliveryError(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}",
            hint="choose another port with --port, or stop the program using this one",
        ) from None
