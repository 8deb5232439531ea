"""`pubflow serve`: the whole local stack for marketing staff and translators, in one command.

Starts (unless ``PREFECT_API_URL`` already points at a server) a Prefect server on SQLite with a
project-local ``PREFECT_HOME``, serves every deployment from ``flows/serve.py``, the unsubscribe
app and the preview server (which rebuilds when a translator saves a ``.po``), prints the URLs
and stops everything on Ctrl-C. Prefect itself runs in child processes: the library never
imports it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import typer

from pubflow.cli.common import app, console, guarded, settings_from
from pubflow.supervise import Service, ServiceError, Supervisor


def prefect_environment(root: Path, api_url: str) -> dict[str, str]:
    """Environment for every Prefect process of the stack (offline, project-local)."""
    return {
        "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(root / ".prefect")),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The runner polls for scheduled runs every 10 s by default; 2 s makes a click in the
        # UI start within seconds.
        "PREFECT_RUNNER_POLL_FREQUENCY": os.environ.get("PREFECT_RUNNER_POLL_FREQUENCY", "2"),
        "PUBFLOW_ROOT": str(root),
        # Flow runs load `flows/<name>.py` by path; their `import flows.common` needs the root.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }


class _Stop(Exception):
    """Raised from the SIGTERM handler so the stack shuts down like on Ctrl-C."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


@app.command("serve")
@guarded
def serve_command(
    prefect_port: int = typer.Option(4200, min=1, max=65535, help="Port of the local Prefect server and UI."),
    preview_port: int | None = typer.Option(None, min=1, max=65535, help="Port of the preview server."),
    unsubscribe_port: int | None = typer.Option(None, min=1, max=65535, help="Port of the unsubscribe app."),
    limit: int = typer.Option(4, min=1, help="At most this many flow runs at once."),
) -> None:
    """Start the Prefect server, every deployment, the unsubscribe app and the preview server."""
    settings = settings_from(preview_port=preview_port, unsubscribe_port=unsubscribe_port)
    root = settings.root
    bin_dir = Path(sys.executable).parent
    logs = settings.build_path / "serve"
    external_api = os.environ.get("PREFECT_API_URL")
    api_url = external_api or f"http://{settings.host}:{prefect_port}/api"
    env = prefect_environment(root, api_url)
    supervisor = Supervisor(root)
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        if not external_api:
            console.print(f"starting the Prefect server on {settings.host}:{prefect_port} …")
            supervisor.start(
                Service(
                    "prefect server",
                    [str(bin_dir / "prefect"), "server", "start", "--host", settings.host,
                     "--port", str(prefect_port), "--analytics-off"],
                    env=env,
                    ready_url=f"{api_url}/health",
                    ready_timeout=90,
                    log_path=logs / "prefect-server.log",
                )
            )
        supervisor.start(
            Service(
                "deployments",
                [sys.executable, str(root / "flows" / "serve.py"), "--limit", str(limit)],
                env=env,
                log_path=logs / "deployments.log",
            )
        )
        supervisor.start(
            Service(
                "unsubscribe app",
                [str(bin_dir / "pubflow"), "serve-unsubscribe", "--port",
                 str(settings.unsubscribe_port)],
                env={"PUBFLOW_ROOT": str(root)},
                ready_url=f"http://{settings.host}:{settings.unsubscribe_port}/healthz",
                log_path=logs / "unsubscribe.log",
            )
        )
        supervisor.start(
            Service(
                "preview",
                [str(bin_dir / "pubflow"), "preview", "--port", str(settings.preview_port)],
                env={"PUBFLOW_ROOT": str(root)},
                ready_url=f"http://{settings.host}:{settings.preview_port}/",
                ready_timeout=120,
                log_path=logs / "preview.log",
            )
        )
        ui = api_url.removesuffix("/api")
        for label, url in (
            ("Prefect UI", f"{ui}/deployments"),
            ("Preview", f"http://{settings.host}:{settings.preview_port}/"),
            ("Unsubscribe app", f"http://{settings.host}:{settings.unsubscribe_port}/"),
        ):
            console.print(f"[bold]{label:<16}[/] {url}", soft_wrap=True, highlight=False)
        console.print(f"logs in {logs}; press Ctrl-C to stop everything.", soft_wrap=True)
        while True:
            dead = supervisor.first_dead()
            if dead is not None:
                raise ServiceError(
                    f"{dead.name} stopped unexpectedly", hint=f"see {dead.log_path}"
                )
            time.sleep(1)
    except (KeyboardInterrupt, _Stop):
        console.print("stopping …")
    finally:
        supervisor.stop_all()
        signal.signal(signal.SIGTERM, previous)
        console.print("all services stopped.")
